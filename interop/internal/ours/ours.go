// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package ours is github.com/featherrpc/ttrpc as a peer.Impl.
package ours

import (
	"context"
	"errors"
	"net"
	"sort"

	"google.golang.org/protobuf/proto"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/interop/internal/peer"
	"github.com/featherrpc/ttrpc/interop/internal/testsvc"
	"github.com/featherrpc/ttrpc/status"
)

// Impl is our implementation.
var Impl = peer.Impl{
	Name:      peer.Ours,
	NewClient: NewClient,
	NewServer: NewServer,
	WithMetadata: func(ctx context.Context, md map[string][]string) context.Context {
		return ttrpc.WithMetadata(ctx, ttrpc.MD(md))
	},
	FromError: FromError,
	IsClosed:  func(err error) bool { return errors.Is(err, ttrpc.ErrClosed) },
	Oversized: func(err error) (int, int, bool) {
		var o *ttrpc.OversizedMessageErr
		if !errors.As(err, &o) {
			return 0, 0, false
		}
		return o.RejectedLength(), o.MaximumLength(), true
	},
}

// Env is the handlers' environment on our server.
func Env(observe func(int64, error)) *testsvc.Env {
	return &testsvc.Env{
		Metadata: func(ctx context.Context) (map[string][]string, bool) {
			return ttrpc.GetMetadata(ctx)
		},
		Status:  NewStatusError,
		Observe: observe,
	}
}

// NewStatusError makes a status error with our status package.
func NewStatusError(code int32, message string, details ...proto.Message) error {
	st, err := status.New(codes.Code(code), message).WithDetails(details...)
	if err != nil {
		return err
	}
	return st.Err()
}

// FromError decodes err with our status package.
func FromError(err error) (peer.Status, bool) {
	st, ok := status.FromError(err)
	if !ok || st == nil {
		return peer.Status{}, false
	}
	return peer.Status{Code: int32(st.Code()), Message: st.Message(), Details: st.Details()}, true
}

// NewServer returns our server with the interop service registered by hand.
func NewServer(opts peer.ServerOptions) (peer.Server, error) {
	s, err := ttrpc.NewServer()
	if err != nil {
		return nil, err
	}
	Register(s, Env(opts.Observe))
	return s, nil
}

// Register registers the interop service on s without generated code, with
// RegisterService: one name takes one registration, unary methods and
// streams together.
func Register(s *ttrpc.Server, env *testsvc.Env) {
	s.RegisterService(testsvc.Service, &ttrpc.ServiceDesc{
		Methods: map[string]ttrpc.Method{testsvc.Unary: env.UnaryMethod},
		Streams: map[string]ttrpc.Stream{
			testsvc.Collect: {
				Handler: func(ctx context.Context, ss ttrpc.StreamServer) (interface{}, error) {
					return env.CollectHandler(ctx, ss)
				},
				StreamingClient: true,
			},
			testsvc.Generate: {
				Handler: func(ctx context.Context, ss ttrpc.StreamServer) (interface{}, error) {
					return env.GenerateHandler(ctx, ss)
				},
				StreamingServer: true,
			},
			testsvc.Chat: {
				Handler:         func(ctx context.Context, ss ttrpc.StreamServer) (interface{}, error) { return env.ChatHandler(ctx, ss) },
				StreamingClient: true,
				StreamingServer: true,
			},
		},
	})
}

// NewClient returns our client over conn.
func NewClient(conn net.Conn, opts peer.ClientOptions) peer.Client {
	var copts []ttrpc.ClientOpts
	if opts.SortMetadata || opts.Timeout != 0 {
		copts = append(copts, ttrpc.WithUnaryClientInterceptor(
			func(ctx context.Context, req *ttrpc.Request, resp *ttrpc.Response, _ *ttrpc.UnaryClientInfo, invoke ttrpc.Invoker) error {
				if opts.SortMetadata {
					sort.SliceStable(req.Metadata, func(i, j int) bool { return req.Metadata[i].Key < req.Metadata[j].Key })
				}
				if opts.Timeout != 0 {
					req.TimeoutNano = opts.Timeout.Nanoseconds()
				}
				return invoke(ctx, req, resp)
			}))
	}
	return &client{Client: ttrpc.NewClient(conn, copts...)}
}

type client struct{ *ttrpc.Client }

func (c *client) NewStream(ctx context.Context, desc peer.StreamDesc, service, method string, req interface{}) (peer.ClientStream, error) {
	return c.Client.NewStream(ctx, &ttrpc.StreamDesc{
		StreamingClient: desc.StreamingClient,
		StreamingServer: desc.StreamingServer,
	}, service, method, req)
}
