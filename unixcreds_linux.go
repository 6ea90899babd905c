// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// UnixCredentialsFunc checks the credentials of the process at the other end
// of a Unix socket (read with SO_PEERCRED). Used as a server's Handshaker
// (WithServerHandshaker), it closes connections it rejects; handlers of
// accepted connections find the peer's credentials with PeerCredentials.
type UnixCredentialsFunc func(*unix.Ucred) error

// errNotUnixConn is returned when a UnixCredentialsFunc handshake gets a
// connection that is not a Unix socket.
var errNotUnixConn = errors.New("a unix socket connection is required")

// Handshake reads the peer's credentials and checks them with fn. A rejected
// peer's connection is closed and the error wraps syscall.EPERM.
func (fn UnixCredentialsFunc) Handshake(_ context.Context, conn net.Conn) (net.Conn, interface{}, error) {
	ucred, err := peerCredentials(conn)
	if err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("ttrpc.UnixCredentialsFunc: %w", err)
	}
	if err := fn(ucred); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("ttrpc.UnixCredentialsFunc: credential check failed: %w", err)
	}
	return conn, ucred, nil
}

// peerCredentials reads SO_PEERCRED from a Unix socket.
func peerCredentials(conn net.Conn) (*unix.Ucred, error) {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return nil, fmt.Errorf("require unix socket: %w", errNotUnixConn)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("(net.UnixConn).SyscallConn failed: %w", err)
	}
	var ucred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		ucred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return nil, fmt.Errorf("(*syscall.RawConn).Control failed: %w", err)
	}
	if credErr != nil {
		return nil, fmt.Errorf("failed to retrieve socket peer credentials: %w", credErr)
	}
	return ucred, nil
}

// UnixSocketRequireUidGid accepts only peers with the given uid and gid; -1
// matches any value.
func UnixSocketRequireUidGid(uid, gid int) UnixCredentialsFunc {
	return func(ucred *unix.Ucred) error {
		if (uid != -1 && uint32(uid) != ucred.Uid) || (gid != -1 && uint32(gid) != ucred.Gid) {
			return fmt.Errorf("ttrpc: invalid credentials: %w", syscall.EPERM)
		}
		return nil
	}
}

// UnixSocketRequireRoot accepts only peers running as root (uid 0, gid 0).
func UnixSocketRequireRoot() UnixCredentialsFunc {
	return UnixSocketRequireUidGid(0, 0)
}

// UnixSocketRequireSameUser accepts only peers with this process's uid and
// gid.
func UnixSocketRequireSameUser() UnixCredentialsFunc {
	return UnixSocketRequireUidGid(os.Getuid(), os.Getgid())
}

// PeerCredentials returns, in a handler, the credentials of the peer process
// when the server's Handshaker is a UnixCredentialsFunc.
func PeerCredentials(ctx context.Context) (*unix.Ucred, bool) {
	info, _ := HandshakeInfo(ctx)
	ucred, ok := info.(*unix.Ucred)
	return ucred, ok
}
