// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// endedCalls records the codes of the calls a StatsHandler sees end.
type endedCalls struct {
	mu    sync.Mutex
	codes []codes.Code
}

func (e *endedCalls) HandleConn(ConnStats) {}

func (e *endedCalls) HandleCall(c CallStats) {
	if c.Ended {
		e.mu.Lock()
		e.codes = append(e.codes, c.Code)
		e.mu.Unlock()
	}
}

func (e *endedCalls) seen() []codes.Code {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]codes.Code(nil), e.codes...)
}

// ignoring registers "ignore.Ctx"/"Wait": a handler that ignores its
// context and returns when release closes.
func ignoring(s *Server, release <-chan struct{}) {
	s.Register("ignore.Ctx", map[string]Method{
		"Wait": func(_ context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			<-release
			return &wrapperspb.StringValue{Value: "late"}, nil
		},
	})
}

// A handler that ignores its context and outlives the request's deadline:
// the server answers DEADLINE_EXCEEDED itself at the deadline, forgets
// the call, and counts the handler as abandoned, while it still counts
// against the connection's limit of requests in flight (its goroutine
// runs); its late answer is dropped.
func TestServerAnswersDeadlineOfHandlerIgnoringContext(t *testing.T) {
	leakcheck.Check(t)
	ended := &endedCalls{}
	s, path := newTestServer(t, WithServerMaxConcurrentRequests(1), WithServerStatsHandler(ended))
	release := make(chan struct{})
	ignoring(s, release)
	c := dialClient(t, path)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := c.Call(ctx, "ignore.Ctx", "Wait", &wrapperspb.StringValue{}, &wrapperspb.StringValue{})
	wantCode(t, err, codes.DeadlineExceeded)
	eventually(t, "the server answered DEADLINE_EXCEEDED", func() bool {
		got := ended.seen()
		return len(got) == 1 && got[0] == codes.DeadlineExceeded
	})
	waitServerCounts(t, s, ServerCounts{Connections: 1, Abandoned: 1})

	_, err = echo(context.Background(), c, "x")
	wantCode(t, err, codes.ResourceExhausted) // the abandoned goroutine holds the only slot

	close(release)
	waitServerCounts(t, s, ServerCounts{Connections: 1})
	mustEcho(t, c)
	// The refused call never started; the late answer was dropped. (A
	// server reports a call's end just after its answer.)
	eventually(t, "the calls ended DEADLINE_EXCEEDED, then OK", func() bool {
		got := ended.seen()
		return len(got) == 2 && got[1] == codes.OK
	})
	if got := ended.seen(); len(got) != 2 {
		t.Errorf("calls ended with %v; want DEADLINE_EXCEEDED, then OK only", got)
	}
}

// The server's answer reaches a client that has not given up: one whose
// own context has no deadline, calling with a request timeout set by an
// interceptor, as a peer in another process would.
func TestServerDeadlineAnswerReachesClient(t *testing.T) {
	leakcheck.Check(t)
	s, path := newTestServer(t)
	release := make(chan struct{})
	defer close(release)
	ignoring(s, release)
	setTimeout := func(ctx context.Context, req *Request, resp *Response, _ *UnaryClientInfo, invoke Invoker) error {
		req.TimeoutNano = (50 * time.Millisecond).Nanoseconds()
		return invoke(ctx, req, resp)
	}
	c := dialClient(t, path, WithUnaryClientInterceptor(setTimeout))
	start := time.Now()
	err := c.Call(context.Background(), "ignore.Ctx", "Wait", &wrapperspb.StringValue{}, &wrapperspb.StringValue{})
	wantCode(t, err, codes.DeadlineExceeded)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the answer took %v", took)
	}
}

// A handler that answers in time is not disturbed by its deadline's timer.
func TestHandlerWithinDeadlineAnswers(t *testing.T) {
	s, c := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 100 {
		if got, err := echo(ctx, c, "in time"); err != nil || got != "in time" {
			t.Fatalf("Echo = %q, %v", got, err)
		}
	}
	waitServerCounts(t, s, ServerCounts{Connections: 1})
}

// Many calls outlive their deadline at once: each is answered and counted
// as abandoned, and answering them holds no goroutine beyond the handlers'
// own (the timers' goroutines do not wait for the writer).
func TestServerAnswersManyDeadlinesWithoutPilingUpGoroutines(t *testing.T) {
	leakcheck.Check(t)
	s, path := newTestServer(t)
	release := make(chan struct{})
	ignoring(s, release)
	c := dialClient(t, path)
	const calls = 200
	before := runtime.NumGoroutine()
	var wg sync.WaitGroup
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			c.Call(ctx, "ignore.Ctx", "Wait", &wrapperspb.StringValue{}, &wrapperspb.StringValue{})
		}()
	}
	wg.Wait()
	waitServerCounts(t, s, ServerCounts{Connections: 1, Abandoned: calls})
	eventually(t, "only the abandoned handlers still run", func() bool {
		return runtime.NumGoroutine() <= before+calls+8
	})
	close(release)
	waitServerCounts(t, s, ServerCounts{Connections: 1})
}
