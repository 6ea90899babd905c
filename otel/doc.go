// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package otel traces ttrpc clients and servers with OpenTelemetry, through
// their interceptors, unary and streaming. It has the shape of containerd's
// github.com/containerd/otelttrpc: the same interceptor constructors and
// options, the same span names and attributes and the same wire format, so
// a program moving from containerd's ttrpc changes only the import (keep
// the name otelttrpc, and calls of the interceptors, of WithTracerProvider,
// WithPropagators and WithMessageEvents, and uses of the attribute keys
// and values compile as they are; WithMeterProvider, Version and
// RPCNameKey are not here):
//
//	import otelttrpc "github.com/featherrpc/ttrpc/otel"
//
//	client := ttrpc.NewClient(conn,
//		ttrpc.WithUnaryClientInterceptor(otelttrpc.UnaryClientInterceptor()))
//	server, _ := ttrpc.NewServer(
//		ttrpc.WithUnaryServerInterceptor(otelttrpc.UnaryServerInterceptor()))
//
// Streams are traced too (otelttrpc traces only unary calls): ClientOption
// and ServerOptions add the unary and the stream interceptors at once.
//
//	client := ttrpc.NewClient(conn, otelttrpc.ClientOption())
//	server, _ := ttrpc.NewServer(otelttrpc.ServerOptions()...)
//
// A client starts a span of kind client for each call and stream, and sends
// its context to the server in the call's ttrpc metadata; the server
// extracts it and starts its span, of kind server, as a child of the
// client's. Handlers find the server's span in their context
// (trace.SpanFromContext), so spans they start join the trace.
//
// # Wire format
//
// The span context travels exactly as otelttrpc sends it, so traces join
// across a fleet that mixes this library and containerd's ttrpc: the
// configured OpenTelemetry text-map propagator (by default the global one,
// otel.GetTextMapPropagator, as there) writes its fields into the request's
// metadata, one ttrpc KeyValue per field, keys in lower case. With W3C Trace
// Context and Baggage, the propagators containerd configures, that is
//
//	traceparent: 00-<32 hex trace id>-<16 hex span id>-<2 hex flags>
//	tracestate:  <vendor state>   (only when not empty)
//	baggage:     <W3C baggage>    (only when not empty)
//
// A field the caller's metadata already has is replaced, the rest of the
// caller's metadata is kept. OpenTelemetry's global propagator does nothing
// until a program sets one (otel.SetTextMapPropagator); set it, or pass
// WithPropagators.
//
// # Spans
//
// Span names and attributes follow otelttrpc: the name is "service/method",
// the attributes rpc.system "ttrpc", rpc.service, rpc.method and
// rpc.ttrpc.status_code (the numeric status code). A client span is an
// error for every code but OK; a server span only for the codes that mean
// the server failed (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL,
// UNAVAILABLE, DATA_LOSS), as OpenTelemetry's RPC conventions say. Unlike
// otelttrpc, a client span also records a status the server sent in its
// response (containerd's ttrpc hands that to the caller after the
// interceptors, so otelttrpc's client span says OK). With WithMessageEvents
// a span has an event "message" for each message sent or received, with
// the attributes message.type (SENT or RECEIVED) and message.id (1, 2, ...
// in each direction).
//
// A client's stream span ends when RecvMsg reports the end of the stream
// (io.EOF or an error), when SendMsg or CloseSend fails, or when the
// stream's context ends; read streams to their end, or cancel their
// context, or their spans stay open.
//
// Not here: otelttrpc's WithMeterProvider and its rpc.server.duration
// histogram. For metrics use github.com/featherrpc/ttrpc/prometheus, or a
// ttrpc.StatsHandler of your own.
//
// The interceptors and options are safe for concurrent use.
package otel
