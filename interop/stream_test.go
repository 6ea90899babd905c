// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package interop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/interop/internal/peer"
	"github.com/featherrpc/ttrpc/interop/internal/script"
	"github.com/featherrpc/ttrpc/interop/internal/testpb"
	"github.com/featherrpc/ttrpc/interop/internal/testsvc"
	"github.com/featherrpc/ttrpc/interop/internal/wire"
)

var (
	collectDesc  = peer.StreamDesc{StreamingClient: true}
	generateDesc = peer.StreamDesc{StreamingServer: true}
	chatDesc     = peer.StreamDesc{StreamingClient: true, StreamingServer: true}
)

// TestScript runs every recorded conversation live, for every pair, each
// on a connection of its own: unary calls, errors with details, unknown
// names, and every kind of stream with empty messages and every ending
// (data with remote closed, with and without a final message; a Response
// frame with a status or, for a client stream, the answer).
func TestScript(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		s := startServer(t, p.server)
		for _, c := range script.Cases {
			client := dial(t, p.client, s.addr, script.ClientOptions)
			if err := c.Run(context.Background(), p.client, client); err != nil {
				t.Errorf("%s: %v", c.Name, err)
			}
			client.Close()
		}
	})
}

// TestStreamMetadataAndDeadline: our client sends a stream's metadata and
// deadline, as for a unary call, and containerd's server gives them to the
// handler. containerd's client sends neither on a stream (its NewStream
// drops them; a known upstream gap), so our server's handler sees none.
func TestStreamMetadataAndDeadline(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, _ := setup(t, p, peer.ClientOptions{})
		md := map[string][]string{"k1": {"v1", "v2"}, "k2": {"v3"}}
		const timeout = 10 * time.Second
		ctx, cancel := context.WithTimeout(p.client.WithMetadata(context.Background(), md), timeout)
		defer cancel()
		sends := p.client.Name == peer.Ours

		check := func(what string, got *testpb.Echo) {
			t.Helper()
			left := time.Duration(got.GetTimeoutNano())
			switch {
			case sends && (left <= 0 || left > timeout):
				t.Errorf("%s: the handler had %v left, want a deadline within %v", what, left, timeout)
			case !sends && left != 0:
				t.Errorf("%s: the handler had a deadline (%v left) that containerd's client does not send", what, left)
			}
			var want []*testpb.Pair
			if sends {
				want = testsvc.SortedPairs(md)
			}
			if err := script.CheckEcho(&testpb.Echo{Metadata: got.GetMetadata()}, &testpb.Echo{Metadata: want}); err != nil {
				t.Errorf("%s: metadata: %v", what, err)
			}
		}

		// Server streaming: the first message says what the handler saw.
		s, err := c.NewStream(ctx, generateDesc, testsvc.Service, testsvc.Generate, &testpb.Echo{Action: testsvc.ActionMeta})
		if err != nil {
			t.Fatal(err)
		}
		got := &testpb.Echo{}
		if err := s.RecvMsg(got); err != nil {
			t.Fatal(err)
		}
		check("Generate", got)
		if err := script.RecvEOF(s); err != nil {
			t.Error(err)
		}

		// Client streaming: the answer says what the handler saw.
		s, err = c.NewStream(ctx, collectDesc, testsvc.Service, testsvc.Collect, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CloseSend(); err != nil {
			t.Fatal(err)
		}
		got = &testpb.Echo{}
		if err := s.RecvMsg(got); err != nil {
			t.Fatal(err)
		}
		check("Collect", got)
	})
}

// TestStreamDeadlineExpires: a bidi stream whose deadline passes while the
// client waits for a message. The client gives up at once with
// DEADLINE_EXCEEDED. With our client the server's handler sees the same
// deadline expire; with containerd's (which sends no deadline on streams)
// the handler's context ends only when the connection closes.
func TestStreamDeadlineExpires(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, srv := setup(t, p, peer.ClientOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		s, err := c.NewStream(ctx, chatDesc, testsvc.Service, testsvc.Chat, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SendMsg(&testpb.Echo{Seq: 5, Action: testsvc.ActionWait}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = s.RecvMsg(&testpb.Echo{})
		if !isDeadline(p.client, err) {
			t.Errorf("got %v, want DEADLINE_EXCEEDED", err)
		}
		if elapsed := time.Since(start); elapsed > 3*time.Second {
			t.Errorf("RecvMsg returned after %v", elapsed)
		}
		want := context.DeadlineExceeded
		if p.client.Name == peer.Theirs {
			c.Close()
			want = context.Canceled
		}
		if o := srv.observe(t); o.seq != 5 || o.err != want {
			t.Errorf("the handler's context ended with %v (seq %d), want %v", o.err, o.seq, want)
		}
	})
}

// TestStreamManyMessages: long streams in every direction, with the
// sender and the receiver running at once.
func TestStreamManyMessages(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, _ := setup(t, p, peer.ClientOptions{})
		ctx := context.Background()
		const n = 500

		// Bidi: one goroutine sends, this one receives the echoes in order.
		s, err := c.NewStream(ctx, chatDesc, testsvc.Service, testsvc.Chat, nil)
		if err != nil {
			t.Fatal(err)
		}
		msg := func(i int) *testpb.Echo {
			if i%10 == 0 {
				return &testpb.Echo{} // an empty message now and then
			}
			return &testpb.Echo{Seq: int64(i), Data: testsvc.Pattern(i % 700)}
		}
		sent := make(chan error, 1)
		// Owner: this test; the goroutine returns after n sends and CloseSend.
		go func() {
			for i := range n {
				if err := s.SendMsg(msg(i)); err != nil {
					sent <- fmt.Errorf("send %d: %w", i, err)
					return
				}
			}
			sent <- s.CloseSend()
		}()
		for i := range n {
			if err := script.Recv(s, msg(i)); err != nil {
				t.Fatalf("echo %d: %v", i, err)
			}
		}
		if err := script.RecvEOF(s); err != nil {
			t.Error(err)
		}
		if err := <-sent; err != nil {
			t.Error(err)
		}

		// Server streaming.
		s, err = c.NewStream(ctx, generateDesc, testsvc.Service, testsvc.Generate, &testpb.Echo{Count: n, Text: "many"})
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= n; i++ {
			if err := script.Recv(s, &testpb.Echo{Seq: int64(i), Text: "many"}); err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
		}
		if err := script.RecvEOF(s); err != nil {
			t.Error(err)
		}

		// Client streaming.
		s, err = c.NewStream(ctx, collectDesc, testsvc.Service, testsvc.Collect, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if err := s.SendMsg(&testpb.Echo{Data: []byte{byte(i)}}); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
		if err := s.CloseSend(); err != nil {
			t.Fatal(err)
		}
		got := &testpb.Echo{}
		if err := s.RecvMsg(got); err != nil {
			t.Fatal(err)
		}
		if got.GetSeq() != n || len(got.GetData()) != n || got.GetData()[n-1] != byte((n-1)%256) {
			t.Errorf("the handler collected %d messages, %d bytes; want %d", got.GetSeq(), len(got.GetData()), n)
		}
	})
}

// TestStreamServerEndsFirst: the server ends a bidi stream while the
// client has not closed its side. The client reads io.EOF. Our client's
// SendMsg then returns io.EOF and sends nothing; containerd's sends the
// message anyway (which our server drops, and containerd's server answers
// with an INVALID_ARGUMENT response that its client drops). Either way the
// connection goes on.
func TestStreamServerEndsFirst(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, _ := setup(t, p, peer.ClientOptions{})
		ctx := context.Background()
		s, err := c.NewStream(ctx, chatDesc, testsvc.Service, testsvc.Chat, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SendMsg(&testpb.Echo{Action: testsvc.ActionStop}); err != nil {
			t.Fatal(err)
		}
		if err := script.RecvEOF(s); err != nil {
			t.Fatal(err)
		}
		err = s.SendMsg(&testpb.Echo{Seq: 1})
		if p.client.Name == peer.Ours && !errors.Is(err, io.EOF) {
			t.Errorf("SendMsg after the server ended the stream: got %v, want io.EOF", err)
		}
		if err := s.CloseSend(); err != nil {
			t.Errorf("CloseSend after the server ended the stream: %v", err)
		}
		mustEcho(t, ctx, c, &testpb.Echo{Seq: 2}, &testpb.Echo{Seq: 2})
	})
}

// TestStreamOversizedMessage: a stream message over 4 MiB is refused by
// the client before anything is sent, and the stream goes on.
func TestStreamOversizedMessage(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, _ := setup(t, p, peer.ClientOptions{})
		s, err := c.NewStream(context.Background(), chatDesc, testsvc.Service, testsvc.Chat, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = s.SendMsg(&testpb.Echo{Data: make([]byte, wire.MaxLength)})
		checkOversized(t, p.client, err, wire.MaxLength+5) // field tag and length: 5 bytes
		m := &testpb.Echo{Seq: 1, Text: "after"}
		if err := script.Send(s, m); err != nil {
			t.Fatal(err)
		}
		if err := script.Recv(s, m); err != nil {
			t.Fatal(err)
		}
		if err := s.CloseSend(); err != nil {
			t.Fatal(err)
		}
		if err := script.RecvEOF(s); err != nil {
			t.Error(err)
		}
	})
}
