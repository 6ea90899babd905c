// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// callContext is the context a handler runs in. It lives inside its
// serverCall, so that a call costs no allocation for its context, and it
// defers what context.WithTimeout and WithValue do at once until something
// waits for the context: a handler that only returns never pays for a done
// channel, a timer or a registration.
//
// The first Done makes the waitable part: a standard context.WithDeadline
// (or WithCancel) of the parent, to which Done, Err and every other key
// of Value go from then on. The context package then recognises it as a
// cancelable parent, also through contexts derived with WithValue, so that
// contexts derived from a handler's need no goroutine of their own. Before
// that, Err tells from the deadline and from cancel alone.
type callContext struct {
	parent   context.Context // never ends: the connection's context without its cancellation
	md       MD              // the request's metadata; nil when it has none
	deadline time.Time       // meaningful when hasDeadline
	// hasDeadline: the request had a timeout or the connection's context
	// has a deadline (the earlier of the two is kept).
	hasDeadline bool

	waitable atomic.Pointer[waitableContext] // set once, under mu
	mu       sync.Mutex
	err      error // guarded by mu: why the context ended, if it did before it was waitable
}

// waitableContext is the standard context a callContext hands its waiting
// to, with the function that cancels it.
type waitableContext struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// Deadline returns the call's deadline, if it has one.
func (c *callContext) Deadline() (time.Time, bool) {
	return c.deadline, c.hasDeadline
}

// Done returns a channel that is closed when the context ends.
func (c *callContext) Done() <-chan struct{} {
	return c.makeWaitable().ctx.Done()
}

// Err returns nil while the context has not ended, and then why it ended.
func (c *callContext) Err() error {
	if w := c.waitable.Load(); w != nil {
		return w.ctx.Err() // it ended as c.err says, if that was first
	}
	if c.hasDeadline && !time.Now().Before(c.deadline) {
		c.cancel(context.DeadlineExceeded)
	}
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	return err
}

// Value returns the request's metadata for the metadata key, and defers
// every other key to the waitable context once there is one (the context
// package finds it so), and to the connection's context before.
func (c *callContext) Value(key any) any {
	if _, ok := key.(metadataKey); ok && c.md != nil {
		return c.md
	}
	if w := c.waitable.Load(); w != nil {
		return w.ctx.Value(key)
	}
	return c.parent.Value(key)
}

// makeWaitable returns the waitable context, making it on first use: it
// ends at the deadline, and at once if the call's context has ended (the
// same way, so that derived contexts and context.Cause agree with Err).
func (c *callContext) makeWaitable() *waitableContext {
	if w := c.waitable.Load(); w != nil {
		return w
	}
	c.mu.Lock()
	w := c.waitable.Load()
	if w == nil {
		w = &waitableContext{}
		if c.err == context.DeadlineExceeded || c.err == nil && c.hasDeadline {
			// Past the deadline (the zero time without one), this ends at once.
			w.ctx, w.cancel = context.WithDeadline(c.parent, c.deadline)
		} else {
			w.ctx, w.cancel = context.WithCancel(c.parent)
			if c.err != nil {
				w.cancel()
			}
		}
		c.waitable.Store(w)
	}
	c.mu.Unlock()
	return w
}

// cancel ends the context with err (context.Canceled, or DeadlineExceeded
// when the connection's deadline passed), unless it has ended already; a
// context whose deadline has passed ends with DeadlineExceeded. Once the
// context is waitable, a passed deadline is left to the waitable context's
// own timer, which ends it with DeadlineExceeded, Done and Err together.
func (c *callContext) cancel(err error) {
	c.mu.Lock()
	w := c.waitable.Load()
	switch {
	case w != nil:
		// Past the deadline, the waitable context's own timer ends it (has,
		// or is about to) with DeadlineExceeded, as Err says already.
		if !c.hasDeadline || err != context.DeadlineExceeded && time.Now().Before(c.deadline) {
			w.cancel()
		}
	case c.err != nil:
	case c.hasDeadline && !time.Now().Before(c.deadline):
		c.err = context.DeadlineExceeded
	default:
		c.err = err
	}
	c.mu.Unlock()
}
