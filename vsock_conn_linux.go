// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// vsockConn is a connected vsock socket: a non-blocking file in the
// runtime's poller, so that deadlines and Close work as on a net.Conn. It
// may be used concurrently as a net.Conn may.
type vsockConn struct {
	f             *os.File
	local, remote *VsockAddr
}

// newVsockConn wraps the connected socket f, reading both its addresses
// once.
func newVsockConn(f *os.File) (net.Conn, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	var local, remote unix.Sockaddr
	var nameErr error
	err = rc.Control(func(fd uintptr) {
		if local, nameErr = unix.Getsockname(int(fd)); nameErr == nil {
			remote, nameErr = unix.Getpeername(int(fd))
		}
	})
	if err == nil && nameErr != nil {
		err = os.NewSyscallError("getsockname", nameErr)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &vsockConn{f: f, local: vsockAddrOf(local), remote: vsockAddrOf(remote)}, nil
}

// Read reads from the connection.
func (c *vsockConn) Read(b []byte) (int, error) {
	n, err := c.f.Read(b)
	return n, c.opError("read", err)
}

// Write writes to the connection.
func (c *vsockConn) Write(b []byte) (int, error) {
	n, err := c.f.Write(b)
	return n, c.opError("write", err)
}

// Close closes the connection.
func (c *vsockConn) Close() error { return c.opError("close", c.f.Close()) }

// CloseWrite shuts down the writing side, as (*net.UnixConn).CloseWrite.
func (c *vsockConn) CloseWrite() error {
	rc, err := c.f.SyscallConn()
	if err != nil {
		return c.opError("close", err)
	}
	var shutErr error
	if err := rc.Control(func(fd uintptr) { shutErr = unix.Shutdown(int(fd), unix.SHUT_WR) }); err != nil {
		return c.opError("close", err)
	}
	return c.opError("close", os.NewSyscallError("shutdown", shutErr))
}

// LocalAddr returns this end's CID and port.
func (c *vsockConn) LocalAddr() net.Addr { return c.local }

// RemoteAddr returns the peer's CID and port.
func (c *vsockConn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline sets the read and write deadlines.
func (c *vsockConn) SetDeadline(t time.Time) error { return c.f.SetDeadline(t) }

// SetReadDeadline sets the read deadline.
func (c *vsockConn) SetReadDeadline(t time.Time) error { return c.f.SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline.
func (c *vsockConn) SetWriteDeadline(t time.Time) error { return c.f.SetWriteDeadline(t) }

// SyscallConn gives the raw socket, for socket options.
func (c *vsockConn) SyscallConn() (syscall.RawConn, error) { return c.f.SyscallConn() }

// opError wraps err as the net package does: in a *net.OpError, and
// matching net.ErrClosed after Close. io.EOF and nil stay as they are.
func (c *vsockConn) opError(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the file's name means nothing here
	}
	if errors.Is(err, os.ErrClosed) {
		err = net.ErrClosed
	}
	return &net.OpError{Op: op, Net: schemeVsock, Source: c.local, Addr: c.remote, Err: err}
}
