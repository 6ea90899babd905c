// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

// Peer credentials (UnixCredentialsFunc, PeerCredentials) exist on Linux
// only, as in containerd's ttrpc: so do the tests that read them.

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// testPeerCred is what PeerCredentials returns, for handshakeSeen.
type testPeerCred = unix.Ucred

// testPeerCredentials is PeerCredentials, for registerCredsService.
func testPeerCredentials(ctx context.Context) (*testPeerCred, bool) { return PeerCredentials(ctx) }

// unixPair returns the two ends of a real Unix socket connection: the
// accepted end and the dialled end. Both are closed when the test ends.
func unixPair(t *testing.T) (accepted, dialled net.Conn) {
	t.Helper()
	l, err := net.Listen("unix", socketPath(t))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dialled, err = net.Dial("unix", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dialled.Close() })
	accepted, err = l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { accepted.Close() })
	return accepted, dialled
}

func TestHandshakeUnixSameUserCredentials(t *testing.T) {
	s, c := setup(t, WithServerHandshaker(UnixSocketRequireSameUser()))
	seen := registerCredsService(s)

	mustEcho(t, c)
	if err := c.Call(boundedCtx(t), credsService, "Who", &wrapperspb.StringValue{}, &wrapperspb.StringValue{}); err != nil {
		t.Fatal(err)
	}
	h := <-seen
	if !h.credOK || h.cred == nil {
		t.Fatal("PeerCredentials found no credentials in the handler's context")
	}
	if int(h.cred.Pid) != os.Getpid() || int(h.cred.Uid) != os.Getuid() || int(h.cred.Gid) != os.Getgid() {
		t.Errorf("PeerCredentials = pid %d uid %d gid %d, want pid %d uid %d gid %d",
			h.cred.Pid, h.cred.Uid, h.cred.Gid, os.Getpid(), os.Getuid(), os.Getgid())
	}
	if !h.infoOK || h.info != interface{}(h.cred) {
		t.Errorf("HandshakeInfo = %v, %v; want the *unix.Ucred %p that PeerCredentials returned", h.info, h.infoOK, h.cred)
	}
}

func TestHandshakeUnixCredentialsRejected(t *testing.T) {
	leakcheck.Check(t)
	s, path := newTestServer(t, WithServerHandshaker(UnixSocketRequireUidGid(os.Getuid()+1, -1)))

	for range 2 {
		c := dialClient(t, path)
		if _, err := echo(boundedCtx(t), c, "rejected"); !errors.Is(err, ErrClosed) {
			t.Fatalf("call from a rejected peer = %v, want ErrClosed", err)
		}
	}
	eventually(t, "the server dropped the rejected connections", func() bool {
		return serverConnCount(s) == 0
	})
}

func TestHandshakeUnixCredentialsDirect(t *testing.T) {
	leakcheck.Check(t)

	t.Run("rejected", func(t *testing.T) {
		accepted, dialled := unixPair(t)
		conn, info, err := UnixSocketRequireUidGid(os.Getuid()+1, -1).Handshake(context.Background(), accepted)
		if !errors.Is(err, syscall.EPERM) {
			t.Fatalf("Handshake of a rejected peer = %v, want an error matching EPERM", err)
		}
		if conn != nil || info != nil {
			t.Errorf("rejecting Handshake returned conn %v, info %v; want nil, nil", conn, info)
		}
		if _, err := accepted.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Read on the rejected connection = %v, want net.ErrClosed (closed by Handshake)", err)
		}
		dialled.SetReadDeadline(time.Now().Add(rawPeerTimeout))
		if _, err := dialled.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("Read by the rejected peer = %v, want io.EOF", err)
		}
	})

	t.Run("accepted", func(t *testing.T) {
		accepted, _ := unixPair(t)
		conn, info, err := UnixSocketRequireUidGid(-1, os.Getgid()).Handshake(context.Background(), accepted)
		if err != nil {
			t.Fatal(err)
		}
		if conn != accepted {
			t.Errorf("Handshake returned conn %v, want the conn it was given", conn)
		}
		cred, ok := info.(*unix.Ucred)
		if !ok || int(cred.Pid) != os.Getpid() {
			t.Errorf("Handshake info %#v, want this process's *unix.Ucred", info)
		}
	})

	t.Run("not a unix socket", func(t *testing.T) {
		a, b := net.Pipe()
		defer b.Close()
		defer a.Close()
		conn, _, err := UnixSocketRequireSameUser().Handshake(context.Background(), a)
		if err == nil || conn != nil {
			t.Fatalf("Handshake on net.Pipe = %v, %v; want an error", conn, err)
		}
		if errors.Is(err, syscall.EPERM) {
			t.Errorf("Handshake on net.Pipe = %v; want an error other than a rejection", err)
		}
	})
}
