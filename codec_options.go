// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import "context"

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
//
// Unary calls with this option take the client's intercepted path (a
// pass-through interceptor is added at the end of the chain), because the
// direct path encodes the request into its frame without the client's
// codec.
func WithClientProtoCodec() ClientOpts {
	return func(c *Client) {
		c.codec.reflect = true
		c.config.unaryChain = append(c.config.unaryChain, passUnaryClient)
		c.config.streamChain = append(c.config.streamChain, protoCodecStreams)
	}
}

// WithServerProtoCodec makes the server decode every request and stream
// message with proto.Unmarshal and encode every response and stream
// message with proto.Marshal, as containerd's ttrpc does, even when the
// message has vtprotobuf's methods. Default: off (vtprotobuf's methods
// when a message has them); WithClientProtoCodec explains the trade-off.
func WithServerProtoCodec() ServerOpt {
	return func(c *serverConfig) error {
		c.codec.reflect = true
		return nil
	}
}

// passUnaryClient is the innermost unary interceptor of a client with
// WithClientProtoCodec: it only sends the call, whose request the client's
// codec has encoded.
func passUnaryClient(ctx context.Context, req *Request, resp *Response, _ *UnaryClientInfo, invoke Invoker) error {
	return invoke(ctx, req, resp)
}

// protoCodecStreams is the innermost stream interceptor of a client with
// WithClientProtoCodec: the stream it returns encodes each message with the
// client's codec before sending it. (The first request, and every message
// received, already go through the codec.)
func protoCodecStreams(ctx context.Context, desc *StreamDesc, req *Request, _ *StreamClientInfo, open Streamer) (ClientStream, error) {
	s, err := open(ctx, desc, req)
	if err != nil {
		return nil, err
	}
	return protoCodecStream{ClientStream: s, codec: codec{reflect: true}}, nil
}

// protoCodecStream is a ClientStream that sends messages encoded by codec.
type protoCodecStream struct {
	ClientStream
	codec codec
}

// SendMsg encodes m with the stream's codec and sends the encoding.
func (s protoCodecStream) SendMsg(m interface{}) error {
	prepared, err := s.codec.prepare(m)
	if err != nil {
		return err
	}
	return s.ClientStream.SendMsg(prepared)
}
