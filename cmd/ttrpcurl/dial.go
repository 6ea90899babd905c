// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/featherrpc/ttrpc"
)

// newDialer checks address, in any form ttrpc.Dial takes (socket paths,
// unix://, unix://@name, vsock://, hvsock://, tcp://), and returns its
// dialer. A malformed address, or one whose transport this system lacks,
// is errBadAddress.
func newDialer(address string) (ttrpc.Dialer, error) {
	dial, err := ttrpc.NewDialer(address)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %s", errBadAddress, address, detail(address, err))
	}
	return dial, nil
}

// dial connects to address; a failure is errConnect, wrapping the
// system's error (and the context's, for exitCode).
func dial(ctx context.Context, address string) (net.Conn, error) {
	d, err := newDialer(address)
	if err != nil {
		return nil, err
	}
	conn, err := d(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w to %s: %w", errConnect, address, trimmed{err, detail(address, err)})
	}
	return conn, nil
}

// detail is what err, from ttrpc.NewDialer or its dialer, says about
// address, without the address and the sentinel's words that our message
// already has.
func detail(address string, err error) string {
	s := strings.TrimPrefix(err.Error(), fmt.Sprintf("ttrpc: dial %q: ", address))
	s = strings.TrimSuffix(s, ": "+ttrpc.ErrBadAddress.Error())
	return strings.TrimSuffix(s, ": "+ttrpc.ErrTransportUnsupported.Error())
}

// trimmed is an error that reads as text but unwraps to err, so errors.Is
// still finds the context's error under it.
type trimmed struct {
	err  error
	text string
}

func (t trimmed) Error() string { return t.text }
func (t trimmed) Unwrap() error { return t.err }
