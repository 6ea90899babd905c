// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package otel_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/codes"
	otelttrpc "github.com/featherrpc/ttrpc/otel"
	"github.com/featherrpc/ttrpc/status"
)

const service = "otelttrpc.test.v1.Test"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// propagators are the ones containerd configures: W3C Trace Context and
// Baggage.
var propagators = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// traceparent matches a W3C traceparent value: version, trace id, span id,
// flags (sampled).
var traceparent = regexp.MustCompile(`^00-([0-9a-f]{32})-([0-9a-f]{16})-01$`)

// seen is what a handler found in its context.
type seen struct {
	span     trace.SpanContext // the span of the handler's context
	metadata map[string][]string
	baggage  baggage.Baggage
}

// handlerLog keeps what each method's handler saw last.
type handlerLog struct {
	mu sync.Mutex
	// guarded by mu:
	last map[string]seen
}

// record keeps what the handler of method finds in ctx. md is the call's
// metadata, read by the caller with its ttrpc's GetMetadata.
func (l *handlerLog) record(ctx context.Context, method string, md map[string][]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last = map[string]seen{}
	}
	l.last[method] = seen{span: trace.SpanContextFromContext(ctx), metadata: md, baggage: baggage.FromContext(ctx)}
}

func (l *handlerLog) get(method string) seen {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last[method]
}

// ourMD returns the metadata of a call to our server.
func ourMD(ctx context.Context) map[string][]string {
	md, _ := ttrpc.GetMetadata(ctx)
	return md
}

// testService: Hello answers (or fails with the code named by its
// request), Count streams as many messages as asked, Sum adds what the
// client streams, Chat echoes each message, Hang waits for its context.
func testService(log *handlerLog) *ttrpc.ServiceDesc {
	return &ttrpc.ServiceDesc{
		Methods: map[string]ttrpc.Method{
			"Hello": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
				log.record(ctx, "Hello", ourMD(ctx))
				req := &wrapperspb.StringValue{}
				if err := unmarshal(req); err != nil {
					return nil, err
				}
				switch req.Value {
				case "notfound":
					return nil, status.Error(codes.NotFound, "no such greeting")
				case "internal":
					return nil, status.Error(codes.Internal, "greeter broke")
				}
				return wrapperspb.String("hello, " + req.Value), nil
			},
		},
		Streams: map[string]ttrpc.Stream{
			"Count": {StreamingServer: true, Handler: func(ctx context.Context, ss ttrpc.StreamServer) (interface{}, error) {
				log.record(ctx, "Count", ourMD(ctx))
				req := &wrapperspb.UInt32Value{}
				if err := ss.RecvMsg(req); err != nil {
					return nil, err
				}
				for i := range req.Value {
					if err := ss.SendMsg(wrapperspb.UInt32(i)); err != nil {
						return nil, err
					}
				}
				return nil, nil
			}},
			"Sum": {StreamingClient: true, Handler: func(ctx context.Context, ss ttrpc.StreamServer) (interface{}, error) {
				log.record(ctx, "Sum", ourMD(ctx))
				var sum uint32
				for {
					m := &wrapperspb.UInt32Value{}
					err := ss.RecvMsg(m)
					if errors.Is(err, io.EOF) {
						return wrapperspb.UInt32(sum), nil
					}
					if err != nil {
						return nil, err
					}
					sum += m.Value
				}
			}},
			"Chat": {StreamingClient: true, StreamingServer: true, Handler: func(ctx context.Context, ss ttrpc.StreamServer) (interface{}, error) {
				log.record(ctx, "Chat", ourMD(ctx))
				for {
					m := &wrapperspb.StringValue{}
					err := ss.RecvMsg(m)
					if errors.Is(err, io.EOF) {
						return nil, nil
					}
					if err != nil {
						return nil, err
					}
					if err := ss.SendMsg(m); err != nil {
						return nil, err
					}
				}
			}},
			"Hang": {StreamingClient: true, StreamingServer: true, Handler: func(ctx context.Context, _ ttrpc.StreamServer) (interface{}, error) {
				log.record(ctx, "Hang", ourMD(ctx))
				<-ctx.Done()
				return nil, ctx.Err()
			}},
		},
	}
}

// newRecorder returns a tracer provider that keeps every span in the
// returned recorder, shut down when the test ends.
func newRecorder(t *testing.T) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	t.Helper()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	return tp, sr
}

// socketPath returns the path of a Unix socket in a fresh directory,
// removed when the test ends.
func socketPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tracing")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s.sock")
}

// startOurServer serves the test service with our ttrpc on a Unix socket
// until the test ends, with the given options, and returns the socket.
func startOurServer(t *testing.T, log *handlerLog, opts ...ttrpc.ServerOpt) string {
	t.Helper()
	s, err := ttrpc.NewServer(append([]ttrpc.ServerOpt{ttrpc.WithServerLogger(quiet)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	s.RegisterService(service, testService(log))
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
		<-served
	})
	return path
}

// ourClient returns a client of ours connected to path, closed when the
// test ends.
func ourClient(t *testing.T, path string, opts ...ttrpc.ClientOpts) *ttrpc.Client {
	t.Helper()
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	c := ttrpc.NewClient(conn, append([]ttrpc.ClientOpts{ttrpc.WithClientLogger(quiet)}, opts...)...)
	t.Cleanup(func() { c.Close() })
	return c
}

// env is a traced server and client of ours, and where their spans go.
type env struct {
	client *ttrpc.Client
	tp     *sdktrace.TracerProvider
	sr     *tracetest.SpanRecorder
	log    *handlerLog
}

// traced starts a tracer provider, our server and our client, both traced
// into it with the extra options.
func traced(t *testing.T, extra ...otelttrpc.Option) *env {
	t.Helper()
	tp, sr := newRecorder(t)
	opts := append([]otelttrpc.Option{otelttrpc.WithTracerProvider(tp), otelttrpc.WithPropagators(propagators)}, extra...)
	log := &handlerLog{}
	path := startOurServer(t, log, otelttrpc.ServerOptions(opts...)...)
	return &env{client: ourClient(t, path, otelttrpc.ClientOption(opts...)), tp: tp, sr: sr, log: log}
}

// spanNamed waits for the ended span with the given name and kind.
func spanNamed(t *testing.T, sr *tracetest.SpanRecorder, name string, kind trace.SpanKind) sdktrace.ReadOnlySpan {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var found []sdktrace.ReadOnlySpan
		for _, s := range sr.Ended() {
			if s.Name() == name && s.SpanKind() == kind {
				found = append(found, s)
			}
		}
		switch {
		case len(found) == 1:
			return found[0]
		case len(found) > 1:
			t.Fatalf("%d %v spans %q, want 1", len(found), kind, name)
		case time.Now().After(deadline):
			t.Fatalf("no %v span %q ended in 5s", kind, name)
		}
		time.Sleep(time.Millisecond)
	}
}

// checkLinked checks that parent is the parent of child, both in one trace,
// and that child's parent is remote when remote is set.
func checkLinked(t *testing.T, parent trace.SpanContext, child sdktrace.ReadOnlySpan, remote bool) {
	t.Helper()
	p := child.Parent()
	if p.TraceID() != parent.TraceID() || p.SpanID() != parent.SpanID() {
		t.Errorf("span %q (%v) has parent %v/%v, want %v/%v", child.Name(), child.SpanKind(),
			p.TraceID(), p.SpanID(), parent.TraceID(), parent.SpanID())
	}
	if child.SpanContext().TraceID() != parent.TraceID() {
		t.Errorf("span %q is in trace %v, want %v", child.Name(), child.SpanContext().TraceID(), parent.TraceID())
	}
	if p.IsRemote() != remote {
		t.Errorf("span %q: parent remote = %v, want %v", child.Name(), p.IsRemote(), remote)
	}
}

// attr returns the value of a span's attribute, or nil.
func attr(s sdktrace.ReadOnlySpan, key string) any {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.AsInterface()
		}
	}
	return nil
}

// tracingServerOptions are our server's tracing options, into tp.
func tracingServerOptions(tp trace.TracerProvider) []ttrpc.ServerOpt {
	return otelttrpc.ServerOptions(otelttrpc.WithTracerProvider(tp), otelttrpc.WithPropagators(propagators))
}
