// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"bytes"
	"io"
	"slices"
	"testing"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// chunkReader serves data in reads of at most the next size of sizes (the
// last one repeating), recording the length of each buffer it was given.
type chunkReader struct {
	data  []byte
	sizes []int
	asked []int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	r.asked = append(r.asked, len(p))
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	size := r.sizes[0]
	if len(r.sizes) > 1 {
		r.sizes = r.sizes[1:]
	}
	n := copy(p[:min(len(p), size)], r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReadBufferGrowsWhileReadsFillItAndShrinksAfter(t *testing.T) {
	leakcheck.Check(t)
	data := make([]byte, 300<<10)
	for i := range data {
		data[i] = byte(i * 7)
	}
	// Reads fill whatever buffer they get three times, then the peer
	// slows down to 100 bytes per read: the buffer grows after the first
	// full read, and shrinks after the first read that does not fill it.
	src := &chunkReader{data: data, sizes: []int{1 << 30, 1 << 30, 1 << 30, 100}}
	b := newReadBuffer(src)
	var got bytes.Buffer
	p := make([]byte, 1000) // smaller than either buffer: every read fills it
	for got.Len() < readBufferSmall+2*readBufferLarge+200 {
		n, err := b.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		got.Write(p[:n])
	}
	want := []int{readBufferSmall, readBufferLarge, readBufferLarge, readBufferLarge, readBufferSmall}
	if !slices.Equal(src.asked, want) {
		t.Errorf("buffer sizes read into = %v, want %v", src.asked, want)
	}
	if !bytes.Equal(got.Bytes(), data[:got.Len()]) {
		t.Error("bytes read differ from the bytes sent")
	}
}

func TestReadBufferReadsLargeRequestsDirectly(t *testing.T) {
	leakcheck.Check(t)
	data := bytes.Repeat([]byte("abcdefgh"), 2048) // 16 KiB
	src := &chunkReader{data: data, sizes: []int{1 << 30}}
	b := newReadBuffer(src)
	head := make([]byte, 10)
	if _, err := io.ReadFull(b, head); err != nil {
		t.Fatal(err)
	}
	rest := make([]byte, len(data)-10)
	if _, err := io.ReadFull(b, rest); err != nil {
		t.Fatal(err)
	}
	// The header's read filled the small buffer; the rest of the data went
	// straight into the caller's slice once the buffer was empty.
	want := []int{readBufferSmall, len(data) - readBufferSmall}
	if !slices.Equal(src.asked, want) {
		t.Errorf("reads = %v, want %v", src.asked, want)
	}
	if !bytes.Equal(append(head, rest...), data) {
		t.Error("bytes read differ from the bytes sent")
	}
	if n, err := b.Read(head); n != 0 || err != io.EOF {
		t.Errorf("read at the end = %d, %v; want 0, io.EOF", n, err)
	}
}

// A read that drains the peer's backlog, even a large one, sends the
// buffer back to small: a connection going idle then waits with it.
func TestReadBufferShrinksOnceTheBacklogIsDrained(t *testing.T) {
	leakcheck.Check(t)
	data := make([]byte, 20000)
	src := &chunkReader{data: data, sizes: []int{1 << 30, 5000, 1 << 30}}
	b := newReadBuffer(src)
	p := make([]byte, 100)
	for read := 0; read < readBufferSmall+5000+1; {
		n, err := b.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		read += n
	}
	want := []int{readBufferSmall, readBufferLarge, readBufferSmall}
	if !slices.Equal(src.asked, want) {
		t.Errorf("buffer sizes read into = %v, want %v", src.asked, want)
	}
	if b.large != nil {
		t.Error("the large buffer is kept after a read that did not fill it")
	}
}
