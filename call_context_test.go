// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// newTestCallContext returns the context of a call whose request carried
// timeoutNano and md, on a connection whose context is connCtx.
func newTestCallContext(connCtx context.Context, timeoutNano int64, md MD) *serverCall {
	sc := &serverConn{ctx: connCtx}
	sc.callDeadline, sc.hasCallDeadline = connCtx.Deadline()
	sc.callParent = context.WithoutCancel(connCtx)
	cl := &serverCall{env: requestEnvelope{timeoutNano: timeoutNano, metadata: md}}
	sc.initContext(cl)
	return cl
}

func TestCallContextDeadline(t *testing.T) {
	soon, late := time.Hour, 2*time.Hour
	connSoon, cancel := context.WithTimeout(context.Background(), soon)
	defer cancel()
	connLate, cancel := context.WithTimeout(context.Background(), late)
	defer cancel()
	for _, tc := range []struct {
		name    string
		conn    context.Context
		timeout time.Duration
		want    time.Duration // 0: no deadline
	}{
		{"none", context.Background(), 0, 0},
		{"request's", context.Background(), soon, soon},
		{"connection's", connSoon, 0, soon},
		{"request's, earlier", connLate, soon, soon},
		{"connection's, earlier", connSoon, late, soon},
	} {
		cl := newTestCallContext(tc.conn, int64(tc.timeout), nil)
		deadline, ok := cl.ctx.Deadline()
		switch {
		case tc.want == 0 && ok:
			t.Errorf("%s: deadline %v, want none", tc.name, deadline)
		case tc.want != 0 && !ok:
			t.Errorf("%s: no deadline", tc.name)
		case tc.want != 0:
			if left := time.Until(deadline); left > tc.want || left < tc.want-time.Minute {
				t.Errorf("%s: deadline in %v, want in %v", tc.name, left, tc.want)
			}
		}
		if err := cl.ctx.Err(); err != nil {
			t.Errorf("%s: Err = %v before the deadline", tc.name, err)
		}
	}
}

func TestCallContextCancel(t *testing.T) {
	cl := newTestCallContext(context.Background(), 0, nil)
	ctx := &cl.ctx
	before := ctx.Done()
	select {
	case <-before:
		t.Fatal("Done closed before cancel")
	default:
	}
	cl.cancel()
	ctx.cancel(context.DeadlineExceeded) // a second end changes nothing
	if err := ctx.Err(); err != context.Canceled {
		t.Fatalf("Err = %v, want context.Canceled", err)
	}
	if cause := context.Cause(ctx); cause != context.Canceled {
		t.Fatalf("Cause = %v, want context.Canceled", cause)
	}
	for _, done := range []<-chan struct{}{before, ctx.Done()} {
		select {
		case <-done:
		default:
			t.Fatal("Done not closed after cancel")
		}
	}
}

// Done made only after the context ended is closed.
func TestCallContextDoneAfterCancel(t *testing.T) {
	cl := newTestCallContext(context.Background(), 0, nil)
	cl.cancel()
	select {
	case <-cl.ctx.Done():
	default:
		t.Fatal("Done not closed")
	}
}

// A context nobody waits on starts no timer: Err finds the deadline past.
func TestCallContextDeadlineWithoutTimer(t *testing.T) {
	cl := newTestCallContext(context.Background(), int64(time.Millisecond), nil)
	time.Sleep(2 * time.Millisecond)
	if err := cl.ctx.Err(); err != context.DeadlineExceeded {
		t.Fatalf("Err = %v, want context.DeadlineExceeded", err)
	}
	if cl.ctx.waitable.Load() != nil {
		t.Fatal("a timer was started although nothing waited for the deadline")
	}
	select {
	case <-cl.ctx.Done():
	default:
		t.Fatal("Done not closed after the deadline")
	}
}

// A negative timeout gives a context that has ended already.
func TestCallContextExpiredTimeout(t *testing.T) {
	cl := newTestCallContext(context.Background(), -1, nil)
	waitDeadlineExceeded(t, &cl.ctx)
}

// waitDeadlineExceeded waits for ctx to end, within rawPeerTimeout, and
// fails unless it ended with context.DeadlineExceeded.
func waitDeadlineExceeded(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(rawPeerTimeout):
		t.Fatal("Done not closed")
	}
	if err := ctx.Err(); err != context.DeadlineExceeded {
		t.Fatalf("Err = %v, want context.DeadlineExceeded", err)
	}
}

// Waiting on Done starts the timer, which ends the context at the deadline.
func TestCallContextDoneAtDeadline(t *testing.T) {
	cl := newTestCallContext(context.Background(), int64(20*time.Millisecond), nil)
	waitDeadlineExceeded(t, &cl.ctx)
	if deadline, _ := cl.ctx.Deadline(); time.Now().Before(deadline) {
		t.Fatal("ended before its deadline")
	}
}

// Contexts derived from a call's context end with it, and register with
// it without a goroutine each, also through contexts that only add a
// value (as interceptors do).
func TestCallContextDerived(t *testing.T) {
	leakcheck.Check(t)
	const n = 100
	type key struct{}
	cl := newTestCallContext(context.Background(), int64(time.Hour), nil)
	goroutines := runtime.NumGoroutine()
	var children []context.Context
	var stops []context.CancelFunc
	for i := range n {
		parent := context.Context(&cl.ctx)
		if i%2 == 1 {
			parent = context.WithValue(parent, key{}, i)
		}
		child, cancel := context.WithCancel(parent)
		children = append(children, child)
		stops = append(stops, cancel)
	}
	timed, cancelTimed := context.WithTimeout(context.WithValue(&cl.ctx, key{}, -1), time.Hour)
	defer cancelTimed()
	if g := runtime.NumGoroutine(); g >= goroutines+n/2 {
		t.Fatalf("%d goroutines after deriving %d contexts, %d before", g, n, goroutines)
	}
	cl.cancel()
	for i, child := range append(children, timed) {
		select {
		case <-child.Done():
		default:
			t.Fatalf("derived context %d not done", i)
		}
		if err := child.Err(); err != context.Canceled {
			t.Fatalf("derived context %d: Err = %v", i, err)
		}
	}
	for _, stop := range stops {
		stop()
	}
}

// A context derived after the deadline passed, with nothing waiting
// before, ends at once and as the call's did.
func TestCallContextDerivedAfterDeadline(t *testing.T) {
	cl := newTestCallContext(context.Background(), int64(time.Millisecond), nil)
	time.Sleep(2 * time.Millisecond)
	child, cancel := context.WithCancel(&cl.ctx)
	defer cancel()
	select {
	case <-child.Done():
	default:
		t.Fatal("derived context not done")
	}
	if err := child.Err(); err != context.DeadlineExceeded {
		t.Fatalf("Err = %v, want context.DeadlineExceeded", err)
	}
	if cause := context.Cause(&cl.ctx); cause != context.DeadlineExceeded {
		t.Fatalf("Cause = %v, want context.DeadlineExceeded", cause)
	}
}

func TestCallContextAfterFunc(t *testing.T) {
	leakcheck.Check(t)
	cl := newTestCallContext(context.Background(), 0, nil)
	ran := make(chan struct{})
	context.AfterFunc(&cl.ctx, func() { close(ran) })
	never := context.AfterFunc(&cl.ctx, func() { t.Error("a stopped AfterFunc ran") })
	if !never() {
		t.Fatal("stop = false before the context ended")
	}
	cl.cancel()
	select {
	case <-ran:
	case <-time.After(rawPeerTimeout):
		t.Fatal("AfterFunc did not run")
	}
}

func TestCallContextValue(t *testing.T) {
	type key struct{}
	conn := context.WithValue(context.Background(), key{}, "conn")
	md := MD{"a": {"1"}}
	cl := newTestCallContext(conn, 0, md)
	if got, _ := GetMetadata(&cl.ctx); len(got["a"]) != 1 || got["a"][0] != "1" {
		t.Errorf("metadata = %v, want %v", got, md)
	}
	if v := cl.ctx.Value(key{}); v != "conn" {
		t.Errorf("connection's value = %v", v)
	}
	// Without metadata of its own, a call sees what its parent has.
	parentMD := MD{"b": {"2"}}
	cl = newTestCallContext(WithMetadata(conn, parentMD), 0, nil)
	if got, _ := GetMetadata(&cl.ctx); len(got["b"]) != 1 {
		t.Errorf("metadata = %v, want the parent's %v", got, parentMD)
	}
}

// The context's methods are safe for concurrent use, with the context
// ending meanwhile (run with -race).
func TestCallContextConcurrent(t *testing.T) {
	leakcheck.Check(t)
	cl := newTestCallContext(context.Background(), int64(5*time.Millisecond), nil)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				switch i % 4 {
				case 0:
					_ = cl.ctx.Err()
				case 1:
					<-cl.ctx.Done()
				case 2:
					_, cancel := context.WithCancel(&cl.ctx)
					cancel()
				case 3:
					stop := context.AfterFunc(&cl.ctx, func() {})
					stop()
				}
			}
		}()
	}
	wg.Wait()
	if err := cl.ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err = %v, want context.DeadlineExceeded", err)
	}
}

// A context that ended before anything waited on it, and whose deadline
// then passed, keeps the error it ended with, as do contexts derived from
// it then: Err and context.Cause agree.
func TestCallContextEndedThenDeadlinePassed(t *testing.T) {
	cl := newTestCallContext(context.Background(), int64(5*time.Millisecond), nil)
	cl.cancel()
	time.Sleep(10 * time.Millisecond)
	child, cancel := context.WithCancel(&cl.ctx)
	defer cancel()
	for name, ctx := range map[string]context.Context{"call": &cl.ctx, "derived": child} {
		if err, cause := ctx.Err(), context.Cause(ctx); err != context.Canceled || cause != context.Canceled {
			t.Errorf("%s: Err = %v, Cause = %v; want context.Canceled for both", name, err, cause)
		}
	}
}

// A handler that returns after its deadline passed, with nothing waiting,
// leaves its context ended by the deadline, as a standard context would be.
func TestCallContextEndsAfterDeadlineAsDeadlineExceeded(t *testing.T) {
	cl := newTestCallContext(context.Background(), int64(time.Millisecond), nil)
	time.Sleep(2 * time.Millisecond)
	cl.cancel() // the handler returns
	if err := cl.ctx.Err(); err != context.DeadlineExceeded {
		t.Fatalf("Err = %v, want context.DeadlineExceeded", err)
	}
}

// A handler's context ends once the handler returns, for unary calls and
// streams alike, without a deadline and with the connection still open, so
// that what the handler left waiting on it (a goroutine around RecvMsg, an
// AfterFunc) is released: containerd's ttrpc does the same since v1.2.9.
func TestHandlerContextEndsWhenHandlerReturns(t *testing.T) {
	s, c := setup(t)
	contexts := make(chan context.Context, 2)
	s.Register("ctx.v1.Unary", map[string]Method{
		"Quick": func(ctx context.Context, _ func(interface{}) error) (interface{}, error) {
			contexts <- ctx
			return nil, nil
		},
	})
	s.RegisterService("ctx.v1.Streams", &ServiceDesc{Streams: map[string]Stream{
		"Quick": {StreamingClient: true, StreamingServer: true, Handler: func(ctx context.Context, _ StreamServer) (interface{}, error) {
			contexts <- ctx
			return nil, nil
		}},
	}})
	if err := c.Call(context.Background(), "ctx.v1.Unary", "Quick", nil, nil); err != nil {
		t.Fatal(err)
	}
	cs, err := c.NewStream(context.Background(), &StreamDesc{StreamingClient: true, StreamingServer: true}, "ctx.v1.Streams", "Quick", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.CloseSend()
	for _, kind := range []string{"unary", "stream"} {
		ctx := <-contexts
		select {
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.Canceled) {
				t.Errorf("%s handler's context ended with %v, want context.Canceled", kind, ctx.Err())
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s handler's context did not end after the handler returned", kind)
		}
	}
	mustEcho(t, c)
}
