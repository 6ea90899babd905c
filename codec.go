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
// With encodeVia and decodeVia set (WithClientProtoCodec,
// WithServerProtoCodec), every proto.Message is encoded with proto.Marshal
// and decoded with proto.Unmarshal, as containerd's ttrpc does, whatever
// other methods it has. They are functions, set only by those options, so
// that their code links only into programs that use them (the minimal
// server the bench measures does not).
type codec struct {
	encodeVia func(msg interface{}) (interface{}, error) // nil: the fast path
	decodeVia func(p []byte, msg interface{}) error      // nil: the fast path
}

// envelopeCodec encodes the envelopes (Request) themselves: always the
// library's own path.
var envelopeCodec codec

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
func (c *codec) marshal(msg interface{}) ([]byte, error) {
	msg, err := c.prepare(msg)
	if err != nil {
		return nil, err
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
func (c *codec) unmarshal(p []byte, msg interface{}) error {
	if c.decodeVia != nil {
		return c.decodeVia(p, msg)
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

// prepare returns what the encoders should encode for msg: msg itself, or
// what the codec's encodeVia makes of it.
func (c *codec) prepare(msg interface{}) (interface{}, error) {
	if c.encodeVia == nil {
		return msg, nil
	}
	return c.encodeVia(msg)
}

// encode encodes msg (as prepare makes it) into a pooled buffer, refusing a
// message over limit bytes with an *OversizedMessageErr.
func (c *codec) encode(msg interface{}, limit int) (*[]byte, error) {
	msg, err := c.prepare(msg)
	if err != nil {
		return nil, err
	}
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
