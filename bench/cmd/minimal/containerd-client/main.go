// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Command containerd-client connects to a containerd-server, makes one call
// and prints "ok": the harness times it from process start. Usage:
// containerd-client SOCKET.
package main

import (
	"github.com/featherrpc/ttrpc/bench/internal/lib/containerd"
	"github.com/featherrpc/ttrpc/bench/internal/minimal"
)

func main() { minimal.ClientMain(containerd.Dial) }
