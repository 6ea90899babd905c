// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"sync"
	"time"
)

// The request goroutines of a server connection. A call runs on an idle
// goroutine that ran an earlier call of the connection, or on a new one.
// Reusing goroutines keeps their grown stacks: a new goroutine's stack grows
// (and is copied) while the handler decodes its request, which costs more
// than the rest of a small call.
//
// keptIdleWorkers goroutines wait for as long as the connection lasts;
// beyond those, a goroutine that has been idle for surplusWorkerIdle to
// twice that exits, so that a burst's goroutines and their stacks are given
// back soon after it. Each idle goroutine waits on a channel of its own,
// so that handing it a call touches nothing the others wait on.

// keptIdleWorkers is how many idle request goroutines a connection keeps
// however long they stay idle.
const keptIdleWorkers = 8

// surplusWorkerIdle is how long a request goroutine beyond keptIdleWorkers
// stays idle at least before it exits: long enough to bridge the gaps
// between bursts of a busy connection.
const surplusWorkerIdle = 500 * time.Millisecond

// worker is a request goroutine's handle: idle, it waits on calls for its
// next call (nil: exit).
type worker struct {
	calls    chan *serverCall // buffered 1: the dispatcher never waits
	idleTick uint64           // workerPool.tick when it went idle
}

// workerPool is the idle request goroutines of a connection.
type workerPool struct {
	mu sync.Mutex
	// guarded by mu:
	idle   []*worker   // a stack: the longest idle at the bottom
	closed bool        // the connection has ended: no goroutine goes idle
	parked bool        // a goroutine has gone idle, or exited as the first
	tick   uint64      // counts the reaper's runs
	reaper *time.Timer // runs while more than keptIdleWorkers are idle
	armed  bool
}

// take returns an idle worker, or nil.
func (p *workerPool) take() *worker {
	p.mu.Lock()
	var w *worker
	if n := len(p.idle); n > 0 {
		w = p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
	}
	p.mu.Unlock()
	return w
}

// park makes w idle; false means that w must exit: the connection has
// ended, or w ran the connection's first call. So a connection that makes
// one call and goes quiet, as many do, keeps no idle goroutine (nor its
// stack); one that calls again keeps them.
func (p *workerPool) park(w *worker) bool {
	p.mu.Lock()
	if first := !p.parked; p.closed || first {
		p.parked = true
		p.mu.Unlock()
		return false
	}
	w.idleTick = p.tick
	p.idle = append(p.idle, w)
	if len(p.idle) > keptIdleWorkers && !p.armed {
		p.armed = true
		if p.reaper == nil {
			p.reaper = time.AfterFunc(surplusWorkerIdle, p.reap)
		} else {
			p.reaper.Reset(surplusWorkerIdle)
		}
	}
	p.mu.Unlock()
	return true
}

// reap runs every surplusWorkerIdle while more than keptIdleWorkers are
// idle: it ends the surplus workers that were idle already at its previous
// run, longest idle first.
func (p *workerPool) reap() {
	p.mu.Lock()
	if !p.closed && p.armed {
		p.endSurplusLocked()
	}
	p.mu.Unlock()
}

// endSurplusLocked is reap's work; mu must be held.
func (p *workerPool) endSurplusLocked() {
	p.tick++
	ended := 0
	for len(p.idle)-ended > keptIdleWorkers && p.idle[ended].idleTick+1 < p.tick {
		p.idle[ended].calls <- nil
		p.idle[ended] = nil
		ended++
	}
	p.idle = append(p.idle[:0], p.idle[ended:]...)
	if p.armed = len(p.idle) > keptIdleWorkers; p.armed {
		p.reaper.Reset(surplusWorkerIdle)
	}
}

// close ends every idle worker, and every worker when its call is done.
func (p *workerPool) close() {
	p.mu.Lock()
	p.closed = true
	for i, w := range p.idle {
		w.calls <- nil
		p.idle[i] = nil
	}
	p.idle = nil
	if p.reaper != nil {
		p.reaper.Stop()
	}
	p.armed = false
	p.mu.Unlock()
}

// dispatch runs a call on an idle request goroutine, or on a new one.
func (sc *serverConn) dispatch(cl *serverCall) {
	if w := sc.workers.take(); w != nil {
		w.calls <- cl
		return
	}
	sc.handlers.Add(1)
	// Owner: sc.handlers, waited for by serve. The goroutine exits when the
	// pool ends it (idle too long, or the connection has ended).
	go sc.work(&worker{calls: make(chan *serverCall, 1)}, cl)
}

// work is a request goroutine: it runs its call, then each call dispatch
// hands it while it is idle. One unmarshal function serves all its calls
// (a handler may not keep it), so that a call allocates none.
func (sc *serverConn) work(w *worker, cl *serverCall) {
	defer sc.handlers.Done()
	var current *serverCall
	unmarshal := func(v interface{}) error { return decodeRequestOf(&sc.server.config.codec, current, v) }
	for cl != nil {
		current = cl
		sc.runCall(cl, unmarshal)
		if !sc.workers.park(w) {
			return
		}
		cl = <-w.calls
	}
}
