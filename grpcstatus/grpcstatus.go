// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package grpcstatus

import (
	"context"
	"errors"
	"reflect"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	grpccodes "google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/status"
)

// ClientOption returns the one option that makes a Client's errors readable
// by grpc's status package: it converts, with Wrap, every error that Call,
// NewStream and a stream's methods return to their caller
// (ttrpc.WithErrorConverter). Interceptors, the StatsHandler and the
// Response they see are not touched: an error the server answered reaches
// them as a nil error and the status in Response.Status, as with
// containerd's ttrpc, so otelttrpc's spans are the same with and without
// this option.
//
//	client := ttrpc.NewClient(conn, grpcstatus.ClientOption())
func ClientOption() ttrpc.ClientOpts {
	return ttrpc.WithErrorConverter(Wrap)
}

// UnaryClientInterceptor returns an interceptor that converts the errors of
// unary calls with Wrap. It also turns a response carrying an error status
// into that status's error, converted, so the interceptors outside it see
// the call's error rather than a response with a status (the Client would
// make the same error from that response, only unconverted). ClientOption
// does not use it: it is for a chain whose outer interceptors want grpc's
// view of errors, knowing that this is not what containerd's ttrpc gives
// them.
func UnaryClientInterceptor() ttrpc.UnaryClientInterceptor {
	return func(ctx context.Context, req *ttrpc.Request, resp *ttrpc.Response, _ *ttrpc.UnaryClientInfo, invoker ttrpc.Invoker) error {
		if err := invoker(ctx, req, resp); err != nil {
			return Wrap(err)
		}
		if st := resp.GetStatus(); st.GetCode() != int32(grpccodes.OK) {
			return Wrap(status.ErrorProto(st))
		}
		return nil
	}
}

// StreamClientInterceptor returns an interceptor that converts, with Wrap,
// the error of opening a stream and every error of the stream it returns,
// for the interceptors outside it. ClientOption does not use it.
func StreamClientInterceptor() ttrpc.ClientStreamInterceptor {
	return func(ctx context.Context, desc *ttrpc.StreamDesc, req *ttrpc.Request, _ *ttrpc.StreamClientInfo, streamer ttrpc.Streamer) (ttrpc.ClientStream, error) {
		s, err := streamer(ctx, desc, req)
		if err != nil {
			return nil, Wrap(err)
		}
		return &clientStream{ClientStream: s}, nil
	}
}

// clientStream converts the errors of the stream it wraps. Its methods may
// be called concurrently as the wrapped stream's may.
type clientStream struct {
	ttrpc.ClientStream
}

func (s *clientStream) CloseSend() error            { return Wrap(s.ClientStream.CloseSend()) }
func (s *clientStream) SendMsg(m interface{}) error { return Wrap(s.ClientStream.SendMsg(m)) }
func (s *clientStream) RecvMsg(m interface{}) error { return Wrap(s.ClientStream.RecvMsg(m)) }

// Wrap returns err in a form that grpc's status package understands. When
// err carries a status of github.com/featherrpc/ttrpc/status (as this
// module's status.FromError finds it) and grpc's status.FromError does not
// already recognise err, the result is an error whose GRPCStatus method
// returns grpc's *status.Status with the same code, message and details,
// and which otherwise behaves like err (see the package doc). Any other err,
// nil included, is returned as it is. Wrap is idempotent.
func Wrap(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := grpcstatus.FromError(err); ok {
		return err // grpc already sees a status: ours converted, or grpc's own
	}
	st, ok := status.FromError(err)
	if !ok {
		return err // no status anywhere: ErrClosed, io.EOF, a codec error, ...
	}
	return newError(err, st)
}

// grpcError is an error carrying a status of this module, as grpc sees it.
//
// The hard part is staying a status error of this module as well. Its
// status.FromError takes the first error in the chain with a GRPCStatus
// method of its own type and, when that error is not the outermost one,
// reports the outermost one's whole text as the message; grpc's FromError
// does the same with grpc's type. One error cannot have both methods, so:
//
//   - when err itself carries the status (a server's status, a context's
//     end), Unwrap skips err and returns what err wraps (the context's
//     error, or nothing). status.FromError then finds no status of its own
//     in the chain and reads ours through its grpc-shaped GRPCStatus, which
//     it recognises without linking grpc: same code, message and details.
//     Is and As (for concrete types) forward to err, so that errors.Is and
//     errors.As still find everything they found in err;
//   - when the status sits deeper in err (*ttrpc.OversizedMessageErr, or
//     fmt.Errorf's %w), Unwrap returns err itself. status.FromError finds
//     that deeper status, with this error's text as its message, which is
//     err's text: the same answer as for err.
type grpcError struct {
	err    error              // the error being converted
	next   error              // what Unwrap returns
	direct bool               // err itself carries the status
	st     *grpcstatus.Status // grpc's copy of err's status
}

func newError(err error, st *status.Status) *grpcError {
	_, direct := err.(interface{ GRPCStatus() *status.Status })
	e := &grpcError{err: err, next: err, direct: direct, st: toGRPC(st)}
	if direct {
		e.next = errors.Unwrap(err)
	}
	return e
}

// Error returns the converted error's text.
func (e *grpcError) Error() string { return e.err.Error() }

// GRPCStatus returns the status as grpc's *status.Status; grpc's
// status.FromError, Code and Convert call it.
func (e *grpcError) GRPCStatus() *grpcstatus.Status { return e.st }

// Unwrap returns the next error in the chain, as the type's doc explains.
func (e *grpcError) Unwrap() error { return e.next }

// Is reports whether the converted error matches target (errors.Is).
func (e *grpcError) Is(target error) bool {
	return e.direct && errors.Is(e.err, target)
}

// As finds the first error in the converted error's chain that matches
// target, when target points to a concrete type. Interface targets are left
// to the chain without the converted error (Unwrap), so that this module's
// status.FromError, which looks for its GRPCStatus method through an
// interface, sees this error's status as grpc sees it.
func (e *grpcError) As(target any) bool {
	if !e.direct {
		return false // err is in the chain; errors.As visits it anyway
	}
	if t := reflect.TypeOf(target); t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() == reflect.Interface {
		return false
	}
	return errors.As(e.err, target)
}

// toGRPC copies a status of this module into grpc's type. The two messages
// are the same google.rpc.Status with the same field types (details are
// anypb.Any in both), so a field-by-field copy is exact.
func toGRPC(st *status.Status) *grpcstatus.Status {
	p := st.Proto()
	return grpcstatus.FromProto(&spb.Status{Code: p.GetCode(), Message: p.GetMessage(), Details: p.GetDetails()})
}
