// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// A frame's data is reserved as it comes (channel.readData): a header
// alone costs the first chunk, whole frames of every size come through
// intact however their bytes are cut into reads, and a body cut short fails
// with io.ErrUnexpectedEOF.

// allocatedBytes returns the bytes allocated so far, after emptying the
// buffer pools (two collections), so that what follows allocates what it
// takes.
func allocatedBytes() uint64 {
	runtime.GC()
	runtime.GC()
	_, _, allocated := readHeapMetrics()
	return allocated
}

func TestChannelHeaderAloneCostsOneChunk(t *testing.T) {
	leakcheck.Check(t)
	for _, announced := range []uint32{frameLengthMax, frameLengthHardMax} {
		header := rawFrame(announced, 1, frameTypeRequest, 0, nil)
		ch := newChannel(struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(header), io.Discard}, frameLengthHardMax, frameLengthMax)
		before := allocatedBytes()
		_, data, err := ch.recv()
		took := allocatedBytes() - before
		if data != nil || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("header alone: data %v, error %v, want io.ErrUnexpectedEOF", data != nil, err)
		}
		// The first chunk, and what the runtime allocates on its own.
		if took > readChunkMin+32<<10 {
			t.Errorf("a header announcing %d bytes allocated %d KiB, want at most %d KiB", announced, took>>10, (readChunkMin+32<<10)>>10)
		}
	}
}

func TestChannelFramesOfEverySizeInEveryCut(t *testing.T) {
	leakcheck.Check(t)
	sizes := []int{0, 1, 4096, readChunkMin - 1, readChunkMin, readChunkMin + 1, 100 << 10, 3*readChunkMin + 7, 1 << 20, frameLengthMax}
	for _, size := range sizes {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i*31 + i>>8)
		}
		stream := concat(frameOf(3, frameTypeData, 0, data), frameOf(5, frameTypeData, 0, []byte("next")))
		// Reads of 1 byte take too long for 4 MiB; 1000, 64 KiB + 1 and
		// everything at once cut the data across every chunk boundary.
		for _, cut := range []int{7, 1000, 64<<10 + 1, 1 << 30} {
			if cut == 7 && size > 1<<20 {
				continue
			}
			src := &chunkReader{data: stream, sizes: []int{cut}}
			ch := newChannel(struct {
				io.Reader
				io.Writer
			}{src, io.Discard}, frameLengthMax, frameLengthMax)
			h, got, err := ch.recv()
			if err != nil || h.Length != uint32(size) || !bytes.Equal(*got, data) {
				t.Fatalf("%d bytes in reads of %d: header %+v, error %v, data intact %v", size, cut, h, err, err == nil && bytes.Equal(*got, data))
			}
			releaseBuffer(got)
			if h, got, err := ch.recv(); err != nil || h.StreamID != 5 || string(*got) != "next" {
				t.Fatalf("%d bytes in reads of %d: the next frame is %+v, %v: out of step", size, cut, h, err)
			}
		}
	}
}

func TestChannelTruncatedBodyFailsCleanly(t *testing.T) {
	leakcheck.Check(t)
	const announced = 1 << 20
	body := make([]byte, announced)
	for _, sent := range []int{0, 1, readChunkMin - 1, readChunkMin, readChunkMin + 1, announced / 2, announced - 1} {
		stream := append(rawFrame(announced, 1, frameTypeRequest, 0, nil), body[:sent]...)
		ch := newChannel(struct {
			io.Reader
			io.Writer
		}{&chunkReader{data: stream, sizes: []int{5000}}, io.Discard}, frameLengthMax, frameLengthMax)
		_, data, err := ch.recv()
		if data != nil || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%d of %d bytes sent: data %v, error %v, want io.ErrUnexpectedEOF", sent, announced, data != nil, err)
		}
		if _, _, err := ch.recv(); !errors.Is(err, io.EOF) {
			t.Errorf("%d of %d bytes sent: recv after the failure gave %v, want io.EOF", sent, announced, err)
		}
	}
}
