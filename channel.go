// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
)

// The framed channel: the bottom layer of the library. A frame is a 10-byte
// header followed by the header's length in bytes of data. This file knows
// frame types and flags as numbers and nothing else of RPC.

const (
	// frameHeaderLength is the size of every frame header.
	frameHeaderLength = 10
	// frameLengthMax is the protocol's default limit on a frame's data.
	frameLengthMax = 4 << 20
	// frameLengthHardMax is the largest limit this library can be configured
	// with: the protocol's hard cap.
	frameLengthHardMax = 16 << 20
)

// frameType is the third field of a frame header.
type frameType uint8

const (
	frameTypeRequest  frameType = 1 // opens a stream
	frameTypeResponse frameType = 2 // ends a stream with a status
	frameTypeData     frameType = 3 // stream data in either direction
)

// Frame flags; their meaning depends on the frame type.
const (
	flagRemoteClosed uint8 = 0x1 // the sender sends nothing more on the stream
	flagRemoteOpen   uint8 = 0x2 // request: the client will send data frames
	flagNoData       uint8 = 0x4 // data: the frame carries no message
)

// frameHeader is the decoded 10-byte header of a frame.
type frameHeader struct {
	Length   uint32
	StreamID uint32
	Type     frameType
	Flags    uint8
}

// errShortHeader means that fewer than frameHeaderLength bytes were given:
// more bytes are needed, nothing is malformed.
var errShortHeader = errors.New("ttrpc: short frame header")

// parseFrameHeader decodes a header from the first 10 bytes of b. Every
// 10-byte sequence is a valid header; whether its length is acceptable is
// the reader's decision.
func parseFrameHeader(b []byte) (frameHeader, error) {
	if len(b) < frameHeaderLength {
		return frameHeader{}, errShortHeader
	}
	return frameHeader{
		Length:   binary.BigEndian.Uint32(b[0:4]),
		StreamID: binary.BigEndian.Uint32(b[4:8]),
		Type:     frameType(b[8]),
		Flags:    b[9],
	}, nil
}

// putFrameHeader encodes h into the first 10 bytes of b.
func putFrameHeader(b []byte, h frameHeader) {
	binary.BigEndian.PutUint32(b[0:4], h.Length)
	binary.BigEndian.PutUint32(b[4:8], h.StreamID)
	b[8] = byte(h.Type)
	b[9] = h.Flags
}

// frameTooLargeError reports a frame whose data is over the limit. On
// receive the data has been read and dropped and the channel is still in
// step; on send nothing was written.
type frameTooLargeError struct {
	Length int64
	Limit  int
}

func (e *frameTooLargeError) Error() string {
	return fmt.Sprintf("ttrpc: frame of %d bytes exceeds the limit of %d", e.Length, e.Limit)
}

// asFrameTooLarge returns err as a *frameTooLargeError, or nil.
func asFrameTooLarge(err error) *frameTooLargeError {
	var tooLarge *frameTooLargeError
	if errors.As(err, &tooLarge) {
		return tooLarge
	}
	return nil
}

// channel reads and writes frames on one byte stream.
//
// Concurrency: recv may run concurrently with send and flush, but recv must
// not be called concurrently with itself, nor send/flush with each other: a
// connection has one reader goroutine and one writer goroutine.
type channel struct {
	_ noCompare
	// reader side, owned by the reader goroutine
	br      *readBuffer
	rhdr    [frameHeaderLength]byte
	maxRecv int

	// writer side, owned by the writer goroutine
	w       io.Writer
	wbuf    *[]byte // pooled; nil while nothing is buffered
	werr    error   // the first write error; every later send and flush returns it
	maxSend int
	watch   stallWatch // the write stall timeout (frame_timeouts.go)
}

// writeBufferSize is the most a channel gathers before it writes. The
// buffer is taken from a pool on the first frame after a flush and goes
// back on flush, so an idle connection holds none.
const writeBufferSize = 64 << 10

// newChannel returns a channel on rw with the given limits on a frame's data.
func newChannel(rw io.ReadWriter, maxRecv, maxSend int) *channel {
	return &channel{
		br:      newReadBuffer(rw),
		w:       rw,
		maxRecv: maxRecv,
		maxSend: maxSend,
	}
}

// recv reads the next frame into a pooled buffer, which the caller owns
// from then on (it hands it on or releases it with releaseBuffer). A frame
// over the limit is read and discarded: recv returns its header with a
// *frameTooLargeError, and the channel can go on reading. A stream that
// ends cleanly between frames gives io.EOF; one that ends inside a frame
// gives io.ErrUnexpectedEOF. The frame and idle timeouts (setTimeouts)
// bound the reads.
//
// When nothing is buffered, recv first lets other goroutines run: those
// that the frames just received woke (a handler, a caller) then go first,
// instead of waiting behind a read that finds nothing yet and parks.
func (ch *channel) recv() (h frameHeader, data *[]byte, err error) {
	br := ch.br
	if br.start == br.end {
		runtime.Gosched()
	}
	// A frame has begun when its first byte is here (frame_timeouts.go).
	br.inFrame = br.start != br.end
	if _, err = io.ReadFull(br, ch.rhdr[:]); err == nil {
		h, _ = parseFrameHeader(ch.rhdr[:])
		if int64(h.Length) <= int64(ch.maxRecv) {
			data, err = ch.readData(int(h.Length))
		} else if _, err = io.CopyN(io.Discard, br, int64(h.Length)); err == nil {
			err = &frameTooLargeError{Length: int64(h.Length), Limit: ch.maxRecv}
		} else {
			err = noEOF(err)
		}
	}
	br.inFrame = false
	if br.armed {
		br.armed = false
		br.watch.end()
	}
	if err != nil {
		err = ch.stalled(err)
	}
	return h, data, err
}

// readData reads a frame's n bytes of data into a pooled buffer. Data
// still on its way (more than the read buffer holds) is read into chunks
// as it comes, each as large as all before it (64 KiB at least), until
// half of it has come; then into a buffer of n, where the chunks are
// gathered. So a header announcing megabytes costs 64 KiB until its bytes
// come, a frame holds about twice the bytes received until it is whole
// (64 KiB at least), and its data is read in few reads, half of it copied
// once. Data of up to 64 KiB is read into its buffer at once.
func (ch *channel) readData(n int) (*[]byte, error) {
	var array [maxBufferClass]*[]byte // more than the chunks of 16 MiB
	chunks := array[:0]               // then the whole buffer alone
	for got := 0; got < n || len(chunks) == 0; {
		size := max(readChunkMin, got)
		if got >= n-got || n <= size {
			size = n // half is here, or the rest fits: the whole buffer
		}
		b := getBufferLen(size)
		off := 0
		if size == n {
			for _, c := range chunks {
				off += copy((*b)[off:], *c)
			}
			releaseBuffers(chunks)
			chunks = chunks[:0]
		}
		chunks = append(chunks, b)
		m, err := io.ReadFull(ch.br, (*b)[off:])
		if got += m; err != nil {
			releaseBuffers(chunks)
			return nil, noEOF(err)
		}
	}
	return chunks[0], nil
}

// releaseBuffers releases each of bs.
func releaseBuffers(bs []*[]byte) {
	for _, b := range bs {
		releaseBuffer(b)
	}
}

// readChunkMin is the size of the first chunk of a frame's data that is
// not whole in the read buffer.
const readChunkMin = 64 << 10

// noEOF turns an EOF inside a frame into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// send buffers one frame. A frame over the limit gives a *frameTooLargeError
// and nothing is written. Buffered frames go out on flush, or earlier when
// the buffer fills; a frame too large to gather goes out at once, after
// those buffered before it.
func (ch *channel) send(streamID uint32, t frameType, flags uint8, data []byte) error {
	if len(data) > ch.maxSend {
		return &frameTooLargeError{Length: int64(len(data)), Limit: ch.maxSend}
	}
	if ch.werr != nil {
		return ch.werr
	}
	h := frameHeader{Length: uint32(len(data)), StreamID: streamID, Type: t, Flags: flags}
	size := frameHeaderLength + len(data)
	// A pooled buffer may be larger than writeBufferSize: a frame that is
	// too large to gather goes out after what is buffered, whatever room
	// is left.
	if ch.wbuf != nil && (len(*ch.wbuf)+size > cap(*ch.wbuf) || size > writeBufferSize) {
		if err := ch.flush(); err != nil {
			return err
		}
	}
	if size > writeBufferSize {
		return ch.writeLarge(h, data)
	}
	if ch.wbuf == nil {
		ch.wbuf = getBufferCap(writeBufferSize)
	}
	b := *ch.wbuf
	n := len(b)
	b = b[:n+size]
	putFrameHeader(b[n:], h)
	copy(b[n+frameHeaderLength:], data)
	*ch.wbuf = b
	return nil
}

// writeLarge writes a frame larger than the write buffer, with nothing
// buffered: its header and the start of its data fill the buffer for one
// write, and the rest of its data goes straight out in a second.
func (ch *channel) writeLarge(h frameHeader, data []byte) error {
	ch.wbuf = getBufferCap(writeBufferSize)
	b := (*ch.wbuf)[:writeBufferSize]
	putFrameHeader(b, h)
	n := copy(b[frameHeaderLength:], data)
	*ch.wbuf = b
	if err := ch.flush(); err != nil {
		return err
	}
	return ch.write(data[n:])
}

// flush writes every buffered frame.
func (ch *channel) flush() error {
	if ch.werr != nil {
		return ch.werr
	}
	if ch.wbuf == nil {
		return nil
	}
	err := ch.write(*ch.wbuf)
	releaseBuffer(ch.wbuf)
	ch.wbuf = nil
	return err
}

// write writes b, under the write stall timeout.
func (ch *channel) write(b []byte) error {
	ch.watch.start()
	_, err := ch.w.Write(b)
	return ch.writeFailed(err)
}

// buffered reports whether frames are waiting for flush.
func (ch *channel) buffered() bool {
	return ch.wbuf != nil
}
