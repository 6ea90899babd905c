// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package testsvc

import (
	"context"

	"github.com/featherrpc/ttrpc/interop/internal/testpb"
)

// The raw handlers have the shapes of ttrpc.Method and ttrpc.StreamHandler
// (with StreamServer for the stream) in both implementations, so that the
// tests can register the service without generated code.

// UnaryMethod is Unary as a ttrpc.Method.
func (e *Env) UnaryMethod(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
	req := &testpb.Echo{}
	if err := unmarshal(req); err != nil {
		return nil, err
	}
	resp, err := e.Unary(ctx, req)
	if resp == nil {
		return nil, err // an untyped nil, as a handler written by hand returns
	}
	return resp, err
}

// CollectHandler is Collect as a stream handler.
func (e *Env) CollectHandler(ctx context.Context, ss StreamServer) (interface{}, error) {
	resp, err := e.Collect(ctx, recvFunc(ss, nil))
	if resp == nil {
		return nil, err
	}
	return resp, err
}

// GenerateHandler is Generate as a stream handler; for ActionFinal it ends
// the stream with Final.
func (e *Env) GenerateHandler(ctx context.Context, ss StreamServer) (interface{}, error) {
	req := &testpb.Echo{}
	if err := ss.RecvMsg(req); err != nil {
		return nil, err
	}
	if err := e.Generate(ctx, req, sendFunc(ss)); err != nil {
		return nil, err
	}
	if req.GetAction() == ActionFinal {
		return Final(), nil
	}
	return nil, nil
}

// ChatHandler is Chat as a stream handler; when a message asked for
// ActionFinal it ends the stream with Final.
func (e *Env) ChatHandler(ctx context.Context, ss StreamServer) (interface{}, error) {
	final := false
	if err := e.Chat(ctx, recvFunc(ss, &final), sendFunc(ss)); err != nil {
		return nil, err
	}
	if final {
		return Final(), nil
	}
	return nil, nil
}

func recvFunc(ss StreamServer, final *bool) func() (*testpb.Echo, error) {
	return func() (*testpb.Echo, error) {
		m := &testpb.Echo{}
		if err := ss.RecvMsg(m); err != nil {
			return nil, err
		}
		if final != nil && m.GetAction() == ActionFinal {
			*final = true
		}
		return m, nil
	}
}

func sendFunc(ss StreamServer) func(*testpb.Echo) error {
	return func(m *testpb.Echo) error { return ss.SendMsg(m) }
}
