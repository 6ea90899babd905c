// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"errors"
	"fmt"
)

// The errors of Dial, NewDialer and Listen. Each is wrapped in an error that
// names the operation and the address, as in
// `ttrpc: dial "vsock://3:x": port "x" is not a number: ttrpc: bad address`;
// test for them with errors.Is.
var (
	// ErrBadAddress is returned for an address that does not parse: an
	// unknown scheme, a missing or malformed part, or a CID or port out of
	// range.
	ErrBadAddress = errors.New("ttrpc: bad address")

	// ErrHybridVsockHandshake is returned when the Unix socket of a hybrid
	// vsock address does not answer "CONNECT <port>\n" with
	// "OK <number>\n": another answer, a connection closed before the
	// answer, or no answer within the handshake timeout
	// (WithHybridVsockHandshakeTimeout).
	ErrHybridVsockHandshake = errors.New("ttrpc: hybrid vsock handshake failed")

	// ErrTransportUnsupported is returned for an address whose transport
	// this operating system, or this package, does not offer: vsock outside
	// Linux, abstract Unix sockets outside Linux, Windows named pipes (which
	// need the module github.com/featherrpc/ttrpc/npipe). It matches
	// errors.ErrUnsupported too.
	ErrTransportUnsupported = fmt.Errorf("ttrpc: transport not supported: %w", errors.ErrUnsupported)
)

// addressError names the operation and the address an error is about.
func addressError(op, address string, err error) error {
	return fmt.Errorf("ttrpc: %s %q: %w", op, address, err)
}

// badAddress is an ErrBadAddress with what is wrong.
func badAddress(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrBadAddress)
}

// fmtUnsupported is an ErrTransportUnsupported with what is missing.
func fmtUnsupported(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrTransportUnsupported)
}

// errNamedPipeModule is the error for a Windows named pipe address given to
// this package.
// (A function, not a variable, so that programs which never parse an
// address do not build it at start-up.)
func errNamedPipeModule() error {
	return fmtUnsupported("windows named pipes are in the module github.com/featherrpc/ttrpc/npipe (npipe.Dial, npipe.Listen)")
}
