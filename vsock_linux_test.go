// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"golang.org/x/sys/unix"
)

// listenVsockAny listens on a vsock port the system picks, on every CID.
func listenVsockAny(t *testing.T) (net.Listener, *VsockAddr) {
	t.Helper()
	l, err := Listen("vsock://any:any")
	if errors.Is(err, unix.EAFNOSUPPORT) {
		t.Fatalf("this kernel has no vsock at all (AF_VSOCK): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	addr, ok := l.Addr().(*VsockAddr)
	if !ok || addr.CID != vsockAny || addr.Port == 0 || addr.Port == vsockAny {
		l.Close()
		t.Fatalf("Addr = %#v, want CID any and the port picked", l.Addr())
	}
	return l, addr
}

// A vsock listener binds, reports its port, refuses a second bind of the
// same port with an error naming the address, and ends Serve on Close.
func TestVsockListen(t *testing.T) {
	leakcheck.Check(t)
	l, addr := listenVsockAny(t)
	serveListener(t, l)
	if got, want := addr.String(), fmt.Sprintf("vsock://4294967295:%d", addr.Port); got != want || addr.Network() != "vsock" {
		t.Errorf("Addr = %s %s, want vsock %s", addr.Network(), got, want)
	}
	again := fmt.Sprintf("vsock://any:%d", addr.Port)
	if _, err := Listen(again); !errors.Is(err, unix.EADDRINUSE) || !strings.Contains(err.Error(), again) {
		t.Errorf("second Listen = %v, want EADDRINUSE naming %s", err, again)
	}
}

// Accept after Close matches net.ErrClosed.
func TestVsockListenerClosed(t *testing.T) {
	leakcheck.Check(t)
	l, _ := listenVsockAny(t)
	accepted := make(chan error, 1)
	go func() {
		conn, err := l.Accept()
		if conn != nil {
			conn.Close()
		}
		accepted <- err
	}()
	time.Sleep(20 * time.Millisecond) // let Accept block in the poller
	l.Close()
	select {
	case err := <-accepted:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close = %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end Accept")
	}
}

// The context bounds a vsock dial even when the kernel would wait longer
// (a CID without a listener that does not answer).
func TestVsockDialBoundedByContext(t *testing.T) {
	leakcheck.Check(t)
	address := "vsock://1:1"
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	conn, err := Dial(ctx, address)
	if conn != nil {
		conn.Close()
	}
	elapsed := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), address) || elapsed > 3*time.Second {
		t.Fatalf("Dial(%s) = %v after %v; want DeadlineExceeded naming it, soon", address, err, elapsed)
	}
	t.Logf("Dial(%s) with a 100ms context: %v, after %v", address, err, elapsed.Round(time.Millisecond))
}

// A ttrpc call over real vsock, to CID 1 (VMADDR_CID_LOCAL), where the
// kernel has vsock loopback (the vsock_loopback module). Without it the
// test says so and checks only that the dial fails with an error naming
// the address; the connection type is tested over a Unix socket below.
func TestVsockLoopback(t *testing.T) {
	leakcheck.Check(t)
	l, addr := listenVsockAny(t)
	serveListener(t, l)
	address := fmt.Sprintf("vsock://1:%d", addr.Port)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := Dial(ctx, address)
	if err != nil {
		if !strings.Contains(err.Error(), address) {
			t.Fatalf("Dial = %v, want an error naming %s", err, address)
		}
		t.Logf("NOT RUN: vsock loopback (CID 1) is not available on this machine: %v. "+
			"The vsock listener, the dial's bounds and the connection type are tested; a call over vsock is not.", err)
		return
	}
	conn.Close()
	got := peerOf(t, address)
	if !strings.HasPrefix(got, "vsock vsock://1:") {
		t.Errorf("PeerAddr = %q, want the peer's CID 1 and its port", got)
	}
	t.Logf("a call over vsock loopback: peer %s", got)
}

// The vsock connection and listener types, driven over a Unix socket (the
// same poller, deadline and close paths as on vsock): a server accepts
// through vsockListener, serves over vsockConn, and a vsockConn's reads
// time out and fail after Close as a net.Conn's do.
func TestVsockConnTypeOverUnixSocket(t *testing.T) {
	leakcheck.Check(t)
	path := socketPath(t)
	l := unixAsVsockListener(t, path)
	serveListener(t, l)
	peerOf(t, path)

	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, err := newVsockConn(os.NewFile(uintptr(fds[0]), "a"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := newVsockConn(os.NewFile(uintptr(fds[1]), "b"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	var ne net.Error
	if _, err := a.Read(make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("Read past the deadline = %v, want a timeout", err)
	}
	a.Close()
	if _, err := a.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read after Close = %v, want net.ErrClosed", err)
	}
	if err := a.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close = %v, want net.ErrClosed", err)
	}
}

// unixAsVsockListener is a vsockListener over a non-blocking Unix socket
// listening at path.
func unixAsVsockListener(t *testing.T, path string) net.Listener {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 8); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	return &vsockListener{f: os.NewFile(uintptr(fd), "unix"), addr: &VsockAddr{}}
}
