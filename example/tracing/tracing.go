// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package tracing adds OpenTelemetry tracing to ttrpc clients and servers
// through their interceptors, unary and streaming:
//
//	client := ttrpc.NewClient(conn, tracing.ClientOption())
//	server, _ := ttrpc.NewServer(tracing.ServerOptions()...)
//
// A client starts a span of kind client for each call and stream, and sends
// its context to the server in the call's ttrpc metadata; the server
// extracts it and starts its span, of kind server, as a child of the
// client's. Handlers find the server's span in their context
// (trace.SpanFromContext), so spans they start join the trace.
//
// # Wire format
//
// The span context travels exactly as containerd's
// github.com/containerd/otelttrpc sends it, so traces join across a fleet
// that mixes this library and containerd's ttrpc: the configured
// OpenTelemetry text-map propagator (by default the global one,
// otel.GetTextMapPropagator, as there) writes its fields into the request's
// metadata, one ttrpc KeyValue per field, keys in lower case. With W3C Trace
// Context and Baggage, the propagators containerd configures, that is
//
//	traceparent: 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>
//	tracestate:  <vendor state>   (only when not empty)
//	baggage:     <W3C baggage>    (only when not empty)
//
// A field the caller's metadata already has is replaced, the rest of the
// caller's metadata is kept. Note that otel's global propagator does
// nothing until a program sets one (otel.SetTextMapPropagator); set it, or
// pass WithPropagators.
//
// # Spans
//
// Span names and attributes follow otelttrpc: the name is "service/method",
// the attributes rpc.system "ttrpc", rpc.service, rpc.method and
// rpc.ttrpc.status_code (the numeric status code). A client span is an
// error for every code but OK; a server span only for the codes that mean
// the server failed (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL,
// UNAVAILABLE, DATA_LOSS), as OpenTelemetry's RPC conventions say. Unlike
// otelttrpc, which predates working client stream interceptors, streams are
// traced too, and a client span also records a status the server sent.
//
// A client's stream span ends when RecvMsg reports the end of the stream
// (io.EOF or an error), when SendMsg or CloseSend fails, or when the
// stream's context ends; read streams to their end, or cancel their
// context, or their spans stay open.
//
// This is an example, in a module of its own so that the ttrpc module does
// not depend on OpenTelemetry; copy it and adapt it.
package tracing

import (
	"context"
	"errors"
	"io"
	"sort"
	"strings"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

// InstrumentationName names the tracer the interceptors use.
const InstrumentationName = "github.com/featherrpc/ttrpc/example/tracing"

// Attribute keys of the spans, the ones otelttrpc uses.
const (
	RPCSystemKey       = attribute.Key("rpc.system")
	RPCServiceKey      = attribute.Key("rpc.service")
	RPCMethodKey       = attribute.Key("rpc.method")
	TTRPCStatusCodeKey = attribute.Key("rpc.ttrpc.status_code")
)

// Option configures the interceptors.
type Option func(*config)

type config struct {
	tracer      trace.Tracer
	propagators propagation.TextMapPropagator
}

// WithTracerProvider sets where spans are created. Default: the global
// provider, otel.GetTracerProvider(), when the interceptor is made.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) {
		if tp != nil {
			c.tracer = tp.Tracer(InstrumentationName)
		}
	}
}

// WithPropagators sets how span contexts are written into and read from
// metadata. Default: the global propagator, otel.GetTextMapPropagator(),
// when the interceptor is made.
func WithPropagators(p propagation.TextMapPropagator) Option {
	return func(c *config) {
		if p != nil {
			c.propagators = p
		}
	}
}

func newConfig(opts []Option) *config {
	c := &config{
		tracer:      otel.GetTracerProvider().Tracer(InstrumentationName),
		propagators: otel.GetTextMapPropagator(),
	}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// ClientOption returns the option that traces a client's unary calls and
// streams: UnaryClientInterceptor and StreamClientInterceptor, added to the
// client's interceptor chains.
func ClientOption(opts ...Option) ttrpc.ClientOpts {
	unary := ttrpc.WithChainUnaryClientInterceptor(UnaryClientInterceptor(opts...))
	stream := ttrpc.WithChainClientStreamInterceptor(StreamClientInterceptor(opts...))
	return func(c *ttrpc.Client) {
		unary(c)
		stream(c)
	}
}

// ServerOptions returns the options that trace a server's unary calls and
// streams: UnaryServerInterceptor and StreamServerInterceptor, added to the
// server's interceptor chains.
func ServerOptions(opts ...Option) []ttrpc.ServerOpt {
	return []ttrpc.ServerOpt{
		ttrpc.WithChainUnaryServerInterceptor(UnaryServerInterceptor(opts...)),
		ttrpc.WithChainStreamServerInterceptor(StreamServerInterceptor(opts...)),
	}
}

// UnaryClientInterceptor returns an interceptor that traces unary calls and
// sends the span context in their metadata.
func UnaryClientInterceptor(opts ...Option) ttrpc.UnaryClientInterceptor {
	cfg := newConfig(opts)
	return func(ctx context.Context, req *ttrpc.Request, resp *ttrpc.Response, info *ttrpc.UnaryClientInfo, invoker ttrpc.Invoker) error {
		ctx, span := cfg.start(ctx, info.FullMethod, trace.SpanKindClient)
		defer span.End()
		inject(ctx, cfg.propagators, req)
		err := invoker(ctx, req, resp)
		if err == nil && resp.GetStatus().GetCode() != int32(codes.OK) {
			// The Client makes the call's error from this status after the
			// interceptors have run.
			endStatus(span, trace.SpanKindClient, status.ErrorProto(resp.GetStatus()))
		} else {
			endStatus(span, trace.SpanKindClient, err)
		}
		return err
	}
}

// StreamClientInterceptor returns an interceptor that traces streams and
// sends the span context in the metadata of the request that opens them.
func StreamClientInterceptor(opts ...Option) ttrpc.ClientStreamInterceptor {
	cfg := newConfig(opts)
	return func(ctx context.Context, desc *ttrpc.StreamDesc, req *ttrpc.Request, info *ttrpc.StreamClientInfo, streamer ttrpc.Streamer) (ttrpc.ClientStream, error) {
		ctx, span := cfg.start(ctx, info.FullMethod, trace.SpanKindClient)
		inject(ctx, cfg.propagators, req)
		s, err := streamer(ctx, desc, req)
		if err != nil {
			endStatus(span, trace.SpanKindClient, err)
			span.End()
			return nil, err
		}
		cs := &clientStream{ClientStream: s, span: span, streamingServer: desc.StreamingServer}
		// The watch may fire before AfterFunc has even returned, so it
		// only ends the span; the methods below also stop it.
		cs.stopWatch = context.AfterFunc(ctx, func() { cs.end(ctx.Err()) })
		return cs, nil
	}
}

// clientStream ends its span when the stream ends. Its methods may be
// called concurrently as the wrapped stream's may; end runs once.
type clientStream struct {
	ttrpc.ClientStream
	span            trace.Span
	streamingServer bool
	stopWatch       func() bool // stops the context watch; set before any method runs
	once            sync.Once
}

// finish ends the span with the stream's outcome (io.EOF and nil are OK),
// from one of the stream's methods.
func (s *clientStream) finish(err error) {
	s.stopWatch()
	s.end(err)
}

// end ends the span once.
func (s *clientStream) end(err error) {
	s.once.Do(func() {
		endStatus(s.span, trace.SpanKindClient, err)
		s.span.End()
	})
}

func (s *clientStream) RecvMsg(m interface{}) error {
	err := s.ClientStream.RecvMsg(m)
	switch {
	case err != nil:
		s.finish(err)
	case !s.streamingServer:
		s.finish(nil) // the single response has arrived: the stream is over
	}
	return err
}

func (s *clientStream) SendMsg(m interface{}) error {
	err := s.ClientStream.SendMsg(m)
	if err != nil && !errors.Is(err, io.EOF) { // io.EOF: the server has ended; RecvMsg says how
		s.finish(err)
	}
	return err
}

func (s *clientStream) CloseSend() error {
	err := s.ClientStream.CloseSend()
	if err != nil {
		s.finish(err)
	}
	return err
}

// UnaryServerInterceptor returns an interceptor that traces unary calls as
// children of the span context their metadata carries.
func UnaryServerInterceptor(opts ...Option) ttrpc.UnaryServerInterceptor {
	cfg := newConfig(opts)
	return func(ctx context.Context, unmarshal ttrpc.Unmarshaler, info *ttrpc.UnaryServerInfo, method ttrpc.Method) (interface{}, error) {
		ctx, span := cfg.start(extract(ctx, cfg.propagators), info.FullMethod, trace.SpanKindServer)
		defer span.End()
		resp, err := method(ctx, unmarshal)
		endStatus(span, trace.SpanKindServer, err)
		return resp, err
	}
}

// StreamServerInterceptor returns an interceptor that traces streams as
// children of the span context their metadata carries.
func StreamServerInterceptor(opts ...Option) ttrpc.StreamServerInterceptor {
	cfg := newConfig(opts)
	return func(ctx context.Context, ss ttrpc.StreamServer, info *ttrpc.StreamServerInfo, handler ttrpc.StreamHandler) (interface{}, error) {
		ctx, span := cfg.start(extract(ctx, cfg.propagators), info.FullMethod, trace.SpanKindServer)
		defer span.End()
		resp, err := handler(ctx, ss)
		endStatus(span, trace.SpanKindServer, err)
		return resp, err
	}
}

// start starts the span of a call to fullMethod ("/service/method").
func (c *config) start(ctx context.Context, fullMethod string, kind trace.SpanKind) (context.Context, trace.Span) {
	name := strings.TrimPrefix(fullMethod, "/")
	attrs := []attribute.KeyValue{RPCSystemKey.String("ttrpc")}
	if service, method, ok := strings.Cut(name, "/"); ok {
		attrs = append(attrs, RPCServiceKey.String(service), RPCMethodKey.String(method))
	}
	return c.tracer.Start(ctx, name, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
}

// endStatus records a call's outcome on its span.
func endStatus(span trace.Span, kind trace.SpanKind, err error) {
	code, msg := outcome(err)
	span.SetAttributes(TTRPCStatusCodeKey.Int64(int64(code)))
	if code == codes.OK || (kind == trace.SpanKindServer && !serverFault(code)) {
		return
	}
	span.SetStatus(otelcodes.Error, msg)
}

// outcome is the status code and message of a call that ended with err.
func outcome(err error) (codes.Code, string) {
	switch {
	case err == nil || errors.Is(err, io.EOF):
		return codes.OK, ""
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		st := status.FromContextError(err)
		return st.Code(), st.Message()
	}
	st := status.Convert(err) // codes.Unknown when err has no status
	return st.Code(), st.Message()
}

// serverFault reports whether code means that the server failed, rather
// than the caller.
func serverFault(code codes.Code) bool {
	switch code {
	case codes.Unknown, codes.DeadlineExceeded, codes.Unimplemented,
		codes.Internal, codes.Unavailable, codes.DataLoss:
		return true
	}
	return false
}

// inject writes the span context of ctx into the request's metadata,
// replacing the fields the request had already.
func inject(ctx context.Context, p propagation.TextMapPropagator, req *ttrpc.Request) {
	fields := propagation.MapCarrier{}
	p.Inject(ctx, fields)
	if len(fields) == 0 {
		return
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a stable order on the wire
	md := make([]*ttrpc.KeyValue, 0, len(req.Metadata)+len(keys))
	for _, kv := range req.Metadata {
		if _, replaced := fields[strings.ToLower(kv.Key)]; !replaced {
			md = append(md, kv)
		}
	}
	for _, k := range keys {
		md = append(md, &ttrpc.KeyValue{Key: strings.ToLower(k), Value: fields[k]})
	}
	req.Metadata = md
}

// extract returns ctx with the span context (and baggage) that the call's
// metadata carries.
func extract(ctx context.Context, p propagation.TextMapPropagator) context.Context {
	md, _ := ttrpc.GetMetadata(ctx)
	return p.Extract(ctx, mdCarrier(md))
}

// mdCarrier reads the fields of a propagator from call metadata.
type mdCarrier ttrpc.MD

// Get returns the first value of key, looked up case-insensitively.
func (c mdCarrier) Get(key string) string {
	values, _ := ttrpc.MD(c).Get(key)
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

// Set sets key to value. (The interceptors only extract from metadata.)
func (c mdCarrier) Set(key, value string) {
	if c != nil {
		ttrpc.MD(c).Set(key, value)
	}
}

// Keys returns the metadata's keys.
func (c mdCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
