// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package otel

import (
	"context"

	"go.opentelemetry.io/otel/trace"

	"github.com/featherrpc/ttrpc"
)

// ServerOptions returns the options that trace a server's unary calls and
// streams: UnaryServerInterceptor and StreamServerInterceptor, added to the
// server's interceptor chains (after any added before).
func ServerOptions(opts ...Option) []ttrpc.ServerOpt {
	return []ttrpc.ServerOpt{
		ttrpc.WithChainUnaryServerInterceptor(UnaryServerInterceptor(opts...)),
		ttrpc.WithChainStreamServerInterceptor(StreamServerInterceptor(opts...)),
	}
}

// UnaryServerInterceptor returns an interceptor that traces unary calls as
// children of the span context their metadata carries, as otelttrpc's
// does.
func UnaryServerInterceptor(opts ...Option) ttrpc.UnaryServerInterceptor {
	cfg := newConfig(opts)
	return func(ctx context.Context, unmarshal ttrpc.Unmarshaler, info *ttrpc.UnaryServerInfo, method ttrpc.Method) (interface{}, error) {
		ctx, span := cfg.start(extract(ctx, cfg.propagators), info.FullMethod, trace.SpanKindServer)
		defer span.End()
		events := cfg.newMessageEvents(span)
		events.receivedMessage()
		resp, err := method(ctx, unmarshal)
		events.sentMessage() // the response, or the error status
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
		events := cfg.newMessageEvents(span)
		resp, err := handler(ctx, &serverStream{StreamServer: ss, events: events})
		if resp != nil {
			events.sentMessage() // a client stream's single response
		}
		endStatus(span, trace.SpanKindServer, err)
		return resp, err
	}
}

// serverStream records the message events of a server's stream. Its
// methods may be called as the wrapped stream's may.
type serverStream struct {
	ttrpc.StreamServer
	events *messageEvents
}

// SendMsg sends m and records its event.
func (s *serverStream) SendMsg(m interface{}) error {
	err := s.StreamServer.SendMsg(m)
	if err == nil {
		s.events.sentMessage()
	}
	return err
}

// RecvMsg receives into m and records its event.
func (s *serverStream) RecvMsg(m interface{}) error {
	err := s.StreamServer.RecvMsg(m)
	if err == nil {
		s.events.receivedMessage()
	}
	return err
}
