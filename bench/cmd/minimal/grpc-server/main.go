// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Command grpc-server serves the benchmark service with grpc-go and nothing
// else: the harness measures its stripped size and its memory, and calls it
// from another process. Usage: grpc-server SOCKET (it serves until its stdin
// ends).
package main

import (
	"github.com/featherrpc/ttrpc/bench/internal/lib/grpcgo"
	"github.com/featherrpc/ttrpc/bench/internal/minimal"
)

func main() { minimal.ServerMain(grpcgo.NewServer) }
