// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"strconv"
)

// vsockAny is VMADDR_CID_ANY and VMADDR_PORT_ANY: any CID, any port.
const vsockAny = 1<<32 - 1

// VsockAddr is the address of one end of a vsock connection: what the
// LocalAddr and RemoteAddr of a vsock connection return, and the Addr of a
// vsock listener. CID 2 is the host; a VM's guest has the CID its VMM gave
// it.
type VsockAddr struct {
	CID  uint32
	Port uint32
}

// Network returns "vsock".
func (a *VsockAddr) Network() string { return schemeVsock }

// String returns the address in the form Dial takes, "vsock://CID:port".
func (a *VsockAddr) String() string {
	return "vsock://" + strconv.FormatUint(uint64(a.CID), 10) + ":" + strconv.FormatUint(uint64(a.Port), 10)
}

// VsockPeer returns, in a handler, the CID and port of the peer when the
// call arrived on a vsock connection (from Listen("vsock://...")): the VM
// or host that called.
func VsockPeer(ctx context.Context) (*VsockAddr, bool) {
	addr, _ := PeerAddr(ctx)
	va, ok := addr.(*VsockAddr)
	return va, ok
}
