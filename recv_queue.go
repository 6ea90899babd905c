// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Flow policy for stream messages that the stream's reader has not taken
// yet. The protocol has no flow control, and the connection's reader
// goroutine never waits for a stream's reader: it appends to the stream's
// queue and moves on, so one unread stream cannot hold up the others.
//
// A stream buffers up to size messages freely. Past size, its reader must
// keep taking messages: if it takes none for wait, the stream fails with
// ErrStreamFull. A reader that keeps up slowly may let the queue grow up to
// a hard limit of hardLimitFactor*size messages or hardLimitBytes bytes;
// beyond that the stream fails at once. Memory per stream is therefore
// bounded, and only a stream whose reader stalls (or falls hopelessly far
// behind) fails.
const (
	// defaultStreamBufferSize is the number of messages a stream buffers
	// freely: enough to absorb a burst while its reader is briefly busy.
	defaultStreamBufferSize = 64
	// defaultStreamFullWait is how long a stream over its buffer size may go
	// without its reader taking a message: long enough for a reader that was
	// descheduled or paused by the garbage collector, short enough that an
	// abandoned stream is failed (and its memory freed) quickly.
	defaultStreamFullWait = time.Second
	// hardLimitFactor times the buffer size is the most messages a stream
	// ever buffers.
	hardLimitFactor = 64
	// hardLimitBytes is the most message bytes a stream ever buffers (unless
	// a single message is larger: one message always fits).
	hardLimitBytes = 4 * frameLengthMax
)

// recvQueue is the receive side of one stream: messages in arrival order,
// then an end (io.EOF for a clean end, or the stream's error).
//
// Concurrency: push, end and fail are called by the connection's reader (or
// by teardown); pop by the stream's reader; all may run concurrently.
type recvQueue struct {
	size   int
	wait   time.Duration
	onFull func() // runs (on the timer's goroutine) when the queue fails as full
	wake   chan struct{}

	mu sync.Mutex
	// guarded by mu:
	msgs            [][]byte
	bytes           int         // total length of msgs
	endErr          error       // set once the stream's sender has finished or the stream failed
	timer           *time.Timer // runs while the queue is over size, restarted when the reader takes a message
	timerGeneration uint64      // tells a stale timer's expire from the current one
}

func newRecvQueue(size int, wait time.Duration, onFull func()) *recvQueue {
	return &recvQueue{size: size, wait: wait, onFull: onFull, wake: make(chan struct{}, 1)}
}

// push appends a message (which the queue now owns). It never blocks. It
// returns ErrStreamFull, and fails the queue, when the queue is over its
// hard limit; messages pushed after the end are dropped.
func (q *recvQueue) push(msg []byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.endErr != nil {
		return nil
	}
	if len(q.msgs) >= hardLimitFactor*q.size || (len(q.msgs) > 0 && q.bytes+len(msg) > hardLimitBytes) {
		q.failLocked(ErrStreamFull)
		return ErrStreamFull
	}
	q.msgs = append(q.msgs, msg)
	q.bytes += len(msg)
	if len(q.msgs) > q.size && q.timer == nil {
		q.armTimerLocked()
	}
	q.signal()
	return nil
}

// armTimerLocked starts (or restarts) the wait for the reader's progress.
func (q *recvQueue) armTimerLocked() {
	q.stopTimerLocked()
	q.timerGeneration++
	generation := q.timerGeneration
	q.timer = time.AfterFunc(q.wait, func() { q.expire(generation) })
}

// expire runs when the queue stayed over its size for a whole wait without
// its reader taking a message.
func (q *recvQueue) expire(generation uint64) {
	q.mu.Lock()
	full := q.timer != nil && generation == q.timerGeneration && len(q.msgs) > q.size && q.endErr == nil
	if full {
		q.failLocked(ErrStreamFull)
	}
	q.mu.Unlock()
	if full && q.onFull != nil {
		q.onFull()
	}
}

// end records that no message comes after those queued; pop returns err
// (io.EOF for a clean end) once they are taken. Only the first end counts.
func (q *recvQueue) end(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.endErr == nil {
		q.endErr = err
		q.stopTimerLocked()
		q.signal()
	}
}

// fail ends the queue now with err, dropping the queued messages.
func (q *recvQueue) fail(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.failLocked(err)
}

func (q *recvQueue) failLocked(err error) {
	if q.endErr != nil && len(q.msgs) == 0 {
		return
	}
	if q.endErr == nil {
		q.endErr = err
	}
	q.msgs = nil
	q.bytes = 0
	q.stopTimerLocked()
	q.signal()
}

// ended reports whether the queue has its end (messages may still wait).
func (q *recvQueue) ended() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.endErr != nil
}

// errQueueStopped is returned by pop when its stop channel closes first.
var errQueueStopped = errors.New("ttrpc: connection closed")

// pop returns the next message, or the end once every message is taken, or
// ctx's error when ctx ends first, or errQueueStopped when stop (the
// connection's end) closes first.
func (q *recvQueue) pop(ctx context.Context, stop <-chan struct{}) ([]byte, error) {
	for {
		q.mu.Lock()
		if len(q.msgs) > 0 {
			msg := q.msgs[0]
			q.msgs[0] = nil
			q.msgs = q.msgs[1:]
			q.bytes -= len(msg)
			if len(q.msgs) <= q.size {
				q.stopTimerLocked()
			} else {
				q.armTimerLocked() // progress: the reader gets a new wait
			}
			if len(q.msgs) == 0 {
				q.msgs = nil // let the backing array go
			}
			q.mu.Unlock()
			return msg, nil
		}
		if err := q.endErr; err != nil {
			q.mu.Unlock()
			return nil, err
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-stop:
			return nil, errQueueStopped
		}
	}
}

func (q *recvQueue) stopTimerLocked() {
	if q.timer != nil {
		q.timer.Stop()
		q.timer = nil
	}
}

// signal wakes a waiting pop without blocking.
func (q *recvQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}
