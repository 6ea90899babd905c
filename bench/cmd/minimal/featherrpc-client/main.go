// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Command featherrpc-client connects to a featherrpc-server, makes one call
// and prints "ok": the harness times it from process start. Usage:
// featherrpc-client SOCKET.
package main

import (
	"github.com/featherrpc/ttrpc/bench/internal/lib/featherrpc"
	"github.com/featherrpc/ttrpc/bench/internal/minimal"
)

func main() { minimal.ClientMain(featherrpc.Dial) }
