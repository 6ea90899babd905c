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
// The layers, from the bottom: the framed channel (channel.go) reads and
// writes frames and knows nothing of RPC; the table of calls in flight
// (callmap.go) and the Client sit above it on the client side; the Server,
// its per-connection state (server_conn.go) and the service registry
// (services.go) on the other. Interceptors (interceptor.go) wrap calls on
// both sides.
//
// Code written against containerd's ttrpc v1.2 compiles against this package
// after only its import path changes, and the two talk to each other in both
// directions.
package ttrpc
