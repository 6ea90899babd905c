// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

//go:build !linux

package ttrpc

import (
	"context"
	"net"
	"runtime"
)

// vsockSupported reports that vsock is Linux-only here: golang.org/x/sys
// has no vsock socket address for other systems.
func vsockSupported() error {
	return fmtUnsupported("vsock is supported on Linux only, not on %s", runtime.GOOS)
}

func dialVsock(context.Context, uint32, uint32) (net.Conn, error) {
	return nil, vsockSupported()
}

func listenVsock(uint32, uint32, bool, bool) (net.Listener, error) {
	return nil, vsockSupported()
}
