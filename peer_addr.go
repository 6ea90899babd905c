// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"net"
)

// connPeerKey is the context key of a server connection's connPeer.
type connPeerKey struct{}

// connPeer is what a server connection's context says about its peer, for
// HandshakeInfo and PeerAddr: one value, set once after the handshake and
// never changed.
type connPeer struct {
	_    noCompare
	info interface{} // what the Handshaker returned
	conn net.Conn    // the connection the Handshaker returned
}

// PeerAddr returns, in a handler, the remote address of the connection the
// call arrived on (after the server's Handshaker): a *VsockAddr on vsock (see
// VsockPeer), a *net.TCPAddr on TCP, a *net.UnixAddr on a Unix socket (whose
// peer is better known by PeerCredentials, on Linux). It reports false when
// the connection has no remote address.
func PeerAddr(ctx context.Context) (net.Addr, bool) {
	p, _ := ctx.Value(connPeerKey{}).(*connPeer)
	if p == nil {
		return nil, false
	}
	addr := p.conn.RemoteAddr()
	return addr, addr != nil
}

// withConnPeer records what HandshakeInfo and PeerAddr read.
func withConnPeer(ctx context.Context, info interface{}, conn net.Conn) context.Context {
	return context.WithValue(ctx, connPeerKey{}, &connPeer{info: info, conn: conn})
}
