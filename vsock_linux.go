// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"net"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// vsockSupported reports whether this system offers vsock: Linux does.
func vsockSupported() error { return nil }

// dialVsock connects to port on the machine cid. The socket is
// non-blocking and in the runtime's poller from the start, so that ctx
// ends the connect even when the kernel would wait longer.
func dialVsock(ctx context.Context, cid, port uint32) (net.Conn, error) {
	fd, err := unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	err = unix.Connect(fd, &unix.SockaddrVM{CID: cid, Port: port})
	if err != nil && err != unix.EINPROGRESS {
		unix.Close(fd)
		return nil, os.NewSyscallError("connect", err)
	}
	f := os.NewFile(uintptr(fd), "vsock")
	if err := waitConnected(ctx, f); err != nil {
		f.Close()
		return nil, err
	}
	return newVsockConn(f)
}

// waitConnected waits until the connect in progress on f ends, or ctx does.
func waitConnected(ctx context.Context, f *os.File) error {
	deadline, hasDeadline := ctx.Deadline()
	if hasDeadline {
		f.SetWriteDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { f.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var connectErr error
	err = rc.Write(func(fd uintptr) bool {
		if _, err := unix.Getpeername(int(fd)); err == nil {
			return true // connected
		}
		errno, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
		switch {
		case err != nil:
			connectErr = os.NewSyscallError("getsockopt", err)
		case errno != 0:
			connectErr = os.NewSyscallError("connect", unix.Errno(errno))
		default:
			return false // still connecting: wait for the socket to be writable
		}
		return true
	})
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case hasDeadline && errors.Is(err, os.ErrDeadlineExceeded):
		return context.DeadlineExceeded // ctx's, which the poller saw first
	case err != nil:
		return err
	}
	f.SetWriteDeadline(time.Time{})
	return connectErr
}

// listenVsock listens on port (or a port the system picks) of cid (or of
// every CID of this machine).
func listenVsock(cid, port uint32, anyCID, anyPort bool) (net.Listener, error) {
	if anyCID {
		cid = unix.VMADDR_CID_ANY
	}
	if anyPort {
		port = unix.VMADDR_PORT_ANY
	}
	fd, err := unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrVM{CID: cid, Port: port}); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	if err := unix.Listen(fd, unix.SOMAXCONN); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("listen", err)
	}
	f := os.NewFile(uintptr(fd), "vsock-listener")
	addr, err := vsockSockname(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &vsockListener{f: f, addr: addr}, nil
}

// vsockSockname returns the local address of the vsock socket f.
func vsockSockname(f *os.File) (*VsockAddr, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var sa unix.Sockaddr
	var nameErr error
	if err := rc.Control(func(fd uintptr) { sa, nameErr = unix.Getsockname(int(fd)) }); err != nil {
		return nil, err
	}
	if nameErr != nil {
		return nil, os.NewSyscallError("getsockname", nameErr)
	}
	return vsockAddrOf(sa), nil
}

// vsockAddrOf converts a vsock sockaddr.
func vsockAddrOf(sa unix.Sockaddr) *VsockAddr {
	if vm, ok := sa.(*unix.SockaddrVM); ok {
		return &VsockAddr{CID: vm.CID, Port: vm.Port}
	}
	return &VsockAddr{}
}

// vsockListener is a net.Listener for vsock. Accept and Close may be called
// concurrently; Close ends an Accept in progress.
type vsockListener struct {
	f      *os.File
	addr   *VsockAddr
	closed atomic.Bool // set by Close, before it closes f
}

// Accept waits for the next connection.
func (l *vsockListener) Accept() (net.Conn, error) {
	rc, err := l.f.SyscallConn()
	if err != nil {
		return nil, l.opError(err)
	}
	var nfd int
	var acceptErr error
	err = rc.Read(func(fd uintptr) bool {
		nfd, _, acceptErr = unix.Accept4(int(fd), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		return acceptErr != unix.EAGAIN
	})
	if err == nil {
		err = acceptErr
	}
	if err != nil {
		return nil, l.opError(err)
	}
	return newVsockConn(os.NewFile(uintptr(nfd), "vsock"))
}

// opError wraps an accept error; after Close it matches net.ErrClosed.
func (l *vsockListener) opError(err error) error {
	if l.closed.Load() || errors.Is(err, os.ErrClosed) {
		err = net.ErrClosed
	} else if errno, ok := err.(unix.Errno); ok {
		err = os.NewSyscallError("accept4", errno)
	}
	return &net.OpError{Op: "accept", Net: schemeVsock, Addr: l.addr, Err: err}
}

// Close stops listening.
func (l *vsockListener) Close() error {
	l.closed.Store(true)
	if err := l.f.Close(); err != nil {
		return &net.OpError{Op: "close", Net: schemeVsock, Addr: l.addr, Err: net.ErrClosed}
	}
	return nil
}

// Addr returns the CID and port listened on.
func (l *vsockListener) Addr() net.Addr { return l.addr }
