// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"io"
	"math"
	"sync"
	"sync/atomic"
)

// call is one client call or stream in flight. For a unary call, the
// outcome (the response frame, or an error) is written by whoever claims it
// from the callMap, which then signals done; nobody else touches frame or
// err until then. For a stream, messages go to stream and the outcome ends
// it.
type call struct {
	frame *[]byte       // unary: the response frame, handed to the caller
	err   error         // the outcome when there is no response
	done  chan struct{} // receives one value when the call has its outcome

	stream          *recvQueue  // streams only
	stopWatch       func() bool // streams only: stops watching the stream's context
	streamingServer bool        // streams only: the server sends a stream of messages
	onFinish        func(error) // streams only: reports the stream's end
	finished        atomic.Bool // streams only: finish has run
	stats           *callStats  // nil without a StatsHandler

	// guarded by callMap.mu
	id    uint32
	state callState
}

type callState uint8

const (
	callQueued     callState = iota // waiting in the send queue, no id yet
	callRegistered                  // written (or being written), in the map
	callClaimed                     // taken out of the map to be completed
	callAbandoned                   // its caller gave up; never written, or dropped
)

// Unary calls are recycled: a call that got its outcome is referenced by
// nobody else (the sender is done with a call once it has registered it,
// and the receiver once it has completed it), so its caller may reuse it.
// An abandoned call is never recycled: the send queue may still hold it.
var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

// newCall returns a call for a unary request.
func newCall() *call {
	return callPool.Get().(*call)
}

// newStreamCall returns a call for a stream.
func newStreamCall() *call {
	return &call{done: make(chan struct{}, 1)}
}

// recycle puts a unary call that got its outcome back in the pool.
func (c *call) recycle() {
	*c = call{done: c.done}
	callPool.Put(c)
}

// complete records the outcome (nil err for a unary call whose response
// frame is set, or for a stream that ended cleanly) and wakes the caller.
// A stream's end is reported before its reader can see it. Only the
// goroutine that claimed the call may complete it.
func (c *call) complete(err error) {
	if c.stream != nil {
		if err == nil {
			err = io.EOF
		}
		c.finish(err)
		c.stream.end(err)
	}
	c.err = err
	c.done <- struct{}{}
}

// finish runs a stream's end-of-life work once, however it ended: it stops
// watching the stream's context and reports the end.
func (c *call) finish(err error) {
	if c.finished.CompareAndSwap(false, true) {
		c.stopWatch()
		c.onFinish(err)
	}
}

// callMap is the table of calls in flight on one client connection. The
// writer goroutine registers each call as its request goes out (so stream
// ids are assigned in wire order), the reader goroutine claims a call when
// its response arrives, and a caller whose context ends abandons its call.
// All methods are safe for concurrent use.
type callMap struct {
	mu sync.Mutex
	// guarded by mu:
	nextID uint64 // the next odd stream id; past MaxUint32 the ids are spent
	calls  map[uint32]*call
	err    error // set once the connection is gone; no call registers after

	// unary is the number of unary calls in calls: changed under mu, read
	// without it (the sender asks on every flush).
	unary atomic.Int32
}

func newCallMap() *callMap {
	return &callMap{nextID: 1, calls: make(map[uint32]*call)}
}

// register gives c the next stream id and enters it in the map. It returns
// ok=false when c was abandoned (the frame must not be sent), and err when
// the map is closed or out of ids (c must be failed with it).
func (m *callMap) register(c *call) (id uint32, ok bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case c.state != callQueued: // abandoned, or failed while queued
		return 0, false, nil
	case m.err != nil:
		c.state = callClaimed
		return 0, false, m.err
	case m.nextID > math.MaxUint32:
		c.state = callClaimed
		return 0, false, errStreamIDsExhausted
	}
	id = uint32(m.nextID)
	m.nextID += 2
	c.id = id
	c.state = callRegistered
	m.calls[id] = c
	if c.stream == nil {
		m.unary.Add(1)
	}
	return id, true, nil
}

// removeLocked takes a registered call out of the map; mu must be held.
func (m *callMap) removeLocked(c *call) {
	delete(m.calls, c.id)
	if c.stream == nil {
		m.unary.Add(-1)
	}
}

// claim takes the call with the given id out of the map, or returns nil if
// there is none (it was abandoned, or the id is unknown).
func (m *callMap) claim(id uint32) *call {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.calls[id]
	if !ok {
		return nil
	}
	m.removeLocked(c)
	c.state = callClaimed
	return c
}

// lookup returns the registered call with the given id, or nil, leaving it
// in the map.
func (m *callMap) lookup(id uint32) *call {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[id]
}

// streamID returns the id of c while it is registered; false once it has
// been claimed or abandoned (nothing more may be sent on it).
func (m *callMap) streamID(c *call) (uint32, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return c.id, c.state == callRegistered
}

// abandon gives up c on behalf of its caller. It returns true when the call
// is now the caller's to fail; false when another goroutine has claimed it
// and will complete it shortly.
func (m *callMap) abandon(c *call) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch c.state {
	case callClaimed:
		return false
	case callRegistered:
		m.removeLocked(c)
	}
	c.state = callAbandoned
	return true
}

// takeQueued moves c to state (callClaimed, for the taker to fail it, or
// callAbandoned, given up by its caller) only if its request has not been
// written (it is still queued); it returns whether it did.
func (m *callMap) takeQueued(c *call, state callState) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.state != callQueued {
		return false
	}
	c.state = state
	return true
}

// closeAll closes the map with err and returns every registered call,
// claimed, for the caller to fail.
func (m *callMap) closeAll(err error) []*call {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err == nil {
		m.err = err
	}
	pending := make([]*call, 0, len(m.calls))
	for _, c := range m.calls {
		c.state = callClaimed
		pending = append(pending, c)
		m.removeLocked(c)
	}
	return pending
}

// unaryCalls returns the number of unary calls in the map.
func (m *callMap) unaryCalls() int {
	return int(m.unary.Load())
}

// len returns the number of calls in the map.
func (m *callMap) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.calls)
}
