// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"sync"
	"time"
)

// callContext is the context a handler runs in. It lives inside its
// serverCall, so that a call costs no allocation for its context, and it
// does lazily what context.WithTimeout and WithValue do eagerly: its done
// channel is made on the first Done, and its deadline timer started only
// when something waits for the deadline (Done or a derived context). A
// handler that only returns never pays for either.
//
// It ends once, with the first error given to cancel, or with
// context.DeadlineExceeded when Err or the timer finds the deadline past.
// Contexts derived from it (context.WithCancel and the rest) register
// through its AfterFunc method, as the context package allows, without a
// goroutine of their own.
type callContext struct {
	parent   context.Context // never ends: the connection's context without its cancellation
	md       MD              // the request's metadata; nil when it has none
	deadline time.Time       // meaningful when hasDeadline
	// hasDeadline: the request had a timeout or the connection's context
	// has a deadline (the earlier of the two is kept).
	hasDeadline bool

	mu sync.Mutex
	// guarded by mu:
	err   error            // why the context ended; nil while it has not
	done  chan struct{}    // made by the first Done; closed when the context ends
	timer *time.Timer      // ends the context at the deadline, once started
	after []*callAfterFunc // what runs when the context ends
}

// callAfterFunc is one function registered through AfterFunc; its address
// identifies it for the stop function.
type callAfterFunc struct{ f func() }

// Deadline returns the call's deadline, if it has one.
func (c *callContext) Deadline() (time.Time, bool) {
	return c.deadline, c.hasDeadline
}

// Done returns a channel that is closed when the context ends.
func (c *callContext) Done() <-chan struct{} {
	c.mu.Lock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.err != nil {
			close(c.done)
		}
	}
	done := c.done
	run := c.watchDeadlineLocked()
	c.mu.Unlock()
	runAll(run)
	return done
}

// Err returns nil while the context has not ended, and then why it ended.
func (c *callContext) Err() error {
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if err == nil && c.hasDeadline && !time.Now().Before(c.deadline) {
		c.cancel(context.DeadlineExceeded)
		c.mu.Lock()
		err = c.err
		c.mu.Unlock()
	}
	return err
}

// Value returns the request's metadata for the metadata key, and defers
// every other key to the connection's context.
func (c *callContext) Value(key any) any {
	if _, ok := key.(metadataKey); ok && c.md != nil {
		return c.md
	}
	return c.parent.Value(key)
}

// AfterFunc arranges for f to run once the context has ended; stop
// unregisters f, reporting whether it did so before f ran. The context
// package finds this method and registers derived contexts through it. f
// runs on the goroutine that ends the context, after the context's lock is
// released, so it must not block: the context package's functions (which
// cancel a derived context) do not.
func (c *callContext) AfterFunc(f func()) (stop func() bool) {
	entry := &callAfterFunc{f: f}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		// The context package checks Done before it registers, so this is
		// only the race of a context ending meanwhile. f may need a lock
		// its registering caller holds: it runs on its own goroutine, as
		// context.AfterFunc would run it (it only cancels a derived context,
		// and returns).
		go f()
		return func() bool { return false }
	}
	c.after = append(c.after, entry)
	run := c.watchDeadlineLocked()
	c.mu.Unlock()
	runAll(run)
	return func() bool { return c.unregister(entry) }
}

// unregister removes entry from the functions to run, reporting whether it
// was still there.
func (c *callContext) unregister(entry *callAfterFunc) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.after {
		if e == entry {
			c.after = append(c.after[:i], c.after[i+1:]...)
			return true
		}
	}
	return false
}

// String names the context for debugging output.
func (c *callContext) String() string {
	return "ttrpc.callContext"
}

// watchDeadlineLocked makes sure something ends the context at its
// deadline, now that something waits for it: it starts the timer, or ends
// the context at once when the deadline has passed, returning the
// functions to run then. mu must be held.
func (c *callContext) watchDeadlineLocked() []*callAfterFunc {
	if !c.hasDeadline || c.err != nil || c.timer != nil {
		return nil
	}
	left := time.Until(c.deadline)
	if left <= 0 {
		return c.endLocked(context.DeadlineExceeded)
	}
	c.timer = time.AfterFunc(left, func() { c.cancel(context.DeadlineExceeded) })
	return nil
}

// cancel ends the context with err, unless it has ended already.
func (c *callContext) cancel(err error) {
	c.mu.Lock()
	run := c.endLocked(err)
	c.mu.Unlock()
	runAll(run)
}

// endLocked ends the context with err, unless it has ended already, and
// returns the functions to run (after mu is released: they may call back
// into the context). mu must be held.
func (c *callContext) endLocked(err error) []*callAfterFunc {
	if c.err != nil {
		return nil
	}
	c.err = err
	if c.done != nil {
		close(c.done)
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	run := c.after
	c.after = nil
	return run
}

// runAll runs the functions registered with AfterFunc, in order.
func runAll(run []*callAfterFunc) {
	for _, e := range run {
		e.f()
	}
}
