// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"runtime/debug"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

// runUnary runs a unary method through the interceptors.
func (s *Server) runUnary(ctx context.Context, full string, payload []byte, method Method) (interface{}, *status.Status) {
	unmarshal := func(v interface{}) error {
		if err := (codec{}).unmarshal(payload, v); err != nil {
			return status.Errorf(codes.InvalidArgument, "ttrpc: unmarshal request of %s: %v", full, err)
		}
		return nil
	}
	return s.run(full, func() (interface{}, error) {
		if s.unary != nil {
			return s.unary(ctx, unmarshal, &UnaryServerInfo{FullMethod: full}, method)
		}
		return method(ctx, unmarshal)
	})
}

// runStream runs a stream handler through the interceptors.
func (s *Server) runStream(ctx context.Context, full string, ss *serverStream, desc *Stream) (interface{}, *status.Status) {
	return s.run(full, func() (interface{}, error) {
		if s.stream != nil {
			info := &StreamServerInfo{
				FullMethod:      full,
				StreamingClient: desc.StreamingClient,
				StreamingServer: desc.StreamingServer,
			}
			return s.stream(ctx, ss, info, desc.Handler)
		}
		return desc.Handler(ctx, ss)
	})
}

// run calls a handler and returns its response, or the status of its
// failure (nil means OK). A panicking handler fails only its own call, with
// INTERNAL, and the panic is logged.
func (s *Server) run(full string, handler func() (interface{}, error)) (resp interface{}, st *status.Status) {
	defer func() {
		if r := recover(); r != nil {
			s.config.logger.Error("ttrpc: handler panicked", "method", full, "panic", r, "stack", string(debug.Stack()))
			resp, st = nil, status.Newf(codes.Internal, "ttrpc: handler for %s panicked: %v", full, r)
		}
	}()
	resp, err := handler()
	if err != nil {
		return nil, statusOf(err)
	}
	return resp, nil
}
