// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import "context"

// Stream describes one streaming method of a service.
type Stream struct {
	Handler         StreamHandler
	StreamingClient bool
	StreamingServer bool
}

// StreamHandler handles one streaming method. For a method whose server
// side does not stream, the returned message is the single response.
type StreamHandler func(context.Context, StreamServer) (interface{}, error)

// StreamServer is the server's side of a stream.
type StreamServer interface {
	SendMsg(m interface{}) error
	RecvMsg(m interface{}) error
}

// StreamDesc describes a stream a client opens with NewStream.
type StreamDesc struct {
	StreamingClient bool
	StreamingServer bool
}

// ClientStream is the client's side of a stream.
type ClientStream interface {
	CloseSend() error
	SendMsg(m interface{}) error
	RecvMsg(m interface{}) error
}

// StreamServerInfo describes the stream a StreamServerInterceptor
// intercepts.
type StreamServerInfo struct {
	// FullMethod is "/" + service + "/" + method.
	FullMethod      string
	StreamingClient bool
	StreamingServer bool
}

// StreamServerInterceptor wraps the handling of a stream on the server.
type StreamServerInterceptor func(context.Context, StreamServer, *StreamServerInfo, StreamHandler) (interface{}, error)

// StreamClientInterceptor is declared for source compatibility with
// containerd's ttrpc, where it is a placeholder type.
type StreamClientInterceptor func(context.Context)
