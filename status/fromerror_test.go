// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package status_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

// customError carries a Status of this package without being the type that
// Status.Err returns, as user error types do.
type customError struct {
	s *status.Status
}

func (e customError) Error() string              { return "custom failure" }
func (e customError) GRPCStatus() *status.Status { return e.s }

// withDetail returns a NotFound error carrying one StringValue detail.
func withDetail(t *testing.T) error {
	t.Helper()
	s, err := status.New(codes.NotFound, "missing").WithDetails(wrapperspb.String("key-1"))
	if err != nil {
		t.Fatal(err)
	}
	return s.Err()
}

func TestFromError(t *testing.T) {
	own := withDetail(t)
	plain := errors.New("plain")
	tests := []struct {
		name       string
		err        error
		code       codes.Code
		msg        string
		ok         bool
		detailWant string // the StringValue detail expected, "" for none
	}{
		{"own error", own, codes.NotFound, "missing", true, "key-1"},
		{"wrapped with %w", fmt.Errorf("lookup: %w", own), codes.NotFound,
			"lookup: rpc error: code = NotFound desc = missing", true, "key-1"},
		{"wrapped twice", fmt.Errorf("a: %w", fmt.Errorf("b: %w", own)), codes.NotFound,
			"a: b: rpc error: code = NotFound desc = missing", true, "key-1"},
		{"joined", errors.Join(plain, own), codes.NotFound,
			"plain\nrpc error: code = NotFound desc = missing", true, "key-1"},
		{"custom type", customError{status.New(codes.Aborted, "conflict")}, codes.Aborted,
			"conflict", true, ""},
		{"custom type with OK status", customError{status.New(codes.OK, "odd")}, codes.OK,
			"odd", true, ""},
		{"custom type with nil status", customError{}, codes.Unknown, "custom failure", false, ""},
		{"wrapped custom type with nil status", fmt.Errorf("w: %w", customError{}), codes.Unknown,
			"w: custom failure", false, ""},
		{"plain error", plain, codes.Unknown, "plain", false, ""},
		{"%v does not wrap", fmt.Errorf("lookup: %v", own), codes.Unknown,
			"lookup: rpc error: code = NotFound desc = missing", false, ""},
		{"context error is not converted", context.Canceled, codes.Unknown,
			"context canceled", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := status.FromError(tc.err)
			if ok != tc.ok {
				t.Errorf("ok = %v, want %v", ok, tc.ok)
			}
			if s.Code() != tc.code || s.Message() != tc.msg {
				t.Errorf("status = (%v, %q), want (%v, %q)", s.Code(), s.Message(), tc.code, tc.msg)
			}
			if got := status.Code(tc.err); got != tc.code {
				t.Errorf("Code = %v, want %v", got, tc.code)
			}
			if c := status.Convert(tc.err); !proto.Equal(c.Proto(), s.Proto()) {
				t.Errorf("Convert = %v, FromError = %v", c, s)
			}
			checkDetail(t, s, tc.detailWant)
		})
	}
}

// checkDetail fails unless s has exactly the StringValue detail want, or no
// detail when want is empty.
func checkDetail(t *testing.T, s *status.Status, want string) {
	t.Helper()
	d := s.Details()
	if want == "" {
		if len(d) != 0 {
			t.Errorf("details = %v, want none", d)
		}
		return
	}
	if len(d) != 1 {
		t.Fatalf("details = %v, want one", d)
	}
	if sv, ok := d[0].(*wrapperspb.StringValue); !ok || sv.GetValue() != want {
		t.Errorf("detail = %#v, want StringValue %q", d[0], want)
	}
}

func TestFromErrorNil(t *testing.T) {
	s, ok := status.FromError(nil)
	if s != nil || !ok {
		t.Errorf("FromError(nil) = %v, %v; want nil, true", s, ok)
	}
	if c := status.Convert(nil); c != nil {
		t.Errorf("Convert(nil) = %v, want nil", c)
	}
	if c := status.Code(nil); c != codes.OK {
		t.Errorf("Code(nil) = %v, want OK", c)
	}
}

func TestFromErrorReturnsTheCarriedStatus(t *testing.T) {
	s := status.New(codes.Unavailable, "down")
	got, ok := status.FromError(s.Err())
	if !ok || got != s {
		t.Errorf("FromError(s.Err()) = %p, %v; want s itself (%p), true", got, ok, s)
	}
}

func TestFromErrorWrappedDoesNotChangeOriginal(t *testing.T) {
	s := status.New(codes.Unavailable, "down")
	got, _ := status.FromError(fmt.Errorf("dial: %w", s.Err()))
	if got == s || s.Message() != "down" {
		t.Errorf("wrapping rewrote the original status: %v", s)
	}
}

func TestIs(t *testing.T) {
	detailed := withDetail(t)
	otherDetail, err := status.New(codes.NotFound, "missing").WithDetails(wrapperspb.String("key-2"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"same code and message", status.Error(codes.NotFound, "x"), status.Error(codes.NotFound, "x"), true},
		{"different message", status.Error(codes.NotFound, "x"), status.Error(codes.NotFound, "y"), false},
		{"different code", status.Error(codes.NotFound, "x"), status.Error(codes.Internal, "x"), false},
		{"same details", detailed, withDetail(t), true},
		{"different details", detailed, otherDetail.Err(), false},
		{"details against none", detailed, status.Error(codes.NotFound, "missing"), false},
		{"wrapped", fmt.Errorf("op: %w", status.Error(codes.NotFound, "x")), status.Error(codes.NotFound, "x"), true},
		{"plain target", status.Error(codes.Unknown, "x"), errors.New("rpc error: code = Unknown desc = x"), false},
		{"custom type target", status.Error(codes.Aborted, "x"), customError{status.New(codes.Aborted, "x")}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := errors.Is(tc.err, tc.target); got != tc.want {
				t.Errorf("errors.Is = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFromContextError(t *testing.T) {
	other := errors.New("boom")
	tests := []struct {
		name string
		err  error
		code codes.Code
	}{
		{"deadline", context.DeadlineExceeded, codes.DeadlineExceeded},
		{"canceled", context.Canceled, codes.Canceled},
		{"wrapped deadline", fmt.Errorf("call: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{"wrapped canceled", fmt.Errorf("call: %w", context.Canceled), codes.Canceled},
		{"other", other, codes.Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := status.FromContextError(tc.err)
			if s.Code() != tc.code || s.Message() != tc.err.Error() {
				t.Errorf("FromContextError = (%v, %q), want (%v, %q)", s.Code(), s.Message(), tc.code, tc.err.Error())
			}
		})
	}
	if s := status.FromContextError(nil); s != nil {
		t.Errorf("FromContextError(nil) = %v, want nil", s)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	<-ctx.Done()
	if c := status.FromContextError(ctx.Err()).Code(); c != codes.DeadlineExceeded {
		t.Errorf("FromContextError(expired ctx) = %v, want DeadlineExceeded", c)
	}
}
