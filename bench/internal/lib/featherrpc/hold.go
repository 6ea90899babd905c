// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package featherrpc

import (
	"context"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/bench/internal/benchpb"
	"github.com/featherrpc/ttrpc/bench/internal/rpc"
)

// NewHoldServer returns a server with default options that serves the Hold
// service of the hostile-peer measurements besides Bench; its handlers
// return once gate is closed. It mirrors internal/lib/containerd.
func NewHoldServer(gate <-chan struct{}) (rpc.Server, error) {
	srv, err := NewServer()
	if err != nil {
		return nil, err
	}
	hold := func(_ context.Context, unmarshal func(any) error) (any, error) {
		req := &benchpb.Payload{}
		if err := unmarshal(req); err != nil {
			return nil, err
		}
		return rpc.Hold(gate, req), nil
	}
	holdStream := func(_ context.Context, ss ttrpc.StreamServer) (any, error) {
		return nil, rpc.HoldStream(func(m *benchpb.Payload) error { return ss.RecvMsg(m) })
	}
	srv.(server).s.RegisterService(rpc.HoldService, &ttrpc.ServiceDesc{
		Methods: map[string]ttrpc.Method{rpc.HoldMethod: hold},
		Streams: map[string]ttrpc.Stream{rpc.HoldStreamMethod: {Handler: holdStream, StreamingClient: true, StreamingServer: true}},
	})
	return srv, nil
}
