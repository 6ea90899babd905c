// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

var (
	// ErrProtocol is returned when the peer sends data that violates the
	// ttrpc protocol.
	ErrProtocol = errors.New("protocol error")

	// ErrClosed is returned by client methods once the connection is closed,
	// and by calls that were pending when it closed. It is wrapped with the
	// cause when the connection ended for another reason than Close.
	ErrClosed = errors.New("ttrpc: closed")

	// ErrServerClosed is returned by Serve after Shutdown or Close.
	ErrServerClosed = errors.New("ttrpc: server closed")

	// ErrStreamClosed is returned by a stream used after its side of it has
	// closed: by a client stream's SendMsg after CloseSend; by a handler's
	// SendMsg once its stream has been answered early (it failed with
	// ErrStreamFull, say), and by its RecvMsg once its connection has gone.
	// A client sending on a stream the server has finished gets io.EOF
	// instead (RecvMsg says how it ended).
	ErrStreamClosed = errors.New("ttrpc: stream closed")

	// ErrStreamFull is returned by RecvMsg, after the messages it had
	// buffered, when a stream's reader fell too far behind
	// (WithClientStreamBuffer, WithServerStreamBuffer).
	ErrStreamFull = errors.New("ttrpc: stream buffer full")
)

// errServerInFlight, errMetadataEntries and errMetadataBytes refuse a
// request over WithServerMaxInFlight or WithServerMaxMetadata; its call is
// answered RESOURCE_EXHAUSTED, naming the limit.
var (
	errServerInFlight  = errors.New("ttrpc: too many requests in flight on this server")
	errMetadataEntries = errors.New("ttrpc: request metadata has too many entries")
	errMetadataBytes   = errors.New("ttrpc: request metadata has too many bytes of keys and values")
)

// errStreamIDsExhausted ends a client connection that has used every odd
// stream id; a new connection starts again at 1.
var errStreamIDsExhausted = errors.New("ttrpc: stream ids exhausted")

// OversizedMessageErr is the error for a message over the size limit. It
// unwraps to a RESOURCE_EXHAUSTED status error, so status.Code reports
// codes.ResourceExhausted.
type OversizedMessageErr struct {
	messageLength int
	maxLength     int
	err           error
}

// OversizedMessageError returns an *OversizedMessageErr for a message of
// messageLength bytes, over the protocol's 4 MiB limit.
func OversizedMessageError(messageLength int) error {
	return oversizedMessageError(messageLength, frameLengthMax)
}

func oversizedMessageError(messageLength, maxLength int) *OversizedMessageErr {
	return &OversizedMessageErr{
		messageLength: messageLength,
		maxLength:     maxLength,
		err: status.Errorf(codes.ResourceExhausted,
			"message length %d exceed maximum message size of %d", messageLength, maxLength),
	}
}

// oversizedStatus is the RESOURCE_EXHAUSTED status a server answers for a
// message of messageLength bytes over maxLength.
func oversizedStatus(messageLength, maxLength int) *status.Status {
	st, _ := status.FromError(oversizedMessageError(messageLength, maxLength).err)
	return st
}

// Error implements error.
func (e *OversizedMessageErr) Error() string { return e.err.Error() }

// RejectedLength is the length of the message that was refused.
func (e *OversizedMessageErr) RejectedLength() int { return e.messageLength }

// MaximumLength is the largest message length that would have been accepted.
func (e *OversizedMessageErr) MaximumLength() int { return e.maxLength }

// Unwrap returns the RESOURCE_EXHAUSTED status error.
func (e *OversizedMessageErr) Unwrap() error { return e.err }

// closedError is the error of a call that could not finish because the
// connection ended with cause.
func closedError(cause error) error {
	if cause == nil || errors.Is(cause, ErrClosed) {
		return ErrClosed
	}
	return fmt.Errorf("%w: %w", ErrClosed, cause)
}

// contextError turns a context's error into a status error (CANCELED or
// DEADLINE_EXCEEDED) that still matches the context error with errors.Is.
func contextError(err error) error {
	return &statusCauseError{status: status.FromContextError(err), cause: err}
}

// waitContextError is the error of a call whose context ended while it
// waited for a connection (WithWaitForConnection): CANCELED or
// DEADLINE_EXCEEDED as with contextError, with the last dial error in the
// message.
func waitContextError(err, lastErr error) error {
	st := status.FromContextError(err)
	msg := fmt.Sprintf("%s while waiting for a connection (last dial error: %v)", st.Message(), lastErr)
	return &statusCauseError{status: status.New(st.Code(), msg), cause: err}
}

// statusCauseError is a status error that also unwraps to its cause.
type statusCauseError struct {
	status *status.Status
	cause  error
}

func (e *statusCauseError) Error() string              { return e.status.String() }
func (e *statusCauseError) GRPCStatus() *status.Status { return e.status }
func (e *statusCauseError) Unwrap() error              { return e.cause }

// statusOf is the one place where a handler's error becomes the status sent
// on the wire: a status error (ours, or grpc's, recognised by the status
// package) keeps its code, message and details; context errors become
// CANCELED or DEADLINE_EXCEEDED; anything else is UNKNOWN.
func statusOf(err error) *status.Status {
	if st, ok := status.FromError(err); ok {
		return st
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return status.FromContextError(err)
	}
	return status.New(codeOf(err), err.Error())
}

// errOptionTwice is returned by NewServer when an option that may be given
// once is given twice. The two that containerd's ttrpc checks too fail with
// its words, errHandshakerTwice and errUnaryInterceptorTwice, which match
// errOptionTwice with errors.Is.
var (
	errOptionTwice           = errors.New("ttrpc: option may be given only once")
	errHandshakerTwice       = &optionTwiceError{"only one handshaker allowed per server"}
	errUnaryInterceptorTwice = &optionTwiceError{"only one unchained interceptor allowed per server"}
)

// optionTwiceError is an errOptionTwice in other words.
type optionTwiceError struct{ text string }

func (e *optionTwiceError) Error() string        { return e.text }
func (e *optionTwiceError) Is(target error) bool { return target == errOptionTwice }

// errNilListener is returned by Serve when it is given no listener (as
// when the error of a failed net.Listen was ignored).
var errNilListener = errors.New("ttrpc: Serve called with a nil listener")

// errContextDone is an internal signal: a frame was not sent because the
// sender's context ended first.
var errContextDone = errors.New("ttrpc: context done")

// errNilHandshakeConn ends a connection whose Handshaker returned no
// connection and no error.
var errNilHandshakeConn = errors.New("ttrpc: handshaker returned a nil connection")

// errHandshakeTimeout ends a connection whose handshake took too long.
var errHandshakeTimeout = errors.New("ttrpc: handshake timed out")

// isConnReset reports whether err is the peer resetting the connection.
func isConnReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
