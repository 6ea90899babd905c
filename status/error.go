// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package status

import "google.golang.org/protobuf/proto"

// statusError is the error returned by Status.Err. Its code is never OK.
type statusError struct {
	s *Status
}

// Error returns the status in grpc's format, "rpc error: code = C desc = M".
func (e *statusError) Error() string {
	return e.s.String()
}

// GRPCStatus returns the status the error carries. The method name is the
// one grpc uses, so code that looks for it (including FromError here and in
// grpc) finds it.
func (e *statusError) GRPCStatus() *Status {
	return e.s
}

// Is reports whether target is an error from this package with the same
// code, message and details, so errors.Is(err, status.Error(c, m)) works.
func (e *statusError) Is(target error) bool {
	t, ok := target.(*statusError)
	if !ok || t == nil {
		return false
	}
	return proto.Equal(e.s.s, t.s.s)
}
