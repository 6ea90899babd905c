// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package otel

import (
	"context"
	"errors"
	"io"
	"sync"

	"go.opentelemetry.io/otel/trace"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

// ClientOption returns the option that traces a client's unary calls and
// streams: UnaryClientInterceptor and StreamClientInterceptor, added to the
// client's interceptor chains (after any added before).
func ClientOption(opts ...Option) ttrpc.ClientOpts {
	unary := ttrpc.WithChainUnaryClientInterceptor(UnaryClientInterceptor(opts...))
	stream := ttrpc.WithChainClientStreamInterceptor(StreamClientInterceptor(opts...))
	return func(c *ttrpc.Client) {
		unary(c)
		stream(c)
	}
}

// UnaryClientInterceptor returns an interceptor that traces unary calls and
// sends the span context in their metadata, as otelttrpc's does.
func UnaryClientInterceptor(opts ...Option) ttrpc.UnaryClientInterceptor {
	cfg := newConfig(opts)
	return func(ctx context.Context, req *ttrpc.Request, resp *ttrpc.Response, info *ttrpc.UnaryClientInfo, invoker ttrpc.Invoker) error {
		ctx, span := cfg.start(ctx, info.FullMethod, trace.SpanKindClient)
		defer span.End()
		inject(ctx, cfg.propagators, req)
		events := cfg.newMessageEvents(span)
		events.sentMessage()
		err := invoker(ctx, req, resp)
		if err == nil {
			events.receivedMessage()
		}
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
// The span ends with the stream: see the package doc.
func StreamClientInterceptor(opts ...Option) ttrpc.ClientStreamInterceptor {
	cfg := newConfig(opts)
	return func(ctx context.Context, desc *ttrpc.StreamDesc, req *ttrpc.Request, info *ttrpc.StreamClientInfo, streamer ttrpc.Streamer) (ttrpc.ClientStream, error) {
		ctx, span := cfg.start(ctx, info.FullMethod, trace.SpanKindClient)
		inject(ctx, cfg.propagators, req)
		events := cfg.newMessageEvents(span)
		s, err := streamer(ctx, desc, req)
		if err != nil {
			endStatus(span, trace.SpanKindClient, err)
			span.End()
			return nil, err
		}
		if !desc.StreamingClient {
			events.sentMessage() // the request that opened the stream
		}
		cs := &clientStream{ClientStream: s, span: span, events: events, streamingServer: desc.StreamingServer}
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
	events          *messageEvents
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

// RecvMsg receives into m, records its event and ends the span when the
// stream is over.
func (s *clientStream) RecvMsg(m interface{}) error {
	err := s.ClientStream.RecvMsg(m)
	if err == nil {
		s.events.receivedMessage()
	}
	switch {
	case err != nil:
		s.finish(err)
	case !s.streamingServer:
		s.finish(nil) // the single response has arrived: the stream is over
	}
	return err
}

// SendMsg sends m and records its event; a failure ends the span.
func (s *clientStream) SendMsg(m interface{}) error {
	err := s.ClientStream.SendMsg(m)
	if err == nil {
		s.events.sentMessage()
	}
	if err != nil && !errors.Is(err, io.EOF) { // io.EOF: the server has ended; RecvMsg says how
		s.finish(err)
	}
	return err
}

// CloseSend closes the sending side; a failure ends the span.
func (s *clientStream) CloseSend() error {
	err := s.ClientStream.CloseSend()
	if err != nil {
		s.finish(err)
	}
	return err
}
