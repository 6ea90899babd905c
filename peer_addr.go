// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"net"
)

type peerAddrKey struct{}

// PeerAddr returns, in a handler, the remote address of the connection the
// call arrived on (after the server's Handshaker): a *VsockAddr on vsock (see
// VsockPeer), a *net.TCPAddr on TCP, a *net.UnixAddr on a Unix socket (whose
// peer is better known by PeerCredentials, on Linux). It reports false when
// the connection has no remote address.
func PeerAddr(ctx context.Context) (net.Addr, bool) {
	addr, ok := ctx.Value(peerAddrKey{}).(net.Addr)
	return addr, ok
}

// withPeerAddr records the remote address of conn for PeerAddr.
func withPeerAddr(ctx context.Context, conn net.Conn) context.Context {
	addr := conn.RemoteAddr()
	if addr == nil {
		return ctx
	}
	return context.WithValue(ctx, peerAddrKey{}, addr)
}
