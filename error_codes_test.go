// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/status"
)

// handlerErrorCases are errors a handler returns and the code the client
// reads: containerd's ttrpc's table (the cases it maps by identity and by
// os.IsExist/IsNotExist/IsPermission), and the same errors wrapped.
func handlerErrorCases(t *testing.T) []struct {
	err  error
	code codes.Code
} {
	_, openErr := os.Open(filepath.Join(t.TempDir(), "missing"))
	return []struct {
		err  error
		code codes.Code
	}{
		{io.EOF, codes.OutOfRange},
		{io.ErrClosedPipe, codes.FailedPrecondition},
		{io.ErrNoProgress, codes.FailedPrecondition},
		{io.ErrShortBuffer, codes.FailedPrecondition},
		{io.ErrShortWrite, codes.FailedPrecondition},
		{io.ErrUnexpectedEOF, codes.FailedPrecondition},
		{os.ErrInvalid, codes.InvalidArgument},
		{os.ErrExist, codes.AlreadyExists},
		{syscall.EEXIST, codes.AlreadyExists},
		{os.ErrNotExist, codes.NotFound},
		{openErr, codes.NotFound},
		{syscall.ENOENT, codes.NotFound},
		{os.ErrPermission, codes.PermissionDenied},
		{&os.PathError{Op: "open", Path: "/x", Err: syscall.EACCES}, codes.PermissionDenied},
		{fmt.Errorf("loading the bundle: %w", openErr), codes.NotFound},
		{fmt.Errorf("reading: %w", io.EOF), codes.OutOfRange},
		{errors.New("something else"), codes.Unknown},
	}
}

func TestHandlerErrorCodes(t *testing.T) {
	for _, c := range handlerErrorCases(t) {
		if got := codeOf(c.err); got != c.code {
			t.Errorf("codeOf(%v) = %v, want %v", c.err, got, c.code)
		}
	}
}

// TestHandlerErrorCodesReachClient: the client reads each code, with the
// error's text as the message.
func TestHandlerErrorCodesReachClient(t *testing.T) {
	leakcheck.Check(t)
	cases := handlerErrorCases(t)
	s, path := newTestServer(t)
	s.Register("errors", map[string]Method{
		"Fail": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			var req emptypb.Empty
			if err := unmarshal(&req); err != nil {
				return nil, err
			}
			i, _ := GetMetadataValue(ctx, "case")
			var n int
			fmt.Sscan(i, &n)
			return nil, cases[n].err
		},
	})
	c := dialClient(t, path)
	for i, tc := range cases {
		ctx := WithMetadata(context.Background(), MD{"case": {fmt.Sprint(i)}})
		err := c.Call(ctx, "errors", "Fail", &emptypb.Empty{}, &emptypb.Empty{})
		st, ok := status.FromError(err)
		if !ok || st.Code() != tc.code || st.Message() != tc.err.Error() {
			t.Errorf("%v: client got %v, want code %v with the error's text", tc.err, err, tc.code)
		}
	}
}
