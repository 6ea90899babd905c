// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package npipe

import (
	"context"
	"net"

	"github.com/Microsoft/go-winio"
)

// dialPipe connects to the pipe at path. go-winio waits, within ctx, while
// every instance of the pipe is busy.
func dialPipe(ctx context.Context, path string) (net.Conn, error) {
	return winio.DialPipeContext(ctx, path)
}

// listenPipe creates the pipe at path, in byte mode (ttrpc frames are a
// byte stream).
func listenPipe(path string, o *listenOptions) (net.Listener, error) {
	return winio.ListenPipe(path, &winio.PipeConfig{SecurityDescriptor: o.securityDescriptor})
}
