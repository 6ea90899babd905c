// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// newWaitingClient is a client of address that waits for its server, with
// a short backoff.
func newWaitingClient(t *testing.T, address string, opts ...ClientOpts) *Client {
	t.Helper()
	dial, err := NewDialer(address, WithHybridVsockHandshakeTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]ClientOpts{WithClientLogger(quietLogger), WithWaitForConnection(),
		WithDialBackoff(5*time.Millisecond, 20*time.Millisecond)}, opts...)
	c := NewClientWithDialer(dial, opts...)
	t.Cleanup(func() { c.Close() })
	return c
}

// A call made before the server is up waits for it, dialing again after
// each backoff, and succeeds once it is up.
func TestWaitForConnectionUntilServerUp(t *testing.T) {
	leakcheck.Check(t)
	path := socketPath(t)
	c := newWaitingClient(t, "unix://"+path)
	up := make(chan struct{})
	timer := time.AfterFunc(200*time.Millisecond, func() {
		defer close(up)
		listenAndServe(t, path)
	})
	defer timer.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	got, err := echo(ctx, c, "late")
	<-up
	if err != nil || got != "late" {
		t.Fatalf("Echo = %q, %v; want late", got, err)
	}
	if elapsed := time.Since(start); elapsed < 200*time.Millisecond {
		t.Errorf("the call returned after %v, before the server was up", elapsed)
	}
}

// Without the option, the same call fails at once.
func TestWithoutWaitForConnectionFailsAtOnce(t *testing.T) {
	leakcheck.Check(t)
	dial, err := NewDialer("unix://" + socketPath(t))
	if err != nil {
		t.Fatal(err)
	}
	c := NewClientWithDialer(dial, WithClientLogger(quietLogger))
	defer c.Close()
	if _, err := echo(context.Background(), c, "x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Echo = %v, want ErrClosed", err)
	}
}

// When the call's context ends first, its error says how the last dial
// failed; Close ends a waiting call with ErrClosed.
func TestWaitForConnectionEnds(t *testing.T) {
	leakcheck.Check(t)
	path := socketPath(t)
	c := newWaitingClient(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	_, err := echo(ctx, c, "x")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "while waiting for a connection") ||
		!strings.Contains(err.Error(), path) {
		t.Fatalf("Echo = %v; want DEADLINE_EXCEEDED with the last dial error", err)
	}
	wantCode(t, err, codes.DeadlineExceeded)

	c2 := newWaitingClient(t, path)
	errc := make(chan error, 1)
	go func() { _, err := echo(context.Background(), c2, "x"); errc <- err }()
	time.Sleep(50 * time.Millisecond)
	c2.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Echo during Close = %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a call waiting for a connection")
	}
}

// A VM's agent is reached over hybrid vsock before it listens: the VMM
// closes the first connections (the guest's port is not open yet) and
// answers OK once it is; the waiting client keeps dialing until then.
func TestWaitForConnectionHybridVsockBoot(t *testing.T) {
	leakcheck.Check(t)
	var attempts atomic.Int32
	vm := newFakeVM(t, func(line string, conn net.Conn, done <-chan struct{}) bool {
		if attempts.Add(1) <= 3 {
			return false // the guest is still booting: the VMM hangs up
		}
		return answerOK(line, conn, done)
	})
	c := newWaitingClient(t, vm.address())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if got, err := echo(ctx, c, "booted"); err != nil || got != "booted" {
		t.Fatalf("Echo = %q, %v", got, err)
	}
	if n := attempts.Load(); n != 4 {
		t.Errorf("%d connections to the VMM, want 4 (3 refused, then OK)", n)
	}
}
