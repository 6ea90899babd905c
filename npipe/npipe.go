// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package npipe

import (
	"context"
	"fmt"
	"net"

	"github.com/featherrpc/ttrpc"
)

// Dial connects to the server at address: a named pipe, or any address of
// ttrpc.Dial (to which it hands those, with opts). ctx bounds the dial,
// including the wait for a busy pipe to offer an instance.
func Dial(ctx context.Context, address string, opts ...ttrpc.DialOption) (net.Conn, error) {
	dial, err := NewDialer(address, opts...)
	if err != nil {
		return nil, err
	}
	return dial(ctx)
}

// NewDialer returns a ttrpc.Dialer for address (the forms of Dial), for
// ttrpc.NewClientWithDialer, which dials again whenever the connection is
// lost: a shim's client that outlives the shim's restarts. A malformed
// address fails here, at once.
func NewDialer(address string, opts ...ttrpc.DialOption) (ttrpc.Dialer, error) {
	path, isPipe, err := pipePath(address)
	if err != nil {
		return nil, err
	}
	if !isPipe {
		return ttrpc.NewDialer(address, opts...)
	}
	return func(ctx context.Context) (net.Conn, error) {
		conn, err := dialPipe(ctx, path)
		if err != nil {
			return nil, fmt.Errorf("ttrpc: dial %q: %w", address, err)
		}
		return conn, nil
	}, nil
}

// ListenOption configures Listen.
type ListenOption func(*listenOptions)

// listenOptions are what ListenOptions set.
type listenOptions struct {
	securityDescriptor string
}

// WithSecurityDescriptor sets who may connect to a pipe Listen creates, as
// a Windows security descriptor in SDDL, e.g. "D:P(A;;GA;;;BA)(A;;GA;;;SY)"
// for administrators and the system only. Without it the pipe has Windows'
// default descriptor: full access for the system, administrators and the
// creator's account, read access for everyone (and no one else may write,
// so no one else can call). Other addresses ignore it.
func WithSecurityDescriptor(sddl string) ListenOption {
	return func(o *listenOptions) { o.securityDescriptor = sddl }
}

// Listen listens at address (a named pipe, or any address of ttrpc.Listen),
// for ttrpc.Server.Serve. Closing the listener removes the pipe.
func Listen(address string, opts ...ListenOption) (net.Listener, error) {
	path, isPipe, err := pipePath(address)
	if err != nil {
		return nil, err
	}
	if !isPipe {
		return ttrpc.Listen(address)
	}
	var o listenOptions
	for _, opt := range opts {
		opt(&o)
	}
	l, err := listenPipe(path, &o)
	if err != nil {
		return nil, fmt.Errorf("ttrpc: listen %q: %w", address, err)
	}
	return l, nil
}
