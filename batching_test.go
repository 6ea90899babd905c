// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// writeCountingConn counts the writes made on a connection.
type writeCountingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c writeCountingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// writeCountingListener wraps every accepted connection in a
// writeCountingConn sharing one counter.
type writeCountingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l writeCountingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return writeCountingConn{c, l.writes}, nil
}

// countWrites makes calls Echo calls from callers goroutines over one
// connection and returns the writes the client and the server made.
func countWrites(t *testing.T, callers, calls int) (clientWrites, serverWrites int64) {
	t.Helper()
	var cw, sw atomic.Int64
	s, err := NewServer(WithServerLogger(quietLogger))
	if err != nil {
		t.Fatal(err)
	}
	s.Register(testService, testMethods())
	l, err := net.Listen("unix", socketPath(t))
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(context.Background(), writeCountingListener{l, &sw}) }()
	defer func() { s.Close(); <-served }()
	conn, err := net.Dial("unix", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(writeCountingConn{conn, &cw}, WithClientLogger(quietLogger))
	defer c.Close()
	var left atomic.Int64
	left.Store(int64(calls))
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; left.Add(-1) >= 0; n++ {
				want := fmt.Sprintf("%d-%d", i, n)
				got, err := echo(context.Background(), c, want)
				if err != nil || got != want {
					t.Errorf("Echo(%q) = %q, %v", want, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return cw.Load(), sw.Load()
}

// A lone caller's request and answer each leave at once, in a write of
// their own: nothing waits for company that is not coming.
func TestLoneCallIsWrittenAtOnce(t *testing.T) {
	leakcheck.Check(t)
	const calls = 200
	cw, sw := countWrites(t, 1, calls)
	if cw != calls || sw != calls {
		t.Errorf("%d sequential calls made %d client and %d server writes, want %d each", calls, cw, sw, calls)
	}
}

// Concurrent callers on one connection share writes in both directions:
// the client's sender and the server's writer gather the frames that are
// ready at about the same time into one write.
func TestConcurrentCallsShareWrites(t *testing.T) {
	leakcheck.Check(t)
	const callers, calls = 64, 6400
	cw, sw := countWrites(t, callers, calls)
	t.Logf("%d calls from %d callers: %d client writes, %d server writes", calls, callers, cw, sw)
	if cw > calls/4 || sw > calls/4 {
		t.Errorf("%d calls from %d callers made %d client and %d server writes, want at most %d each",
			calls, callers, cw, sw, calls/4)
	}
}

// requestGoroutines counts the request goroutines of every server
// connection in the process.
func requestGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Count(string(buf[:n]), "ttrpc.(*serverConn).work(")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// A burst of concurrent calls leaves a request goroutine per call waiting
// for the next burst for a while, then all but keptIdleWorkers of them exit.
func TestSurplusRequestGoroutinesExitAfterBurst(t *testing.T) {
	leakcheck.Check(t)
	const burst = 64
	var release atomic.Pointer[chan struct{}]
	var started sync.WaitGroup
	s, err := NewServer(WithServerLogger(quietLogger))
	if err != nil {
		t.Fatal(err)
	}
	s.Register("burst", map[string]Method{
		"Wait": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			started.Done()
			<-*release.Load()
			return &wrapperspb.StringValue{}, nil
		},
	})
	l, err := net.Listen("unix", socketPath(t))
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(context.Background(), l) }()
	defer func() { s.Close(); <-served }()
	conn, err := net.Dial("unix", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(conn, WithClientLogger(quietLogger))
	defer c.Close()
	// One call first: one request goroutine waits after it.
	warmUp := make(chan struct{})
	close(warmUp)
	release.Store(&warmUp)
	started.Add(1)
	if err := c.Call(context.Background(), "burst", "Wait", &wrapperspb.StringValue{}, &wrapperspb.StringValue{}); err != nil {
		t.Fatal(err)
	}

	rel := make(chan struct{})
	release.Store(&rel)
	started.Add(burst)
	var wg sync.WaitGroup
	for range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Call(context.Background(), "burst", "Wait", &wrapperspb.StringValue{}, &wrapperspb.StringValue{}); err != nil {
				t.Error(err)
			}
		}()
	}
	started.Wait()
	close(rel)
	wg.Wait()

	if idle := requestGoroutines(); idle < burst {
		t.Errorf("just after a burst of %d calls, %d request goroutines wait for more, want %d", burst, idle, burst)
	}
	waitFor(t, func() bool { return requestGoroutines() <= keptIdleWorkers })
	time.Sleep(2 * surplusWorkerIdle)
	if idle := requestGoroutines(); idle != keptIdleWorkers {
		t.Errorf("long after a burst, %d request goroutines wait for more, want %d", idle, keptIdleWorkers)
	}
}

// The messages a server stream sends in a row share writes.
func TestStreamMessagesShareWrites(t *testing.T) {
	leakcheck.Check(t)
	const messages = 1000
	var sw atomic.Int64
	s, err := NewServer(WithServerLogger(quietLogger))
	if err != nil {
		t.Fatal(err)
	}
	s.RegisterService("batch", &ServiceDesc{Streams: map[string]Stream{
		"Send": {StreamingServer: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
			for i := range messages {
				if err := ss.SendMsg(wrapperspb.String(fmt.Sprint(i))); err != nil {
					return nil, err
				}
			}
			return nil, nil
		}},
	}})
	l, err := net.Listen("unix", socketPath(t))
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(context.Background(), writeCountingListener{l, &sw}) }()
	defer func() { s.Close(); <-served }()
	conn, err := net.Dial("unix", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(conn, WithClientLogger(quietLogger))
	defer c.Close()
	desc := &StreamDesc{StreamingServer: true}
	cs, err := c.NewStream(context.Background(), desc, "batch", "Send", &wrapperspb.StringValue{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range messages {
		got := &wrapperspb.StringValue{}
		if err := cs.RecvMsg(got); err != nil || got.Value != fmt.Sprint(i) {
			t.Fatalf("message %d = %q, %v", i, got.Value, err)
		}
	}
	if err := cs.RecvMsg(&wrapperspb.StringValue{}); err != io.EOF {
		t.Fatalf("after the last message: %v, want io.EOF", err)
	}
	t.Logf("%d messages in %d server writes", messages, sw.Load())
	if w := sw.Load(); w > messages/4 {
		t.Errorf("%d stream messages took %d server writes, want at most %d", messages, w, messages/4)
	}
}

// Only unary calls make a connection busy (answers gathered by the writer,
// which yields before it flushes): an open stream, however long it lives,
// says nothing of what comes next.
func TestOnlyUnaryCallsMakeAConnectionBusy(t *testing.T) {
	leakcheck.Check(t)
	s, path := newTestServer(t)
	s.RegisterService(streamService, streamTestService())
	c := dialClient(t, path)
	busy := func() (client, server bool) {
		for _, cc := range c.source.conns() {
			client = client || cc.busy()
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		for sc := range s.conns {
			server = server || sc.busy()
		}
		return client, server
	}
	stream, err := c.NewStream(context.Background(), echoDesc, streamService, "Echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.CloseSend()
	ctx, cancel := context.WithCancel(context.Background())
	var calls sync.WaitGroup
	defer calls.Wait()
	defer cancel()
	block := func() {
		calls.Add(1)
		go func() {
			defer calls.Done()
			c.Call(ctx, testService, "Block", &wrapperspb.StringValue{}, &wrapperspb.StringValue{})
		}()
	}
	block()
	waitFor(t, func() bool { return s.Counts().Calls == 1 && s.Counts().Streams == 1 })
	if client, server := busy(); client || server {
		t.Errorf("one stream and one call: busy client %v, server %v; want neither", client, server)
	}
	block()
	waitFor(t, func() bool { return s.Counts().Calls == 2 })
	if client, server := busy(); !client || !server {
		t.Errorf("two calls: busy client %v, server %v; want both", client, server)
	}
}
