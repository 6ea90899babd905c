// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"

	"github.com/featherrpc/ttrpc"
)

// The exit codes, one per class of failure. The package doc lists them.
const (
	exitOK         = 0 // the call succeeded (or list/describe printed)
	exitStatus     = 1 // the server answered an error status
	exitUsage      = 2 // the command line or its input is wrong
	exitConnection = 3 // no connection, or the connection was lost
	exitTimeout    = 4 // -max-time elapsed first
)

// classError is a sentinel error that names its exit code: every error that
// is not a status from the server wraps one of these (with %w).
type classError struct {
	msg  string
	exit int
}

func (e *classError) Error() string { return e.msg }

func usageError(msg string) error { return &classError{msg: msg, exit: exitUsage} }

// The sentinel errors of the command, wrapped with %w where they occur.
var (
	errUsage          = usageError("bad command line")
	errBadAddress     = usageError("bad address")
	errBadMetadata    = usageError("want key:value")
	errBadTimeout     = usageError("want a positive number of seconds (2.5) or duration (500ms)")
	errBadData        = usageError("bad -d")
	errNoDescriptors  = usageError("no message types known: give -proto files or a -protoset")
	errBothSources    = usageError("give -proto files or -protoset files, not both")
	errProtos         = usageError("cannot load the protos")
	errProtoset       = usageError("cannot load the protoset")
	errUnknownSymbol  = usageError("unknown symbol")
	errUnknownService = usageError("unknown service")
	errUnknownMethod  = usageError("unknown method")
	errBadRequest     = usageError("the request does not fit")
	errTooManyInputs  = usageError("more than one request message for a method that takes one")

	errConnect = &classError{msg: "cannot connect", exit: exitConnection}
)

// exitCode classifies err, which run returned. ctx is the invocation's
// context: a deadline is only a timeout when it is ours that elapsed (a
// server may answer DEADLINE_EXCEEDED of its own accord).
func exitCode(ctx context.Context, err error) int {
	var class *classError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		return exitTimeout
	case errors.As(err, &class):
		return class.exit
	case errors.Is(err, ttrpc.ErrClosed):
		return exitConnection
	}
	return exitStatus // a status from the server, or another failure of the call
}
