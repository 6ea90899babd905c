// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"net"
	"time"
)

// DialOption configures Dial and NewDialer.
type DialOption func(*dialOptions)

// dialOptions is what the DialOptions set; NewDialer resolves it once.
type dialOptions struct {
	hybridVsockTimeout time.Duration
}

// defaultHybridVsockTimeout bounds the CONNECT handshake of a hybrid vsock
// dial.
const defaultHybridVsockTimeout = 10 * time.Second

func defaultDialOptions() dialOptions {
	return dialOptions{hybridVsockTimeout: defaultHybridVsockTimeout}
}

// WithHybridVsockHandshakeTimeout bounds the CONNECT handshake of a hybrid
// vsock dial: the time from connecting to the VM's Unix socket to reading
// its "OK" line. A VMM whose guest is not listening on the port yet may
// keep the connection open without answering; when the time is up, the
// dial fails with ErrHybridVsockHandshake (and a client made by
// NewClientWithDialer dials again after its backoff). The dial's context
// bounds the handshake too. Values <= 0 keep the default. Default: 10 s.
func WithHybridVsockHandshakeTimeout(d time.Duration) DialOption {
	return func(o *dialOptions) {
		if d > 0 {
			o.hybridVsockTimeout = d
		}
	}
}

// Dial connects to the server at address, once; ctx bounds the whole dial
// (connecting, and the hybrid vsock handshake). The addresses are:
//
//	/run/x.sock, unix:///run/x.sock   a Unix socket (a relative path too)
//	unix://@name                      an abstract Unix socket (Linux)
//	vsock://CID:port                  vsock (Linux), CID and port in decimal
//	hvsock:///run/vm/vm.sock:port     hybrid vsock: the Unix socket of a
//	                                  Firecracker or Cloud Hypervisor VM, then
//	                                  "CONNECT port\n" answered by "OK ...\n"
//	tcp://host:port                   TCP
//
// Windows named pipes (npipe://./pipe/name) are in the module
// github.com/featherrpc/ttrpc/npipe, so that this one depends on no Windows
// library; here they fail with ErrTransportUnsupported. Errors name the
// address and wrap ErrBadAddress, ErrHybridVsockHandshake,
// ErrTransportUnsupported, the context's error or the system's.
//
// For a client that dials again whenever its connection is lost, pass
// NewDialer's result to NewClientWithDialer.
func Dial(ctx context.Context, address string, opts ...DialOption) (net.Conn, error) {
	dial, err := NewDialer(address, opts...)
	if err != nil {
		return nil, err
	}
	return dial(ctx)
}

// NewDialer parses address (the forms of Dial) and returns a Dialer that
// dials it each time it is called, for NewClientWithDialer. It fails at
// once for an address that Dial would never connect to: malformed, of an
// unknown scheme, or of a transport this system does not offer.
func NewDialer(address string, opts ...DialOption) (Dialer, error) {
	a, err := parseAddress(address)
	if err == nil {
		err = a.checkDial()
	}
	if err != nil {
		return nil, addressError("dial", address, err)
	}
	o := defaultDialOptions()
	for _, opt := range opts {
		opt(&o)
	}
	return func(ctx context.Context) (net.Conn, error) {
		conn, err := a.dial(ctx, &o)
		if err != nil {
			return nil, addressError("dial", address, err)
		}
		return conn, nil
	}, nil
}

// checkDial reports an address that only a listener may use, or whose
// transport this system does not offer.
func (a *address) checkDial() error {
	switch a.transport {
	case transportVsock:
		if a.anyCID || a.cid == vsockAny {
			return badAddress("CID \"any\" is for listeners only; dial a CID")
		}
		if a.anyPort || a.port == vsockAny {
			return badAddress("port \"any\" is for listeners only; dial a port")
		}
		return vsockSupported()
	case transportNamedPipe:
		return errNamedPipeModule()
	}
	return nil
}

// dial connects to a.
func (a *address) dial(ctx context.Context, o *dialOptions) (net.Conn, error) {
	var d net.Dialer
	switch a.transport {
	case transportVsock:
		return dialVsock(ctx, a.cid, a.port)
	case transportHybridVsock:
		return dialHybridVsock(ctx, a.path, a.port, o.hybridVsockTimeout)
	case transportTCP:
		return d.DialContext(ctx, "tcp", a.hostPort)
	}
	return d.DialContext(ctx, "unix", a.path)
}
