// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"fmt"
	"net"
)

// Listen listens at address, for Server.Serve. The addresses are those of
// Dial, and:
//
//	vsock://any:port        vsock on every CID of this machine (also -1:port)
//	vsock://CID:any         vsock on a port the system picks (Addr says which)
//	tcp://127.0.0.1:0       TCP on a port the system picks
//	hvsock:///run/vm/vm.sock:port
//	                        the host's end of a hybrid vsock for connections
//	                        that the guest opens to port: Firecracker and
//	                        Cloud Hypervisor forward them to the Unix socket
//	                        /run/vm/vm.sock_port, which Listen creates
//
// A Unix socket's file must not exist yet; the listener removes it when it
// closes. Errors name the address and wrap ErrBadAddress,
// ErrTransportUnsupported or the system's.
func Listen(address string) (net.Listener, error) {
	a, err := parseAddress(address)
	if err != nil {
		return nil, addressError("listen", address, err)
	}
	l, err := a.listen()
	if err != nil {
		return nil, addressError("listen", address, err)
	}
	return l, nil
}

// listen listens at a.
func (a *address) listen() (net.Listener, error) {
	switch a.transport {
	case transportVsock:
		return listenVsock(a.cid, a.port, a.anyCID, a.anyPort)
	case transportHybridVsock:
		return net.Listen("unix", fmt.Sprintf("%s_%d", a.path, a.port))
	case transportTCP:
		return net.Listen("tcp", a.hostPort)
	case transportNamedPipe:
		return nil, errNamedPipeModule()
	}
	return net.Listen("unix", a.path)
}
