// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"errors"
	"net"
	"sync/atomic"
	"time"
)

// Time limits of a channel, for peers that stall: a frame that has begun
// must arrive whole within the frame timeout, and a write may not block for
// longer than the write stall timeout. A limit that passes closes the byte
// stream, which fails the read or write that waits with errFrameTimeout or
// errWriteStall.
//
// One stallWatch for each: the watched work (a frame for which the reader
// had to go back to the byte stream, a write) counts its start and its
// end, two atomic adds; while work happens, a timer fires every half
// timeout, and work found under way at three fires in a row has taken a
// timeout at least (1.5 at most) and is failed. So a frame that arrives
// whole with the bytes before it, as small frames do, costs nothing, and
// an idle connection has no timer running. Each costs nothing while off.
//
// Timers, rather than the byte stream's deadlines: a program that calls
// SetReadDeadline or SetWriteDeadline through an interface links that
// method of every kind of connection and file, more code than all this.

var (
	// errFrameTimeout: a frame began and did not arrive whole in time.
	errFrameTimeout = errors.New("ttrpc: the peer did not complete a frame within the frame timeout")
	// errWriteStall: a write blocked for longer than the write stall
	// timeout, as the peer read nothing.
	errWriteStall = errors.New("ttrpc: the peer read nothing for longer than the write stall timeout")
)

// setTimeouts sets the channel's time limits (0: none); a limit that
// passes closes conn, the channel's byte stream (a net.Conn, which needs
// no conversion where it comes from). Called once, before the first recv
// and send.
func (ch *channel) setTimeouts(conn net.Conn, frame, stall time.Duration) {
	ch.br.watch.closer, ch.br.watch.period = conn, frame/2
	ch.watch.closer, ch.watch.period = conn, stall/2
}

// stallWatch fails work that takes longer than twice its period.
type stallWatch struct {
	_      noCompare
	closer net.Conn      // closed to fail the work
	period time.Duration // half the timeout; 0: none
	count  atomic.Uint64 // counts the starts and the ends: odd while work is under way
	// watching is set while the timer runs; fired once it closed.
	watching, fired atomic.Bool
	timer           *time.Timer // made by the first start
	// seen and strikes are the timer's own: the last count seen, and how
	// many fires in a row saw it with work under way.
	seen    uint64
	strikes int
}

// start notes that work starts, and starts the timer if it sleeps.
func (w *stallWatch) start() {
	if w.period <= 0 {
		return
	}
	w.count.Add(1)
	if w.watching.CompareAndSwap(false, true) {
		if w.timer == nil {
			w.timer = time.AfterFunc(1<<62, w.fire) // Reset orders w.timer before fire
		}
		w.timer.Reset(w.period)
	}
}

// end notes that the work ended.
func (w *stallWatch) end() {
	if w.period > 0 {
		w.count.Add(1)
	}
}

// stalled returns the cause for an error of the channel's reads or writes:
// errFrameTimeout or errWriteStall once either watch has closed the byte
// stream (which fails the reads and the writes alike), else err.
func (ch *channel) stalled(err error) error {
	switch {
	case ch.br.watch.fired.Load():
		return errFrameTimeout
	case ch.watch.fired.Load():
		return errWriteStall
	}
	return err
}

// fire runs on the timer's goroutine: it fails work under way at three
// fires in a row, fires again while work happens, and sleeps when none is
// under way.
func (w *stallWatch) fire() {
	n := w.count.Load()
	if n%2 == 0 {
		w.watching.Store(false)
		// Work that began just now saw the timer running: take it back.
		if n = w.count.Load(); n%2 == 0 || !w.watching.CompareAndSwap(false, true) {
			return
		}
	}
	if w.strikes++; n != w.seen {
		w.seen, w.strikes = n, 0
	}
	if w.strikes == 2 {
		w.fired.Store(true)
		w.closer.Close()
		return
	}
	w.timer.Reset(w.period)
}

// readRaw reads once from the byte stream; inside a frame, it first starts
// the frame's watch.
func (b *readBuffer) readRaw(p []byte) (int, error) {
	if b.inFrame && !b.armed {
		b.armed = true
		b.watch.start()
	}
	b.inFrame = true // recv's next read, at least, is inside a frame
	return b.r.Read(p)
}

// writeFailed records the first write error, which every later send and
// flush returns, and returns err, or the stall that caused it. Every write
// ends here.
func (ch *channel) writeFailed(err error) error {
	ch.watch.end()
	if err != nil {
		err = ch.stalled(err)
		if ch.werr == nil {
			ch.werr = err
		}
	}
	return err
}
