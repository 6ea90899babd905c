// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"net"
)

// Handshaker runs when a server accepts a connection, before any frame is
// read. It may check the peer (UnixSocketRequireSameUser, for example),
// replace the connection (a TLS wrapper, say) and return information about
// the peer, which handlers find with HandshakeInfo. An error closes the
// connection.
//
// A server runs the handshake on the connection's own goroutine, never on the
// accept loop, so a slow or hanging peer delays nobody else.
type Handshaker interface {
	Handshake(ctx context.Context, conn net.Conn) (net.Conn, interface{}, error)
}

// HandshakeInfo returns, in a handler, what the server's Handshaker returned
// for the connection the call arrived on (for UnixCredentialsFunc, the peer's
// *unix.Ucred). It reports false when the handshake returned nil.
func HandshakeInfo(ctx context.Context) (interface{}, bool) {
	p, _ := ctx.Value(connPeerKey{}).(*connPeer)
	if p == nil || p.info == nil {
		return nil, false
	}
	return p.info, true
}
