// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// A fault test that needs Linux: it reads how full the server's socket is
// (unreadBytes, with SIOCINQ) and counts on Linux's socket buffer sizes.

func TestFaultServerStopsReading(t *testing.T) {
	leakcheck.Check(t)
	s, path, conns := newFaultServer(t, nil)
	c := dialClient(t, path)
	mustEcho(t, c)
	fc := nextFaultConn(t, conns)
	other := dialClient(t, path)
	mustEcho(t, other)
	fc.stopReading()

	// A stream the server does not read: SendMsg blocks once the socket and
	// the client's queue are full, and gives up with the stream's context.
	sendUntilBlocked(t, c)
	if n := unreadBytes(t, fc.Conn); n < 32<<10 {
		t.Fatalf("only %d bytes wait in the server's socket: the client never blocked", n)
	}
	// Unary calls time out on their own deadline; the other connection is
	// served meanwhile.
	for range 3 {
		echoWithDeadline(t, c)
	}
	mustEcho(t, other)

	// Reading again, the server catches up with the frames the client had
	// written (for calls given up long ago) and the connection goes on.
	fc.resumeReading()
	if got, err := echo(boundedCtx(t), c, "after"); err != nil || got != "after" {
		t.Fatalf("Echo after the server resumed reading = %q, %v", got, err)
	}

	// Blocked again, with the sender stuck in Write and a call pending:
	// Close returns at once and fails the call with ErrClosed.
	fc.stopReading()
	sendUntilBlocked(t, c)
	pending := goBlock(context.Background(), c)
	closeWithin(t, "Client.Close with its sender blocked", c.Close)
	if r := waitCall(t, pending); !errors.Is(r.err, ErrClosed) {
		t.Fatalf("pending call after Close = %v, want ErrClosed", r.err)
	}
	// The server notices once it reads again; its connection and the
	// streams' handlers go away.
	fc.resumeReading()
	waitServerCounts(t, s, ServerCounts{Connections: 1})
	mustEcho(t, other)
}

// sendUntilBlocked sends 64 KiB messages on a new bidi stream until SendMsg
// fails, which must be with the stream's deadline: the peer does not read.
func sendUntilBlocked(t *testing.T, c *Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	cs, err := c.NewStream(ctx, echoDesc, streamService, "Echo", nil)
	big := &wrapperspb.BytesValue{Value: make([]byte, 64<<10)}
	for i := 0; err == nil; i++ {
		if i == 100_000 {
			t.Fatal("100,000 messages of 64 KiB went to a peer that does not read")
		}
		err = cs.SendMsg(big)
	}
	wantDeadlineExceeded(t, "SendMsg to a peer that stopped reading", err, time.Since(start))
}
