// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// restartableServer serves testService on a fixed Unix socket path and can
// be stopped and started again, like a daemon restarting.
type restartableServer struct {
	t      *testing.T
	path   string
	mu     sync.Mutex
	server *Server
	served chan error
}

func newRestartableServer(t *testing.T) *restartableServer {
	rs := &restartableServer{t: t, path: socketPath(t)}
	t.Cleanup(rs.stop)
	return rs
}

func (rs *restartableServer) start() {
	rs.t.Helper()
	s, err := NewServer(WithServerLogger(quietLogger))
	if err != nil {
		rs.t.Fatal(err)
	}
	s.Register(testService, testMethods())
	l, err := net.Listen("unix", rs.path)
	if err != nil {
		rs.t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(context.Background(), l) }()
	rs.mu.Lock()
	rs.server, rs.served = s, served
	rs.mu.Unlock()
}

func (rs *restartableServer) stop() {
	rs.mu.Lock()
	s, served := rs.server, rs.served
	rs.server = nil
	rs.mu.Unlock()
	if s != nil {
		s.Close()
		<-served
	}
}

func (rs *restartableServer) dialer() Dialer {
	return func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", rs.path)
	}
}

func TestDialerClientReconnectsAfterServerRestart(t *testing.T) {
	leakcheck.Check(t)
	rs := newRestartableServer(t)
	rs.start()
	var lost, closes atomic.Int32
	c := NewClientWithDialer(rs.dialer(),
		WithClientLogger(quietLogger),
		WithDialBackoff(5*time.Millisecond, 20*time.Millisecond),
		WithOnConnectionLost(func(error) { lost.Add(1) }),
		WithOnClose(func() { closes.Add(1) }))
	defer c.Close()
	mustEcho(t, c)

	rs.stop()
	// The connection is gone: calls fail with ErrClosed while no server
	// listens (the socket file is left behind, so dials are refused).
	waitFor(t, func() bool { _, err := echo(context.Background(), c, "x"); return errors.Is(err, ErrClosed) })
	waitFor(t, func() bool { return lost.Load() == 1 })
	if closes.Load() != 0 {
		t.Fatal("WithOnClose ran although the client was not closed")
	}

	rs.start()
	// Back within the backoff bound (20ms, plus jitter): poll a little
	// longer than that, not forever.
	deadline := time.Now().Add(time.Second)
	for {
		if _, err := echo(context.Background(), c, "back"); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("calls still fail a second after the server came back: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
	c.Close()
	if closes.Load() != 1 || lost.Load() != 1 {
		t.Fatalf("onClose ran %d times, onConnectionLost %d times; want 1 and 1", closes.Load(), lost.Load())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.UserOnCloseWait(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestDialerClientServerRestartUnderLoad(t *testing.T) {
	leakcheck.Check(t)
	rs := newRestartableServer(t)
	rs.start()
	c := NewClientWithDialer(rs.dialer(), WithClientLogger(quietLogger), WithDialBackoff(2*time.Millisecond, 10*time.Millisecond))
	defer c.Close()

	var ok, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				want := fmt.Sprintf("%d-%d", i, n)
				got, err := echo(context.Background(), c, want)
				switch {
				case err == nil && got != want:
					errs <- fmt.Errorf("call %s was answered with %q", want, got)
					return
				case err == nil:
					ok.Add(1)
				case errors.Is(err, ErrClosed):
					failed.Add(1)
				default:
					errs <- fmt.Errorf("call %s: unexpected error %v", want, err)
					return
				}
			}
		}()
	}
	waitFor(t, func() bool { return ok.Load() > 500 })
	if failed.Load() != 0 {
		t.Fatalf("%d calls failed while the server was up", failed.Load())
	}
	rs.stop()
	waitFor(t, func() bool { return failed.Load() > 0 })
	rs.start()
	before := ok.Load()
	waitFor(t, func() bool { return ok.Load() > before+500 })
	// Reconnected: from here on, nothing fails.
	failedBefore, okBefore := failed.Load(), ok.Load()
	waitFor(t, func() bool { return ok.Load() > okBefore+500 })
	if n := failed.Load() - failedBefore; n != 0 {
		t.Errorf("%d calls failed after the client had reconnected", n)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fakeClock) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func TestDialBackoffBoundsOnInjectedClock(t *testing.T) {
	leakcheck.Check(t)
	clock := &fakeClock{now: time.Unix(1000, 0)}
	var dials atomic.Int32
	refuse := func(ctx context.Context) (net.Conn, error) {
		dials.Add(1)
		return nil, syscall.ECONNREFUSED
	}
	for _, jitter := range []float64{0, 0.5, 0.999999} { // the low, middle and high ends
		c := NewClientWithDialer(refuse, WithClientLogger(quietLogger), WithDialBackoff(100*time.Millisecond, time.Second))
		c.config.dial.now = clock.Now
		c.config.dial.random = func() float64 { return jitter }
		dials.Store(0)
		base := 100 * time.Millisecond
		for failure := 1; failure <= 6; failure++ {
			before := dials.Load()
			_, err := echo(context.Background(), c, "x")
			if !errors.Is(err, ErrClosed) || !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("call with the server down = %v, want ErrClosed wrapping ECONNREFUSED", err)
			}
			if dials.Load() != before+1 {
				t.Fatalf("failure %d: %d dials, want one", failure, dials.Load()-before)
			}
			want := time.Duration(float64(min(base, time.Second)) * (1 + 0.2*(2*jitter-1)))
			// Just before the backoff ends a call fails at once, without a dial.
			clock.advance(want - time.Nanosecond)
			if _, err := echo(context.Background(), c, "x"); !errors.Is(err, ErrClosed) || dials.Load() != before+1 {
				t.Fatalf("failure %d (jitter %v): dialled before the backoff of %v ended", failure, jitter, want)
			}
			clock.advance(time.Nanosecond) // the backoff ends: the next call dials
			base *= 2
		}
		c.Close()
	}
}

func TestDialerCallContextEndsWhileDialing(t *testing.T) {
	leakcheck.Check(t)
	release := make(chan struct{})
	hanging := func(ctx context.Context) (net.Conn, error) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-release:
			return nil, errors.New("released")
		}
	}
	c := NewClientWithDialer(hanging, WithClientLogger(quietLogger))
	defer c.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := echo(ctx, c, "x")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("call = %v, want the context's error", err)
	}
}

func TestDialerCloseDuringRedial(t *testing.T) {
	leakcheck.Check(t)
	entered := make(chan struct{}, 1)
	hanging := func(ctx context.Context) (net.Conn, error) {
		entered <- struct{}{}
		<-ctx.Done() // only Close ends it
		return nil, ctx.Err()
	}
	var closes atomic.Int32
	c := NewClientWithDialer(hanging, WithClientLogger(quietLogger), WithOnClose(func() { closes.Add(1) }))
	result := make(chan error, 1)
	go func() { _, err := echo(context.Background(), c, "x"); result <- err }()
	<-entered
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return during a dial")
	}
	if err := <-result; !errors.Is(err, ErrClosed) {
		t.Fatalf("call during Close = %v, want ErrClosed", err)
	}
	if _, err := echo(context.Background(), c, "after"); !errors.Is(err, ErrClosed) {
		t.Fatalf("call after Close = %v, want ErrClosed", err)
	}
	if closes.Load() != 1 {
		t.Fatalf("onClose ran %d times", closes.Load())
	}
}

func TestDialerPoolOfFourUnder256Callers(t *testing.T) {
	for _, policy := range []PoolPolicy{PoolLeastPending, PoolRoundRobin} {
		t.Run(fmt.Sprint(policy), func(t *testing.T) {
			leakcheck.Check(t)
			rs := newRestartableServer(t)
			rs.start()
			c := NewClientWithDialer(rs.dialer(), WithClientLogger(quietLogger), WithConnections(4), WithPoolPolicy(policy))
			defer c.Close()
			var wg sync.WaitGroup
			errs := make(chan error, 256)
			for i := range 256 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for n := range 20 {
						want := fmt.Sprintf("%d-%d", i, n)
						if got, err := echo(context.Background(), c, want); err != nil || got != want {
							errs <- fmt.Errorf("call %s = %q, %v", want, got, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if n := len(c.source.conns()); n != 4 {
				t.Fatalf("the pool has %d connections, want 4", n)
			}
			rs.mu.Lock()
			if got := rs.server.Counts().Connections; got != 4 {
				t.Errorf("the server sees %d connections, want 4", got)
			}
			rs.mu.Unlock()
		})
	}
}

func TestDialerStreamsUseThePool(t *testing.T) {
	leakcheck.Check(t)
	rs := newRestartableServer(t)
	rs.start()
	rs.mu.Lock()
	rs.server.RegisterService(streamService, streamTestService())
	rs.mu.Unlock()
	c := NewClientWithDialer(rs.dialer(), WithClientLogger(quietLogger), WithConnections(2))
	defer c.Close()
	for range 4 {
		if got, err := divide(context.Background(), c, 3); err != nil || len(got) != 3 {
			t.Fatalf("Divide = %v, %v", got, err)
		}
	}
	if _, err := c.NewStream(context.Background(), divideDesc, streamService, "Divide", wrapperspb.Int64(1)); err != nil {
		t.Fatal(err)
	}
}
