// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package peer is the common face of the two ttrpc implementations under
// test, so that one test body can drive either client against either
// server. It imports neither implementation: packages ours and theirs
// provide an Impl each.
package peer

import (
	"context"
	"net"
	"time"
)

// Names of the implementations.
const (
	Ours   = "featherrpc"
	Theirs = "containerd"
)

// StreamDesc says which sides of a stream stream.
type StreamDesc struct {
	StreamingClient bool
	StreamingServer bool
}

// ClientStream is the client side of a stream, in both implementations.
type ClientStream interface {
	CloseSend() error
	SendMsg(m interface{}) error
	RecvMsg(m interface{}) error
}

// Client is a ttrpc client of either implementation.
type Client interface {
	Call(ctx context.Context, service, method string, req, resp interface{}) error
	NewStream(ctx context.Context, desc StreamDesc, service, method string, req interface{}) (ClientStream, error)
	Close() error
}

// Server is a ttrpc server of either implementation; both have these
// methods with these signatures.
type Server interface {
	Serve(ctx context.Context, l net.Listener) error
	Shutdown(ctx context.Context) error
	Close() error
}

// Status is a status error as an implementation's own status package
// decodes it.
type Status struct {
	Code    int32
	Message string
	Details []any // unpacked messages, or errors for details that did not unpack
}

// ClientOptions adjust what a client sends, through a unary client
// interceptor of its implementation (so streams are not affected).
type ClientOptions struct {
	// SortMetadata sorts the metadata of each request by key, keeping the
	// order of each key's values, so that its bytes do not depend on map
	// order.
	SortMetadata bool
	// Timeout, when not zero, replaces the timeout a request carries,
	// whatever the caller's context says: a server deadline can expire
	// while the client still waits.
	Timeout time.Duration
}

// ServerOptions configure a server made by an Impl.
type ServerOptions struct {
	// Observe is told how each handler that waited for its context ended
	// (testsvc.Env.Observe).
	Observe func(seq int64, err error)
}

// Impl is one ttrpc implementation.
type Impl struct {
	Name string
	// NewClient returns a client over conn.
	NewClient func(conn net.Conn, opts ClientOptions) Client
	// NewServer returns a server with the interop service registered by
	// hand (RegisterService, no generated code), with the handlers of
	// package testsvc.
	NewServer func(opts ServerOptions) (Server, error)
	// WithMetadata attaches metadata to a client's context.
	WithMetadata func(ctx context.Context, md map[string][]string) context.Context
	// FromError decodes a client error with the implementation's status
	// package; ok is false when err carries no status.
	FromError func(err error) (st Status, ok bool)
	// IsClosed reports whether err is the implementation's ErrClosed.
	IsClosed func(err error) bool
	// Oversized reports whether err is the implementation's
	// *OversizedMessageErr, and the lengths it reports.
	Oversized func(err error) (rejected, maximum int, ok bool)
}
