// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package grpcgo adapts google.golang.org/grpc to the benchmark harness. The
// service is registered with a hand-written grpc.ServiceDesc, so no grpc
// code generator is needed; both sides use grpc's defaults (its proto codec,
// window sizes and buffer pools) over one HTTP/2 connection on a Unix
// socket, without TLS.
package grpcgo

import (
	"context"
	"errors"
	"io"
	"net"

	"github.com/featherrpc/ttrpc/bench/internal/benchpb"
	"github.com/featherrpc/ttrpc/bench/internal/rpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// Name is the library's name in tables.
const Name = "grpc-go"

// Full method names, as grpc puts them on the wire.
const (
	echoMethod   = "/" + rpc.Service + "/" + rpc.EchoMethod
	streamMethod = "/" + rpc.Service + "/" + rpc.StreamMethod
)

// Library returns the library for the harness.
func Library() rpc.Library {
	return rpc.Library{Name: Name, Program: "grpc", NewServer: NewServer, Dial: Dial, WithMetadata: withMetadata}
}

// withMetadata adds key: value to the metadata of the calls made with ctx.
func withMetadata(ctx context.Context, key, value string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, key, value)
}

// serviceDesc is what protoc-gen-go-grpc would generate for the Bench
// service.
var serviceDesc = grpc.ServiceDesc{
	ServiceName: rpc.Service,
	HandlerType: (*any)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: rpc.EchoMethod, Handler: echo}},
	Streams: []grpc.StreamDesc{{
		StreamName:    rpc.StreamMethod,
		Handler:       stream,
		ServerStreams: true,
	}},
}

func echo(_ any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	req := &benchpb.Payload{}
	if err := dec(req); err != nil {
		return nil, err
	}
	if interceptor == nil {
		return rpc.Echo(req), nil
	}
	info := &grpc.UnaryServerInfo{FullMethod: echoMethod}
	return interceptor(ctx, req, info, func(_ context.Context, req any) (any, error) {
		return rpc.Echo(req.(*benchpb.Payload)), nil
	})
}

func stream(_ any, ss grpc.ServerStream) error {
	req := &benchpb.StreamRequest{}
	if err := ss.RecvMsg(req); err != nil {
		return err
	}
	return rpc.ServeStream(req, ss)
}

// server serves the Bench service.
type server struct{ s *grpc.Server }

// NewServer returns a server with the Bench service registered.
func NewServer() (rpc.Server, error) {
	s := grpc.NewServer()
	s.RegisterService(&serviceDesc, struct{}{})
	return server{s}, nil
}

func (s server) Serve(l net.Listener) error { return s.s.Serve(l) }

func (s server) Close() error {
	s.s.Stop()
	return nil
}

// client calls the Bench service over one grpc.ClientConn, which keeps one
// connection to a Unix socket address.
type client struct{ cc *grpc.ClientConn }

// Dial returns a client of the Unix socket at path. grpc connects lazily:
// the connection is made by the first call (ctx is not used).
func Dial(_ context.Context, path string) (rpc.Client, error) {
	cc, err := grpc.NewClient("unix://"+path, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	return client{cc}, nil
}

func (c client) Echo(ctx context.Context, in, out *benchpb.Payload) error {
	return c.cc.Invoke(ctx, echoMethod, in, out)
}

func (c client) Stream(ctx context.Context, req *benchpb.StreamRequest, msg *benchpb.Payload) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // frees the stream if it ends early
	s, err := c.cc.NewStream(ctx, &serviceDesc.Streams[0], streamMethod)
	if err != nil {
		return 0, err
	}
	if err := s.SendMsg(req); err != nil {
		return 0, err
	}
	if err := s.CloseSend(); err != nil {
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

func (c client) Close() error { return c.cc.Close() }
