// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package tracing has no code: it holds the tests that put containerd's
// ttrpc with containerd's otelttrpc on one side of a call and featherrpc's
// ttrpc with github.com/featherrpc/ttrpc/otel on the other, in both
// directions, and check that the spans join into one trace. They live here
// rather than in the otel module so that its go.mod does not require
// containerd's ttrpc, otelttrpc and grpc. The command in ./cmd prints the
// trace of a few calls.
package tracing
