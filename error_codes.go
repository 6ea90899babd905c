// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"errors"
	"io"
	"io/fs"

	"github.com/featherrpc/ttrpc/codes"
)

// codeOf is the status code of a handler's error that is neither a status
// nor a context error: containerd's ttrpc's table (grpc-go's old one) of io
// and os errors. Where containerd's ttrpc compares some of these by
// identity and looks into *fs.PathError and the like only, errors.Is finds
// them wrapped too, as it finds context errors.
func codeOf(err error) codes.Code {
	for _, c := range errorCodes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return codes.Unknown
}

// errorCodes is codeOf's table, in the order it is tried.
var errorCodes = [...]struct {
	err  error
	code codes.Code
}{
	{io.EOF, codes.OutOfRange},
	{io.ErrClosedPipe, codes.FailedPrecondition},
	{io.ErrNoProgress, codes.FailedPrecondition},
	{io.ErrShortBuffer, codes.FailedPrecondition},
	{io.ErrShortWrite, codes.FailedPrecondition},
	{io.ErrUnexpectedEOF, codes.FailedPrecondition},
	{fs.ErrInvalid, codes.InvalidArgument},
	{fs.ErrExist, codes.AlreadyExists},
	{fs.ErrNotExist, codes.NotFound},
	{fs.ErrPermission, codes.PermissionDenied},
}
