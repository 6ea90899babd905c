// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// A load test, and the service and callers it shares with the shutdown
// tests (shutdown_load_test.go): unary calls, server streams and bidi
// streams, every request carrying a unique id that every answer must echo,
// so that an answer meant for another call cannot go unnoticed.

var loadFlag = flag.Bool("ttrpc.load", false, "run the long load test (also TTRPC_LOAD=1)")

// loadLong reports whether the long load test was asked for.
func loadLong() bool { return *loadFlag || os.Getenv("TTRPC_LOAD") != "" }

const loadService = "ttrpc.test.v1.Load"

// loadKinds are the operations of a load caller, by kind: a unary call,
// a server stream of loadMessages messages, a bidi stream exchanging
// loadMessages messages.
const (
	loadUnary = iota
	loadServerStream
	loadBidi
	loadKinds
)

const loadMessages = 3

// loadServer is the service of the load tests. It records, by request id,
// the handlers that started and those that finished successfully; while
// holding is set, new handlers wait for gate (or their context) before they
// do anything else.
type loadServer struct {
	track   bool // record started and completed ids (the shutdown tests)
	holding atomic.Bool
	gate    chan struct{}
	held    atomic.Int64 // handlers that waited at the gate

	mu sync.Mutex
	// guarded by mu:
	started   map[string]bool
	completed map[string]bool
}

func newLoadServer(track bool) *loadServer {
	return &loadServer{track: track, gate: make(chan struct{}), started: map[string]bool{}, completed: map[string]bool{}}
}

func (ls *loadServer) begin(ctx context.Context, id string) error {
	if ls.track {
		ls.mu.Lock()
		ls.started[id] = true
		ls.mu.Unlock()
	}
	if !ls.holding.Load() {
		return nil
	}
	ls.held.Add(1)
	select {
	case <-ls.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// finish records that the handler of id is about to return successfully.
func (ls *loadServer) finish(id string) {
	if ls.track {
		ls.mu.Lock()
		ls.completed[id] = true
		ls.mu.Unlock()
	}
}

func (ls *loadServer) register(s *Server) {
	work := func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
		req := &wrapperspb.StringValue{}
		if err := unmarshal(req); err != nil {
			return nil, err
		}
		if err := ls.begin(ctx, req.Value); err != nil {
			return nil, err
		}
		ls.finish(req.Value)
		return wrapperspb.String(req.Value), nil
	}
	count := func(ctx context.Context, ss StreamServer) (interface{}, error) {
		req := &wrapperspb.StringValue{}
		if err := ss.RecvMsg(req); err != nil {
			return nil, err
		}
		if err := ls.begin(ctx, req.Value); err != nil {
			return nil, err
		}
		for k := range loadMessages {
			if err := ss.SendMsg(wrapperspb.String(fmt.Sprintf("%s/%d", req.Value, k))); err != nil {
				return nil, err
			}
		}
		ls.finish(req.Value)
		return nil, nil
	}
	chat := func(ctx context.Context, ss StreamServer) (interface{}, error) {
		var id string
		for k := 0; ; k++ {
			msg := &wrapperspb.StringValue{}
			err := ss.RecvMsg(msg)
			if err == io.EOF && k > 0 {
				ls.finish(id)
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			if k == 0 {
				id, _, _ = cutLast(msg.Value)
				if err := ls.begin(ctx, id); err != nil {
					return nil, err
				}
			}
			if err := ss.SendMsg(msg); err != nil {
				return nil, err
			}
		}
	}
	s.Register(loadService, map[string]Method{"Work": work})
	s.RegisterService(loadService+"Streams", &ServiceDesc{Streams: map[string]Stream{
		"Count": {StreamingServer: true, Handler: count},
		"Chat":  {StreamingClient: true, StreamingServer: true, Handler: chat},
	}})
}

// cutLast splits "id/k" at its last slash.
func cutLast(s string) (before, after string, found bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// wrongAnswer is the error of an operation that got an answer other than
// its own: never acceptable, whatever else happens.
type wrongAnswer struct{ msg string }

func (e *wrongAnswer) Error() string { return e.msg }

func wrongf(format string, args ...any) error { return &wrongAnswer{fmt.Sprintf(format, args...)} }

// loadOp runs one operation of the given kind with the unique id and checks
// every answer. It returns nil when the operation succeeded with the right
// answers, a *wrongAnswer when an answer was not its own, and the call's
// error otherwise.
func loadOp(ctx context.Context, c *Client, kind int, id string) error {
	switch kind {
	case loadUnary:
		resp := &wrapperspb.StringValue{}
		if err := c.Call(ctx, loadService, "Work", wrapperspb.String(id), resp); err != nil {
			return err
		}
		if resp.Value != id {
			return wrongf("unary %s answered %q", id, resp.Value)
		}
		return nil
	case loadServerStream:
		cs, err := c.NewStream(ctx, &StreamDesc{StreamingServer: true}, loadService+"Streams", "Count", wrapperspb.String(id))
		if err != nil {
			return err
		}
		for k := range loadMessages {
			msg := &wrapperspb.StringValue{}
			if err := cs.RecvMsg(msg); err != nil {
				return err
			}
			if want := fmt.Sprintf("%s/%d", id, k); msg.Value != want {
				return wrongf("server stream %s message %d = %q", id, k, msg.Value)
			}
		}
		return endOfStream(cs, id)
	case loadBidi:
		cs, err := c.NewStream(ctx, &StreamDesc{StreamingClient: true, StreamingServer: true}, loadService+"Streams", "Chat", nil)
		if err != nil {
			return err
		}
		for k := range loadMessages {
			want := fmt.Sprintf("%s/%d", id, k)
			if err := cs.SendMsg(wrapperspb.String(want)); err == io.EOF {
				return endOfStream(cs, id) // the server ended the stream: how?
			} else if err != nil {
				return err
			}
			msg := &wrapperspb.StringValue{}
			if err := cs.RecvMsg(msg); err != nil {
				return err
			}
			if msg.Value != want {
				return wrongf("bidi stream %s message %d = %q", id, k, msg.Value)
			}
		}
		if err := cs.CloseSend(); err != nil {
			return err
		}
		return endOfStream(cs, id)
	}
	panic("unknown kind")
}

// endOfStream expects the clean end of a stream that has had all its
// messages.
func endOfStream(cs ClientStream, id string) error {
	msg := &wrapperspb.StringValue{}
	switch err := cs.RecvMsg(msg); err {
	case io.EOF:
		return nil
	case nil:
		return wrongf("stream %s: extra message %q", id, msg.Value)
	default:
		return err
	}
}

// loadOutcome is the outcome of one operation of a load caller.
type loadOutcome struct {
	id   string
	kind int
	err  error
}

// loadHarness is a server with the load service on a Unix socket and
// clients connected to it.
type loadHarness struct {
	ls      *loadServer
	server  *Server
	path    string
	clients []*Client
}

func newLoadHarness(t *testing.T, conns int, track bool, opts ...ServerOpt) *loadHarness {
	t.Helper()
	h := &loadHarness{ls: newLoadServer(track)}
	h.server, h.path = newTestServer(t, opts...)
	h.ls.register(h.server)
	for range conns {
		c := dialClient(t, h.path)
		mustEcho(t, c)
		h.clients = append(h.clients, c)
	}
	return h
}

// run starts callers goroutines, caller i on client i%len(clients). Each
// runs operations (kinds in turn, each with a unique id) until it has made
// perCaller of them (0: no limit), stop closes, or one fails with a status
// or closed error (which ends the caller: the connection is going away).
// Every outcome goes to record. run returns a channel closed when every
// caller has returned.
func (h *loadHarness) run(ctx context.Context, callers, perCaller int, stop <-chan struct{}, record func(loadOutcome)) <-chan struct{} {
	var wg sync.WaitGroup
	for i := range callers {
		c := h.clients[i%len(h.clients)]
		wg.Add(1)
		// Owner: the returned channel's waiter; exits after its operations,
		// when stop closes, or at its first failure.
		go func() {
			defer wg.Done()
			for n := 0; perCaller == 0 || n < perCaller; n++ {
				select {
				case <-stop:
					return
				default:
				}
				o := loadOutcome{id: fmt.Sprintf("c%d-%d", i, n), kind: (i + n) % loadKinds}
				o.err = loadOp(ctx, c, o.kind, o.id)
				record(o)
				if o.err != nil {
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	// Owner: the caller of run, which waits for done.
	go func() { wg.Wait(); close(done) }()
	return done
}

// waitDone waits for done, failing the test after d.
func waitDone(t *testing.T, done <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not finish within %v", what, d)
	}
}

// memFigures returns the heap in use (after a collection) and the resident
// set size of this process.
func memFigures(t *testing.T) (heap uint64, rss int) {
	t.Helper()
	runtime.GC()
	runtime.GC() // a second cycle empties the buffer pools
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, err := residentMemory()
	if err != nil {
		t.Fatal(err)
	}
	return ms.HeapAlloc, rss
}

// TestLoad runs 256 concurrent callers, a third of them opening streams, on
// 4 connections for a fixed number of operations: every answer is checked
// against its request's unique id, no operation may fail, and afterwards
// goroutines, fds (leakcheck) and the heap are back near where they were.
// By default it makes 5,120 operations; with -ttrpc.load (or TTRPC_LOAD=1)
// 204,800, which take under a minute even with -race. It logs the rate.
func TestLoad(t *testing.T) {
	leakcheck.Check(t)
	const callers, conns = 256, 4
	perCaller, limit := 20, 30*time.Second
	if loadLong() {
		// About 8 s without -race on 2 cores, under a minute with it; the
		// limit only bounds a hang.
		perCaller, limit = 800, 3*time.Minute
	}
	heapBefore, rssBefore := memFigures(t)
	base := runtime.NumGoroutine()
	func() {
		h := newLoadHarness(t, conns, false)
		defer func() {
			for _, c := range h.clients {
				c.Close()
			}
			h.server.Close()
		}()
		var ops, failed atomic.Int64
		var firstErr atomic.Value
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		start := time.Now()
		done := h.run(ctx, callers, perCaller, nil, func(o loadOutcome) {
			ops.Add(1)
			if o.err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, fmt.Errorf("%s (kind %d): %w", o.id, o.kind, o.err))
			}
		})
		waitDone(t, done, limit+10*time.Second, "the load")
		took := time.Since(start)
		if n := failed.Load(); n > 0 {
			t.Fatalf("%d of %d operations failed; first: %v", n, ops.Load(), firstErr.Load())
		}
		if want := int64(callers * perCaller); ops.Load() != want {
			t.Fatalf("%d operations, want %d", ops.Load(), want)
		}
		t.Logf("%d operations (unary calls, server streams and bidi streams of %d messages, in equal parts) by %d callers on %d connections in %v: %.0f operations/s",
			ops.Load(), loadMessages, callers, conns, took.Round(time.Millisecond), float64(ops.Load())/took.Seconds())
		// The server forgets a call a moment after its answer is out.
		waitServerCounts(t, h.server, ServerCounts{Connections: conns})
	}()
	waitGoroutines(t, base)
	heapAfter, rssAfter := memFigures(t)
	t.Logf("heap %d KiB -> %d KiB, RSS %d KiB -> %d KiB", heapBefore>>10, heapAfter>>10, rssBefore>>10, rssAfter>>10)
	if heapAfter > heapBefore+16<<20 {
		t.Errorf("heap grew from %d KiB to %d KiB over the load", heapBefore>>10, heapAfter>>10)
	}
}

// errIsClosedOrUnavailable reports whether err is what a call may get from
// a server going away: ErrClosed, or an UNAVAILABLE answer.
func errIsClosedOrUnavailable(err error) bool {
	return errors.Is(err, ErrClosed) || status.Code(err) == codes.Unavailable
}
