// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc_test

import (
	"context"
	"net"

	"github.com/featherrpc/ttrpc"
	"golang.org/x/sys/unix"
)

// The names of API.md that exist on Linux only (unixcreds_linux.go), as in
// containerd's ttrpc: pinned like the rest in api_test.go.
var (
	_ func(*unix.Ucred) error                                                                   = ttrpc.UnixCredentialsFunc(nil)
	_ func() ttrpc.UnixCredentialsFunc                                                          = ttrpc.UnixSocketRequireRoot
	_ func() ttrpc.UnixCredentialsFunc                                                          = ttrpc.UnixSocketRequireSameUser
	_ func(int, int) ttrpc.UnixCredentialsFunc                                                  = ttrpc.UnixSocketRequireUidGid
	_ func(ttrpc.UnixCredentialsFunc, context.Context, net.Conn) (net.Conn, interface{}, error) = ttrpc.UnixCredentialsFunc.Handshake
	_ ttrpc.Handshaker                                                                          = ttrpc.UnixCredentialsFunc(nil)
)
