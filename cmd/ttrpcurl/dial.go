// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"net"
	"strings"
)

// dial connects to address: a socket path ("/run/shim.sock"), "unix://" and
// a path, or "unix://@name" for a Linux abstract socket. It is the one place
// that knows address forms.
func dial(ctx context.Context, address string) (net.Conn, error) {
	path, err := socketPath(address)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("%w to %s: %w", errConnect, address, err)
	}
	return conn, nil
}

// schemes are the address schemes of ttrpc's transports, to tell a
// mistyped address (unix:/run/x.sock) from a socket path.
var schemes = map[string]bool{"unix": true, "vsock": true, "hvsock": true, "tcp": true, "npipe": true}

// socketPath returns the Unix socket path of address.
func socketPath(address string) (string, error) {
	if scheme, rest, ok := strings.Cut(address, ":"); ok && schemes[scheme] && !strings.HasPrefix(rest, "//") {
		return "", fmt.Errorf("%w %q: want %s://", errBadAddress, address, scheme)
	}
	scheme, rest, ok := strings.Cut(address, "://")
	switch {
	case !ok:
		rest = address
	case scheme != "unix":
		return "", fmt.Errorf("%w %q: scheme %q not supported (use a socket path or unix://)", errBadAddress, address, scheme)
	}
	if rest == "" || rest == "@" {
		return "", fmt.Errorf("%w %q: no socket path", errBadAddress, address)
	}
	return rest, nil
}
