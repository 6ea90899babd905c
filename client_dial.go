// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// Dialer opens a connection to a server, for NewClientWithDialer. It should
// return when ctx ends.
type Dialer func(ctx context.Context) (net.Conn, error)

// NewClientWithDialer returns a client that dials its connections with
// dial: the first call dials, and when a connection dies (a server restart,
// say), the calls in flight on it fail with ErrClosed as with NewClient and
// the next call dials again. Between failed dials it backs off (capped
// exponential backoff with jitter, WithDialBackoff); a call made while it
// backs off and no connection is open fails at once with an error that
// wraps ErrClosed and the last dial error. A call whose context ends while
// it waits for a dial returns the context's error; with
// WithWaitForConnection, calls wait for a connection instead, until their
// own context ends. With WithConnections(n) it keeps up to n connections
// and spreads calls and streams over them (WithPoolPolicy); each of the n
// slots dials and backs off on its own (WithDialBackoff).
//
// Close closes every connection and stops all of it, then runs the
// WithOnClose function; WithOnConnectionLost sets a function that runs each
// time a connection is lost before that.
func NewClientWithDialer(dial Dialer, opts ...ClientOpts) *Client {
	c := newClient(opts)
	c.source = newDialSource(dial, &c.config)
	return c
}

// PoolPolicy chooses the connection for a call when a client keeps several.
type PoolPolicy uint8

const (
	// PoolLeastPending picks the connection with the fewest calls and
	// streams in flight (the first such, going round). It adapts when one
	// connection is slower than the others (a large message, a server
	// goroutine descheduled).
	PoolLeastPending PoolPolicy = iota
	// PoolRoundRobin picks the connections in turn.
	PoolRoundRobin
)

// String returns the policy's name.
func (p PoolPolicy) String() string {
	switch p {
	case PoolLeastPending:
		return "least-pending"
	case PoolRoundRobin:
		return "round-robin"
	}
	return fmt.Sprintf("PoolPolicy(%d)", uint8(p))
}

// Defaults of the dialing client.
const (
	defaultDialBackoffMin = 50 * time.Millisecond
	defaultDialBackoffMax = 5 * time.Second
	// dialBackoffJitter spreads each backoff over ±20%, so that many
	// clients of a restarted server do not dial in lockstep.
	dialBackoffJitter = 0.2
)

// dialConfig is the part of clientConfig for NewClientWithDialer.
type dialConfig struct {
	backoffMin, backoffMax time.Duration
	connections            int
	policy                 PoolPolicy
	waitForConn            bool // WithWaitForConnection
	onConnectionLost       func(error)
	now                    func() time.Time // the clock; tests replace it
	random                 func() float64   // in [0, 1); tests replace it
	options                []string         // the names of the options given, for NewClient's warning
}

// given records that the option name, which only NewClientWithDialer
// uses, was given.
func (dc *dialConfig) given(name string) {
	dc.options = append(dc.options, name)
}

func defaultDialConfig() dialConfig {
	return dialConfig{
		backoffMin:       defaultDialBackoffMin,
		backoffMax:       defaultDialBackoffMax,
		connections:      1,
		onConnectionLost: func(error) {},
		now:              time.Now,
		random:           rand.Float64,
	}
}

// backoff is how long to wait after the failures-th failed dial in a row:
// backoffMin doubled for each earlier failure, capped at backoffMax, with
// jitter.
func (dc *dialConfig) backoff(failures int) time.Duration {
	d := dc.backoffMin
	for i := 1; i < failures && d < dc.backoffMax; i++ {
		d *= 2
	}
	d = min(d, dc.backoffMax)
	jitter := 1 + dialBackoffJitter*(2*dc.random()-1)
	return time.Duration(float64(d) * jitter)
}

// dialSource keeps the connections of a Client made by NewClientWithDialer.
// Dials run on the goroutine of the call that needs them (one dial per slot
// at a time); the source has no goroutine of its own.
type dialSource struct {
	dial   Dialer
	config *clientConfig

	closeCtx    context.Context // cancelled by close: ends dials in progress
	cancelClose context.CancelFunc
	running     sync.WaitGroup // connections whose goroutines still run

	mu sync.Mutex
	// guarded by mu:
	slots   []dialSlot
	next    int   // where the next search for a connection starts
	lastErr error // the last dial error
	closed  bool
}

// dialSlot is one place for a connection.
type dialSlot struct {
	conn     *clientConn   // open connection, or nil
	dialing  chan struct{} // non-nil while a dial runs; closed when it ends
	failures int           // failed dials in a row
	retryAt  time.Time     // no dial before this
}

func newDialSource(dial Dialer, config *clientConfig) *dialSource {
	ctx, cancel := context.WithCancel(context.Background())
	return &dialSource{
		dial:        dial,
		config:      config,
		closeCtx:    ctx,
		cancelClose: cancel,
		slots:       make([]dialSlot, max(config.dial.connections, 1)),
	}
}

// get returns a connection for a call: it dials an empty slot that may dial
// now, or picks an open connection, or waits for a dial in progress; with
// nothing of that, it fails at once with the last dial error.
func (d *dialSource) get(ctx context.Context) (*clientConn, error) {
	for {
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return nil, ErrClosed
		}
		if i := d.dialableLocked(); i >= 0 {
			done := make(chan struct{})
			d.slots[i].dialing = done
			d.mu.Unlock()
			cc, err := d.dialSlot(ctx, i, done)
			switch {
			case err == nil:
				return cc, nil
			case ctx.Err() != nil && d.config.dial.waitForConn:
				return nil, waitContextError(ctx.Err(), err) // ended during a dial: say how it went
			case ctx.Err() != nil:
				return nil, contextError(ctx.Err())
			case d.hasConn() || errors.Is(err, ErrClosed) || d.config.dial.waitForConn:
				continue // use another open connection, report the close, or wait
			}
			return nil, closedError(fmt.Errorf("dial: %w", err))
		}
		if cc := d.pickLocked(); cc != nil {
			d.mu.Unlock()
			return cc, nil
		}
		if done := d.dialingLocked(); done != nil {
			d.mu.Unlock()
			select {
			case <-done:
				continue
			case <-ctx.Done():
				return nil, contextError(ctx.Err())
			}
		}
		err, retryAt := d.lastErr, d.retryAtLocked()
		d.mu.Unlock()
		if !d.config.dial.waitForConn {
			return nil, closedError(fmt.Errorf("dial: backing off after %w", err))
		}
		if err := d.waitBackoff(ctx, retryAt, err); err != nil {
			return nil, err
		}
	}
}

// retryAtLocked returns the earliest time an empty slot may dial again.
func (d *dialSource) retryAtLocked() time.Time {
	var first time.Time
	for i := range d.slots {
		s := &d.slots[i]
		if s.conn == nil && (first.IsZero() || s.retryAt.Before(first)) {
			first = s.retryAt
		}
	}
	return first
}

// waitBackoff waits, for a client with WithWaitForConnection, until
// retryAt, or until ctx ends (an error naming the last dial error) or the
// client closes (ErrClosed).
func (d *dialSource) waitBackoff(ctx context.Context, retryAt time.Time, lastErr error) error {
	// At least a millisecond: a slot whose connection has just died is
	// emptied by the connection's receiver, soon.
	timer := time.NewTimer(max(retryAt.Sub(d.config.dial.now()), time.Millisecond))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-d.closeCtx.Done():
		return ErrClosed
	case <-ctx.Done():
		return waitContextError(ctx.Err(), lastErr)
	}
}

// dialableLocked returns an empty slot that may dial now, or -1.
func (d *dialSource) dialableLocked() int {
	now := d.config.dial.now()
	for i := range d.slots {
		s := &d.slots[i]
		if s.conn == nil && s.dialing == nil && !now.Before(s.retryAt) {
			return i
		}
	}
	return -1
}

// pickLocked returns an open connection chosen by the pool policy, or nil.
func (d *dialSource) pickLocked() *clientConn {
	var best *clientConn
	bestPending := 0
	n := len(d.slots)
	for k := range n {
		cc := d.slots[(d.next+k)%n].conn
		if cc == nil || isDone(cc.done) {
			continue
		}
		if d.config.dial.policy == PoolRoundRobin {
			d.next = (d.next + k + 1) % n
			return cc
		}
		if pending := cc.calls.len(); best == nil || pending < bestPending {
			best, bestPending = cc, pending
		}
	}
	d.next = (d.next + 1) % n
	return best
}

// dialingLocked returns the done channel of a dial in progress, or nil.
func (d *dialSource) dialingLocked() chan struct{} {
	for i := range d.slots {
		if d.slots[i].dialing != nil {
			return d.slots[i].dialing
		}
	}
	return nil
}

func (d *dialSource) hasConn() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range d.slots {
		if cc := d.slots[i].conn; cc != nil && !isDone(cc.done) {
			return true
		}
	}
	return false
}

// dialSlot dials for slot i under ctx (ended early by close), records the
// outcome in the slot and closes done.
func (d *dialSource) dialSlot(ctx context.Context, i int, done chan struct{}) (*clientConn, error) {
	dialCtx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(d.closeCtx, cancel)
	conn, err := d.dial(dialCtx)
	stop()
	cancel()

	d.mu.Lock()
	defer d.mu.Unlock()
	defer close(done)
	s := &d.slots[i]
	s.dialing = nil
	switch {
	case d.closed:
		if conn != nil {
			conn.Close()
		}
		return nil, ErrClosed
	case err == nil && conn == nil:
		err = fmt.Errorf("%w: dialer returned no connection", ErrProtocol)
	case err != nil && ctx.Err() != nil:
		return nil, err // the caller gave up: not the server's failure
	}
	if err != nil {
		s.failures++
		s.retryAt = d.config.dial.now().Add(d.config.dial.backoff(s.failures))
		d.lastErr = err
		return nil, err
	}
	s.failures, s.retryAt = 0, time.Time{}
	d.running.Add(1)
	s.conn = newClientConn(conn, d.config, d.lost)
	return s.conn, nil
}

// lost runs on the receiver goroutine of a connection that has closed: it
// empties its slot and, unless the client is closing, reports the loss.
func (d *dialSource) lost(cc *clientConn, cause error) {
	defer d.running.Done()
	d.mu.Lock()
	for i := range d.slots {
		if d.slots[i].conn == cc {
			d.slots[i].conn = nil
		}
	}
	closing := d.closed
	d.mu.Unlock()
	if !closing {
		d.config.dial.onConnectionLost(cause)
	}
}

// close closes every connection, ends dials in progress and waits for the
// connections' goroutines.
func (d *dialSource) close() {
	d.mu.Lock()
	d.closed = true
	var open []*clientConn
	for i := range d.slots {
		if cc := d.slots[i].conn; cc != nil {
			open = append(open, cc)
		}
	}
	d.mu.Unlock()
	d.cancelClose()
	for _, cc := range open {
		cc.terminate(ErrClosed)
	}
	d.running.Wait()
}

// open counts the connections that are up.
func (d *dialSource) open() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for i := range d.slots {
		if cc := d.slots[i].conn; cc != nil && !isDone(cc.done) {
			n++
		}
	}
	return n
}

// conns returns the open connections.
func (d *dialSource) conns() []*clientConn {
	d.mu.Lock()
	defer d.mu.Unlock()
	var open []*clientConn
	for i := range d.slots {
		if cc := d.slots[i].conn; cc != nil {
			open = append(open, cc)
		}
	}
	return open
}
