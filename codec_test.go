// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// vtBytes is a message with hand-written vtprotobuf-style methods: it is
// wire-identical to wrapperspb.BytesValue (field 1, bytes) and counts how
// often each fast method runs, so tests can tell which path the codec took.
type vtBytes struct {
	Value []byte

	sized, unmarshalled *atomic.Int64
}

func newVTBytes(v []byte) *vtBytes {
	return &vtBytes{Value: v, sized: new(atomic.Int64), unmarshalled: new(atomic.Int64)}
}

func (m *vtBytes) Reset() { m.Value = nil }

func (m *vtBytes) SizeVT() int {
	if len(m.Value) == 0 {
		return 0
	}
	return protowire.SizeTag(1) + protowire.SizeBytes(len(m.Value))
}

func (m *vtBytes) MarshalToSizedBufferVT(b []byte) (int, error) {
	m.sized.Add(1)
	if len(m.Value) == 0 {
		return 0, nil
	}
	i := len(b) - len(m.Value)
	copy(b[i:], m.Value)
	var length [binaryMaxVarintLen]byte
	l := protowire.AppendVarint(length[:0], uint64(len(m.Value)))
	i -= len(l)
	copy(b[i:], l)
	i--
	b[i] = 0x0a // field 1, bytes
	return len(b) - i, nil
}

func (m *vtBytes) UnmarshalVT(b []byte) error {
	m.unmarshalled.Add(1)
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if num != 1 || typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, b)
		} else {
			var v []byte
			v, n = protowire.ConsumeBytes(b)
			m.Value = append(m.Value[:0], v...)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
	}
	return nil
}

const binaryMaxVarintLen = 10

// vtMarshalOnly has only MarshalVT (no sized variant).
type vtMarshalOnly struct{ calls int }

func (m *vtMarshalOnly) MarshalVT() ([]byte, error) { m.calls++; return []byte{0x0a, 0x01, 'x'}, nil }

func TestCodecUsesVTMethods(t *testing.T) {
	m := newVTBytes([]byte("fast"))
	b, err := envelopeCodec.marshal(m)
	if err != nil || m.sized.Load() != 1 {
		t.Fatalf("marshal = %v; MarshalToSizedBufferVT ran %d times", err, m.sized.Load())
	}
	want, _ := proto.Marshal(wrapperspb.Bytes([]byte("fast")))
	if !bytes.Equal(b, want) {
		t.Fatalf("fast encoding %x differs from protobuf's %x", b, want)
	}
	// Appending keeps what the buffer held.
	b2, err := appendMessage([]byte("prefix"), m)
	if err != nil || !bytes.Equal(b2, append([]byte("prefix"), want...)) {
		t.Fatalf("appendMessage = %q, %v", b2, err)
	}
	out := newVTBytes([]byte("stale contents"))
	if err := envelopeCodec.unmarshal(want, out); err != nil || out.unmarshalled.Load() != 1 || string(out.Value) != "fast" {
		t.Fatalf("unmarshal = %q, %v (UnmarshalVT ran %d times)", out.Value, err, out.unmarshalled.Load())
	}
	if err := envelopeCodec.unmarshal(nil, out); err != nil || out.Value != nil {
		t.Fatalf("unmarshal of an empty message left %q, %v; want a reset message", out.Value, err)
	}
	only := &vtMarshalOnly{}
	if b, err := envelopeCodec.marshal(only); err != nil || only.calls != 1 || string(b) != "\n\x01x" {
		t.Fatalf("MarshalVT path = %q, %v, %d calls", b, err, only.calls)
	}
	if _, err := envelopeCodec.marshal(struct{}{}); err == nil {
		t.Fatal("marshalling a non-message succeeded")
	}
	if err := envelopeCodec.unmarshal(nil, struct{}{}); err == nil {
		t.Fatal("unmarshalling into a non-message succeeded")
	}
}

func TestVTMessagesEndToEnd(t *testing.T) {
	s, c := streamSetup(t)
	s.Register("vt.Service", map[string]Method{
		"Echo": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			req := newVTBytes(nil)
			if err := unmarshal(req); err != nil {
				return nil, err
			}
			if req.unmarshalled.Load() != 1 {
				return nil, errors.New("server did not use UnmarshalVT")
			}
			return newVTBytes(append(req.Value, '!')), nil
		},
	})
	req, resp := newVTBytes([]byte("hi")), newVTBytes(nil)
	if err := c.Call(context.Background(), "vt.Service", "Echo", req, resp); err != nil {
		t.Fatal(err)
	}
	if string(resp.Value) != "hi!" || req.sized.Load() != 1 || resp.unmarshalled.Load() != 1 {
		t.Fatalf("response %q; request sized %d times, response unmarshalled %d times", resp.Value, req.sized.Load(), resp.unmarshalled.Load())
	}
	// Stream messages take the fast path too; the server echoes them as
	// wrapperspb.BytesValue, which is wire-identical.
	cs, err := c.NewStream(context.Background(), echoDesc, streamService, "Echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	msg := newVTBytes([]byte("stream"))
	if err := cs.SendMsg(msg); err != nil || msg.sized.Load() != 1 {
		t.Fatalf("SendMsg = %v, sized %d times", err, msg.sized.Load())
	}
	got := newVTBytes(nil)
	if err := cs.RecvMsg(got); err != nil || string(got.Value) != "stream" || got.unmarshalled.Load() != 1 {
		t.Fatalf("RecvMsg = %q, %v", got.Value, err)
	}
	cs.CloseSend()
}

// BenchmarkCodec compares the reflection path with the vtprotobuf-style
// path for a 64-byte and a 64 KiB message.
func BenchmarkCodec(b *testing.B) {
	for _, size := range []int{64, 64 << 10} {
		payload := bytes.Repeat([]byte{'x'}, size)
		reflect, fast := wrapperspb.Bytes(payload), newVTBytes(payload)
		encoded, _ := proto.Marshal(reflect)
		for _, tc := range []struct {
			name     string
			msg, out interface{}
		}{
			{"protobuf", reflect, &wrapperspb.BytesValue{}},
			{"vtproto", fast, newVTBytes(nil)},
		} {
			b.Run(fmt.Sprintf("%s/%d", tc.name, size), func(b *testing.B) {
				b.ReportAllocs()
				buf := make([]byte, 0, size+16)
				for range b.N {
					var err error
					if buf, err = appendMessage(buf[:0], tc.msg); err != nil {
						b.Fatal(err)
					}
					if err := envelopeCodec.unmarshal(encoded, tc.out); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
