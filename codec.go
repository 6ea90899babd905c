// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"fmt"

	"google.golang.org/protobuf/proto"
)

// codec turns call messages into bytes and back. Messages are protobuf
// messages (proto.Message). A message that also has the methods that
// vtprotobuf (github.com/planetscale/vtprotobuf) generates is encoded and
// decoded with them instead of reflection:
//
//   - encoding prefers SizeVT + MarshalToSizedBufferVT (which writes into a
//     buffer the library provides, pooled for stream messages), then
//     MarshalVT;
//   - decoding uses UnmarshalVT, after Reset, so that decoding replaces the
//     message's contents as proto.Unmarshal does.
//
// A message with only the vtprotobuf methods and no proto.Message works
// too.
//
// With reflect set (WithClientProtoCodec, WithServerProtoCodec), every
// proto.Message is encoded with proto.Marshal and decoded with
// proto.Unmarshal, as containerd's ttrpc does, whatever other methods it
// has.
type codec struct {
	reflect bool
}

// vtSizedMarshaler is the fastest vtprotobuf encoding: into a buffer of
// exactly SizeVT bytes, written from its end.
type vtSizedMarshaler interface {
	SizeVT() int
	MarshalToSizedBufferVT(dAtA []byte) (int, error)
}

type vtMarshaler interface {
	MarshalVT() ([]byte, error)
}

type vtUnmarshaler interface {
	UnmarshalVT(dAtA []byte) error
}

// marshal encodes msg; a nil msg encodes as an empty message.
func (c codec) marshal(msg interface{}) ([]byte, error) {
	if m, ok := msg.(proto.Message); ok && c.reflect {
		return proto.Marshal(m)
	}
	return appendMessage(nil, msg)
}

// appendMessage appends the encoding of msg to b.
func appendMessage(b []byte, msg interface{}) ([]byte, error) {
	switch m := msg.(type) {
	case nil:
		return b, nil
	case vtSizedMarshaler:
		size := m.SizeVT()
		start := len(b)
		b = append(b, make([]byte, size)...)
		n, err := m.MarshalToSizedBufferVT(b[start:])
		if err != nil {
			return b[:start], err
		}
		if n != size { // MarshalToSizedBufferVT fills from the end
			copy(b[start:], b[start+size-n:])
		}
		return b[:start+n], nil
	case vtMarshaler:
		encoded, err := m.MarshalVT()
		return append(b, encoded...), err
	case proto.Message:
		return proto.MarshalOptions{}.MarshalAppend(b, m)
	}
	return b, fmt.Errorf("ttrpc: cannot marshal unknown type: %T", msg)
}

// unmarshal decodes p into msg, which must be a non-nil message.
func (c codec) unmarshal(p []byte, msg interface{}) error {
	if m, ok := msg.(proto.Message); ok && c.reflect {
		return proto.Unmarshal(p, m)
	}
	switch m := msg.(type) {
	case vtUnmarshaler:
		if r, ok := msg.(interface{ Reset() }); ok {
			r.Reset()
		}
		return m.UnmarshalVT(p)
	case proto.Message:
		return proto.Unmarshal(p, m)
	}
	return fmt.Errorf("ttrpc: cannot unmarshal into unknown type: %T", msg)
}

// encode encodes msg into a pooled buffer, refusing a message over limit
// bytes with an *OversizedMessageErr.
func (c codec) encode(msg interface{}, limit int) (*[]byte, error) {
	msg, err := c.prepare(msg)
	if err != nil {
		return nil, err
	}
	return encodeMessage(msg, limit)
}

// prepare returns what the encoders should encode for msg: msg itself,
// or, with reflect set, its proto.Marshal encoding as an encodedMessage
// (so that every path that encodes a message in place, into its frame,
// encodes exactly what proto.Marshal wrote, with proto.Marshal's side
// effects on msg).
func (c codec) prepare(msg interface{}) (interface{}, error) {
	m, ok := msg.(proto.Message)
	if !ok || !c.reflect {
		return msg, nil
	}
	encoded, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	return encodedMessage(encoded), nil
}

// encodedMessage is a message already encoded; the encoders copy its
// bytes. It has the vtprotobuf methods that the fastest path uses.
type encodedMessage []byte

// SizeVT is the length of the encoding.
func (m encodedMessage) SizeVT() int { return len(m) }

// MarshalToSizedBufferVT copies the encoding to the end of b, as
// vtprotobuf's method of that name fills a buffer from its end.
func (m encodedMessage) MarshalToSizedBufferVT(b []byte) (int, error) {
	return copy(b[len(b)-len(m):], m), nil
}

// encodeMessage encodes msg into a pooled buffer, refusing a message over
// limit bytes with an *OversizedMessageErr.
func encodeMessage(msg interface{}, limit int) (*[]byte, error) {
	size, err := messageSize(msg)
	if err != nil {
		return nil, err
	}
	data := getBufferCap(size)
	encoded, err := appendMessageSized(*data, msg)
	*data = encoded
	if err == nil && len(encoded) > limit {
		err = oversizedMessageError(len(encoded), limit)
	}
	if err != nil {
		releaseBuffer(data)
		return nil, err
	}
	return data, nil
}
