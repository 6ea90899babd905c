// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package wire reads, writes and records raw ttrpc frames, independently of
// any ttrpc implementation, so that tests can speak the protocol byte by
// byte and compare what two implementations send.
package wire

import (
	"encoding/binary"
	"fmt"
	"io"
)

// HeaderLength is the size of a frame header.
const HeaderLength = 10

// MaxLength is the protocol's limit on a frame's data (4 MiB).
const MaxLength = 4 << 20

// Frame types.
const (
	TypeRequest  byte = 1
	TypeResponse byte = 2
	TypeData     byte = 3
)

// Frame flags.
const (
	FlagRemoteClosed byte = 0x1
	FlagRemoteOpen   byte = 0x2
	FlagNoData       byte = 0x4
)

// Header is a decoded frame header.
type Header struct {
	Length   uint32
	StreamID uint32
	Type     byte
	Flags    byte
}

// Frame is one frame as it is on the wire.
type Frame struct {
	Header
	Data []byte
}

// NewFrame returns a frame of the given type, flags and data, with the
// length taken from data.
func NewFrame(streamID uint32, typ, flags byte, data []byte) Frame {
	return Frame{
		Header: Header{Length: uint32(len(data)), StreamID: streamID, Type: typ, Flags: flags},
		Data:   data,
	}
}

// Bytes encodes the frame: header, then data.
func (f Frame) Bytes() []byte {
	b := make([]byte, HeaderLength, HeaderLength+len(f.Data))
	binary.BigEndian.PutUint32(b[0:4], f.Length)
	binary.BigEndian.PutUint32(b[4:8], f.StreamID)
	b[8] = f.Type
	b[9] = f.Flags
	return append(b, f.Data...)
}

// String describes the frame's header for test messages.
func (f Frame) String() string {
	return fmt.Sprintf("%s stream %d flags %#x length %d", typeName(f.Type), f.StreamID, f.Flags, f.Length)
}

func typeName(t byte) string {
	switch t {
	case TypeRequest:
		return "request"
	case TypeResponse:
		return "response"
	case TypeData:
		return "data"
	}
	return fmt.Sprintf("type(%d)", t)
}

// ParseHeader decodes the first HeaderLength bytes of b.
func ParseHeader(b []byte) Header {
	return Header{
		Length:   binary.BigEndian.Uint32(b[0:4]),
		StreamID: binary.BigEndian.Uint32(b[4:8]),
		Type:     b[8],
		Flags:    b[9],
	}
}

// ReadFrame reads one whole frame from r, whatever its length: tests use
// it on both sides of the limit, so it enforces none beyond maxLength (0
// means MaxLength), past which it fails rather than allocate.
func ReadFrame(r io.Reader, maxLength int) (Frame, error) {
	if maxLength <= 0 {
		maxLength = MaxLength
	}
	var hb [HeaderLength]byte
	if _, err := io.ReadFull(r, hb[:]); err != nil {
		return Frame{}, err
	}
	h := ParseHeader(hb[:])
	if int64(h.Length) > int64(maxLength) {
		return Frame{Header: h}, fmt.Errorf("wire: frame length %d over %d", h.Length, maxLength)
	}
	data := make([]byte, h.Length)
	if _, err := io.ReadFull(r, data); err != nil {
		return Frame{Header: h}, fmt.Errorf("wire: reading %d bytes of data: %w", h.Length, err)
	}
	return Frame{Header: h, Data: data}, nil
}

// WriteFrame writes f to w in one write.
func WriteFrame(w io.Writer, f Frame) error {
	_, err := w.Write(f.Bytes())
	return err
}
