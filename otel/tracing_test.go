// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package otel_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"go.opentelemetry.io/otel/baggage"
	otelcodes "go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/status"
)

// rootContext returns a context with a root span of tp's tracer (ended when
// the test ends) and a baggage member tenant=acme.
func rootContext(t *testing.T, tp trace.TracerProvider) (context.Context, trace.SpanContext) {
	t.Helper()
	member, err := baggage.NewMember("tenant", "acme")
	if err != nil {
		t.Fatal(err)
	}
	bag, err := baggage.New(member)
	if err != nil {
		t.Fatal(err)
	}
	ctx, span := tp.Tracer("test").Start(baggage.ContextWithBaggage(context.Background(), bag), "root")
	t.Cleanup(func() { span.End() })
	return ctx, span.SpanContext()
}

// checkPair checks the client and server spans of one call to method: the
// client span a child of root, the server span a child of the client span
// through the wire, the handler running in the server span, and the
// attributes of both. It returns the two spans.
func checkPair(t *testing.T, e *env, root trace.SpanContext, method string, code codes.Code) (client, server sdktrace.ReadOnlySpan) {
	t.Helper()
	name := service + "/" + method
	client = spanNamed(t, e.sr, name, trace.SpanKindClient)
	server = spanNamed(t, e.sr, name, trace.SpanKindServer)
	checkLinked(t, root, client, false)
	checkLinked(t, client.SpanContext(), server, true)
	if got := e.log.get(method).span; got.SpanID() != server.SpanContext().SpanID() {
		t.Errorf("%s handler runs in span %v, want the server span %v", method, got.SpanID(), server.SpanContext().SpanID())
	}
	for _, span := range []sdktrace.ReadOnlySpan{client, server} {
		for key, want := range map[string]any{
			"rpc.system": "ttrpc", "rpc.service": service, "rpc.method": method, "rpc.ttrpc.status_code": int64(code),
		} {
			if got := attr(span, key); got != want {
				t.Errorf("%s %v span: %s = %v, want %v", method, span.SpanKind(), key, got, want)
			}
		}
	}
	return client, server
}

func TestUnaryTraceJoins(t *testing.T) {
	leakcheck.Check(t)
	e := traced(t)
	ctx, root := rootContext(t, e.tp)
	// The caller's own metadata stays; a stale traceparent is replaced.
	ctx = ttrpc.WithMetadata(ctx, ttrpc.MD{"lang": {"fr"}, "traceparent": {"00-stale"}})
	resp := &wrapperspb.StringValue{}
	if err := e.client.Call(ctx, service, "Hello", wrapperspb.String("world"), resp); err != nil {
		t.Fatal(err)
	}
	client, server := checkPair(t, e, root, "Hello", codes.OK)
	for _, span := range []sdktrace.ReadOnlySpan{client, server} {
		if span.Status().Code != otelcodes.Unset {
			t.Errorf("%v span status = %v, want Unset", span.SpanKind(), span.Status())
		}
	}

	got := e.log.get("Hello")
	if v := got.metadata["lang"]; len(v) != 1 || v[0] != "fr" {
		t.Errorf("lang = %q, want [fr]", v)
	}
	want := fmt.Sprintf("00-%s-%s-01", client.SpanContext().TraceID(), client.SpanContext().SpanID())
	if v := got.metadata["traceparent"]; len(v) != 1 || v[0] != want {
		t.Errorf("traceparent = %q, want [%s]", v, want)
	}
	if v := got.metadata["baggage"]; len(v) != 1 || v[0] != "tenant=acme" {
		t.Errorf("baggage = %q, want [tenant=acme]", v)
	}
	if v := got.baggage.Member("tenant").Value(); v != "acme" {
		t.Errorf("baggage in the handler's context: tenant = %q, want acme", v)
	}
}

func TestErrorsOnSpans(t *testing.T) {
	leakcheck.Check(t)
	e := traced(t)
	tests := []struct {
		req         string
		code        codes.Code
		msg         string
		serverError bool // the server's span is an error too
	}{
		{"notfound", codes.NotFound, "no such greeting", false},
		{"internal", codes.Internal, "greeter broke", true},
	}
	for _, tc := range tests {
		t.Run(tc.req, func(t *testing.T) {
			e.sr.Reset()
			ctx, root := rootContext(t, e.tp)
			err := e.client.Call(ctx, service, "Hello", wrapperspb.String(tc.req), &wrapperspb.StringValue{})
			if status.Code(err) != tc.code {
				t.Fatalf("Call = %v, want %v", err, tc.code)
			}
			client, server := checkPair(t, e, root, "Hello", tc.code)
			if st := client.Status(); st.Code != otelcodes.Error || st.Description != tc.msg {
				t.Errorf("client span status = %+v, want Error %q", st, tc.msg)
			}
			want := otelcodes.Unset
			if tc.serverError {
				want = otelcodes.Error
			}
			if st := server.Status(); st.Code != want {
				t.Errorf("server span status = %+v, want %v", st, want)
			}
		})
	}
}

func TestStreamsTraceJoin(t *testing.T) {
	leakcheck.Check(t)
	e := traced(t)
	ctx, root := rootContext(t, e.tp)

	// A server stream, read to its end.
	s, err := e.client.NewStream(ctx, &ttrpc.StreamDesc{StreamingServer: true}, service, "Count", wrapperspb.UInt32(3))
	if err != nil {
		t.Fatal(err)
	}
	if n := drain(t, s); n != 3 {
		t.Fatalf("Count sent %d messages, want 3", n)
	}
	checkPair(t, e, root, "Count", codes.OK)

	// A client stream: the span ends with the single response.
	if got := sumOfFour(ctx, t, e.client); got != 6 {
		t.Fatalf("Sum = %d, want 6", got)
	}
	checkPair(t, e, root, "Sum", codes.OK)

	// A bidirectional stream.
	s, err = e.client.NewStream(ctx, &ttrpc.StreamDesc{StreamingClient: true, StreamingServer: true}, service, "Chat", nil)
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
	if n := drain(t, s); n != 2 {
		t.Fatalf("Chat echoed %d messages, want 2", n)
	}
	checkPair(t, e, root, "Chat", codes.OK)
	if v := e.log.get("Chat").metadata["traceparent"]; len(v) != 1 {
		t.Errorf("the stream's traceparent = %q, want one value", v)
	}
}

// TestStreamSpanEndsWithContext checks that a stream nobody reads to its
// end still ends its client span, when its context does.
func TestStreamSpanEndsWithContext(t *testing.T) {
	leakcheck.Check(t)
	e := traced(t)
	ctx, root := rootContext(t, e.tp)
	ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := e.client.NewStream(ctx, &ttrpc.StreamDesc{StreamingClient: true, StreamingServer: true}, service, "Hang", nil); err != nil {
		t.Fatal(err)
	}
	// The deadline travels with the stream, so the handler ends too.
	client, server := checkPair(t, e, root, "Hang", codes.DeadlineExceeded)
	for _, span := range []sdktrace.ReadOnlySpan{client, server} {
		if span.Status().Code != otelcodes.Error {
			t.Errorf("%v span status = %+v, want Error", span.SpanKind(), span.Status())
		}
	}
}

// TestUntracedPeers checks both halves alone: a traced client's span is a
// root without a parent, and a traced server under an untraced client
// starts a root span.
func TestUntracedPeers(t *testing.T) {
	leakcheck.Check(t)
	e := traced(t)
	if err := e.client.Call(context.Background(), service, "Hello", wrapperspb.String("x"), &wrapperspb.StringValue{}); err != nil {
		t.Fatal(err)
	}
	client := spanNamed(t, e.sr, service+"/Hello", trace.SpanKindClient)
	if client.Parent().IsValid() {
		t.Errorf("client span without a parent span has parent %v", client.Parent())
	}
	checkLinked(t, client.SpanContext(), spanNamed(t, e.sr, service+"/Hello", trace.SpanKindServer), true)

	tp, sr := newRecorder(t)
	log := &handlerLog{}
	path := startOurServer(t, log, tracingServerOptions(tp)...)
	plain := ourClient(t, path)
	if err := plain.Call(context.Background(), service, "Hello", wrapperspb.String("x"), &wrapperspb.StringValue{}); err != nil {
		t.Fatal(err)
	}
	server := spanNamed(t, sr, service+"/Hello", trace.SpanKindServer)
	if server.Parent().IsValid() {
		t.Errorf("server span of an untraced call has parent %v", server.Parent())
	}
	if _, ok := log.get("Hello").metadata["traceparent"]; ok {
		t.Errorf("an untraced client sent a traceparent")
	}
}

// drain reads s to its end, which must be io.EOF, and returns the number
// of messages read.
func drain(t *testing.T, s ttrpc.ClientStream) int {
	t.Helper()
	for n := 0; ; n++ {
		err := s.RecvMsg(&wrapperspb.StringValue{})
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// sumOfFour streams 0, 1, 2 and 3 to Sum and returns its answer.
func sumOfFour(ctx context.Context, t *testing.T, c *ttrpc.Client) uint32 {
	t.Helper()
	s, err := c.NewStream(ctx, &ttrpc.StreamDesc{StreamingClient: true}, service, "Sum", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if err := s.SendMsg(wrapperspb.UInt32(uint32(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CloseSend(); err != nil {
		t.Fatal(err)
	}
	sum := &wrapperspb.UInt32Value{}
	if err := s.RecvMsg(sum); err != nil {
		t.Fatal(err)
	}
	return sum.Value
}
