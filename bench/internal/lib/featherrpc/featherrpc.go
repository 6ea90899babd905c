// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package featherrpc adapts github.com/featherrpc/ttrpc (this repository) to
// the benchmark harness. Its code mirrors internal/lib/containerd line for
// line, since the two libraries share an API.
package featherrpc

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/bench/internal/benchpb"
	"github.com/featherrpc/ttrpc/bench/internal/rpc"
)

// Name is the library's name in tables.
const Name = "featherrpc"

// Library returns the library for the harness.
func Library() rpc.Library {
	return rpc.Library{Name: Name, Program: Name, NewServer: NewServer, Dial: Dial, WithMetadata: withMetadata, NewHoldServer: NewHoldServer}
}

// withMetadata adds key: value to the metadata of the calls made with ctx.
func withMetadata(ctx context.Context, key, value string) context.Context {
	return ttrpc.WithMetadata(ctx, ttrpc.MD{key: {value}})
}

// server serves the Bench service; Serve runs under a background context.
type server struct{ s *ttrpc.Server }

// NewServer returns a server with the Bench service registered.
func NewServer() (rpc.Server, error) {
	s, err := ttrpc.NewServer()
	if err != nil {
		return nil, err
	}
	s.RegisterService(rpc.Service, &ttrpc.ServiceDesc{
		Methods: map[string]ttrpc.Method{rpc.EchoMethod: echo},
		Streams: map[string]ttrpc.Stream{rpc.StreamMethod: {Handler: stream, StreamingServer: true}},
	})
	return server{s}, nil
}

func echo(_ context.Context, unmarshal func(any) error) (any, error) {
	req := &benchpb.Payload{}
	if err := unmarshal(req); err != nil {
		return nil, err
	}
	return rpc.Echo(req), nil
}

func stream(_ context.Context, ss ttrpc.StreamServer) (any, error) {
	req := &benchpb.StreamRequest{}
	if err := ss.RecvMsg(req); err != nil {
		return nil, err
	}
	return nil, rpc.ServeStream(req, ss)
}

func (s server) Serve(l net.Listener) error { return s.s.Serve(context.Background(), l) }
func (s server) Close() error               { return s.s.Close() }

// client calls the Bench service over one connection.
type client struct{ c *ttrpc.Client }

// Dial connects a client to the Unix socket at path.
func Dial(ctx context.Context, path string) (rpc.Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	return client{ttrpc.NewClient(conn)}, nil
}

func (c client) Echo(ctx context.Context, in, out *benchpb.Payload) error {
	return c.c.Call(ctx, rpc.Service, rpc.EchoMethod, in, out)
}

func (c client) Stream(ctx context.Context, req *benchpb.StreamRequest, msg *benchpb.Payload) (int, error) {
	s, err := c.c.NewStream(ctx, &ttrpc.StreamDesc{StreamingServer: true}, rpc.Service, rpc.StreamMethod, req)
	if err != nil {
		return 0, err
	}
	for n := 0; ; n++ {
		if err := s.RecvMsg(msg); err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, err
		}
	}
}

func (c client) Close() error { return c.c.Close() }
