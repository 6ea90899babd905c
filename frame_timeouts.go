// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"errors"
	"os"
	"time"
)

// Time limits of a channel, for peers that stall: a frame that has begun
// must arrive whole within the frame timeout, no frame may be awaited
// longer than the idle timeout, and a write may not block longer than the
// write stall timeout. None costs anything while off; on, the costs are:
//
//   - frame timeout: one read deadline set (and one cleared) per frame for
//     which the reader has to go back to the socket mid-frame; a frame that
//     arrives whole with the bytes before it, as small frames do, costs
//     nothing.
//   - idle timeout: one read deadline per wait for a frame with nothing
//     buffered.
//   - write stall timeout: one time.Now per write; the write deadline is
//     moved (a runtime timer reset) at most once per half timeout of
//     writing, as it is kept between 1 and 1.5 timeouts ahead. So a write
//     that blocks fails after 1 to 1.5 timeouts.
//
// Deadlines are the poller's: setting one makes no system call.

// readDeadliner and writeDeadliner are the parts of net.Conn the
// timeouts use.
type readDeadliner interface{ SetReadDeadline(time.Time) error }
type writeDeadliner interface{ SetWriteDeadline(time.Time) error }

var (
	// errFrameTimeout: a frame began and did not arrive whole in time.
	errFrameTimeout = errors.New("ttrpc: the peer did not complete a frame within the frame timeout")
	// errNoFrame: no frame began within the idle timeout; the channel is
	// in step, and recv may be called again.
	errNoFrame = errors.New("ttrpc: no frame within the idle timeout")
	// errWriteStall: a write blocked for longer than the write stall
	// timeout, as the peer read nothing.
	errWriteStall = errors.New("ttrpc: the peer read nothing for longer than the write stall timeout")
)

// setTimeouts sets the channel's time limits (0: none) on conn, the
// channel's byte stream. Called once, before the first recv and send.
func (ch *channel) setTimeouts(conn interface {
	readDeadliner
	writeDeadliner
}, frame, idle, stall time.Duration) {
	if frame > 0 || idle > 0 {
		ch.br.dl, ch.br.frameTimeout, ch.br.idleTimeout = conn, frame, idle
	}
	if stall > 0 {
		ch.wdl, ch.stall = conn, stall
	}
}

// await waits for the first bytes of the next frame, under the idle
// timeout.
func (b *readBuffer) await() error {
	if b.idleTimeout > 0 {
		b.dl.SetReadDeadline(time.Now().Add(b.idleTimeout))
	}
	for b.start == b.end {
		if b.err != nil {
			err := b.err
			b.err = nil
			if b.idleTimeout > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
				return errNoFrame
			}
			return err
		}
		b.fill()
	}
	return nil
}

// readRaw reads once from the byte stream; inside a frame, it first sets
// the frame's deadline.
func (b *readBuffer) readRaw(p []byte) (int, error) {
	if b.inFrame && !b.armed && b.dl != nil {
		var deadline time.Time // none: the idle timeout's must not apply
		if b.frameTimeout > 0 {
			deadline = time.Now().Add(b.frameTimeout)
		}
		b.dl.SetReadDeadline(deadline)
		b.armed = true
	}
	return b.r.Read(p)
}

// endFrame ends the frame that recv read, clearing its deadline, and
// returns recv's error, errFrameTimeout for a deadline that passed.
func (b *readBuffer) endFrame(err error) error {
	b.inFrame = false
	if b.armed {
		b.armed = false
		b.dl.SetReadDeadline(time.Time{})
		if b.frameTimeout > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
			return errFrameTimeout
		}
	}
	return err
}

// armWrite keeps the write deadline at least one stall timeout ahead, before
// a write.
func (ch *channel) armWrite() {
	if ch.stall <= 0 {
		return
	}
	if now := time.Now(); ch.wdeadline.Sub(now) < ch.stall {
		ch.wdeadline = now.Add(ch.stall + ch.stall/2)
		ch.wdl.SetWriteDeadline(ch.wdeadline)
	}
}

// writeStalled returns errWriteStall for a write that failed at the write
// deadline, and err otherwise.
func (ch *channel) writeStalled(err error) error {
	if ch.stall > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
		return errWriteStall
	}
	return err
}
