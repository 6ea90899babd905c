// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import "google.golang.org/protobuf/proto"

// WithClientProtoCodec makes the client encode every message it sends with
// proto.Marshal and decode every message it receives with proto.Unmarshal
// (google.golang.org/protobuf), as containerd's ttrpc does, even when the
// message has the methods that vtprotobuf generates.
//
// Default: off. By default a message with vtprotobuf's methods is encoded
// with SizeVT and MarshalToSizedBufferVT, straight into its frame, and
// decoded with UnmarshalVT: faster, and the bytes on the wire are the
// same. What differs is the side effects on the messages sent:
// proto.Marshal stores each message's size in its hidden size cache and
// sets the hidden state that makes it reflectable, so that a sent message
// no longer compares equal (reflect.DeepEqual) to a fresh copy of itself;
// vtprotobuf's methods leave both alone. (Received messages look the same
// either way, since the vtprotobuf path resets them first.) Turn this on
// when code depends on those side effects (a test of containerd/nri
// does) or for byte-for-byte and effect-for-effect parity with
// containerd's ttrpc. Messages that are not proto.Message values
// (vtprotobuf-only messages) keep their own methods.
func WithClientProtoCodec() ClientOpts {
	return func(c *Client) {
		c.codec.encodeVia, c.codec.decodeVia = encodeViaProto, decodeViaProto
	}
}

// WithServerProtoCodec makes the server decode every request and stream
// message with proto.Unmarshal and encode every response and stream
// message with proto.Marshal, as containerd's ttrpc does, even when the
// message has vtprotobuf's methods. Default: off (vtprotobuf's methods
// when a message has them); WithClientProtoCodec explains the trade-off.
func WithServerProtoCodec() ServerOpt {
	return func(c *serverConfig) error {
		c.codec.encodeVia, c.codec.decodeVia = encodeViaProto, decodeViaProto
		return nil
	}
}

// decodeViaProto is the decodeVia of a codec with WithClientProtoCodec or
// WithServerProtoCodec: proto.Unmarshal for a proto.Message, the fast path
// for anything else.
func decodeViaProto(p []byte, msg interface{}) error {
	if m, ok := msg.(proto.Message); ok {
		return proto.Unmarshal(p, m)
	}
	return envelopeCodec.unmarshal(p, msg)
}

// encodeViaProto is the encodeVia of a codec with WithClientProtoCodec or
// WithServerProtoCodec: a proto.Message becomes its proto.Marshal encoding
// as an encodedMessage, so that every path that encodes a message in
// place, into its frame, encodes exactly what proto.Marshal wrote, with
// proto.Marshal's side effects on msg. Anything else stays as it is.
func encodeViaProto(msg interface{}) (interface{}, error) {
	m, ok := msg.(proto.Message)
	if !ok {
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
