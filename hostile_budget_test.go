// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// slowBytes registers "slow.Bytes"/"Take": it decodes a BytesValue and
// waits for release, counting the calls it got.
func slowBytes(s *Server, release <-chan struct{}, calls *atomic.Int32) {
	s.Register("slow.Bytes", map[string]Method{
		"Take": func(_ context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			var req wrapperspb.BytesValue
			if err := unmarshal(&req); err != nil {
				return nil, err
			}
			calls.Add(1)
			<-release
			return &wrapperspb.StringValue{Value: "ok"}, nil
		},
	})
}

// requestFrames writes n request frames for service/method with payload
// to conn, from one buffer (so the attacker itself holds little), and
// never reads an answer. It returns when every frame is written or the
// connection fails.
func requestFrames(conn net.Conn, n int, service, method string, payload proto.Message) error {
	body, err := proto.Marshal(payload)
	if err != nil {
		return err
	}
	req, err := proto.Marshal(&Request{Service: service, Method: method, Payload: body})
	if err != nil {
		return err
	}
	frame := frameOf(1, frameTypeRequest, 0, req)
	for i := range n {
		id := uint32(2*i + 1)
		frame[4], frame[5], frame[6], frame[7] = byte(id>>24), byte(id>>16), byte(id>>8), byte(id)
		if _, err := conn.Write(frame); err != nil {
			return err
		}
	}
	return nil
}

// One connection sends 64 requests of almost 1 MiB to a handler that does
// not return, and reads no answer: with a budget of 8 MiB the server stops
// reading it after about eight (backpressure, no error), its heap grows by
// a small multiple of the budget rather than by 64 MiB, and another
// connection is served meanwhile. Once the handlers return, every request
// is read and handled.
func TestHostileBudgetBoundsRequestBytes(t *testing.T) {
	leakcheck.Check(t)
	const budget = 8 << 20
	s, path := newTestServer(t, WithServerConnectionBudget(budget))
	release := make(chan struct{})
	var handled atomic.Int32
	slowBytes(s, release, &handled)
	runtime.GC()
	before, _, _ := readHeapMetrics()

	attacker, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer attacker.Close()
	written := make(chan error, 1)
	payload := &wrapperspb.BytesValue{Value: make([]byte, 1<<20-4<<10)}
	go func() { written <- requestFrames(attacker, 64, "slow.Bytes", "Take", payload) }()

	eventually(t, "the server took about a budget's worth of requests", func() bool { return handled.Load() >= 6 })
	time.Sleep(200 * time.Millisecond) // a moment in which nothing more may be read
	if got := handled.Load(); got > budget/(1<<20)+1 {
		t.Errorf("%d requests of ~1 MiB handled at once, over a budget of %d MiB", got, budget>>20)
	}
	runtime.GC()
	if after, _, _ := readHeapMetrics(); after > before+3*budget {
		t.Errorf("heap grew by %d MiB under a %d MiB budget", (after-before)>>20, budget>>20)
	}
	select {
	case err := <-written:
		t.Fatalf("the attacker wrote every frame (%v): nothing pushed back", err)
	default:
	}
	mustEcho(t, dialClient(t, path))

	close(release)
	if err := <-written; err != nil {
		t.Fatalf("writing the requests: %v", err)
	}
	eventually(t, "every request handled", func() bool { return handled.Load() == 64 })
}

// budgetHeld sums what the server's connections hold against their budgets.
func budgetHeld(s *Server) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var held int64
	for sc := range s.conns {
		held += sc.budget.held.Load()
	}
	return held
}

// A stream's queued messages count against the budget, and a stream
// handler that returns frees what it did not take, also when its queue
// failed as full: the budget does not leak, and the connection goes on.
func TestBudgetFreedWhenStreamHandlerReturns(t *testing.T) {
	s, c := setup(t, WithServerConnectionBudget(1<<20), WithServerStreamBuffer(1, 50*time.Millisecond))
	s.RegisterService("stall.Streams", &ServiceDesc{Streams: map[string]Stream{
		"Stall": {StreamingClient: true, Handler: func(ctx context.Context, _ StreamServer) (interface{}, error) {
			<-ctx.Done() // reads nothing: its queue fills, then fails as full
			return nil, ctx.Err()
		}},
	}})
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		stream, err := c.NewStream(ctx, &StreamDesc{StreamingClient: true}, "stall.Streams", "Stall", nil)
		if err != nil {
			t.Fatal(err)
		}
		for range 8 {
			if err := stream.SendMsg(&wrapperspb.BytesValue{Value: make([]byte, 200<<10)}); err != nil {
				break
			}
		}
		err = stream.RecvMsg(&wrapperspb.StringValue{})
		wantCode(t, err, codes.ResourceExhausted)
		cancel()
	}
	eventually(t, "the budget is free again", func() bool { return budgetHeld(s) == 0 })
	mustEcho(t, c)
}
