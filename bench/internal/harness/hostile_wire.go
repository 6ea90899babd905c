// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"encoding/binary"
	"time"

	"github.com/featherrpc/ttrpc/bench/internal/rpc"
	"google.golang.org/protobuf/encoding/protowire"
)

// The frame types and request flags of the ttrpc wire protocol, which the
// attacker writes by hand (the wire is the same for both ttrpc libraries).
const (
	frameHeaderLen    = 10
	frameRequest      = 1
	flagRemoteOpen    = 0x2
	maxFrameAnnounced = 4 << 20
)

// header returns a frame header announcing length bytes of data.
func header(length, stream uint32, typ, flags byte) []byte {
	h := make([]byte, frameHeaderLen)
	binary.BigEndian.PutUint32(h[0:4], length)
	binary.BigEndian.PutUint32(h[4:8], stream)
	h[8], h[9] = typ, flags
	return h
}

// request describes a ttrpc.Request envelope to the Hold service.
type request struct {
	method   string
	payload  int // bytes of the Payload's data
	timeout  time.Duration
	metadata int // keys, each with a short value
}

// encode returns the protobuf encoding of the Request envelope, with a
// benchpb.Payload of r.payload bytes as its payload.
func (r request) encode() []byte {
	var p []byte
	if r.payload > 0 {
		p = protowire.AppendTag(p, 1, protowire.BytesType)
		p = protowire.AppendBytes(p, rpc.Bytes(r.payload))
	}
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, rpc.HoldService)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendString(b, r.method)
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendBytes(b, p)
	if r.timeout > 0 {
		b = protowire.AppendTag(b, 4, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(r.timeout.Nanoseconds()))
	}
	var kv []byte
	for i := range r.metadata {
		kv = kv[:0]
		kv = protowire.AppendTag(kv, 1, protowire.BytesType)
		kv = protowire.AppendString(kv, "k"+itoa6(i))
		kv = protowire.AppendTag(kv, 2, protowire.BytesType)
		kv = protowire.AppendString(kv, "v"+itoa6(i))
		b = protowire.AppendTag(b, 5, protowire.BytesType)
		b = protowire.AppendBytes(b, kv)
	}
	return b
}

// frame returns the whole request frame of r on stream id.
func (r request) frame(stream uint32, flags byte) []byte {
	body := r.encode()
	return append(header(uint32(len(body)), stream, frameRequest, flags), body...)
}

// itoa6 formats i as six decimal digits, so that every metadata key is
// distinct and of the same size.
func itoa6(i int) string {
	var d [6]byte
	for k := 5; k >= 0; k-- {
		d[k] = byte('0' + i%10)
		i /= 10
	}
	return string(d[:])
}
