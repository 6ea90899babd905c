// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// outFrame is one frame waiting in a connection's send queue. Its data is a
// pooled buffer that the writer goroutine releases once written.
type outFrame struct {
	_        noCompare
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

// frameWriter is the loop of a connection's writer goroutine, with what
// it needs; its fields are set once, before run.
type frameWriter struct {
	sink  frameSink
	queue <-chan outFrame
	// run returns when done closes, or when drained (nil: never) closes
	// and every queued frame has been flushed.
	done, drained <-chan struct{}
	// prepare, if set, runs before a frame is written, may change it, and
	// may drop it (returning false).
	prepare func(outFrame) (outFrame, bool)
	// busy, if set, reports whether more frames are likely on their way
	// (several calls in flight): then the writer yields once before it
	// flushes, so that the goroutines already runnable queue theirs first.
	busy func() bool
}

// run writes the frames of the queue in order and flushes whenever the
// queue is empty, so that frames queued together leave in one write. It
// returns the first write error, or nil.
func (w *frameWriter) run() error {
	for {
		var f outFrame
		select {
		case f = <-w.queue:
		default:
			if w.gathered() {
				continue
			}
			if err := w.sink.flush(); err != nil {
				return err
			}
			select {
			case f = <-w.queue:
			case <-w.done:
				return nil
			case <-w.drained:
				if len(w.queue) > 0 {
					continue
				}
				return nil
			}
		}
		if w.prepare != nil {
			var ok bool
			if f, ok = w.prepare(f); !ok {
				releaseBuffer(f.data)
				continue
			}
		}
		err := w.sink.send(f.streamID, f.typ, f.flags, *f.data)
		releaseBuffer(f.data)
		if err != nil {
			return err
		}
	}
}

// gathered yields once, when busy, to let frames on their way join the
// ones buffered, and reports whether any did.
//
// Without it a busy writer flushes one frame per write: the goroutine that
// queues a frame wakes the writer, the scheduler runs the woken writer next,
// and the writer finds nothing else queued yet.
func (w *frameWriter) gathered() bool {
	if w.busy == nil || !w.busy() {
		return false
	}
	runtime.Gosched()
	return len(w.queue) > 0
}

// frameSink is where a frameWriter writes frames: a channel, or a
// sharedChannel that other goroutines may also write to directly.
type frameSink interface {
	send(streamID uint32, t frameType, flags uint8, data []byte) error
	flush() error
}

// sharedChannel is the write side of a server connection's channel, shared
// by the writer goroutine and the request goroutines: a request goroutine
// whose answer would find the writer idle (nothing queued, nothing being
// written) writes it itself when no other unary call is in flight, saving
// the writer's wake-up on every answer of a connection that is not busy.
// Otherwise frames queue up, and the writer sends them together.
//
// Order is kept: a frame is written directly only when every frame queued
// before it (by any goroutine) has been written.
type sharedChannel struct {
	_  noCompare
	ch *channel
	// mu is held for each write and flush of ch, by the writer goroutine and
	// by direct writers.
	mu sync.Mutex
	// pending counts frames queued and not yet written. It goes up before a
	// frame enters the queue and down once the writer has written it.
	pending atomic.Int64
}

// send writes a frame taken from the queue. (This file's locked sections
// unlock without defer: each defer is code in the minimal server, whose
// size is budgeted; nothing in them panics.)
func (sh *sharedChannel) send(streamID uint32, t frameType, flags uint8, data []byte) error {
	sh.mu.Lock()
	err := sh.ch.send(streamID, t, flags, data)
	sh.pending.Add(-1)
	sh.mu.Unlock()
	return err
}

func (sh *sharedChannel) flush() error {
	sh.mu.Lock()
	err := sh.ch.flush()
	sh.mu.Unlock()
	return err
}

// tryDirect writes and flushes f at once when nothing is queued and nobody
// is writing; handled is false when f must be queued instead.
func (sh *sharedChannel) tryDirect(f outFrame) (handled bool, err error) {
	if sh.pending.Load() != 0 || !sh.mu.TryLock() {
		return false, nil
	}
	if sh.pending.Load() != 0 {
		sh.mu.Unlock()
		return false, nil
	}
	if err = sh.ch.send(f.streamID, f.typ, f.flags, *f.data); err == nil {
		err = sh.ch.flush()
	}
	sh.mu.Unlock()
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
