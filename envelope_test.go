// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The hand-coded envelopes must give exactly the bytes proto.Marshal gives
// for the generated types, and decode exactly what proto.Unmarshal decodes.

func TestEncodeRequestMatchesProtoMarshal(t *testing.T) {
	for _, tc := range []struct {
		name            string
		service, method string
		msg             proto.Message
		timeout         int64
		md              MD
	}{
		{"empty everything", "", "", nil, 0, nil},
		{"names only", "svc.v1.S", "M", nil, 0, nil},
		{"empty message", "svc.v1.S", "M", &wrapperspb.StringValue{}, 0, nil},
		{"message", "svc.v1.S", "M", wrapperspb.String("hello"), 0, nil},
		{"large message", "s", "m", wrapperspb.Bytes(bytes.Repeat([]byte{7}, 70_000)), 0, nil},
		{"timeout", "s", "m", wrapperspb.Int64(3), int64(30 * time.Second), nil},
		{"negative timeout", "s", "m", nil, -5, nil},
		{"one key, values in order", "s", "m", nil, 0, MD{"k": {"a", "", "c"}}},
		{"empty key and value", "s", "m", nil, 0, MD{"": {""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var msg interface{}
			if tc.msg != nil {
				msg = tc.msg
			}
			data, err := encodeRequest(tc.service, tc.method, msg, tc.timeout, tc.md)
			if err != nil {
				t.Fatal(err)
			}
			var payload []byte
			if tc.msg != nil {
				payload, _ = proto.Marshal(tc.msg)
			}
			want, _ := proto.Marshal(&Request{
				Service: tc.service, Method: tc.method, Payload: payload,
				TimeoutNano: tc.timeout, Metadata: tc.md.toKeyValues(),
			})
			if !bytes.Equal(*data, want) {
				t.Fatalf("encodeRequest = %x\nproto.Marshal = %x", *data, want)
			}
		})
	}
}

func TestEncodeRequestSeveralKeys(t *testing.T) {
	md := MD{"a": {"1", "2"}, "b": {"3"}, "c": {}}
	data, err := encodeRequest("s", "m", nil, 0, md)
	if err != nil {
		t.Fatal(err)
	}
	got := &Request{}
	if err := proto.Unmarshal(*data, got); err != nil {
		t.Fatal(err)
	}
	back := metadataFromKeyValues(got.Metadata)
	if len(back) != 2 || len(back["a"]) != 2 || back["a"][1] != "2" || back["b"][0] != "3" {
		t.Fatalf("metadata round trip = %v", back)
	}
}

func TestEncodeResponseMatchesProtoMarshal(t *testing.T) {
	withDetails, err := status.New(codes.NotFound, "gone").WithDetails(durationpb.New(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		st   *status.Status
		msg  proto.Message
	}{
		{"ok, no message", nil, nil},
		{"ok status is omitted", status.New(codes.OK, ""), wrapperspb.String("x")},
		{"message", nil, wrapperspb.Bytes(bytes.Repeat([]byte{1}, 1000))},
		{"error with details", withDetails, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var msg interface{}
			if tc.msg != nil {
				msg = tc.msg
			}
			data, err := encodeResponse(tc.st, msg)
			if err != nil {
				t.Fatal(err)
			}
			want := &Response{}
			if tc.msg != nil {
				want.Payload, _ = proto.Marshal(tc.msg)
			}
			if tc.st.Code() != codes.OK {
				want.Status = tc.st.Proto()
			}
			wantBytes, _ := proto.Marshal(want)
			if !bytes.Equal(*data, wantBytes) {
				t.Fatalf("encodeResponse = %x\nproto.Marshal  = %x", *data, wantBytes)
			}
		})
	}
}

func TestDecodeRequestRejectsWhatProtoRejects(t *testing.T) {
	for name, b := range map[string][]byte{
		"truncated tag":       {0x0a},
		"length past the end": {0x0a, 0x05, 'a'},
		"field number zero":   {0x02, 0x00},
		"invalid UTF-8 name":  {0x0a, 0x01, 0xff},
		"invalid UTF-8 key":   {0x2a, 0x03, 0x0a, 0x01, 0xff},
		"truncated varint":    {0x20, 0x80},
	} {
		_, err := decodeRequestWhole(b)
		protoErr := proto.Unmarshal(b, &Request{})
		if err == nil || protoErr == nil {
			t.Errorf("%s: decodeRequest error %v, proto.Unmarshal error %v; want both to fail", name, err, protoErr)
		}
		if err != nil && !errors.Is(err, errMalformedEnvelope) {
			t.Errorf("%s: error %v does not wrap errMalformedEnvelope", name, err)
		}
	}
}

// FuzzDecodeRequestMatchesProto checks the hand-coded decoder against
// proto.Unmarshal on arbitrary bytes: both accept or both refuse, and they
// agree on every field.
func FuzzDecodeRequestMatchesProto(f *testing.F) {
	seed, _ := proto.Marshal(&Request{
		Service: "svc.v1.S", Method: "M", Payload: []byte("payload"), TimeoutNano: -7,
		Metadata: []*KeyValue{{Key: "K", Value: "v"}, {Key: "k", Value: "w"}, {}},
	})
	f.Add(seed)
	f.Add([]byte{})
	f.Add(protowire.AppendTag(seed, 9, protowire.Fixed32Type)) // an unknown field at the end, truncated
	f.Add(append(seed, 0x0a, 0x01, 'X'))                       // a repeated scalar: the last wins
	f.Add([]byte{0x08, 0x01})                                  // service with the wrong wire type
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := decodeRequestWhole(b)
		want := &Request{}
		protoErr := proto.Unmarshal(b, want)
		if (err == nil) != (protoErr == nil) {
			t.Fatalf("decodeRequest error %v, proto.Unmarshal error %v", err, protoErr)
		}
		if err != nil {
			return
		}
		if string(env.service) != want.Service || string(env.method) != want.Method ||
			!bytes.Equal(env.payload, want.Payload) || env.timeoutNano != want.TimeoutNano {
			t.Fatalf("decodeRequest = %q %q %x %d, proto = %q %q %x %d", env.service, env.method, env.payload,
				env.timeoutNano, want.Service, want.Method, want.Payload, want.TimeoutNano)
		}
		wantMD := metadataFromKeyValues(want.Metadata)
		if len(want.Metadata) == 0 {
			wantMD = nil
		}
		if len(env.metadata) != len(wantMD) {
			t.Fatalf("metadata %v, proto %v", env.metadata, wantMD)
		}
		for key, values := range wantMD {
			if got := env.metadata[key]; !slices.Equal(got, values) {
				t.Fatalf("metadata %q = %q, proto %q", key, got, values)
			}
		}
	})
}

// FuzzDecodeResponseMatchesProto does the same for Response envelopes.
func FuzzDecodeResponseMatchesProto(f *testing.F) {
	st, _ := status.New(codes.Internal, "x").WithDetails(durationpb.New(time.Second))
	seed, _ := proto.Marshal(&Response{Status: st.Proto(), Payload: []byte("p")})
	f.Add(seed)
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x00}) // an empty status: OK
	f.Fuzz(func(t *testing.T, b []byte) {
		gotStatus, payload, err := decodeResponse(b)
		want := &Response{}
		protoErr := proto.Unmarshal(b, want)
		if (err == nil) != (protoErr == nil) {
			t.Fatalf("decodeResponse error %v, proto.Unmarshal error %v", err, protoErr)
		}
		if err != nil {
			return
		}
		if !bytes.Equal(payload, want.Payload) || gotStatus.GetCode() != want.GetStatus().GetCode() ||
			gotStatus.GetMessage() != want.GetStatus().GetMessage() || len(gotStatus.GetDetails()) != len(want.GetStatus().GetDetails()) {
			t.Fatalf("decodeResponse = %v %x, proto = %v %x", gotStatus, payload, want.Status, want.Payload)
		}
	})
}
