// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"runtime/debug"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

// runUnary runs a unary method through the interceptors. unmarshal is the
// function the handler decodes its request with (decodeRequestOf of cl);
// it must not be used after the handler returns.
func (s *Server) runUnary(cl *serverCall, unmarshal func(interface{}) error) (interface{}, *status.Status) {
	return s.run(cl, func() (interface{}, error) {
		if s.unary != nil {
			return s.unary(&cl.ctx, unmarshal, &UnaryServerInfo{FullMethod: cl.fullMethod()}, cl.method)
		}
		return cl.method(&cl.ctx, unmarshal)
	})
}

// decodeRequestOf decodes the request of cl into v with c.
func decodeRequestOf(c *codec, cl *serverCall, v interface{}) error {
	if err := c.unmarshal(cl.env.payload, v); err != nil {
		return status.Errorf(codes.InvalidArgument, "ttrpc: error unmarshalling payload: %v", err)
	}
	return nil
}

// runStream runs a stream handler through the interceptors.
func (s *Server) runStream(cl *serverCall, ss *serverStream) (interface{}, *status.Status) {
	desc := cl.stream
	return s.run(cl, func() (interface{}, error) {
		if s.stream != nil {
			info := &StreamServerInfo{
				FullMethod:      cl.fullMethod(),
				StreamingClient: desc.StreamingClient,
				StreamingServer: desc.StreamingServer,
			}
			return s.stream(&cl.ctx, ss, info, desc.Handler)
		}
		return desc.Handler(&cl.ctx, ss)
	})
}

// run calls a handler and returns its response, or the status of its
// failure (nil means OK). A panicking handler fails only its own call, with
// INTERNAL, and the panic is logged; with WithServerPanicRecovery(false)
// the deferred function does not call recover, so the panic goes on and
// crashes the process.
func (s *Server) run(cl *serverCall, handler func() (interface{}, error)) (resp interface{}, st *status.Status) {
	defer func() {
		if s.config.noRecover {
			return
		}
		if r := recover(); r != nil {
			full := cl.fullMethod()
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
