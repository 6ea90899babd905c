// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/status"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// A raw server against our Client, where the test needs Linux: it reads
// how full the socket is (SIOCINQ) and counts on Linux's socket buffer
// sizes (other kernels give a Unix socket far less room).

// unreadBytes is the number of bytes waiting in the receive queue of a
// Unix socket.
func unreadBytes(t *testing.T, conn net.Conn) int {
	t.Helper()
	raw, err := conn.(*net.UnixConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var ioctlErr error
	if err := raw.Control(func(fd uintptr) {
		n, ioctlErr = unix.IoctlGetInt(int(fd), unix.SIOCINQ)
	}); err != nil {
		t.Fatal(err)
	}
	if ioctlErr != nil {
		t.Fatal(ioctlErr)
	}
	return n
}

func TestClientRawServerStopsReading(t *testing.T) {
	leakcheck.Check(t)
	c, p := newRawServerClient(t)

	callA := goEcho(context.Background(), c, "A")
	idA, reqA := p.recvRequest()
	if reqA.Method != "Echo" {
		t.Fatalf("request on stream %d is for %q, want Echo", idA, reqA.Method)
	}
	// From here on the raw server reads nothing. Rounds of 1 MiB requests
	// with a short deadline go out until the socket is full and the
	// client's sender is blocked writing one of them (a round whose calls
	// all time out while still queued writes nothing, which can happen on
	// a loaded machine). Every call must time out on its own deadline.
	const n = 8
	for round := 1; ; round++ {
		results := make(chan callResult, n)
		for range n {
			// Owner: the test, which receives n results below; each exits
			// when its call returns (the 200ms deadline).
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				defer cancel()
				start := time.Now()
				req := wrapperspb.Bytes(make([]byte, 1<<20))
				err := c.Call(ctx, testService, "Bytes", req, &wrapperspb.BytesValue{})
				results <- callResult{err: err, took: time.Since(start)}
			}()
		}
		for range n {
			r := waitCall(t, results)
			if status.Code(r.err) != codes.DeadlineExceeded || !errors.Is(r.err, context.DeadlineExceeded) {
				t.Errorf("call to a server that stopped reading = %v (code %v), want DEADLINE_EXCEEDED matching context.DeadlineExceeded",
					r.err, status.Code(r.err))
			}
			if r.took > rawPeerTimeout {
				t.Errorf("call took %v to time out after 200ms", r.took)
			}
		}
		// The socket holds what the sender managed to write; the rest of
		// a 1 MiB frame cannot fit, so the sender is blocked in Write.
		if unreadBytes(t, p.conn) >= 32<<10 {
			break
		}
		if round == 10 {
			t.Fatal("the client's sender did not fill the socket")
		}
	}
	wantPending(t, callA, "call A")

	// The receiver is independent of the blocked sender: A's answer arrives.
	p.writeResponse(idA, echoResponse(t, "A"))
	if r := waitCall(t, callA); r.err != nil || r.value != "A" {
		t.Fatalf("call A = %q, %v; want A, nil", r.value, r.err)
	}

	closed := make(chan struct{})
	// Owner: the test; exits when Close returns.
	go func() { c.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(rawPeerTimeout):
		t.Fatal("Close did not return while the sender was blocked writing")
	}
}
