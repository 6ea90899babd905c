// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Command tracing runs the example Greeter service on a Unix socket with a
// client in the same process, both traced with OpenTelemetry through
// package github.com/featherrpc/ttrpc/otel, makes a unary call
// and a streaming one under a root span, and prints the spans as the tree
// they form, one trace across client and server:
//
//	go run ./cmd # from example/tracing
//
// It configures OpenTelemetry's globals as containerd does (W3C Trace
// Context and Baggage propagators), so the interceptors need no options. A
// real program exports the spans (OTLP, say) instead of printing them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/example/greeter"
	featherotel "github.com/featherrpc/ttrpc/otel"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tracing:", err)
		os.Exit(1)
	}
}

// run makes the calls and prints the spans to w.
func run(ctx context.Context, w io.Writer) error {
	spans := &collector{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))

	if err := callTraced(ctx); err != nil {
		return err
	}
	if err := tp.Shutdown(ctx); err != nil {
		return err
	}
	spans.print(w)
	return nil
}

// callTraced serves the Greeter on a Unix socket and calls it, traced.
func callTraced(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "ttrpc-tracing")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	server, err := ttrpc.NewServer(featherotel.ServerOptions()...)
	if err != nil {
		return err
	}
	greeter.RegisterGreeterService(server, greeterServer{})
	l, err := net.Listen("unix", filepath.Join(dir, "greeter.sock"))
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	// Owner: callTraced. Serve returns after the Close below.
	go func() { served <- server.Serve(context.Background(), l) }()
	defer func() {
		server.Close()
		<-served
	}()
	conn, err := net.Dial("unix", l.Addr().String())
	if err != nil {
		return err
	}
	client := ttrpc.NewClient(conn, featherotel.ClientOption())
	defer client.Close()
	c := greeter.NewGreeterClient(client)

	ctx, root := otel.Tracer("example").Start(ctx, "greet everybody")
	defer root.End()
	if _, err := c.Greet(ctx, &greeter.GreetRequest{Name: "world"}); err != nil {
		return err
	}
	stream, err := c.GreetMany(ctx, &greeter.GreetManyRequest{Name: "world", Count: 2})
	if err != nil {
		return err
	}
	for {
		if _, err := stream.Recv(); errors.Is(err, io.EOF) {
			return nil // reading to the end ends the stream's span
		} else if err != nil {
			return err
		}
	}
}

// greeterServer implements the example Greeter service; its handlers start
// spans of their own, which join the call's trace.
type greeterServer struct{}

func (greeterServer) Greet(ctx context.Context, req *greeter.GreetRequest) (*greeter.GreetReply, error) {
	_, span := otel.Tracer("example").Start(ctx, "compose greeting")
	defer span.End()
	return &greeter.GreetReply{Message: "hello, " + req.Name}, nil
}

func (greeterServer) GreetMany(ctx context.Context, req *greeter.GreetManyRequest, stream greeter.Greeter_GreetManyServer) error {
	for range req.Count {
		if err := stream.Send(&greeter.GreetReply{Message: "hello, " + req.Name}); err != nil {
			return err
		}
	}
	return nil
}

func (greeterServer) GreetAll(context.Context, greeter.Greeter_GreetAllServer) (*greeter.GreetReply, error) {
	return nil, errors.New("not in this example")
}

func (greeterServer) Chat(context.Context, greeter.Greeter_ChatServer) error {
	return errors.New("not in this example")
}

// collector is a span exporter that keeps the spans it is given.
type collector struct {
	mu sync.Mutex
	// guarded by mu:
	spans []sdktrace.ReadOnlySpan
}

// ExportSpans keeps spans.
func (c *collector) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.spans = append(c.spans, spans...)
	return nil
}

// Shutdown does nothing.
func (c *collector) Shutdown(context.Context) error { return nil }

// print writes the spans as trees, children under their parents in the
// order they started, each line with the span's kind, and its trace id.
func (c *collector) print(w io.Writer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sort.Slice(c.spans, func(i, j int) bool { return c.spans[i].StartTime().Before(c.spans[j].StartTime()) })
	children := map[trace.SpanID][]sdktrace.ReadOnlySpan{}
	var roots []sdktrace.ReadOnlySpan
	for _, s := range c.spans {
		if s.Parent().IsValid() {
			children[s.Parent().SpanID()] = append(children[s.Parent().SpanID()], s)
		} else {
			roots = append(roots, s)
		}
	}
	var walk func(s sdktrace.ReadOnlySpan, depth int)
	walk = func(s sdktrace.ReadOnlySpan, depth int) {
		remote := ""
		if s.Parent().IsRemote() {
			remote = ", remote parent"
		}
		fmt.Fprintf(w, "%s%s (%v%s)\n", strings.Repeat("  ", depth), s.Name(), s.SpanKind(), remote)
		for _, child := range children[s.SpanContext().SpanID()] {
			walk(child, depth+1)
		}
	}
	for _, root := range roots {
		fmt.Fprintf(w, "trace %s\n", root.SpanContext().TraceID())
		walk(root, 1)
	}
}
