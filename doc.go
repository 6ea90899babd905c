// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package ttrpc is a small RPC library for processes on one host: a drop-in,
// wire-compatible replacement for containerd's ttrpc ("gRPC for low-memory
// environments").
//
// A Server serves services described by ServiceDesc (usually registered by
// code that protoc-gen-go-ttrpc generates) on any net.Listener, typically a
// Unix socket. A Client, built on one net.Conn, calls them. Messages are
// protobuf messages; errors carry the canonical status codes of the packages
// github.com/featherrpc/ttrpc/status and github.com/featherrpc/ttrpc/codes,
// which mirror grpc's. Deadlines and metadata (MD) travel with every call.
//
// The layers, from the bottom: the framed channel (channel.go, with pooled
// buffers in buffers.go, a read buffer that grows under load in
// readbuffer.go, and the writer loop in writer.go, which gathers the frames
// of concurrent calls into few writes) reads and writes frames and knows
// nothing of RPC; the envelopes (envelope.go) are encoded
// and decoded by hand on the hot path. On the client side sit the table of
// calls in flight (callmap.go), one connection with its two goroutines
// (client_conn.go), streams (client_stream.go, recv_queue.go), and the Client
// (client.go) with its dialing pool (client_dial.go). On the server side sit
// the Server (server.go), one connection (server_conn.go) with its reading
// (server_read.go), its request goroutines (server_workers.go) and its
// requests (server_request.go, server_handler.go, server_stream.go), and the
// service registry (services.go). Interceptors
// (interceptor.go) wrap calls on both sides; stats.go observes them.
//
// Code written against containerd's ttrpc v1.2 compiles against this package
// after only its import path changes, and the two talk to each other in both
// directions.
package ttrpc
