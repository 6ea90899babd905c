// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package interop

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/interop/internal/peer"
	"github.com/featherrpc/ttrpc/interop/internal/script"
	"github.com/featherrpc/ttrpc/interop/internal/testpb"
	"github.com/featherrpc/ttrpc/interop/internal/testsvc"
	"github.com/featherrpc/ttrpc/interop/internal/wire"
)

// call makes a unary call of the interop service.
func call(ctx context.Context, c peer.Client, req *testpb.Echo) (*testpb.Echo, error) {
	resp := &testpb.Echo{}
	if err := c.Call(ctx, testsvc.Service, testsvc.Unary, req, resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// mustEcho calls with req and checks that the answer is want.
func mustEcho(t *testing.T, ctx context.Context, c peer.Client, req, want *testpb.Echo) {
	t.Helper()
	got, err := call(ctx, c, req)
	if err != nil {
		t.Fatalf("call %v: %v", req, err)
	}
	if err := script.CheckEcho(got, want); err != nil {
		t.Fatal(err)
	}
}

// checkStatus checks that err decodes, with the client's own status
// package, to want.
func checkStatus(t *testing.T, p pair, err error, want script.WantStatus) {
	t.Helper()
	if err := script.CheckStatus(p.client, err, want); err != nil {
		t.Error(err)
	}
}

func TestUnarySmallAndEmpty(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, _ := setup(t, p, peer.ClientOptions{})
		ctx := context.Background()
		small := &testpb.Echo{Seq: 1, Text: "small", Data: testsvc.Pattern(100)}
		// No metadata and no deadline: the handler saw neither.
		mustEcho(t, ctx, c, small, small)
		mustEcho(t, ctx, c, &testpb.Echo{}, &testpb.Echo{})
		mustEcho(t, ctx, c, &testpb.Echo{Seq: 2, Text: "x", Action: testsvc.ActionEmpty}, &testpb.Echo{})
	})
}

// requestFrameLength is the data length of the request frame that a client
// sends for a unary call of req, without metadata or deadline.
func requestFrameLength(req *testpb.Echo) int {
	payload, _ := proto.Marshal(req)
	return proto.Size(&ttrpc.Request{Service: testsvc.Service, Method: testsvc.Unary, Payload: payload})
}

// responseFrameLength is the data length of an OK response frame carrying
// resp. Both servers leave the status out of an OK response.
func responseFrameLength(resp *testpb.Echo) int {
	payload, _ := proto.Marshal(resp)
	return proto.Size(&ttrpc.Response{Payload: payload})
}

// largest returns the largest n for which size(n) <= limit; size grows
// with n.
func largest(limit int, size func(n int) int) int {
	n := limit
	for size(n) > limit {
		n -= size(n) - limit
	}
	for size(n+1) <= limit {
		n++
	}
	return n
}

func TestUnaryNearLimit(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, _ := setup(t, p, peer.ClientOptions{})
		ctx := context.Background()

		// A request whose frame is exactly 4 MiB goes through.
		reqOf := func(n int) *testpb.Echo { return &testpb.Echo{Action: testsvc.ActionSize, Data: make([]byte, n)} }
		n := largest(wire.MaxLength, func(n int) int { return requestFrameLength(reqOf(n)) })
		if got := requestFrameLength(reqOf(n)); got != wire.MaxLength {
			t.Fatalf("request frame of %d bytes, want %d", got, wire.MaxLength)
		}
		mustEcho(t, ctx, c, &testpb.Echo{Action: testsvc.ActionSize, Data: testsvc.Pattern(n)}, &testpb.Echo{Seq: int64(n)})

		// One byte more is refused by the client, before anything is sent,
		// and the connection goes on.
		_, err := call(ctx, c, reqOf(n+1))
		checkOversized(t, p.client, err, wire.MaxLength+1)
		mustEcho(t, ctx, c, &testpb.Echo{Seq: 1}, &testpb.Echo{Seq: 1})

		// A response whose frame is exactly 4 MiB goes through.
		m := largest(wire.MaxLength, func(n int) int { return responseFrameLength(&testpb.Echo{Data: make([]byte, n)}) })
		got, err := call(ctx, c, &testpb.Echo{Action: testsvc.ActionBig, Count: int64(m)})
		if err != nil {
			t.Fatalf("response of %d bytes: %v", m, err)
		}
		if err := script.CheckEcho(got, &testpb.Echo{Data: testsvc.Pattern(m)}); err != nil {
			t.Fatalf("response of %d bytes: %v", m, err)
		}
	})
}

// checkOversized checks the error of a message refused for its size: a
// RESOURCE_EXHAUSTED status, and an *OversizedMessageErr of the client's
// implementation with the lengths.
func checkOversized(t *testing.T, impl peer.Impl, err error, length int) {
	t.Helper()
	st, ok := impl.FromError(err)
	if !ok || st.Code != 8 {
		t.Errorf("oversized message: got %v (status %v), want RESOURCE_EXHAUSTED", err, st)
	}
	rejected, maximum, ok := impl.Oversized(err)
	if !ok || rejected != length || maximum != wire.MaxLength {
		t.Errorf("oversized message: got %v (%T): rejected %d, maximum %d, want an *OversizedMessageErr with %d, %d",
			err, err, rejected, maximum, length, wire.MaxLength)
	}
}

// TestUnaryOversizedResponse: a handler's answer over 4 MiB. Our server
// answers RESOURCE_EXHAUSTED and keeps the connection; containerd's fails
// to send it and closes the connection (a difference on purpose: the
// protocol says an oversized message fails only its own call).
func TestUnaryOversizedResponse(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, _ := setup(t, p, peer.ClientOptions{})
		ctx := context.Background()
		m := largest(wire.MaxLength, func(n int) int { return responseFrameLength(&testpb.Echo{Data: make([]byte, n)}) })
		_, err := call(ctx, c, &testpb.Echo{Action: testsvc.ActionBig, Count: int64(m + 1)})
		if p.server.Name == peer.Theirs {
			if !p.client.IsClosed(err) {
				t.Fatalf("containerd's server with an oversized response: got %v, want the connection closed", err)
			}
			return
		}
		st, ok := p.client.FromError(err)
		if !ok || st.Code != 8 {
			t.Fatalf("oversized response: got %v, want RESOURCE_EXHAUSTED", err)
		}
		checkStatusMessage(t, st.Message)
		mustEcho(t, ctx, c, &testpb.Echo{Seq: 1}, &testpb.Echo{Seq: 1})
	})
}

func TestUnaryMetadata(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, _ := setup(t, p, peer.ClientOptions{})
		md := map[string][]string{
			"alpha": {"a1", "a2"},
			"beta":  {"b1"},
			"gamma": {"g1", "g2", "g3"},
			"empty": {""},
		}
		ctx := p.client.WithMetadata(context.Background(), md)
		want := &testpb.Echo{Seq: 1, Metadata: testsvc.SortedPairs(md)}
		mustEcho(t, ctx, c, &testpb.Echo{Seq: 1}, want)
	})
}

// TestUnaryMetadataKeyCase: a key that is not lower case (an MD literal
// sets it as it is). Our server lower-cases keys as it receives them, so
// GetMetadata and Get find them; containerd's keeps them as they came, and
// its own MD.Get (which lower-cases the key it looks up) cannot find them.
// A difference on purpose.
func TestUnaryMetadataKeyCase(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, _ := setup(t, p, peer.ClientOptions{})
		ctx := p.client.WithMetadata(context.Background(), map[string][]string{"X-Mixed-Case": {"v"}})
		key := "X-Mixed-Case"
		if p.server.Name == peer.Ours {
			key = "x-mixed-case"
		}
		want := &testpb.Echo{Metadata: []*testpb.Pair{{Key: key, Value: "v"}}}
		mustEcho(t, ctx, c, &testpb.Echo{}, want)
	})
}

func TestUnaryDeadlineSeenByHandler(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, _ := setup(t, p, peer.ClientOptions{})
		const timeout = 10 * time.Second
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		got, err := call(ctx, c, &testpb.Echo{Seq: 1})
		if err != nil {
			t.Fatal(err)
		}
		if left := time.Duration(got.GetTimeoutNano()); left <= 0 || left > timeout {
			t.Errorf("the handler had %v left, want a deadline within %v", left, timeout)
		}
	})
}

// TestUnaryDeadlineExpires: a call whose deadline passes while the
// handler runs fails with DEADLINE_EXCEEDED on the client, without waiting
// for the server; the handler's context ends with the same deadline.
func TestUnaryDeadlineExpires(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, s := setup(t, p, peer.ClientOptions{})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := call(ctx, c, &testpb.Echo{Seq: 7, Action: testsvc.ActionWait})
		if !isDeadline(p.client, err) {
			t.Errorf("got %v, want DEADLINE_EXCEEDED", err)
		}
		if elapsed := time.Since(start); elapsed > 3*time.Second {
			t.Errorf("the call returned after %v", elapsed)
		}
		if o := s.observe(t); o.seq != 7 || o.err != context.DeadlineExceeded {
			t.Errorf("the handler's context ended with %v (seq %d), want %v", o.err, o.seq, context.DeadlineExceeded)
		}
		// The connection goes on.
		mustEcho(t, context.Background(), c, &testpb.Echo{Seq: 1}, &testpb.Echo{Seq: 1})
	})
}

// TestUnaryDeadlineOnTheWire: the server's deadline passes first (the
// client sends a shorter timeout than its own context has), so the
// DEADLINE_EXCEEDED status travels from the server to the client, which
// decodes it with its own status package.
func TestUnaryDeadlineOnTheWire(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, s := setup(t, p, peer.ClientOptions{Timeout: 50 * time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := call(ctx, c, &testpb.Echo{Seq: 8, Action: testsvc.ActionWait})
		checkStatus(t, p, err, script.WantStatus{Code: 4, Message: context.DeadlineExceeded.Error()})
		if o := s.observe(t); o.err != context.DeadlineExceeded {
			t.Errorf("the handler's context ended with %v, want %v", o.err, context.DeadlineExceeded)
		}
	})
}

// TestUnaryNegativeTimeout: containerd's client sends time.Until(deadline)
// as it is, so a deadline that passed before the request was written goes
// out as a negative timeout_nano. Only 0 means "no deadline": a handler
// must see a deadline that has already passed, as on containerd's server.
func TestUnaryNegativeTimeout(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, s := setup(t, p, peer.ClientOptions{Timeout: -time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_, err := call(ctx, c, &testpb.Echo{Seq: 9, Action: testsvc.ActionWait})
		// Our server once treated a negative timeout_nano as no deadline;
		// like containerd's, it now runs the handler with a context that has
		// already expired.
		checkStatus(t, p, err, script.WantStatus{Code: 4, Message: context.DeadlineExceeded.Error()})
		if o := s.observe(t); o.err != context.DeadlineExceeded {
			t.Errorf("the handler's context ended with %v, want %v", o.err, context.DeadlineExceeded)
		}
	})
}

// TestUnaryExpiredContext: a call made with a context whose deadline has
// already passed fails at once with DEADLINE_EXCEEDED. Our client sends
// nothing; containerd's sends the request anyway, with a negative
// timeout_nano (see TestUnaryNegativeTimeout), and the server's handler
// must then see an expired deadline rather than none.
func TestUnaryExpiredContext(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, s := setup(t, p, peer.ClientOptions{})
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		_, err := call(ctx, c, &testpb.Echo{Seq: 10, Action: testsvc.ActionWait})
		if !isDeadline(p.client, err) {
			t.Errorf("got %v, want DEADLINE_EXCEEDED", err)
		}
		if p.client.Name == peer.Theirs {
			// The handler must see an expired deadline, not none (see
			// TestUnaryNegativeTimeout).
			if o := s.observe(t); o.seq != 10 || o.err != context.DeadlineExceeded {
				t.Errorf("the handler's context ended with %v (seq %d), want %v", o.err, o.seq, context.DeadlineExceeded)
			}
		}
		mustEcho(t, context.Background(), c, &testpb.Echo{Seq: 1}, &testpb.Echo{Seq: 1})
	})
}

func TestUnaryErrors(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, _ := setup(t, p, peer.ClientOptions{})
		ctx := context.Background()
		// Every code but OK, with a message and two details.
		for code := int32(1); code <= 16; code++ {
			req := &testpb.Echo{Seq: int64(code), Action: testsvc.ActionError, Code: code, Text: fmt.Sprintf("failure %d", code)}
			_, err := call(ctx, c, req)
			checkStatus(t, p, err, script.ErrorStatus(req))
		}
		// An error that is not a status is UNKNOWN with its text.
		_, err := call(ctx, c, &testpb.Echo{Action: testsvc.ActionPlainError, Text: "plain"})
		checkStatus(t, p, err, script.WantStatus{Code: 2, Message: "plain"})
	})
}

func TestUnaryUnimplemented(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, _ := setup(t, p, peer.ClientOptions{})
		ctx := context.Background()
		err := c.Call(ctx, "no.such.Service", "Unary", &testpb.Echo{}, &testpb.Echo{})
		checkStatus(t, p, err, script.WantStatus{Code: 12, Message: "service no.such.Service"})
		err = c.Call(ctx, testsvc.Service, "NoSuchMethod", &testpb.Echo{}, &testpb.Echo{})
		checkStatus(t, p, err, script.WantStatus{Code: 12, Message: "method NoSuchMethod"})
		// A stream opened on an unknown method fails the same way.
		s, err := c.NewStream(ctx, peer.StreamDesc{StreamingServer: true}, testsvc.Service, "NoSuchStream", &testpb.Echo{})
		if err != nil {
			t.Fatal(err)
		}
		checkStatus(t, p, s.RecvMsg(&testpb.Echo{}), script.WantStatus{Code: 12, Message: "method NoSuchStream"})
	})
}

// TestUnaryBadPayload: a request payload that does not unmarshal (a string
// field with invalid UTF-8). Our server answers INVALID_ARGUMENT, as the
// protocol says; containerd's answers INTERNAL. A difference on purpose.
func TestUnaryBadPayload(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, _ := setup(t, p, peer.ClientOptions{})
		bad := &testpb.Echo{}
		// Field 2 (text, a string) as raw bytes that are not UTF-8: proto
		// marshals unknown fields as they are.
		bad.ProtoReflect().SetUnknown(protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), []byte{0xff, 0xfe}))
		_, err := call(context.Background(), c, bad)
		want := int32(3) // INVALID_ARGUMENT
		if p.server.Name == peer.Theirs {
			want = 13 // INTERNAL
		}
		if st, ok := p.client.FromError(err); !ok || st.Code != want {
			t.Errorf("bad payload: got %v, want code %d", err, want)
		}
		mustEcho(t, context.Background(), c, &testpb.Echo{Seq: 1}, &testpb.Echo{Seq: 1})
	})
}

// TestUnaryNilResponse: a handler that returns (nil, nil). Our server
// sends an empty response, as its Method doc says; containerd's fails the
// call with UNKNOWN "ttrpc: marshal called with nil". A difference on
// purpose; generated code never returns nil without an error.
func TestUnaryNilResponse(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, _ := setup(t, p, peer.ClientOptions{})
		got, err := call(context.Background(), c, &testpb.Echo{Seq: 1, Action: testsvc.ActionNil})
		if p.server.Name == peer.Theirs {
			checkStatus(t, p, err, script.WantStatus{Code: 2, Message: "ttrpc: marshal called with nil"})
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := script.CheckEcho(got, &testpb.Echo{}); err != nil {
			t.Error(err)
		}
	})
}

// TestUnaryConcurrent: 200 calls at once on one connection, answered out of
// order (each handler sleeps a different time); each answer must reach its
// own call.
func TestUnaryConcurrent(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		c, _ := setup(t, p, peer.ClientOptions{})
		const n = 200
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req := &testpb.Echo{
					Seq:    int64(i),
					Text:   fmt.Sprintf("call %d", i),
					Data:   testsvc.Pattern(i * 37 % 3000),
					Action: testsvc.ActionDelay,
					Count:  int64(i * 7919 % 20000), // microseconds
				}
				got, err := call(context.Background(), c, req)
				if err != nil {
					errs <- fmt.Errorf("call %d: %w", i, err)
					return
				}
				want := &testpb.Echo{Seq: req.Seq, Text: req.Text, Data: req.Data}
				if err := script.CheckEcho(got, want); err != nil {
					errs <- fmt.Errorf("call %d: %w", i, err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}
