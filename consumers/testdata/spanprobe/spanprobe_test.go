// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// This file is copied into a copy of github.com/containerd/otelttrpc by
// ../../spans_test.go and run there, once on containerd's ttrpc and once
// swapped for featherrpc's: it prints what otelttrpc's spans say about an
// OK call and a NotFound call, and what the caller got.
package otelttrpc_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/containerd/otelttrpc"
	"github.com/containerd/ttrpc"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestSpanProbe(t *testing.T) {
	recorder := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	opts := []otelttrpc.Option{
		otelttrpc.WithTracerProvider(tp),
		otelttrpc.WithMessageEvents(otelttrpc.ReceivedEvents, otelttrpc.SentEvents),
	}

	server, err := ttrpc.NewServer(ttrpc.WithUnaryServerInterceptor(otelttrpc.UnaryServerInterceptor(opts...)))
	if err != nil {
		t.Fatal(err)
	}
	server.Register("probe.v1.Probe", map[string]ttrpc.Method{
		"Find": func(_ context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			req := &wrapperspb.StringValue{}
			if err := unmarshal(req); err != nil {
				return nil, err
			}
			return nil, status.Errorf(codes.NotFound, "container %s: not found", req.Value)
		},
		"Ping": func(_ context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			req := &wrapperspb.StringValue{}
			if err := unmarshal(req); err != nil {
				return nil, err
			}
			return wrapperspb.String("pong " + req.Value), nil
		},
	})
	os.Remove("probe.sock")
	l, err := net.Listen("unix", "probe.sock") // relative: the same name in every copy
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(context.Background(), l) }()

	conn, err := net.Dial("unix", "probe.sock")
	if err != nil {
		t.Fatal(err)
	}
	client := ttrpc.NewClient(conn, ttrpc.WithUnaryClientInterceptor(otelttrpc.UnaryClientInterceptor(opts...)))

	for _, method := range []string{"Ping", "Find"} {
		resp := &wrapperspb.StringValue{}
		err := client.Call(context.Background(), "probe.v1.Probe", method, wrapperspb.String("c1"), resp)
		st := status.Convert(err)
		fmt.Printf("CALLER %s: code=%v message=%q resp=%q\n", method, st.Code(), st.Message(), resp.Value)
	}
	client.Close()
	server.Close()
	<-served

	var lines []string
	for _, s := range recorder.Ended() {
		line := fmt.Sprintf("SPAN %s kind=%v status=%v %q attrs=[%s] events=[", s.Name(), s.SpanKind(), s.Status().Code, s.Status().Description, attrs(s.Attributes()))
		for _, e := range s.Events() {
			line += fmt.Sprintf("%s{%s} ", e.Name, attrs(e.Attributes))
		}
		lines = append(lines, line+"]")
	}
	sort.Strings(lines)
	fmt.Println(strings.Join(lines, "\n"))
}

// attrs prints kvs sorted, as key=value.
func attrs(kvs []attribute.KeyValue) string {
	var out []string
	for _, kv := range kvs {
		out = append(out, string(kv.Key)+"="+kv.Value.Emit())
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
