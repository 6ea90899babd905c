// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package otel_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	otelttrpc "github.com/featherrpc/ttrpc/otel"
)

// messageEvents lists a span's message events as "SENT 1", "RECEIVED 2",
// ..., each direction in the order recorded.
func messageEvents(t *testing.T, s sdktrace.ReadOnlySpan) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, ev := range s.Events() {
		if ev.Name != "message" {
			t.Errorf("span %q has event %q", s.Name(), ev.Name)
			continue
		}
		var typ string
		var id int64
		for _, kv := range ev.Attributes {
			switch kv.Key {
			case otelttrpc.RPCMessageTypeKey:
				typ = kv.Value.AsString()
			case otelttrpc.RPCMessageIDKey:
				id = kv.Value.AsInt64()
			}
		}
		out[typ] = append(out[typ], fmt.Sprintf("%s %d", typ, id))
	}
	return out
}

// numbered returns "TYP 1" ... "TYP n", or nil for n == 0.
func numbered(typ string, n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf("%s %d", typ, i))
	}
	return out
}

// checkEvents checks the message events of the client and the server span
// of method: how many messages each side sent and received.
func checkEvents(t *testing.T, e *env, method string, clientSent, serverSent int, sent, received bool) {
	t.Helper()
	name := service + "/" + method
	for _, side := range []struct {
		kind       trace.SpanKind
		sent, recv int
	}{{trace.SpanKindClient, clientSent, serverSent}, {trace.SpanKindServer, serverSent, clientSent}} {
		want := map[string][]string{}
		if n := numbered("SENT", side.sent); sent && n != nil {
			want["SENT"] = n
		}
		if n := numbered("RECEIVED", side.recv); received && n != nil {
			want["RECEIVED"] = n
		}
		if got := messageEvents(t, spanNamed(t, e.sr, name, side.kind)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s %v span: events %v, want %v", method, side.kind, got, want)
		}
	}
}

// exercise makes a unary call, a server stream of 3, a client stream of 4
// and a bidi stream of 2 messages each way.
func exercise(t *testing.T, c *ttrpc.Client) {
	t.Helper()
	ctx := context.Background()
	if err := c.Call(ctx, service, "Hello", wrapperspb.String("x"), &wrapperspb.StringValue{}); err != nil {
		t.Fatal(err)
	}
	s, err := c.NewStream(ctx, &ttrpc.StreamDesc{StreamingServer: true}, service, "Count", wrapperspb.UInt32(3))
	if err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	if got := sumOfFour(ctx, t, c); got != 6 {
		t.Fatalf("Sum = %d, want 6", got)
	}
	s, err = c.NewStream(ctx, &ttrpc.StreamDesc{StreamingClient: true, StreamingServer: true}, service, "Chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"a", "b"} {
		if err := s.SendMsg(wrapperspb.String(m)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CloseSend(); err != nil {
		t.Fatal(err)
	}
	drain(t, s)
}

func TestMessageEvents(t *testing.T) {
	for _, tc := range []struct {
		name           string
		opts           []otelttrpc.Option
		sent, received bool
	}{
		{"none", nil, false, false},
		{"both", []otelttrpc.Option{otelttrpc.WithMessageEvents(otelttrpc.ReceivedEvents, otelttrpc.SentEvents)}, true, true},
		{"sent", []otelttrpc.Option{otelttrpc.WithMessageEvents(otelttrpc.SentEvents)}, true, false},
		{"received", []otelttrpc.Option{otelttrpc.WithMessageEvents(otelttrpc.ReceivedEvents)}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Check(t)
			e := traced(t, tc.opts...)
			exercise(t, e.client)
			checkEvents(t, e, "Hello", 1, 1, tc.sent, tc.received)
			checkEvents(t, e, "Count", 1, 3, tc.sent, tc.received)
			checkEvents(t, e, "Sum", 4, 1, tc.sent, tc.received)
			checkEvents(t, e, "Chat", 2, 2, tc.sent, tc.received)
		})
	}
}
