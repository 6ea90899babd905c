// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"io"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// vtString is a generated message (wrapperspb.StringValue) with
// hand-written vtprotobuf methods, which count how often they ran and,
// unlike proto.Marshal and proto.Unmarshal, leave the message's hidden
// state (size cache, reflection state) alone.
type vtString struct {
	*wrapperspb.StringValue
	vtCalls *atomic.Int64
}

func newVTString(s string, calls *atomic.Int64) *vtString {
	return &vtString{StringValue: &wrapperspb.StringValue{Value: s}, vtCalls: calls}
}

func (m *vtString) SizeVT() int {
	if m.Value == "" {
		return 0
	}
	return protowire.SizeTag(1) + protowire.SizeBytes(len(m.Value))
}

func (m *vtString) MarshalToSizedBufferVT(b []byte) (int, error) {
	m.vtCalls.Add(1)
	var enc []byte
	if m.Value != "" {
		enc = protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), m.Value)
	}
	return copy(b[len(b)-len(enc):], enc), nil
}

func (m *vtString) UnmarshalVT(b []byte) error {
	m.vtCalls.Add(1)
	num, typ, n := protowire.ConsumeTag(b)
	if len(b) == 0 || n < 0 || num != 1 || typ != protowire.BytesType {
		return protowire.ParseError(-1)
	}
	v, n := protowire.ConsumeString(b[n:])
	if n < 0 {
		return protowire.ParseError(n)
	}
	m.Value = v
	return nil
}

// touched is what proto.Marshal (send) or proto.Unmarshal (receive) leave
// in a StringValue holding s: its size cache set by proto.Size, and its
// reflection state, both of which reflect.DeepEqual sees.
func touched(t *testing.T, s string, received bool) *wrapperspb.StringValue {
	t.Helper()
	want := &wrapperspb.StringValue{Value: s}
	if !received {
		proto.Size(want)
		return want
	}
	b, err := proto.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	want = &wrapperspb.StringValue{}
	if err := proto.Unmarshal(b, want); err != nil {
		t.Fatal(err)
	}
	return want
}

// checkTouched fails unless got is, to reflect.DeepEqual, what the proto
// codec leaves (withCodec) or an untouched message holding s (without). A
// received message looks the same either way: the vtprotobuf path resets
// it first, and a generated Reset sets the reflection state too.
func checkTouched(t *testing.T, what string, got *wrapperspb.StringValue, s string, received, withCodec bool) {
	t.Helper()
	want := &wrapperspb.StringValue{Value: s}
	if withCodec || received {
		want = touched(t, s, received)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: the message's hidden state is not what %s leaves", what, map[bool]string{true: "the proto codec", false: "vtprotobuf"}[withCodec])
	}
}

func TestProtoCodecOptions(t *testing.T) {
	for _, withCodec := range []bool{false, true} {
		t.Run(map[bool]string{false: "vtprotobuf", true: "proto"}[withCodec], func(t *testing.T) {
			leakcheck.Check(t)
			testProtoCodec(t, withCodec)
		})
	}
}

func testProtoCodec(t *testing.T, withCodec bool) {
	var serverVT, clientVT atomic.Int64
	var serverOpts []ServerOpt
	var clientOpts []ClientOpts
	if withCodec {
		serverOpts = append(serverOpts, WithServerProtoCodec())
		clientOpts = append(clientOpts, WithClientProtoCodec())
	}
	var received, sentBack *vtString
	var streamed []*vtString
	s, path := newTestServer(t, serverOpts...)
	s.RegisterService("codec", &ServiceDesc{
		Methods: map[string]Method{
			"Unary": func(_ context.Context, unmarshal func(interface{}) error) (interface{}, error) {
				received = newVTString("", &serverVT)
				if err := unmarshal(received); err != nil {
					return nil, err
				}
				sentBack = newVTString("pong", &serverVT)
				return sentBack, nil
			},
		},
		Streams: map[string]Stream{
			"Bidi": {StreamingClient: true, StreamingServer: true, Handler: func(_ context.Context, ss StreamServer) (interface{}, error) {
				in := newVTString("", &serverVT)
				if err := ss.RecvMsg(in); err != nil {
					return nil, err
				}
				out := newVTString("two", &serverVT)
				streamed = append(streamed, in, out)
				return nil, ss.SendMsg(out)
			}},
		},
	})
	c := dialClient(t, path, clientOpts...)
	ctx := context.Background()

	req, resp := newVTString("ping", &clientVT), newVTString("", &clientVT)
	if err := c.Call(ctx, "codec", "Unary", req, resp); err != nil || resp.Value != "pong" || received.Value != "ping" {
		t.Fatalf("Call = %v, answer %q, server got %q", err, resp.Value, received.Value)
	}
	checkTouched(t, "unary request, client side", req.StringValue, "ping", false, withCodec)
	checkTouched(t, "unary request, server side", received.StringValue, "ping", true, withCodec)
	checkTouched(t, "unary response, server side", sentBack.StringValue, "pong", false, withCodec)
	checkTouched(t, "unary response, client side", resp.StringValue, "pong", true, withCodec)

	stream, err := c.NewStream(ctx, &StreamDesc{StreamingClient: true, StreamingServer: true}, "codec", "Bidi", nil)
	if err != nil {
		t.Fatal(err)
	}
	one, two := newVTString("one", &clientVT), newVTString("", &clientVT)
	if err := stream.SendMsg(one); err != nil {
		t.Fatal(err)
	}
	if err := stream.RecvMsg(two); err != nil || two.Value != "two" {
		t.Fatalf("RecvMsg = %q, %v", two.Value, err)
	}
	if err := stream.RecvMsg(newVTString("", &clientVT)); err != io.EOF {
		t.Fatalf("RecvMsg at the end = %v, want io.EOF", err)
	}
	checkTouched(t, "stream message, client side", one.StringValue, "one", false, withCodec)
	checkTouched(t, "stream message, server side", streamed[0].StringValue, "one", true, withCodec)
	checkTouched(t, "server's stream message, server side", streamed[1].StringValue, "two", false, withCodec)
	checkTouched(t, "server's stream message, client side", two.StringValue, "two", true, withCodec)

	// Four messages each way: the vtprotobuf methods ran for each of them
	// on each side, or never.
	want := int64(4)
	if withCodec {
		want = 0
	}
	if clientVT.Load() != want || serverVT.Load() != want {
		t.Errorf("vtprotobuf methods ran %d times on the client and %d on the server, want %d each", clientVT.Load(), serverVT.Load(), want)
	}
}
