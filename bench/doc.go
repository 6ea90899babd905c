// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package bench compares featherrpc/ttrpc with containerd/ttrpc and grpc-go
// on the same protobuf messages over Unix sockets. It is a module of its own
// so that the core module depends on neither of the other two libraries.
//
// The full comparison, which writes RESULTS.md and results.png, is
//
//	go run ./cmd/benchall
//
// and the usual Go benchmarks of the one-process cases are
//
//	go test -run '^$' -bench . -benchmem
//
// with one sub-benchmark per library, e.g. BenchmarkUnary/size=64B/lib=featherrpc.
// TestBenchShort runs every measurement of benchall with tiny counts, so
// that CI keeps the harness working.
package bench
