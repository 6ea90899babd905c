// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

// invoke runs the handler of a unary request through the interceptors and
// returns the encoded response, or the status of the failure (nil means
// OK). A panicking handler fails only its own call, with INTERNAL.
func (s *Server) invoke(ctx context.Context, req *Request) (payload []byte, st *status.Status) {
	method, stream, st := s.services.lookup(req.Service, req.Method)
	if st != nil {
		return nil, st
	}
	full := fullMethod(req.Service, req.Method)
	if stream != nil {
		return nil, status.Newf(codes.Unimplemented, "ttrpc: %s is a streaming method", full)
	}
	defer func() {
		if r := recover(); r != nil {
			s.config.logger.Error("ttrpc: handler panicked", "method", full, "panic", r, "stack", string(debug.Stack()))
			payload, st = nil, status.Newf(codes.Internal, "ttrpc: handler for %s panicked: %v", full, r)
		}
	}()
	unmarshal := func(v interface{}) error {
		if err := (codec{}).unmarshal(req.Payload, v); err != nil {
			return status.Errorf(codes.InvalidArgument, "ttrpc: unmarshal request of %s: %v", full, err)
		}
		return nil
	}
	var resp interface{}
	var err error
	if s.unary != nil {
		resp, err = s.unary(ctx, unmarshal, &UnaryServerInfo{FullMethod: full}, method)
	} else {
		resp, err = method(ctx, unmarshal)
	}
	if err != nil {
		return nil, statusOf(err)
	}
	payload, err = codec{}.marshal(resp)
	if err != nil {
		return nil, status.New(codes.Internal, fmt.Sprintf("ttrpc: marshal response of %s: %v", full, err))
	}
	return payload, nil
}
