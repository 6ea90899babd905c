// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package otel_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	otelttrpc "github.com/featherrpc/ttrpc/otel"
)

// TestOtelttrpcShape is written as code for containerd's otelttrpc is,
// with its names only (the interceptors given with WithUnary*Interceptor,
// its options, its attribute keys and values): that it compiles is the
// point, and the spans it makes are checked too.
func TestOtelttrpcShape(t *testing.T) {
	leakcheck.Check(t)
	tp, sr := newRecorder(t)
	opts := []otelttrpc.Option{
		otelttrpc.WithTracerProvider(tp),
		otelttrpc.WithPropagators(propagators),
		otelttrpc.WithMessageEvents(otelttrpc.ReceivedEvents, otelttrpc.SentEvents),
	}
	log := &handlerLog{}
	path := startOurServer(t, log, ttrpc.WithUnaryServerInterceptor(otelttrpc.UnaryServerInterceptor(opts...)))
	client := ourClient(t, path, ttrpc.WithUnaryClientInterceptor(otelttrpc.UnaryClientInterceptor(opts...)))
	if err := client.Call(context.Background(), service, "Hello", wrapperspb.String("x"), &wrapperspb.StringValue{}); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []trace.SpanKind{trace.SpanKindClient, trace.SpanKindServer} {
		span := spanNamed(t, sr, service+"/Hello", kind)
		attrs := attribute.NewSet(span.Attributes()...)
		if v, _ := attrs.Value(otelttrpc.RPCSystemTTRPC.Key); v != otelttrpc.RPCSystemTTRPC.Value {
			t.Errorf("%v span: %s = %v", kind, otelttrpc.RPCSystemTTRPC.Key, v.Emit())
		}
		if v, ok := attrs.Value(otelttrpc.TTRPCStatusCodeKey); !ok || v.AsInt64() != 0 {
			t.Errorf("%v span: %s = %v", kind, otelttrpc.TTRPCStatusCodeKey, v.Emit())
		}
		var kinds []attribute.Value
		for _, ev := range span.Events() {
			set := attribute.NewSet(ev.Attributes...)
			v, _ := set.Value(otelttrpc.RPCMessageTypeKey)
			if id, _ := set.Value(otelttrpc.RPCMessageIDKey); id.AsInt64() != 1 {
				t.Errorf("%v span: event %v has id %v, want 1", kind, v.Emit(), id.Emit())
			}
			kinds = append(kinds, v)
		}
		if len(kinds) != 2 || !hasValue(kinds, otelttrpc.RPCMessageTypeSent.Value) || !hasValue(kinds, otelttrpc.RPCMessageTypeReceived.Value) {
			t.Errorf("%v span: message events %v, want one SENT and one RECEIVED", kind, kinds)
		}
	}
}

// hasValue reports whether values holds v.
func hasValue(values []attribute.Value, v attribute.Value) bool {
	for _, have := range values {
		if have == v {
			return true
		}
	}
	return false
}
