// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"
)

// Flow policy for stream messages that the stream's reader has not taken
// yet. The protocol has no flow control, and the connection's reader
// goroutine never waits for a stream's reader: it appends each message to
// its stream's queue and moves on, so that a stream whose reader is slow or
// gone never holds up the other calls and streams of the connection. The
// slow stream fails instead:
//
//   - A stream buffers up to size messages freely.
//   - Past size, its reader must keep taking messages: if it takes none for
//     wait, the stream fails with ErrStreamFull. (Progress is checked once
//     per wait, so a reader that stops after taking a message fails between
//     one and two waits after that message.)
//   - Whatever the reader does, a stream never buffers more than
//     queueMemoryMax bytes: a reader that falls that far behind its sender
//     fails the stream at once with ErrStreamFull.
//   - A stream that failed with ErrStreamFull takes no more messages, but
//     its reader still gets every message it had buffered, and then
//     ErrStreamFull: nothing that arrived is lost without a word. Their
//     memory goes as they are taken, or with the stream.
const (
	// defaultStreamBufferSize is the number of messages a stream buffers
	// freely: enough to absorb a burst while its reader is briefly busy.
	defaultStreamBufferSize = 64
	// defaultStreamFullWait is how long a stream over its buffer size may go
	// without its reader taking a message: long enough for a reader that was
	// descheduled or paused by the garbage collector, short enough that an
	// abandoned stream is failed (and its memory freed) quickly.
	defaultStreamFullWait = time.Second
	// queueMemoryMax bounds the memory of one stream's queue (a single
	// message always fits): 16 MiB, four of the largest messages other
	// peers send.
	queueMemoryMax = 4 * frameLengthMax
	// queuedMessageOverhead is what a queued message costs besides its
	// bytes: its slice header and allocation.
	queuedMessageOverhead = 64
)

// recvQueue is the receive side of one stream: messages in arrival order,
// then an end (io.EOF for a clean end, or the stream's error).
//
// Concurrency: push, end and fail are called by the connection's reader (or
// by teardown); pop by the stream's reader; all may run concurrently.
type recvQueue struct {
	size   int
	wait   time.Duration
	onFull func()      // runs (on the timer's goroutine) when the queue fails as full
	budget *connBudget // a server connection's, which queued messages count against; nil on a client
	wake   chan struct{}

	mu sync.Mutex
	// guarded by mu:
	msgs   []*[]byte // pooled buffers, owned by the queue until taken; msgs[head:] wait
	head   int       // the next message to take
	cost   int       // bytes of msgs plus queuedMessageOverhead each
	endErr error     // set once the stream's sender has finished or the stream failed
	// The wait for the reader's progress while the queue is over size: one
	// timer, made the first time, checks when it fires whether the reader
	// took a message since it was armed (or since the last check).
	timer      *time.Timer
	armed      bool      // the queue is over size and the timer runs
	armedAt    time.Time // when the current wait began
	taken      uint64    // messages taken so far
	takenAtArm uint64    // taken when the current wait began
}

func newRecvQueue(size int, wait time.Duration, onFull func()) *recvQueue {
	return &recvQueue{size: size, wait: wait, onFull: onFull, wake: make(chan struct{}, 1)}
}

// push appends a message (a pooled buffer, which the queue now owns). It
// never waits. Over the memory bound it drops the message, fails the queue
// as full and returns ErrStreamFull; messages pushed after the end are
// dropped.
func (q *recvQueue) push(msg *[]byte) error {
	cost := len(*msg) + queuedMessageOverhead
	var err error
	q.mu.Lock()
	switch {
	case q.endErr != nil:
		releaseBuffer(msg)
	case q.queued() > 0 && q.cost+cost > queueMemoryMax:
		releaseBuffer(msg)
		q.failLocked(ErrStreamFull)
		err = ErrStreamFull
	default:
		q.msgs = append(q.msgs, msg)
		q.charge(cost)
		if q.queued() > q.size && !q.armed {
			q.armTimerLocked()
		}
		q.signal()
	}
	q.mu.Unlock()
	return err
}

// queued returns the number of messages waiting; mu must be held.
func (q *recvQueue) queued() int {
	return len(q.msgs) - q.head
}

// pushLast appends a message that is also the last: the queue has its end
// (io.EOF) by the time a reader can take the message.
func (q *recvQueue) pushLast(msg *[]byte) {
	q.mu.Lock()
	if q.endErr != nil {
		releaseBuffer(msg)
	} else {
		q.msgs = append(q.msgs, msg)
		q.charge(len(*msg) + queuedMessageOverhead)
		q.endErr = io.EOF
		q.stopTimerLocked()
		q.signal()
	}
	q.mu.Unlock()
}

// armTimerLocked starts the wait for the reader's progress.
func (q *recvQueue) armTimerLocked() {
	q.armed = true
	q.armedAt = time.Now()
	q.takenAtArm = q.taken
	if q.timer == nil {
		q.timer = time.AfterFunc(q.wait, q.expire)
	} else {
		q.timer.Reset(q.wait)
	}
}

// expire runs when the timer fires. The queue fails if it is still over
// its size and the reader took no message for a whole wait; if the reader
// made progress, a new wait begins. A timer that fires early (stopped too
// late, then rearmed) waits out the rest.
func (q *recvQueue) expire() {
	q.mu.Lock()
	full := false
	switch elapsed := time.Since(q.armedAt); {
	case !q.armed || q.endErr != nil || q.queued() <= q.size:
	case elapsed < q.wait:
		q.timer.Reset(q.wait - elapsed)
	case q.taken != q.takenAtArm:
		q.armTimerLocked()
	default:
		full = true
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
	if q.endErr == nil {
		q.endErr = err
		q.stopTimerLocked()
		q.signal()
	}
	q.mu.Unlock()
}

// fail ends the queue now with err, dropping the queued messages; except
// that a queue failing as full (err ErrStreamFull), or that has failed as
// full, keeps them for its reader, who takes them before the error.
func (q *recvQueue) fail(err error) {
	q.mu.Lock()
	q.failLocked(err)
	q.mu.Unlock()
}

func (q *recvQueue) failLocked(err error) {
	if q.endErr != nil && (q.queued() == 0 || q.endErr == ErrStreamFull) {
		return
	}
	if q.endErr == nil {
		q.endErr = err
	}
	if err != ErrStreamFull {
		q.dropLocked()
	}
	q.stopTimerLocked()
	q.signal()
}

// dropLocked frees the queued messages.
func (q *recvQueue) dropLocked() {
	for _, msg := range q.msgs[q.head:] {
		releaseBuffer(msg)
	}
	q.msgs, q.head = nil, 0
	q.charge(-q.cost)
}

// drop frees the queued messages, also those a full queue keeps for its
// reader: for when the reader (a stream's handler) has returned.
func (q *recvQueue) drop() {
	q.mu.Lock()
	q.dropLocked()
	q.mu.Unlock()
}

// charge adds n (negative to remove) to the cost of the queued messages
// and to the connection's budget; mu must be held.
func (q *recvQueue) charge(n int) {
	q.cost += n
	if q.budget == nil {
		return
	}
	if n > 0 {
		q.budget.hold(n)
	} else {
		q.budget.release(-n)
	}
}

// ended reports whether the queue has its end (messages may still wait).
func (q *recvQueue) ended() bool {
	q.mu.Lock()
	ended := q.endErr != nil
	q.mu.Unlock()
	return ended
}

// errQueueStopped is returned by pop when its stop channel closes first.
var errQueueStopped = errors.New("ttrpc: connection closed")

// pop returns the next message (which the caller then owns), or the end
// once every message is taken, or ctx's error when ctx ends first, or
// errQueueStopped when stop (the connection's end) closes first.
func (q *recvQueue) pop(ctx context.Context, stop <-chan struct{}) (*[]byte, error) {
	for {
		if msg, err, ok := q.take(); ok {
			return msg, err
		}
		select {
		case <-q.wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-stop:
			// What arrived before the connection ended still counts.
			if msg, err, ok := q.take(); ok {
				return msg, err
			}
			return nil, errQueueStopped
		}
	}
}

// take removes the next message, or returns the end; ok is false when
// there is neither yet.
func (q *recvQueue) take() (msg *[]byte, err error, ok bool) {
	q.mu.Lock()
	if q.queued() == 0 {
		err = q.endErr
		q.mu.Unlock()
		return nil, err, err != nil
	}
	msg = q.msgs[q.head]
	q.msgs[q.head] = nil
	q.head++
	q.taken++ // progress: the timer, when it fires, gives the reader a new wait
	q.charge(-(len(*msg) + queuedMessageOverhead))
	left := q.queued()
	if left == 0 {
		q.msgs, q.head = q.msgs[:0], 0 // keep the array for the next messages
	}
	if left <= q.size {
		q.stopTimerLocked()
	}
	q.mu.Unlock()
	return msg, nil, true
}

func (q *recvQueue) stopTimerLocked() {
	if q.armed {
		q.armed = false
		q.timer.Stop()
	}
}

// signal wakes a waiting pop without blocking.
func (q *recvQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}
