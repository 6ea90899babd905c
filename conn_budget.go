// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"errors"
	"sync/atomic"
)

// connBudget bounds the bytes a server connection holds for its peer: the
// frames of unary requests whose handlers run, the messages queued for
// streams' handlers, and the answers that wait for room in the writer's
// queue. Over the limit, the connection's reader stops reading (wait) until
// enough is released: backpressure, which the peer feels as a socket that
// does not drain. A single frame is always read when the connection is
// within its budget, so a budget smaller than a message slows but never
// blocks a connection.
//
// A stream's request frame is not held (startCall releases it at once), so
// that a stream handler waiting for its next message never waits on a
// reader that waits for the budget; and a queued message that its handler
// does not take fails its stream as full (recv_queue.go), which releases
// it.
type connBudget struct {
	_     noCompare
	held  atomic.Int64
	limit int64
	// room gets a token when held falls to the limit or below, for a
	// waiting reader; one token is enough, as the reader checks held again.
	room chan struct{}
}

func newConnBudget(limit int) connBudget {
	return connBudget{limit: int64(limit), room: make(chan struct{}, 1)}
}

// hold counts n more bytes as held.
func (b *connBudget) hold(n int) {
	b.held.Add(int64(n))
}

// release counts n held bytes as released, and wakes the reader when that
// brings the connection back within its budget.
func (b *connBudget) release(n int) {
	if held := b.held.Add(-int64(n)); held <= b.limit && held+int64(n) > b.limit {
		select {
		case b.room <- struct{}{}:
		default:
		}
	}
}

// wait returns nil once the connection is within its budget, or
// errBudgetWaitEnded when done closes first.
func (b *connBudget) wait(done <-chan struct{}) error {
	for b.held.Load() > b.limit {
		select {
		case <-b.room:
		case <-done:
			return errBudgetWaitEnded
		}
	}
	return nil
}

// errBudgetWaitEnded ends the read loop of a connection that ended while
// its reader waited for its budget.
var errBudgetWaitEnded = errors.New("ttrpc: connection closed while over its byte budget")

// WithServerConnectionBudget sets how many bytes one connection may make
// the server hold for it (requests being handled, stream messages not yet
// received by their handlers, answers waiting to be written); over it the
// server reads nothing more from that connection until its handlers catch
// up. Default 64 MiB: sixteen messages of the protocol's 4 MiB, far more
// than a container runtime keeps in flight on one connection. At most
// 64 answers already in the writer's queue and what the kernel buffers
// come on top. Values below 1 are refused.
func WithServerConnectionBudget(bytes int) ServerOpt {
	return func(c *serverConfig) error {
		if bytes < 1 {
			return errBadBudget
		}
		c.limits.connBudget = bytes
		return nil
	}
}

// errBadBudget is returned by NewServer for a budget below one byte.
var errBadBudget = errors.New("ttrpc: WithServerConnectionBudget needs a positive number of bytes")
