// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package status builds and inspects the errors that ttrpc carries between
// client and server: a code from package codes, a message, and optional
// typed details.
//
// Its names, signatures and behaviour follow google.golang.org/grpc/status,
// so moving from grpc's (or containerd's ttrpc's) status package means
// changing the import path only. A handler returns an error made with Error
// or Errorf (or Status.Err); the client receives an error from which
// FromError, Convert and Code recover the same code, message and details.
//
// FromError, Convert and Code also recognise errors made by
// google.golang.org/grpc/status, without this module depending on grpc: such
// errors are converted through their wire form (see foreign.go). A code base
// that mixes both packages during a migration therefore keeps its codes.
//
// A *Status is immutable, and every function and method here is safe for
// concurrent use.
package status
