// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Command grpc-client connects to a grpc-server, makes one call and prints
// "ok": the harness times it from process start. Usage: grpc-client SOCKET.
package main

import (
	"github.com/featherrpc/ttrpc/bench/internal/lib/grpcgo"
	"github.com/featherrpc/ttrpc/bench/internal/minimal"
)

func main() { minimal.ClientMain(grpcgo.Dial) }
