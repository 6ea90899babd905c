// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package rpc declares what the benchmarks need from an RPC library, so that
// one harness drives featherrpc/ttrpc, containerd/ttrpc and grpc-go alike.
// Each library's adapter (in internal/lib/...) serves the same Bench service
// with the same messages and the same handler logic, which lives here.
//
// This package imports no RPC library, so that the minimal server of one
// library links no other.
package rpc

import (
	"context"
	"fmt"
	"net"

	"github.com/featherrpc/ttrpc/bench/internal/benchpb"
)

// The benchmarked service, as declared in benchpb/bench.proto.
const (
	Service      = "featherrpc.bench.v1.Bench"
	EchoMethod   = "Echo"
	StreamMethod = "Stream"
)

// Server serves the Bench service.
type Server interface {
	// Serve accepts connections on l and serves them until Close. It
	// returns once Close has been called (with an error the caller ignores)
	// or when accepting fails.
	Serve(l net.Listener) error
	// Close stops the server at once: it closes its listeners and
	// connections.
	Close() error
}

// Client calls the Bench service over one connection. Echo may be called
// concurrently; that is what the concurrency benchmark does.
type Client interface {
	// Echo calls Echo with in and decodes the answer into out.
	Echo(ctx context.Context, in, out *benchpb.Payload) error
	// Stream calls Stream with req and receives every message into msg
	// (reused for each message) until the server ends the stream. It
	// returns the number of messages received.
	Stream(ctx context.Context, req *benchpb.StreamRequest, msg *benchpb.Payload) (int, error)
	// Close closes the connection.
	Close() error
}

// Library is one RPC library under test.
type Library struct {
	// Name identifies the library in tables and benchmark names.
	Name string
	// Program is the prefix of the library's minimal programs:
	// cmd/minimal/<Program>-server and cmd/minimal/<Program>-client.
	Program string
	// NewServer returns a server with the Bench service registered.
	NewServer func() (Server, error)
	// Dial connects a new client to the Unix socket at path.
	Dial func(ctx context.Context, path string) (Client, error)
	// WithMetadata returns ctx with key: value added to the metadata its
	// calls send, the library's way.
	WithMetadata func(ctx context.Context, key, value string) context.Context
	// NewHoldServer returns a server, with its default options, that
	// serves the Hold service besides Bench; its Hold handlers return once
	// gate is closed. Nil for a library the hostile-peer measurements skip.
	NewHoldServer func(gate <-chan struct{}) (Server, error)
}

// StreamSender is the one thing the Stream handler needs from a library's
// server stream.
type StreamSender interface {
	SendMsg(m any) error
}

// Echo is the Echo handler shared by all libraries: it answers with the
// request message itself, so the server's cost is the library's alone.
func Echo(req *benchpb.Payload) *benchpb.Payload {
	return req
}

// ServeStream is the Stream handler shared by all libraries: it sends
// req.Count messages of req.Size bytes, built once.
func ServeStream(req *benchpb.StreamRequest, s StreamSender) error {
	if req.Count < 0 || req.Size < 0 {
		return fmt.Errorf("bench: invalid stream request %v", req)
	}
	msg := &benchpb.Payload{Data: Bytes(int(req.Size))}
	for range req.Count {
		if err := s.SendMsg(msg); err != nil {
			return err
		}
	}
	return nil
}

// Bytes returns n bytes of a fixed, non-zero pattern.
func Bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 1)
	}
	return b
}
