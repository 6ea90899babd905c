// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import "io"

// Sizes of a channel's read buffer: small while reads drain what the peer
// sent (an idle connection waits with this one), large (pooled) while reads
// keep filling the buffer, so that a busy connection takes many frames per
// read.
const (
	readBufferSmall = 4 << 10
	readBufferLarge = 64 << 10
)

// readBuffer is a buffered reader whose buffer grows while the peer sends
// faster than it is read, and shrinks back once it does not. Reads at
// least as large as the buffer skip it.
//
// Concurrency: owned by the channel's reader goroutine.
type readBuffer struct {
	r          io.Reader
	small      []byte
	large      *[]byte // pooled; nil while reads are small
	buf        []byte  // small or *large
	start, end int     // the unread bytes are buf[start:end]
	err        error   // the error of the last fill, returned once buf is empty

	// The frame timeout (frame_timeouts.go).
	watch   stallWatch
	inFrame bool // a frame has begun: a read starts the watch
	armed   bool // the watch runs for the frame being read
}

func newReadBuffer(r io.Reader) *readBuffer {
	small := make([]byte, readBufferSmall)
	return &readBuffer{r: r, small: small, buf: small}
}

// Read copies buffered bytes into p, filling the buffer with one read from
// the underlying reader when it is empty.
func (b *readBuffer) Read(p []byte) (int, error) {
	if b.start == b.end {
		if b.err != nil {
			err := b.err
			b.err = nil
			return 0, err
		}
		if len(p) >= len(b.buf) {
			// A large frame's data: no reason for a larger buffer.
			b.start, b.end = 0, 0
			return b.readRaw(p)
		}
		b.fill()
		if b.start == b.end {
			err := b.err
			b.err = nil
			return 0, err
		}
	}
	n := copy(p, b.buf[b.start:b.end])
	b.start += n
	return n, nil
}

// fill reads once into the empty buffer, first sizing it by the previous
// read: one that filled the buffer (so more was likely waiting) asks for
// the large buffer, one that did not (the peer's backlog was drained)
// returns the large buffer to its pool. So a connection that goes idle
// waits with the small buffer.
func (b *readBuffer) fill() {
	switch last := b.end; {
	case last == len(b.buf) && b.large == nil:
		b.large = getBufferLen(readBufferLarge)
		b.buf = *b.large
	case last < len(b.buf) && b.large != nil:
		releaseBuffer(b.large)
		b.large = nil
		b.buf = b.small
	}
	n, err := b.readRaw(b.buf)
	b.start, b.end = 0, n
	b.err = err
}
