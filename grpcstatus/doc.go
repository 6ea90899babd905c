// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package grpcstatus makes the errors of a ttrpc Client readable by
// google.golang.org/grpc/status, for programs that already link grpc.
//
// The core module does not depend on grpc, so the status errors a Client
// returns carry a *status.Status of github.com/featherrpc/ttrpc/status.
// Code that inspects errors with grpc's status.FromError, status.Code or
// status.Convert — containerd and its shims do, through errdefs — would see
// codes.Unknown in them. One option fixes that:
//
//	client := ttrpc.NewClient(conn, grpcstatus.ClientOption())
//
// With it, every error of a unary call (Call, and so generated clients) and
// of a stream (NewStream, SendMsg, RecvMsg, CloseSend) that carries a
// status has a GRPCStatus method returning grpc's *status.Status with the
// same code, message and details. Nothing else about the error changes:
//
//   - Error() returns the same text;
//   - errors.Is still matches what it matched (ttrpc.ErrClosed,
//     context.DeadlineExceeded, context.Canceled, a status.Error of this
//     module with the same status), and errors.As still finds the error's
//     own type (*ttrpc.OversizedMessageErr, say);
//   - this module's status.FromError, Code and Convert return the same
//     code, message and details as for the unconverted error.
//
// A client whose context ends gets CANCELED or DEADLINE_EXCEEDED in grpc's
// view too. Errors that carry no status stay as they are: a connection that
// died gives an error matching ttrpc.ErrClosed, which grpc sees as UNKNOWN,
// exactly as with containerd's ttrpc; io.EOF at the end of a stream is
// io.EOF.
//
// The option converts only what the Client returns to its caller
// (ttrpc.WithErrorConverter): interceptors, the StatsHandler and otelttrpc's
// spans see exactly what they see without it, and what they see with
// containerd's ttrpc (a nil error from the invoker and the status in
// Response.Status for an error the server answered). UnaryClientInterceptor
// and StreamClientInterceptor convert inside the interceptor chain instead,
// for programs that want their interceptors to see grpc's view.
//
// The server needs nothing: a handler may return errors made with grpc's
// status package, and the core sends their code, message and details (it
// recognises them without linking grpc).
package grpcstatus
