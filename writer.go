// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"sync"
	"sync/atomic"
)

// outFrame is one frame waiting in a connection's send queue. Its data is a
// pooled buffer that the writer goroutine releases once written.
type outFrame struct {
	streamID uint32
	typ      frameType
	flags    uint8
	data     *[]byte
	// call, for a client's request frame, is the call the writer registers
	// (and so gives its stream id) just before writing; nil otherwise.
	call *call
}

// sendQueueLength is the capacity of a connection's send queue. Callers
// wait (or give up with their context) when it is full; the writer drains
// everything queued before it flushes, so a full queue goes out in few writes.
const sendQueueLength = 64

// writeFrames is the loop of a connection's writer goroutine. It writes the
// frames of queue in order and flushes whenever the queue is empty, so that
// frames queued together leave in one write. prepare, if set, runs before a
// frame is written, may change it, and may drop it (returning false). The loop returns nil
// when done closes, or when drained is closed and every queued frame has
// been flushed; it returns the first write error.
func writeFrames(ch frameSink, queue <-chan outFrame, done, drained <-chan struct{}, prepare func(outFrame) (outFrame, bool)) error {
	for {
		var f outFrame
		select {
		case f = <-queue:
		default:
			if err := ch.flush(); err != nil {
				return err
			}
			select {
			case f = <-queue:
			case <-done:
				return nil
			case <-drained:
				if len(queue) > 0 {
					continue
				}
				return nil
			}
		}
		if prepare != nil {
			var ok bool
			if f, ok = prepare(f); !ok {
				releaseBuffer(f.data)
				continue
			}
		}
		err := ch.send(f.streamID, f.typ, f.flags, *f.data)
		releaseBuffer(f.data)
		if err != nil {
			return err
		}
	}
}

// frameSink is where writeFrames writes frames: a channel, or a
// sharedChannel that other goroutines may also write to directly.
type frameSink interface {
	send(streamID uint32, t frameType, flags uint8, data []byte) error
	flush() error
}

// sharedChannel is the write side of a server connection's channel, shared
// by the writer goroutine and the request goroutines: a request goroutine
// whose frame would find the writer idle (nothing queued, nothing being
// written) writes it itself, saving the writer's wake-up on every answer
// of a connection that is not busy. Under load frames queue up, and the
// writer sends them together.
//
// Order is kept: a frame is written directly only when every frame queued
// before it (by any goroutine) has been written.
type sharedChannel struct {
	ch *channel
	// mu is held for each write and flush of ch, by the writer goroutine and
	// by direct writers.
	mu sync.Mutex
	// pending counts frames queued and not yet written. It goes up before a
	// frame enters the queue and down once the writer has written it.
	pending atomic.Int64
}

// send writes a frame taken from the queue.
func (sh *sharedChannel) send(streamID uint32, t frameType, flags uint8, data []byte) error {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	defer sh.pending.Add(-1)
	return sh.ch.send(streamID, t, flags, data)
}

func (sh *sharedChannel) flush() error {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.ch.flush()
}

// tryDirect writes and flushes f at once when nothing is queued and nobody
// is writing; handled is false when f must be queued instead.
func (sh *sharedChannel) tryDirect(f outFrame) (handled bool, err error) {
	if sh.pending.Load() != 0 || !sh.mu.TryLock() {
		return false, nil
	}
	defer sh.mu.Unlock()
	if sh.pending.Load() != 0 {
		return false, nil
	}
	if err = sh.ch.send(f.streamID, f.typ, f.flags, *f.data); err == nil {
		err = sh.ch.flush()
	}
	releaseBuffer(f.data)
	return true, err
}

// isDone reports whether done is closed.
func isDone(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}
