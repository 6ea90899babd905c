// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Command featherrpc-server serves the benchmark service with
// featherrpc/ttrpc and nothing else: the harness measures its stripped size
// and its memory, and calls it from another process.
// Usage: featherrpc-server SOCKET (it serves until its stdin ends).
package main

import (
	"github.com/featherrpc/ttrpc/bench/internal/lib/featherrpc"
	"github.com/featherrpc/ttrpc/bench/internal/minimal"
)

func main() { minimal.ServerMain(featherrpc.NewServer) }
