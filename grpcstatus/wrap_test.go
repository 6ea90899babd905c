// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package grpcstatus_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	gcodes "google.golang.org/grpc/codes"
	gstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/grpcstatus"
	"github.com/featherrpc/ttrpc/status"
)

// ownStatusError is a user's error type that carries a status of this
// module itself.
type ownStatusError struct{ op string }

func (e *ownStatusError) Error() string { return e.op + " is not allowed" }
func (e *ownStatusError) GRPCStatus() *status.Status {
	return status.New(codes.PermissionDenied, e.Error())
}

func TestWrapLeavesErrorsWithoutStatus(t *testing.T) {
	grpcErr := grpcFailure(codes.Aborted)
	for _, err := range []error{
		nil,
		io.EOF,
		ttrpc.ErrClosed,
		fmt.Errorf("%w: %w", ttrpc.ErrClosed, io.ErrUnexpectedEOF),
		errors.New("plain"),
		grpcErr,                            // grpc sees it already
		fmt.Errorf("wrapped: %w", grpcErr), // likewise
		grpcstatus.Wrap(ourFailure(codes.Aborted)), // already converted
	} {
		if got := grpcstatus.Wrap(err); got != err {
			t.Errorf("Wrap(%v) = %#v, want it unchanged", err, got)
		}
	}
}

func TestWrapConvertsStatusErrors(t *testing.T) {
	direct := ourFailure(codes.NotFound)
	own := &ownStatusError{op: "rm"}
	tests := []struct {
		name    string
		err     error
		code    codes.Code
		msg     string
		details bool
	}{
		{"status error", direct, codes.NotFound, "ours failed with NotFound", true},
		{"wrapped status error", fmt.Errorf("lookup: %w", direct), codes.NotFound,
			"lookup: " + direct.Error(), true},
		{"joined", errors.Join(errors.New("a"), direct), codes.NotFound, "a\n" + direct.Error(), true},
		{"oversized", ttrpc.OversizedMessageError(5 << 20), codes.ResourceExhausted,
			ttrpc.OversizedMessageError(5 << 20).Error(), false},
		{"user type", own, codes.PermissionDenied, "rm is not allowed", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := grpcstatus.Wrap(tc.err)
			checkStatus(t, err, tc.code, tc.msg, tc.details)
			if err.Error() != tc.err.Error() {
				t.Errorf("Error() = %q, want %q", err, tc.err)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("errors.Is(converted, original) = false")
			}
			if !proto.Equal(status.Convert(err).Proto(), status.Convert(tc.err).Proto()) {
				t.Errorf("our status %v, of the original %v", status.Convert(err), status.Convert(tc.err))
			}
			if grpcstatus.Wrap(err) != err {
				t.Errorf("Wrap is not idempotent")
			}
		})
	}
	var target *ownStatusError
	if !errors.As(grpcstatus.Wrap(own), &target) || target != own {
		t.Errorf("errors.As does not find the user's type")
	}
	var oversized *ttrpc.OversizedMessageErr
	if !errors.As(grpcstatus.Wrap(ttrpc.OversizedMessageError(1)), &oversized) {
		t.Errorf("errors.As does not find *OversizedMessageErr")
	}
	if got := gstatus.Code(grpcstatus.Wrap(direct)); got != gcodes.NotFound {
		t.Errorf("grpc Code = %v", got)
	}
}
