// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// peerService answers with the network and address PeerAddr reports.
const peerService = "ttrpc.test.Peer"

func peerMethods() map[string]Method {
	return map[string]Method{
		"Addr": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			if err := unmarshal(&wrapperspb.StringValue{}); err != nil {
				return nil, err
			}
			addr, ok := PeerAddr(ctx)
			if !ok {
				return &wrapperspb.StringValue{Value: "none"}, nil
			}
			va, isVsock := VsockPeer(ctx)
			if isVsock != (addr.Network() == "vsock") || isVsock && va != addr {
				return nil, errors.New("VsockPeer disagrees with PeerAddr")
			}
			return &wrapperspb.StringValue{Value: addr.Network() + " " + addr.String()}, nil
		},
	}
}

// serveListener serves the test and peer services on l until the test ends.
func serveListener(t *testing.T, l net.Listener) {
	t.Helper()
	s, err := NewServer(WithServerLogger(quietLogger))
	if err != nil {
		t.Fatal(err)
	}
	s.Register(testService, testMethods())
	s.Register(peerService, peerMethods())
	served := make(chan error, 1)
	go func() { served <- s.Serve(context.Background(), l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
		l.Close() // Serve leaves it open when Close came first
	})
}

// listenAndServe listens at address and serves there until the test ends.
func listenAndServe(t *testing.T, address string) net.Listener {
	t.Helper()
	l, err := Listen(address)
	if err != nil {
		t.Fatal(err)
	}
	serveListener(t, l)
	return l
}

// peerOf calls Peer.Addr on a client dialled to address, after an Echo.
func peerOf(t *testing.T, address string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := Dial(ctx, address)
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(conn, WithClientLogger(quietLogger))
	defer c.Close()
	mustEcho(t, c)
	resp := &wrapperspb.StringValue{}
	if err := c.Call(ctx, peerService, "Addr", &wrapperspb.StringValue{}, resp); err != nil {
		t.Fatal(err)
	}
	return resp.Value
}

func TestTransportUnixPath(t *testing.T) {
	leakcheck.Check(t)
	path := socketPath(t)
	listenAndServe(t, path)
	for _, address := range []string{path, "unix://" + path} {
		if got := peerOf(t, address); !strings.HasPrefix(got, "unix ") {
			t.Errorf("%s: PeerAddr = %q, want a unix address", address, got)
		}
	}
}

func TestTransportUnixRelativePath(t *testing.T) {
	leakcheck.Check(t)
	dir := filepath.Dir(socketPath(t))
	t.Chdir(dir)
	listenAndServe(t, "unix://rel.sock")
	if _, err := os.Stat(filepath.Join(dir, "rel.sock")); err != nil {
		t.Fatalf("the socket is not in the working directory: %v", err)
	}
	peerOf(t, "rel.sock")
}

func TestTransportTCPLoopback(t *testing.T) {
	leakcheck.Check(t)
	l := listenAndServe(t, "tcp://127.0.0.1:0")
	address := "tcp://" + l.Addr().String()
	if got := peerOf(t, address); !strings.HasPrefix(got, "tcp 127.0.0.1:") {
		t.Errorf("PeerAddr = %q, want tcp 127.0.0.1:port", got)
	}
}

// Dialing a port nobody listens on fails at once, naming the address.
func TestTransportRefused(t *testing.T) {
	leakcheck.Check(t)
	l, err := Listen("tcp://127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	address := "tcp://" + l.Addr().String()
	l.Close()
	for _, address := range []string{address, "unix://" + socketPath(t)} {
		_, err := Dial(context.Background(), address)
		if err == nil || !strings.Contains(err.Error(), address) {
			t.Errorf("Dial(%s) = %v, want an error naming the address", address, err)
		}
	}
}

// A listener's Unix socket file is removed when it closes; a second
// listener on a live socket fails with an error naming the address.
func TestListenUnixInUse(t *testing.T) {
	leakcheck.Check(t)
	path := socketPath(t)
	l, err := Listen("unix://" + path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("second Listen = %v, want an error naming %s", err, path)
	}
	l.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("socket file still there after Close: %v", err)
	}
}

func TestNamedPipeNeedsItsModule(t *testing.T) {
	for _, address := range []string{"npipe://./pipe/ttrpc", `\\.\pipe\ttrpc`} {
		_, err := Dial(context.Background(), address)
		if !errors.Is(err, ErrTransportUnsupported) || !errors.Is(err, errors.ErrUnsupported) ||
			!strings.Contains(err.Error(), "github.com/featherrpc/ttrpc/npipe") {
			t.Errorf("Dial(%s) = %v, want ErrTransportUnsupported naming the npipe module", address, err)
		}
		if _, err := Listen(address); !errors.Is(err, ErrTransportUnsupported) {
			t.Errorf("Listen(%s) = %v, want ErrTransportUnsupported", address, err)
		}
	}
}

// NewDialer checks the address once and gives NewClientWithDialer a dialer.
func TestNewDialerWithClient(t *testing.T) {
	leakcheck.Check(t)
	path := socketPath(t)
	listenAndServe(t, path)
	dial, err := NewDialer("unix://" + path)
	if err != nil {
		t.Fatal(err)
	}
	c := NewClientWithDialer(dial, WithClientLogger(quietLogger))
	defer c.Close()
	mustEcho(t, c)
	if _, err := NewDialer("vsock://3"); !errors.Is(err, ErrBadAddress) {
		t.Errorf("NewDialer(vsock://3) = %v, want ErrBadAddress", err)
	}
}
