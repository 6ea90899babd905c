// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"context"
	"errors"
	"fmt"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status/statuspb"
)

// New returns a Status with code c and message msg.
func New(c codes.Code, msg string) *Status {
	return &Status{s: &statuspb.Status{Code: int32(c), Message: msg}}
}

// Newf returns New(c, fmt.Sprintf(format, a...)).
func Newf(c codes.Code, format string, a ...any) *Status {
	return New(c, fmt.Sprintf(format, a...))
}

// Error returns an error with code c and message msg, or nil when c is
// codes.OK.
func Error(c codes.Code, msg string) error {
	return New(c, msg).Err()
}

// Errorf returns Error(c, fmt.Sprintf(format, a...)).
func Errorf(c codes.Code, format string, a ...any) error {
	return Error(c, fmt.Sprintf(format, a...))
}

// ErrorProto returns an error carrying a copy of s, or nil when s's code is
// OK (or s is nil).
func ErrorProto(s *statuspb.Status) error {
	return FromProto(s).Err()
}

// FromProto returns a Status holding a copy of s; later changes to s do not
// affect it. A nil s gives an OK Status.
func FromProto(s *statuspb.Status) *Status {
	return &Status{s: cloneProto(s)}
}

// grpcStatuser is implemented by errors that carry a Status of this package,
// such as the ones returned by Status.Err.
type grpcStatuser interface {
	GRPCStatus() *Status
}

// FromError returns the Status carried by err and true, following the rules
// of grpc's FromError:
//
//   - A nil err gives (nil, true): a nil Status means OK.
//   - If err has a GRPCStatus method returning a non-nil *Status, that Status
//     is returned as it is.
//   - If such an error is found deeper in err's chain (errors.As, so
//     fmt.Errorf's %w and errors.Join are followed), the result has its code
//     and details, but its message is err.Error(), the whole wrapped text.
//   - Only if no error in the chain has such a method, an error made by
//     google.golang.org/grpc/status is recognised in the same two ways, its
//     code, message and details converted through their wire form (this
//     module does not import grpc).
//   - Otherwise, or when the GRPCStatus found returns nil, the result is a
//     Status with codes.Unknown and err.Error() as message, and false.
func FromError(err error) (s *Status, ok bool) {
	if err == nil {
		return nil, true
	}
	if gs, direct := err.(grpcStatuser); direct {
		return found(err, gs.GRPCStatus(), true)
	}
	var gs grpcStatuser
	if errors.As(err, &gs) {
		return found(err, gs.GRPCStatus(), false)
	}
	if p, direct, ok := foreignStatus(err); ok {
		if p == nil {
			return found(err, nil, direct)
		}
		return found(err, &Status{s: p}, direct)
	}
	return New(codes.Unknown, err.Error()), false
}

// found applies FromError's rules to the status s that err carries, either
// itself (direct) or further down its chain.
func found(err error, s *Status, direct bool) (*Status, bool) {
	if s == nil {
		// A nil status would mean OK, which no error can sensibly be;
		// grpc reports it as Unknown, and so do we.
		return New(codes.Unknown, err.Error()), false
	}
	if direct {
		return s, true
	}
	p := s.Proto()
	p.Message = err.Error()
	return &Status{s: p}, true
}

// Convert returns the Status that FromError returns for err, dropping the
// ok result: an error without a status becomes codes.Unknown.
func Convert(err error) *Status {
	s, _ := FromError(err)
	return s
}

// Code returns the code of the status err carries: codes.OK for nil,
// codes.Unknown when err carries no status, as FromError decides.
func Code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	return Convert(err).Code()
}

// FromContextError converts a context error into a Status: an error that
// is (errors.Is) context.DeadlineExceeded becomes codes.DeadlineExceeded,
// context.Canceled becomes codes.Canceled, and any other error
// codes.Unknown, each with err.Error() as the message. A nil err gives nil.
func FromContextError(err error) *Status {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return New(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, context.Canceled):
		return New(codes.Canceled, err.Error())
	default:
		return New(codes.Unknown, err.Error())
	}
}
