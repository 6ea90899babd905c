// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package harness

import (
	"net"

	"golang.org/x/sys/unix"
)

// peerEnded tells, without blocking, whether the peer of c has ended the
// connection: reading what is buffered (and discarding it) comes to an
// end of file or an error rather than to "would block".
func peerEnded(c net.Conn) bool {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return false
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return false
	}
	ended := false
	buf := make([]byte, 64<<10)
	raw.Read(func(fd uintptr) bool {
		for {
			n, _, err := unix.Recvfrom(int(fd), buf, unix.MSG_DONTWAIT)
			switch {
			case err == unix.EAGAIN:
				return true
			case err == unix.EINTR:
				continue
			case err != nil || n == 0:
				ended = true
				return true
			}
		}
	})
	return ended
}
