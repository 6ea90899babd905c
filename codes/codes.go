// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package codes

// Code is a canonical status code. Its numbers match gRPC's and are sent on
// the wire unchanged, so a Code outside the list below is still carried and
// printed (as "Code(N)"), never rejected.
type Code uint32

// The canonical codes, with the numbers that gRPC and google.rpc.Code use.
const (
	// OK means the call succeeded; it is the only code that is not an error.
	OK Code = 0

	// Canceled means the call was cancelled, usually by its caller.
	Canceled Code = 1

	// Unknown is for errors that carry no better code, for example an error
	// from another address space whose code is not recognised, or a plain Go
	// error returned by a handler.
	Unknown Code = 2

	// InvalidArgument means the caller sent an argument that is wrong no
	// matter what state the system is in (compare FailedPrecondition).
	InvalidArgument Code = 3

	// DeadlineExceeded means the deadline passed before the call finished.
	// The operation may still have completed on the server.
	DeadlineExceeded Code = 4

	// NotFound means a requested entity does not exist.
	NotFound Code = 5

	// AlreadyExists means the entity the caller tried to create exists.
	AlreadyExists Code = 6

	// PermissionDenied means the caller is known but may not perform the
	// operation. Use Unauthenticated when the caller cannot be identified and
	// ResourceExhausted when a quota ran out.
	PermissionDenied Code = 7

	// ResourceExhausted means a resource ran out: a quota, disk space, or a
	// message size limit.
	ResourceExhausted Code = 8

	// FailedPrecondition means the system is not in the state the operation
	// needs (for example a directory to delete is not empty). The caller
	// should not retry until that state has been fixed.
	FailedPrecondition Code = 9

	// Aborted means the operation was abandoned, typically because of a
	// concurrency conflict such as a failed transaction; a retry at a higher
	// level may succeed.
	Aborted Code = 10

	// OutOfRange means the operation went past the valid range, such as a
	// read past the end of a file. Unlike InvalidArgument, it may succeed
	// once the system state changes.
	OutOfRange Code = 11

	// Unimplemented means the operation is not implemented, supported or
	// enabled by the server.
	Unimplemented Code = 12

	// Internal means an invariant the system relies on was broken.
	Internal Code = 13

	// Unavailable means the service cannot be reached right now; the call is
	// most likely transient and may be retried with a backoff.
	Unavailable Code = 14

	// DataLoss means data was lost or corrupted beyond recovery.
	DataLoss Code = 15

	// Unauthenticated means the request lacks valid credentials.
	Unauthenticated Code = 16

	// maxCode is one past the largest canonical code.
	maxCode = 17
)
