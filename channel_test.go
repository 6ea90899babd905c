// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

// rawFrame encodes a frame by hand, independently of putFrameHeader.
func rawFrame(length, streamID uint32, t frameType, flags uint8, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, length)
	b = binary.BigEndian.AppendUint32(b, streamID)
	b = append(b, byte(t), flags)
	return append(b, data...)
}

// frameOf encodes a well-formed frame whose length is len(data).
func frameOf(streamID uint32, t frameType, flags uint8, data []byte) []byte {
	return rawFrame(uint32(len(data)), streamID, t, flags, data)
}

func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// readOnly gives a reader the io.ReadWriter newChannel wants.
type readOnly struct {
	io.Reader
	io.Writer
}

func recvChannel(r io.Reader, limit int) *channel {
	return newChannel(readOnly{Reader: r, Writer: io.Discard}, limit, limit)
}

func TestFrameHeaderRoundTrip(t *testing.T) {
	headers := []frameHeader{
		{},
		{Length: 0xffffffff, StreamID: 0xffffffff, Type: 0xff, Flags: 0xff},
		{Length: frameLengthMax, StreamID: 1, Type: frameTypeRequest},
		{Length: 1, StreamID: 2, Type: frameTypeResponse},
		{Length: 2, StreamID: 3, Type: frameTypeData},
		{Length: 3, StreamID: 5, Type: 0},
		{Length: 4, StreamID: 7, Type: 4},
		{StreamID: 1, Type: frameTypeRequest, Flags: flagRemoteClosed},
		{StreamID: 1, Type: frameTypeRequest, Flags: flagRemoteOpen},
		{StreamID: 1, Type: frameTypeData, Flags: flagNoData},
		{StreamID: 1, Type: frameTypeData, Flags: flagRemoteClosed | flagNoData},
		{StreamID: 0x80000000, Type: frameTypeData, Flags: 0x80},
	}
	for _, h := range headers {
		var b [frameHeaderLength]byte
		putFrameHeader(b[:], h)
		got, err := parseFrameHeader(b[:])
		if err != nil {
			t.Fatalf("parseFrameHeader(putFrameHeader(%+v)): %v", h, err)
		}
		if got != h {
			t.Errorf("parseFrameHeader(putFrameHeader(%+v)) = %+v", h, got)
		}
	}
}

func TestFrameHeaderLayout(t *testing.T) {
	tests := []struct {
		name string
		h    frameHeader
		b    []byte
	}{
		{"zero", frameHeader{}, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"length", frameHeader{Length: 0x01020304}, []byte{1, 2, 3, 4, 0, 0, 0, 0, 0, 0}},
		{"stream", frameHeader{StreamID: 0x05060708}, []byte{0, 0, 0, 0, 5, 6, 7, 8, 0, 0}},
		{"type", frameHeader{Type: frameTypeData}, []byte{0, 0, 0, 0, 0, 0, 0, 0, 3, 0}},
		{"flags", frameHeader{Flags: flagNoData}, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 4}},
		{"all", frameHeader{Length: 0x0a0b0c0d, StreamID: 0x11223344, Type: frameTypeResponse, Flags: 0x81},
			[]byte{0x0a, 0x0b, 0x0c, 0x0d, 0x11, 0x22, 0x33, 0x44, 0x02, 0x81}},
		{"max", frameHeader{Length: 0xffffffff, StreamID: 0xffffffff, Type: 0xff, Flags: 0xff},
			bytes.Repeat([]byte{0xff}, 10)},
		{"limit", frameHeader{Length: frameLengthMax, StreamID: 1, Type: frameTypeRequest, Flags: flagRemoteOpen},
			[]byte{0, 0x40, 0, 0, 0, 0, 0, 1, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make([]byte, frameHeaderLength)
			putFrameHeader(got, tt.h)
			if !bytes.Equal(got, tt.b) {
				t.Errorf("putFrameHeader(%+v) = % x, want % x", tt.h, got, tt.b)
			}
			h, err := parseFrameHeader(tt.b)
			if err != nil || h != tt.h {
				t.Errorf("parseFrameHeader(% x) = %+v, %v; want %+v", tt.b, h, err, tt.h)
			}
			// Bytes after the header are ignored.
			h, err = parseFrameHeader(append(append([]byte{}, tt.b...), 0xee, 0xff))
			if err != nil || h != tt.h {
				t.Errorf("parseFrameHeader with trailing bytes = %+v, %v; want %+v", h, err, tt.h)
			}
		})
	}
}

func TestFrameHeaderShort(t *testing.T) {
	full := []byte{0, 0, 0, 1, 0, 0, 0, 1, 1, 0}
	for n := 0; n < frameHeaderLength; n++ {
		h, err := parseFrameHeader(full[:n])
		if !errors.Is(err, errShortHeader) {
			t.Errorf("parseFrameHeader(%d bytes) error = %v, want errShortHeader", n, err)
		}
		if h != (frameHeader{}) {
			t.Errorf("parseFrameHeader(%d bytes) = %+v, want zero header", n, h)
		}
	}
	if _, err := parseFrameHeader(nil); !errors.Is(err, errShortHeader) {
		t.Errorf("parseFrameHeader(nil) error = %v, want errShortHeader", err)
	}
}

// recvResult is one expected result of channel.recv.
type recvResult struct {
	h        frameHeader
	data     []byte
	tooLarge bool  // a *frameTooLargeError
	err      error // otherwise, the error (errors.Is), nil for a frame
}

// checkRecv reads len(want) results from ch and checks each.
func checkRecv(t *testing.T, ch *channel, limit int, want []recvResult) {
	t.Helper()
	for i, w := range want {
		h, data, err := recvData(ch)
		if h != w.h {
			t.Errorf("recv #%d header = %+v, want %+v", i, h, w.h)
		}
		switch {
		case w.tooLarge:
			var tl *frameTooLargeError
			if !errors.As(err, &tl) {
				t.Fatalf("recv #%d error = %v, want *frameTooLargeError", i, err)
			}
			if tl.Length != int64(w.h.Length) || tl.Limit != limit {
				t.Errorf("recv #%d error = %+v, want Length %d, Limit %d", i, tl, w.h.Length, limit)
			}
			if data != nil {
				t.Errorf("recv #%d: oversized frame returned %d bytes of data", i, len(data))
			}
		case w.err != nil:
			if !errors.Is(err, w.err) {
				t.Fatalf("recv #%d error = %v, want %v", i, err, w.err)
			}
			if data != nil {
				t.Errorf("recv #%d: error %v came with %d bytes of data", i, err, len(data))
			}
		default:
			if err != nil {
				t.Fatalf("recv #%d error = %v, want frame %+v", i, err, w.h)
			}
			if len(data) != int(h.Length) {
				t.Errorf("recv #%d: len(data) = %d, header length %d", i, len(data), h.Length)
			}
			if !bytes.Equal(data, w.data) {
				t.Errorf("recv #%d data = %q, want %q", i, data, w.data)
			}
		}
	}
}

func TestChannelRecv(t *testing.T) {
	const limit = 1024
	atLimit := bytes.Repeat([]byte("L"), limit)
	overLimit := bytes.Repeat([]byte("O"), limit+1)
	hdr := func(length, id uint32, t frameType, flags uint8) frameHeader {
		return frameHeader{Length: length, StreamID: id, Type: t, Flags: flags}
	}
	eof := recvResult{err: io.EOF}
	tests := []struct {
		name  string
		input []byte
		want  []recvResult
	}{
		{
			name:  "empty",
			input: nil,
			want:  []recvResult{eof, eof},
		},
		{
			name:  "single",
			input: frameOf(1, frameTypeRequest, flagRemoteOpen, []byte("hello")),
			want:  []recvResult{{h: hdr(5, 1, frameTypeRequest, flagRemoteOpen), data: []byte("hello")}, eof},
		},
		{
			name: "several",
			input: concat(
				frameOf(1, frameTypeRequest, 0, []byte("request")),
				frameOf(1, frameTypeData, flagRemoteClosed, []byte("data")),
				frameOf(1, frameTypeResponse, 0, []byte("the response")),
				frameOf(3, frameTypeData, flagNoData|flagRemoteClosed, nil),
			),
			want: []recvResult{
				{h: hdr(7, 1, frameTypeRequest, 0), data: []byte("request")},
				{h: hdr(4, 1, frameTypeData, flagRemoteClosed), data: []byte("data")},
				{h: hdr(12, 1, frameTypeResponse, 0), data: []byte("the response")},
				{h: hdr(0, 3, frameTypeData, flagNoData|flagRemoteClosed), data: nil},
				eof,
			},
		},
		{
			name:  "zero length",
			input: frameOf(7, frameTypeData, flagNoData, nil),
			want:  []recvResult{{h: hdr(0, 7, frameTypeData, flagNoData)}, eof},
		},
		{
			name:  "at limit",
			input: concat(frameOf(1, frameTypeData, 0, atLimit), frameOf(3, frameTypeData, 0, []byte("x"))),
			want: []recvResult{
				{h: hdr(limit, 1, frameTypeData, 0), data: atLimit},
				{h: hdr(1, 3, frameTypeData, 0), data: []byte("x")},
				eof,
			},
		},
		{
			name: "one over limit then next frame",
			input: concat(
				frameOf(1, frameTypeRequest, 0, overLimit),
				frameOf(3, frameTypeRequest, 0, []byte("next")),
			),
			want: []recvResult{
				{h: hdr(limit+1, 1, frameTypeRequest, 0), tooLarge: true},
				{h: hdr(4, 3, frameTypeRequest, 0), data: []byte("next")},
				eof,
			},
		},
		{
			name: "two over limit in a row",
			input: concat(
				frameOf(1, frameTypeData, 0, overLimit),
				frameOf(1, frameTypeData, 0, bytes.Repeat([]byte("P"), 3*limit)),
				frameOf(1, frameTypeData, flagRemoteClosed, []byte("end")),
			),
			want: []recvResult{
				{h: hdr(limit+1, 1, frameTypeData, 0), tooLarge: true},
				{h: hdr(3*limit, 1, frameTypeData, 0), tooLarge: true},
				{h: hdr(3, 1, frameTypeData, flagRemoteClosed), data: []byte("end")},
				eof,
			},
		},
		{
			name:  "over limit truncated",
			input: rawFrame(limit+1, 1, frameTypeData, 0, overLimit[:100]),
			want:  []recvResult{{h: hdr(limit+1, 1, frameTypeData, 0), err: io.ErrUnexpectedEOF}},
		},
		{
			name:  "first length byte non-zero",
			input: rawFrame(0x01000000, 5, frameTypeRequest, 0, []byte("short")),
			want:  []recvResult{{h: hdr(0x01000000, 5, frameTypeRequest, 0), err: io.ErrUnexpectedEOF}},
		},
		{
			name:  "max length",
			input: rawFrame(0xffffffff, 0xffffffff, 0xff, 0xff, nil),
			want:  []recvResult{{h: hdr(0xffffffff, 0xffffffff, 0xff, 0xff), err: io.ErrUnexpectedEOF}},
		},
		{
			name: "unknown types",
			input: concat(
				frameOf(1, 0, 0, []byte("zero")),
				frameOf(2, 4, 0xff, []byte("four")),
				frameOf(3, 0xff, 0x80, nil),
			),
			want: []recvResult{
				{h: hdr(4, 1, 0, 0), data: []byte("zero")},
				{h: hdr(4, 2, 4, 0xff), data: []byte("four")},
				{h: hdr(0, 3, 0xff, 0x80)},
				eof,
			},
		},
		{
			name:  "EOF inside first header",
			input: []byte{0, 0, 0},
			want:  []recvResult{{err: io.ErrUnexpectedEOF}},
		},
		{
			name:  "EOF after nine header bytes",
			input: frameOf(1, frameTypeRequest, 0, nil)[:9],
			want:  []recvResult{{err: io.ErrUnexpectedEOF}},
		},
		{
			name:  "EOF inside later header",
			input: concat(frameOf(1, frameTypeRequest, 0, []byte("a")), []byte{0, 0, 0, 1, 0}),
			want: []recvResult{
				{h: hdr(1, 1, frameTypeRequest, 0), data: []byte("a")},
				{err: io.ErrUnexpectedEOF},
			},
		},
		{
			name:  "EOF right after header",
			input: rawFrame(5, 1, frameTypeData, 0, nil),
			want:  []recvResult{{h: hdr(5, 1, frameTypeData, 0), err: io.ErrUnexpectedEOF}},
		},
		{
			name:  "EOF inside data",
			input: rawFrame(5, 1, frameTypeData, 0, []byte("abcd")),
			want:  []recvResult{{h: hdr(5, 1, frameTypeData, 0), err: io.ErrUnexpectedEOF}},
		},
	}
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"plain", func(r io.Reader) io.Reader { return r }},
		{"onebyte", iotest.OneByteReader},
		{"half", iotest.HalfReader},
		{"dataerr", iotest.DataErrReader},
	}
	for _, tt := range tests {
		for _, rd := range readers {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				ch := recvChannel(rd.wrap(bytes.NewReader(tt.input)), limit)
				checkRecv(t, ch, limit, tt.want)
			})
		}
	}
}

// TestChannelRecvDataCopied checks frames read back to back when the caller
// copies each frame's data before the next recv, as it must.
func TestChannelRecvDataCopied(t *testing.T) {
	var input bytes.Buffer
	var want [][]byte
	for i := range 50 {
		data := bytes.Repeat([]byte{byte('a' + i%26)}, i*7)
		want = append(want, data)
		input.Write(frameOf(uint32(2*i+1), frameTypeData, 0, data))
	}
	ch := recvChannel(&input, 1024)
	var got [][]byte
	for {
		h, data, err := recvData(ch)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.StreamID != uint32(2*len(got)+1) {
			t.Errorf("frame %d stream id = %d", len(got), h.StreamID)
		}
		got = append(got, append([]byte(nil), data...))
	}
	if len(got) != len(want) {
		t.Fatalf("got %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("frame %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// TestChannelRecvFirstByteNonZeroStaysInStep reads a frame whose length has
// a non-zero first byte to the end and then the following frame.
func TestChannelRecvFirstByteNonZeroStaysInStep(t *testing.T) {
	const length = 0x01000000 // 16 MiB
	input := concat(
		rawFrame(length, 1, frameTypeRequest, 0, make([]byte, length)),
		frameOf(3, frameTypeRequest, 0, []byte("after")),
	)
	ch := recvChannel(bytes.NewReader(input), frameLengthMax)
	checkRecv(t, ch, frameLengthMax, []recvResult{
		{h: frameHeader{Length: length, StreamID: 1, Type: frameTypeRequest}, tooLarge: true},
		{h: frameHeader{Length: 5, StreamID: 3, Type: frameTypeRequest}, data: []byte("after")},
		{err: io.EOF},
	})
}

// TestChannelRecvFrameLengthMax checks the protocol's real limit.
func TestChannelRecvFrameLengthMax(t *testing.T) {
	atMax := bytes.Repeat([]byte{0x5a}, frameLengthMax)
	overMax := make([]byte, frameLengthMax+1)
	input := concat(
		frameOf(1, frameTypeData, 0, atMax),
		frameOf(1, frameTypeData, 0, overMax),
		frameOf(1, frameTypeData, flagRemoteClosed, []byte("ok")),
	)
	ch := recvChannel(bytes.NewReader(input), frameLengthMax)
	checkRecv(t, ch, frameLengthMax, []recvResult{
		{h: frameHeader{Length: frameLengthMax, StreamID: 1, Type: frameTypeData}, data: atMax},
		{h: frameHeader{Length: frameLengthMax + 1, StreamID: 1, Type: frameTypeData}, tooLarge: true},
		{h: frameHeader{Length: 2, StreamID: 1, Type: frameTypeData, Flags: flagRemoteClosed}, data: []byte("ok")},
		{err: io.EOF},
	})
}

// TestChannelRecvReaderError checks that a read error other than EOF is
// returned unchanged, wherever it happens.
func TestChannelRecvReaderError(t *testing.T) {
	errRead := errors.New("read failed")
	frame := frameOf(1, frameTypeData, 0, []byte("0123456789"))
	for _, n := range []int{0, 3, frameHeaderLength, frameHeaderLength + 4} {
		r := io.MultiReader(bytes.NewReader(frame[:n]), iotest.ErrReader(errRead))
		ch := recvChannel(r, 1024)
		if _, _, err := ch.recv(); !errors.Is(err, errRead) {
			t.Errorf("error after %d bytes: recv error = %v, want %v", n, err, errRead)
		}
	}
	// Inside an oversized frame that is being discarded.
	big := frameOf(1, frameTypeData, 0, make([]byte, 2000))
	r := io.MultiReader(bytes.NewReader(big[:500]), iotest.ErrReader(errRead))
	if _, _, err := recvChannel(r, 1024).recv(); !errors.Is(err, errRead) {
		t.Errorf("error inside oversized frame: recv error = %v, want %v", err, errRead)
	}
}

func TestChannelRecvHandsOverOwnedBuffers(t *testing.T) {
	input := concat(
		frameOf(1, frameTypeData, 0, bytes.Repeat([]byte("a"), 100)),
		frameOf(1, frameTypeData, 0, bytes.Repeat([]byte("b"), 100)),
		frameOf(1, frameTypeData, 0, bytes.Repeat([]byte("c"), 1<<20)),
	)
	ch := recvChannel(bytes.NewReader(input), frameLengthMax)
	var frames []*[]byte
	for range 3 {
		_, data, err := ch.recv()
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, data)
	}
	// Each frame has a buffer of its own, intact after later reads: the
	// receiver may hand it to another goroutine.
	for i, want := range []byte("abc") {
		if d := *frames[i]; d[0] != want || d[len(d)-1] != want {
			t.Errorf("frame %d was overwritten: starts %q", i, d[:1])
		}
	}
	if &(*frames[0])[0] == &(*frames[1])[0] {
		t.Error("two frames share a buffer")
	}
	for _, f := range frames {
		releaseBuffer(f)
	}
}

// writeRecorder records each Write call; it fails writes once err is set.
type writeRecorder struct {
	mu     sync.Mutex
	writes [][]byte
	err    error
	wrote  chan struct{} // if set, signalled after each successful write
}

func (w *writeRecorder) Read([]byte) (int, error) { return 0, io.EOF }

func (w *writeRecorder) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	w.writes = append(w.writes, append([]byte(nil), p...))
	if w.wrote != nil {
		select {
		case w.wrote <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

func (w *writeRecorder) calls() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.writes)
}

func (w *writeRecorder) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return concat(w.writes...)
}

func TestChannelSend(t *testing.T) {
	tests := []struct {
		name     string
		streamID uint32
		typ      frameType
		flags    uint8
		data     []byte
		want     []byte
	}{
		{"request", 1, frameTypeRequest, 0, []byte("abc"),
			[]byte{0, 0, 0, 3, 0, 0, 0, 1, 1, 0, 'a', 'b', 'c'}},
		{"response", 0x01020304, frameTypeResponse, 0, []byte{0xff},
			[]byte{0, 0, 0, 1, 1, 2, 3, 4, 2, 0, 0xff}},
		{"data closed", 3, frameTypeData, flagRemoteClosed, []byte("xy"),
			[]byte{0, 0, 0, 2, 0, 0, 0, 3, 3, 1, 'x', 'y'}},
		{"no data", 5, frameTypeData, flagNoData | flagRemoteClosed, nil,
			[]byte{0, 0, 0, 0, 0, 0, 0, 5, 3, 5}},
		{"max id and flags", 0xffffffff, 0xff, 0xff, []byte{},
			[]byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"long", 7, frameTypeData, 0, bytes.Repeat([]byte{9}, 0x0102),
			append([]byte{0, 0, 1, 2, 0, 0, 0, 7, 3, 0}, bytes.Repeat([]byte{9}, 0x0102)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &writeRecorder{}
			ch := newChannel(w, 1024, 1024)
			if err := ch.send(tt.streamID, tt.typ, tt.flags, tt.data); err != nil {
				t.Fatalf("send: %v", err)
			}
			if w.calls() != 0 {
				t.Errorf("send wrote %d times before flush", w.calls())
			}
			if !ch.buffered() {
				t.Errorf("buffered() = false after send")
			}
			if err := ch.flush(); err != nil {
				t.Fatalf("flush: %v", err)
			}
			if ch.buffered() {
				t.Errorf("buffered() = true after flush")
			}
			if got := w.bytes(); !bytes.Equal(got, tt.want) {
				t.Errorf("wrote % x, want % x", got, tt.want)
			}
			// The bytes read back as the same frame.
			h, data, err := recvData(recvChannel(bytes.NewReader(w.bytes()), 1024))
			want := frameHeader{Length: uint32(len(tt.data)), StreamID: tt.streamID, Type: tt.typ, Flags: tt.flags}
			if err != nil || h != want || !bytes.Equal(data, tt.data) {
				t.Errorf("read back %+v %q %v, want %+v %q", h, data, err, want, tt.data)
			}
		})
	}
}

func TestChannelSendSeveralOneWrite(t *testing.T) {
	w := &writeRecorder{}
	ch := newChannel(w, 1024, 1024)
	var want []byte
	for i := range 10 {
		data := bytes.Repeat([]byte{byte(i)}, i*10)
		if err := ch.send(uint32(i), frameTypeData, uint8(i), data); err != nil {
			t.Fatal(err)
		}
		want = append(want, frameOf(uint32(i), frameTypeData, uint8(i), data)...)
	}
	if w.calls() != 0 {
		t.Fatalf("%d writes before flush", w.calls())
	}
	if err := ch.flush(); err != nil {
		t.Fatal(err)
	}
	if w.calls() != 1 {
		t.Errorf("flush made %d writes, want 1", w.calls())
	}
	if !bytes.Equal(w.bytes(), want) {
		t.Errorf("wrote % x, want % x", w.bytes(), want)
	}
}

// Frames that overflow the write buffer and frames larger than it go out
// in order, in few writes, and the buffer goes back to its pool on flush.
func TestChannelSendOverflowAndLargeFrames(t *testing.T) {
	w := &writeRecorder{}
	ch := newChannel(w, frameLengthMax, frameLengthMax)
	var want []byte
	send := func(id uint32, size int) {
		t.Helper()
		data := bytes.Repeat([]byte{byte(id)}, size)
		if err := ch.send(id, frameTypeData, 0, data); err != nil {
			t.Fatal(err)
		}
		want = append(want, frameOf(id, frameTypeData, 0, data)...)
	}
	for i := range 70 { // 70 KiB and more: the buffer fills once
		send(uint32(i), 1000)
	}
	if w.calls() != 1 {
		t.Errorf("70 frames of 1000 bytes made %d writes before flush, want 1 (a full buffer)", w.calls())
	}
	send(100, writeBufferSize) // with its header, larger than the buffer: out at once
	if w.calls() < 2 || ch.buffered() {
		t.Errorf("after a large frame: %d writes, buffered %v; want it written", w.calls(), ch.buffered())
	}
	send(101, 10)
	if err := ch.flush(); err != nil {
		t.Fatal(err)
	}
	if ch.buffered() || ch.wbuf != nil {
		t.Error("the write buffer is kept after flush")
	}
	if !bytes.Equal(w.bytes(), want) {
		t.Errorf("wrote %d bytes, not the %d bytes of the frames in order", len(w.bytes()), len(want))
	}
}

// A large frame after buffered ones goes out after them even when the
// pooled write buffer has room for it (pooled buffers can be larger than
// writeBufferSize).
func TestChannelSendLargeFrameAfterBufferedOnesInARoomyBuffer(t *testing.T) {
	// A buffer the pool may hand out for writeBufferSize (flush releases
	// it into that class). It must not be released here as well: a buffer
	// in the pool twice goes to two owners, which once gave a later test's
	// client and server one write buffer.
	roomy := make([]byte, 0, 2*writeBufferSize-1)
	w := &writeRecorder{}
	ch := newChannel(w, frameLengthMax, frameLengthMax)
	ch.wbuf = &roomy // as if the pool had handed it out
	small, large := []byte("small"), bytes.Repeat([]byte{7}, writeBufferSize+100)
	if err := ch.send(1, frameTypeData, 0, small); err != nil {
		t.Fatal(err)
	}
	if err := ch.send(3, frameTypeData, 0, large); err != nil {
		t.Fatal(err)
	}
	if err := ch.flush(); err != nil {
		t.Fatal(err)
	}
	want := append(frameOf(1, frameTypeData, 0, small), frameOf(3, frameTypeData, 0, large)...)
	if !bytes.Equal(w.bytes(), want) {
		t.Errorf("wrote %d bytes, not the %d bytes of both frames in order", len(w.bytes()), len(want))
	}
}

func TestChannelSendTooLarge(t *testing.T) {
	const limit = 1024
	w := &writeRecorder{}
	ch := newChannel(w, limit, limit)
	for _, n := range []int{limit + 1, 2 * limit, 10 * limit} {
		err := ch.send(1, frameTypeData, 0, make([]byte, n))
		var tl *frameTooLargeError
		if !errors.As(err, &tl) {
			t.Fatalf("send(%d bytes) error = %v, want *frameTooLargeError", n, err)
		}
		if tl.Length != int64(n) || tl.Limit != limit {
			t.Errorf("send(%d bytes) error = %+v", n, tl)
		}
		if ch.buffered() {
			t.Errorf("send(%d bytes) buffered something", n)
		}
	}
	if err := ch.flush(); err != nil {
		t.Fatal(err)
	}
	if w.calls() != 0 {
		t.Errorf("oversized sends wrote % x", w.bytes())
	}
	// The channel still sends a frame at the limit, and only that frame.
	data := bytes.Repeat([]byte("z"), limit)
	if err := ch.send(3, frameTypeData, 0, data); err != nil {
		t.Fatalf("send at limit: %v", err)
	}
	if err := ch.flush(); err != nil {
		t.Fatal(err)
	}
	if want := frameOf(3, frameTypeData, 0, data); !bytes.Equal(w.bytes(), want) {
		t.Errorf("wrote %d bytes, want the %d of one frame", len(w.bytes()), len(want))
	}
}

func TestChannelSendWriteError(t *testing.T) {
	errWrite := errors.New("write failed")

	// A small frame is buffered: the error comes from flush.
	w := &writeRecorder{err: errWrite}
	ch := newChannel(w, frameLengthMax, frameLengthMax)
	if err := ch.send(1, frameTypeRequest, 0, []byte("small")); err != nil {
		t.Fatalf("send: %v", err)
	}
	if err := ch.flush(); !errors.Is(err, errWrite) {
		t.Errorf("flush error = %v, want %v", err, errWrite)
	}

	// A frame larger than the write buffer is written by send itself.
	w = &writeRecorder{err: errWrite}
	ch = newChannel(w, frameLengthMax, frameLengthMax)
	err := ch.send(1, frameTypeData, 0, make([]byte, 64<<10))
	if err == nil {
		err = ch.flush()
	}
	if !errors.Is(err, errWrite) {
		t.Errorf("large send error = %v, want %v", err, errWrite)
	}

	// After a failed write nothing more is written.
	calls := w.calls()
	if err := ch.send(3, frameTypeData, 0, []byte("later")); !errors.Is(err, errWrite) {
		t.Errorf("send after a failed write = %v, want %v", err, errWrite)
	}
	if err := ch.flush(); !errors.Is(err, errWrite) {
		t.Errorf("flush after a failed write = %v, want %v", err, errWrite)
	}
	if w.calls() != calls {
		t.Errorf("%d writes after a failed one", w.calls()-calls)
	}
}

func outData(s string) *[]byte {
	b := getBuffer()
	*b = append(*b, s...)
	return b
}

// runWriteFrames runs a frameWriter in a goroutine and returns its result
// channel.
func runWriteFrames(ch *channel, queue <-chan outFrame, done, drained <-chan struct{}, prepare func(outFrame) (outFrame, bool)) <-chan error {
	result := make(chan error, 1)
	go func() {
		result <- (&frameWriter{sink: ch, queue: queue, done: done, drained: drained, prepare: prepare}).run()
	}()
	return result
}

func waitWriteFrames(t *testing.T, result <-chan error) error {
	t.Helper()
	select {
	case err := <-result:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("frameWriter.run did not return")
		return nil
	}
}

func TestWriteFramesOneWrite(t *testing.T) {
	w := &writeRecorder{}
	ch := newChannel(w, frameLengthMax, frameLengthMax)
	queue := make(chan outFrame, sendQueueLength)
	var want []byte
	for i := range 5 {
		s := string(rune('a'+i)) + "-data"
		queue <- outFrame{streamID: uint32(2*i + 1), typ: frameTypeData, flags: uint8(i), data: outData(s)}
		want = append(want, frameOf(uint32(2*i+1), frameTypeData, uint8(i), []byte(s))...)
	}
	drained := make(chan struct{})
	close(drained)
	if err := waitWriteFrames(t, runWriteFrames(ch, queue, nil, drained, nil)); err != nil {
		t.Fatalf("frameWriter.run: %v", err)
	}
	if w.calls() != 1 {
		t.Errorf("%d writes, want 1", w.calls())
	}
	if !bytes.Equal(w.bytes(), want) {
		t.Errorf("wrote % x, want % x", w.bytes(), want)
	}
}

func TestWriteFramesPrepare(t *testing.T) {
	w := &writeRecorder{}
	ch := newChannel(w, frameLengthMax, frameLengthMax)
	queue := make(chan outFrame, sendQueueLength)
	for i := range 6 {
		queue <- outFrame{streamID: uint32(i), typ: frameTypeRequest, data: outData(string(rune('a' + i)))}
	}
	var seen []uint32
	prepare := func(f outFrame) (outFrame, bool) {
		seen = append(seen, f.streamID)
		if f.streamID%2 == 1 {
			return f, false // dropped
		}
		f.streamID += 100 // prepare may change the frame before it is written
		return f, true
	}
	drained := make(chan struct{})
	close(drained)
	if err := waitWriteFrames(t, runWriteFrames(ch, queue, nil, drained, prepare)); err != nil {
		t.Fatalf("frameWriter.run: %v", err)
	}
	want := concat(
		frameOf(100, frameTypeRequest, 0, []byte("a")),
		frameOf(102, frameTypeRequest, 0, []byte("c")),
		frameOf(104, frameTypeRequest, 0, []byte("e")),
	)
	if !bytes.Equal(w.bytes(), want) {
		t.Errorf("wrote % x, want % x", w.bytes(), want)
	}
	if len(seen) != 6 {
		t.Errorf("prepare saw %v, want all 6 frames in order", seen)
	}
	for i, id := range seen {
		if id != uint32(i) {
			t.Errorf("prepare saw %v, want all 6 frames in order", seen)
			break
		}
	}
}

func TestWriteFramesDone(t *testing.T) {
	w := &writeRecorder{wrote: make(chan struct{}, 1)}
	ch := newChannel(w, frameLengthMax, frameLengthMax)
	queue := make(chan outFrame, sendQueueLength)
	done := make(chan struct{})
	result := runWriteFrames(ch, queue, done, nil, nil)

	// A frame queued while it runs goes out and is flushed.
	queue <- outFrame{streamID: 1, typ: frameTypeRequest, data: outData("one")}
	select {
	case <-w.wrote:
	case err := <-result:
		t.Fatalf("frameWriter.run returned %v before done closed", err)
	case <-time.After(5 * time.Second):
		t.Fatal("queued frame was not written")
	}
	if want := frameOf(1, frameTypeRequest, 0, []byte("one")); !bytes.Equal(w.bytes(), want) {
		t.Errorf("wrote % x, want % x", w.bytes(), want)
	}
	close(done)
	if err := waitWriteFrames(t, result); err != nil {
		t.Errorf("frameWriter.run after done = %v, want nil", err)
	}
}

func TestWriteFramesDrained(t *testing.T) {
	w := &writeRecorder{}
	ch := newChannel(w, frameLengthMax, frameLengthMax)
	queue := make(chan outFrame, sendQueueLength)
	drained := make(chan struct{})
	result := runWriteFrames(ch, queue, nil, drained, nil)
	var want []byte
	for i := range sendQueueLength {
		queue <- outFrame{streamID: uint32(i), typ: frameTypeData, data: outData("x")}
		want = append(want, frameOf(uint32(i), frameTypeData, 0, []byte("x"))...)
	}
	close(drained)
	if err := waitWriteFrames(t, result); err != nil {
		t.Fatalf("frameWriter.run = %v, want nil", err)
	}
	if !bytes.Equal(w.bytes(), want) {
		t.Errorf("wrote %d bytes, want %d: everything queued before drained", len(w.bytes()), len(want))
	}
	if ch.buffered() {
		t.Errorf("frames left unflushed")
	}
}

func TestWriteFramesWriteError(t *testing.T) {
	errWrite := errors.New("write failed")
	tests := []struct {
		name string
		data string
	}{
		{"on flush", "small"},
		{"on send", string(make([]byte, 64<<10))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &writeRecorder{err: errWrite}
			ch := newChannel(w, frameLengthMax, frameLengthMax)
			queue := make(chan outFrame, sendQueueLength)
			queue <- outFrame{streamID: 1, typ: frameTypeData, data: outData(tt.data)}
			done := make(chan struct{})
			defer close(done)
			err := waitWriteFrames(t, runWriteFrames(ch, queue, done, nil, nil))
			if !errors.Is(err, errWrite) {
				t.Errorf("frameWriter.run = %v, want %v", err, errWrite)
			}
		})
	}
	// An oversized frame is an error of the send, too.
	w := &writeRecorder{}
	ch := newChannel(w, 1024, 1024)
	queue := make(chan outFrame, sendQueueLength)
	queue <- outFrame{streamID: 1, typ: frameTypeData, data: outData(string(make([]byte, 2000)))}
	done := make(chan struct{})
	defer close(done)
	var tl *frameTooLargeError
	if err := waitWriteFrames(t, runWriteFrames(ch, queue, done, nil, nil)); !errors.As(err, &tl) {
		t.Errorf("frameWriter.run with an oversized frame = %v, want *frameTooLargeError", err)
	}
}

// fuzzRecvLimit is the channel limit of FuzzChannelRecv.
const fuzzRecvLimit = 512

func FuzzChannelRecv(f *testing.F) {
	f.Add([]byte{})
	f.Add(frameOf(1, frameTypeRequest, flagRemoteOpen, []byte("request")))
	f.Add(frameOf(1, frameTypeResponse, 0, []byte("response")))
	f.Add(frameOf(1, frameTypeData, flagRemoteClosed, []byte("data")))
	f.Add(frameOf(1, frameTypeData, flagNoData, nil))
	f.Add(frameOf(9, 0x7f, 0xff, []byte("unknown")))
	f.Add(concat(
		frameOf(1, frameTypeRequest, flagRemoteOpen, []byte("req")),
		frameOf(1, frameTypeData, 0, []byte("d1")),
		frameOf(1, frameTypeData, flagRemoteClosed|flagNoData, nil),
		frameOf(1, frameTypeResponse, 0, []byte("resp")),
	))
	f.Add(frameOf(3, frameTypeData, 0, bytes.Repeat([]byte("L"), fuzzRecvLimit)))
	f.Add(concat(
		frameOf(1, frameTypeData, 0, bytes.Repeat([]byte("O"), fuzzRecvLimit+1)),
		frameOf(3, frameTypeData, 0, []byte("next")),
	))
	f.Add(rawFrame(0x01000000, 1, frameTypeRequest, 0, []byte("truncated oversized")))
	f.Add(rawFrame(0xffffffff, 0xffffffff, 0xff, 0xff, nil))
	f.Add(frameOf(1, frameTypeRequest, 0, []byte("x"))[:5])
	f.Add(rawFrame(10, 1, frameTypeData, 0, []byte("short")))
	f.Add(concat(frameOf(1, frameTypeRequest, 0, []byte("a")), []byte{0, 0, 0}))

	f.Fuzz(func(t *testing.T, b []byte) {
		for _, wrap := range []func(io.Reader) io.Reader{
			func(r io.Reader) io.Reader { return r },
			iotest.OneByteReader,
		} {
			ch := recvChannel(wrap(bytes.NewReader(b)), fuzzRecvLimit)
			off := 0 // where the reference parse of b is
			for n := 0; ; n++ {
				if n > len(b)/frameHeaderLength+1 {
					t.Fatalf("recv returned %d results from %d bytes", n, len(b))
				}
				h, data, err := recvData(ch)

				// Reference: the next frame of b, parsed directly.
				rest := b[off:]
				want, herr := parseFrameHeader(rest)
				end := frameHeaderLength + int64(want.Length)

				var tl *frameTooLargeError
				switch {
				case err == nil:
					if len(data) != int(h.Length) || len(data) > fuzzRecvLimit {
						t.Fatalf("frame %d: len(data) %d, header length %d, limit %d", n, len(data), h.Length, fuzzRecvLimit)
					}
					if herr != nil || h != want || int64(len(rest)) < end || !bytes.Equal(data, rest[frameHeaderLength:end]) {
						t.Fatalf("frame %d at offset %d: got %+v %q, want %+v", n, off, h, data, want)
					}
					off += int(end)
				case errors.As(err, &tl):
					if int64(h.Length) <= fuzzRecvLimit || tl.Length != int64(h.Length) || tl.Limit != fuzzRecvLimit {
						t.Fatalf("frame %d: %v with header %+v", n, err, h)
					}
					if data != nil {
						t.Fatalf("frame %d: %v with %d bytes of data", n, err, len(data))
					}
					if herr != nil || h != want || int64(len(rest)) < end {
						t.Fatalf("frame %d at offset %d: got oversized %+v, want %+v", n, off, h, want)
					}
					off += int(end)
				case errors.Is(err, io.EOF):
					if len(rest) != 0 {
						t.Fatalf("io.EOF with %d bytes left at offset %d", len(rest), off)
					}
					return
				case errors.Is(err, io.ErrUnexpectedEOF):
					if len(rest) == 0 || int64(len(rest)) >= end && herr == nil {
						t.Fatalf("io.ErrUnexpectedEOF with %d bytes left at offset %d, header %+v", len(rest), off, want)
					}
					if data != nil {
						t.Fatalf("io.ErrUnexpectedEOF with %d bytes of data", len(data))
					}
					if herr == nil && h != want {
						t.Fatalf("io.ErrUnexpectedEOF inside data with header %+v, want %+v", h, want)
					}
					return
				default:
					t.Fatalf("recv error %v", err)
				}
			}
		}
	})
}

func FuzzFrameHeaderRoundTrip(f *testing.F) {
	f.Add(uint32(0), uint32(0), uint8(0), uint8(0), []byte{})
	f.Add(uint32(5), uint32(1), uint8(frameTypeRequest), flagRemoteOpen, []byte{0, 0, 0, 5, 0, 0, 0, 1, 1, 2})
	f.Add(uint32(0xffffffff), uint32(0xffffffff), uint8(0xff), uint8(0xff), bytes.Repeat([]byte{0xff}, 12))
	f.Fuzz(func(t *testing.T, length, streamID uint32, typ, flags uint8, b []byte) {
		h := frameHeader{Length: length, StreamID: streamID, Type: frameType(typ), Flags: flags}
		var buf [frameHeaderLength]byte
		putFrameHeader(buf[:], h)
		got, err := parseFrameHeader(buf[:])
		if err != nil || got != h {
			t.Fatalf("parse(put(%+v)) = %+v, %v", h, got, err)
		}

		parsed, err := parseFrameHeader(b)
		if len(b) < frameHeaderLength {
			if !errors.Is(err, errShortHeader) || parsed != (frameHeader{}) {
				t.Fatalf("parse(%d bytes) = %+v, %v; want errShortHeader", len(b), parsed, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("parse(% x): %v", b, err)
		}
		putFrameHeader(buf[:], parsed)
		if !bytes.Equal(buf[:], b[:frameHeaderLength]) {
			t.Fatalf("put(parse(% x)) = % x", b[:frameHeaderLength], buf)
		}
	})
}

// recvData is recv for tests that look at a frame's bytes: the buffer is
// not released (the garbage collector takes it).
func recvData(ch *channel) (frameHeader, []byte, error) {
	h, data, err := ch.recv()
	if data == nil {
		return h, nil, err
	}
	return h, *data, err
}
