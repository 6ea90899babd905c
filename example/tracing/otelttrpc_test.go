// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package tracing_test

// These tests put containerd's ttrpc with containerd's otelttrpc on one side
// of a call and this library with package otel (featherotel) on the other, in both
// directions, and check that the two spans join into one trace: the proof
// that both write the span context into ttrpc metadata in the same format.

import (
	"context"
	"errors"
	"net"
	"sort"
	"testing"

	"github.com/containerd/otelttrpc"
	cttrpc "github.com/containerd/ttrpc"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
	featherotel "github.com/featherrpc/ttrpc/otel"
)

// theirClient returns containerd's ttrpc client, traced by otelttrpc into
// tp, connected to path and closed when the test ends.
func theirClient(t *testing.T, path string, tp trace.TracerProvider) *cttrpc.Client {
	t.Helper()
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	c := cttrpc.NewClient(conn, cttrpc.WithUnaryClientInterceptor(
		otelttrpc.UnaryClientInterceptor(otelttrpc.WithTracerProvider(tp), otelttrpc.WithPropagators(propagators))))
	t.Cleanup(func() { c.Close() })
	return c
}

// startTheirServer serves Hello with containerd's ttrpc, traced by
// otelttrpc into tp, on a Unix socket until the test ends.
func startTheirServer(t *testing.T, tp trace.TracerProvider, log *handlerLog) string {
	t.Helper()
	s, err := cttrpc.NewServer(cttrpc.WithUnaryServerInterceptor(
		otelttrpc.UnaryServerInterceptor(otelttrpc.WithTracerProvider(tp), otelttrpc.WithPropagators(propagators))))
	if err != nil {
		t.Fatal(err)
	}
	s.Register(service, map[string]cttrpc.Method{
		"Hello": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			md, _ := cttrpc.GetMetadata(ctx)
			log.record(ctx, "Hello", md)
			req := &wrapperspb.StringValue{}
			if err := unmarshal(req); err != nil {
				return nil, err
			}
			return wrapperspb.String("hello, " + req.Value), nil
		},
	})
	path := socketPath(t)
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	// Owner: the test. Serve returns when the cleanup closes the server.
	go func() { served <- s.Serve(context.Background(), l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-served; err != nil && !errors.Is(err, cttrpc.ErrServerClosed) {
			t.Errorf("their Serve returned %v", err)
		}
	})
	return path
}

// TestOtelttrpcClientJoinsOurServer: containerd's client with otelttrpc
// calls our server with package otel (featherotel).
func TestOtelttrpcClientJoinsOurServer(t *testing.T) {
	leakcheck.Check(t)
	tp, sr := newRecorder(t)
	log := &handlerLog{}
	path := startOurServer(t, log, tracingServerOptions(tp)...)
	ctx, root := rootContext(t, tp)
	if err := theirClient(t, path, tp).Call(ctx, service, "Hello", wrapperspb.String("x"), &wrapperspb.StringValue{}); err != nil {
		t.Fatal(err)
	}
	name := service + "/Hello"
	client := spanNamed(t, sr, name, trace.SpanKindClient)
	server := spanNamed(t, sr, name, trace.SpanKindServer)
	if got := client.InstrumentationScope().Name; got != "github.com/containerd/otelttrpc" {
		t.Fatalf("client span made by %q", got)
	}
	if got := server.InstrumentationScope().Name; got != featherotel.InstrumentationName {
		t.Fatalf("server span made by %q", got)
	}
	checkLinked(t, root, client, false)
	checkLinked(t, client.SpanContext(), server, true)
	if v := log.get("Hello").baggage.Member("tenant").Value(); v != "acme" {
		t.Errorf("baggage tenant = %q, want acme", v)
	}
}

// TestOurClientJoinsOtelttrpcServer: our client with package otel (featherotel) calls
// containerd's server with otelttrpc.
func TestOurClientJoinsOtelttrpcServer(t *testing.T) {
	leakcheck.Check(t)
	tp, sr := newRecorder(t)
	log := &handlerLog{}
	path := startTheirServer(t, tp, log)
	c := ourClient(t, path, featherotel.ClientOption(featherotel.WithTracerProvider(tp), featherotel.WithPropagators(propagators)))
	ctx, root := rootContext(t, tp)
	if err := c.Call(ctx, service, "Hello", wrapperspb.String("x"), &wrapperspb.StringValue{}); err != nil {
		t.Fatal(err)
	}
	name := service + "/Hello"
	client := spanNamed(t, sr, name, trace.SpanKindClient)
	server := spanNamed(t, sr, name, trace.SpanKindServer)
	if got := client.InstrumentationScope().Name; got != featherotel.InstrumentationName {
		t.Fatalf("client span made by %q", got)
	}
	if got := server.InstrumentationScope().Name; got != "github.com/containerd/otelttrpc" {
		t.Fatalf("server span made by %q", got)
	}
	checkLinked(t, root, client, false)
	checkLinked(t, client.SpanContext(), server, true)
	if got := log.get("Hello").span; got.SpanID() != server.SpanContext().SpanID() {
		t.Errorf("their handler runs in span %v, want their server span %v", got.SpanID(), server.SpanContext().SpanID())
	}
	if v := log.get("Hello").baggage.Member("tenant").Value(); v != "acme" {
		t.Errorf("baggage tenant = %q, want acme", v)
	}
}

// TestSameMetadataAsOtelttrpc compares, key for key, the metadata that
// otelttrpc's client and ours send for the same span context, as our
// server receives it.
func TestSameMetadataAsOtelttrpc(t *testing.T) {
	leakcheck.Check(t)
	tp, _ := newRecorder(t)
	log := &handlerLog{}
	path := startOurServer(t, log) // untraced: it only records what arrives
	ctx, _ := rootContext(t, tp)

	if err := theirClient(t, path, tp).Call(ctx, service, "Hello", wrapperspb.String("x"), &wrapperspb.StringValue{}); err != nil {
		t.Fatal(err)
	}
	theirs := log.get("Hello").metadata
	ours := ourClient(t, path, featherotel.ClientOption(featherotel.WithTracerProvider(tp), featherotel.WithPropagators(propagators)))
	if err := ours.Call(ctx, service, "Hello", wrapperspb.String("x"), &wrapperspb.StringValue{}); err != nil {
		t.Fatal(err)
	}
	mine := log.get("Hello").metadata

	keys := func(md map[string][]string) []string {
		var out []string
		for k := range md {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	if got, want := keys(mine), keys(theirs); len(got) != len(want) || len(got) != 2 || got[0] != "baggage" || got[1] != "traceparent" || want[0] != got[0] || want[1] != got[1] {
		t.Fatalf("our keys %q, otelttrpc's %q; want [baggage traceparent] from both", got, want)
	}
	if mine["baggage"][0] != theirs["baggage"][0] {
		t.Errorf("baggage: ours %q, otelttrpc's %q", mine["baggage"], theirs["baggage"])
	}
	// Both traceparents name the root's trace; the span ids differ, each
	// being the id of the client span that sent it.
	for _, tp := range [][]string{mine["traceparent"], theirs["traceparent"]} {
		if len(tp) != 1 || !traceparent.MatchString(tp[0]) {
			t.Fatalf("traceparent %q is not one W3C value", tp)
		}
	}
	if a, b := traceparent.FindStringSubmatch(mine["traceparent"][0])[1], traceparent.FindStringSubmatch(theirs["traceparent"][0])[1]; a != b {
		t.Errorf("trace ids differ: ours %s, otelttrpc's %s", a, b)
	}
}
