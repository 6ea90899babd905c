// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package status_test

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
	"github.com/featherrpc/ttrpc/status/statuspb"
)

func TestConstructors(t *testing.T) {
	tests := []struct {
		name    string
		s       *status.Status
		code    codes.Code
		msg     string
		wantStr string
	}{
		{"New", status.New(codes.NotFound, "no such key"), codes.NotFound, "no such key",
			"rpc error: code = NotFound desc = no such key"},
		{"Newf", status.Newf(codes.Aborted, "retry %d of %s", 3, "tx"), codes.Aborted, "retry 3 of tx",
			"rpc error: code = Aborted desc = retry 3 of tx"},
		{"New OK", status.New(codes.OK, "fine"), codes.OK, "fine",
			"rpc error: code = OK desc = fine"},
		{"New unknown number", status.New(codes.Code(42), "odd"), codes.Code(42), "odd",
			"rpc error: code = Code(42) desc = odd"},
		{"FromProto", status.FromProto(&statuspb.Status{Code: 7, Message: "nope"}), codes.PermissionDenied, "nope",
			"rpc error: code = PermissionDenied desc = nope"},
		{"FromProto nil", status.FromProto(nil), codes.OK, "",
			"rpc error: code = OK desc = "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.Code(); got != tc.code {
				t.Errorf("Code() = %v, want %v", got, tc.code)
			}
			if got := tc.s.Message(); got != tc.msg {
				t.Errorf("Message() = %q, want %q", got, tc.msg)
			}
			if got := tc.s.String(); got != tc.wantStr {
				t.Errorf("String() = %q, want %q", got, tc.wantStr)
			}
			p := tc.s.Proto()
			if p == nil || codes.Code(p.GetCode()) != tc.code || p.GetMessage() != tc.msg {
				t.Errorf("Proto() = %v, want code %d message %q", p, tc.code, tc.msg)
			}
		})
	}
}

func TestErrorConstructors(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantNil bool
		code    codes.Code
		text    string
	}{
		{"Error", status.Error(codes.InvalidArgument, "bad name"), false, codes.InvalidArgument,
			"rpc error: code = InvalidArgument desc = bad name"},
		{"Errorf", status.Errorf(codes.Internal, "%s broke: %v", "disk", 5), false, codes.Internal,
			"rpc error: code = Internal desc = disk broke: 5"},
		{"ErrorProto", status.ErrorProto(&statuspb.Status{Code: 14, Message: "later"}), false, codes.Unavailable,
			"rpc error: code = Unavailable desc = later"},
		{"Err", status.New(codes.DataLoss, "gone").Err(), false, codes.DataLoss,
			"rpc error: code = DataLoss desc = gone"},
		{"Error OK", status.Error(codes.OK, "ignored"), true, codes.OK, ""},
		{"Errorf OK", status.Errorf(codes.OK, "ignored %d", 1), true, codes.OK, ""},
		{"ErrorProto OK", status.ErrorProto(&statuspb.Status{Message: "ignored"}), true, codes.OK, ""},
		{"ErrorProto nil", status.ErrorProto(nil), true, codes.OK, ""},
		{"Err OK", status.New(codes.OK, "ignored").Err(), true, codes.OK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.wantNil {
				if tc.err != nil {
					t.Fatalf("got %v (%T), want nil", tc.err, tc.err)
				}
				return
			}
			if tc.err == nil {
				t.Fatal("got nil error")
			}
			if got := tc.err.Error(); got != tc.text {
				t.Errorf("Error() = %q, want %q", got, tc.text)
			}
			if got := status.Code(tc.err); got != tc.code {
				t.Errorf("status.Code = %v, want %v", got, tc.code)
			}
		})
	}
}

func TestErrCarriesTheSameStatus(t *testing.T) {
	s := status.New(codes.NotFound, "x")
	var gs interface{ GRPCStatus() *status.Status }
	if !errors.As(s.Err(), &gs) {
		t.Fatalf("%T has no GRPCStatus method", s.Err())
	}
	if gs.GRPCStatus() != s {
		t.Error("GRPCStatus() is not the Status whose Err made the error")
	}
}

func TestWithDetailsRoundTrip(t *testing.T) {
	base := status.New(codes.ResourceExhausted, "quota")
	s, err := base.WithDetails(wrapperspb.String("bucket-7"), durationpb.New(1500*time.Millisecond))
	if err != nil {
		t.Fatalf("WithDetails: %v", err)
	}
	if len(base.Details()) != 0 {
		t.Errorf("WithDetails changed its receiver: %v", base.Details())
	}
	if s.Code() != codes.ResourceExhausted || s.Message() != "quota" {
		t.Errorf("WithDetails lost code or message: %v", s)
	}
	s2, err := s.WithDetails(wrapperspb.Int64(9))
	if err != nil {
		t.Fatalf("second WithDetails: %v", err)
	}

	// Go through the wire form, as a client would receive it.
	b, err := proto.Marshal(s2.Proto())
	if err != nil {
		t.Fatal(err)
	}
	var p statuspb.Status
	if err := proto.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	got := status.FromProto(&p).Details()
	if len(got) != 3 {
		t.Fatalf("Details() has %d elements, want 3: %v", len(got), got)
	}
	if sv, ok := got[0].(*wrapperspb.StringValue); !ok || sv.GetValue() != "bucket-7" {
		t.Errorf("detail 0 = %#v, want StringValue bucket-7", got[0])
	}
	if d, ok := got[1].(*durationpb.Duration); !ok || d.AsDuration() != 1500*time.Millisecond {
		t.Errorf("detail 1 = %#v, want Duration 1.5s", got[1])
	}
	if iv, ok := got[2].(*wrapperspb.Int64Value); !ok || iv.GetValue() != 9 {
		t.Errorf("detail 2 = %#v, want Int64Value 9", got[2])
	}
}

func TestWithDetailsOnOKFails(t *testing.T) {
	for _, s := range []*status.Status{nil, status.New(codes.OK, "fine"), status.FromProto(nil)} {
		got, err := s.WithDetails(wrapperspb.String("x"))
		if err == nil || got != nil {
			t.Errorf("(%v).WithDetails = %v, %v; want nil and an error", s, got, err)
		}
	}
}

func TestDetailsOfUnknownTypeIsError(t *testing.T) {
	known, err := anypb.New(wrapperspb.Bool(true))
	if err != nil {
		t.Fatal(err)
	}
	s := status.FromProto(&statuspb.Status{
		Code: int32(codes.Internal),
		Details: []*anypb.Any{
			{TypeUrl: "type.googleapis.com/no.such.Message", Value: []byte{8, 1}},
			known,
		},
	})
	got := s.Details()
	if len(got) != 2 {
		t.Fatalf("Details() = %v, want 2 elements", got)
	}
	if err, ok := got[0].(error); !ok || !errors.Is(err, protoregistry.NotFound) {
		t.Errorf("detail 0 = %#v, want an error wrapping protoregistry.NotFound", got[0])
	}
	if bv, ok := got[1].(*wrapperspb.BoolValue); !ok || !bv.GetValue() {
		t.Errorf("detail 1 = %#v, want BoolValue true", got[1])
	}
}

func TestProtoIsACopy(t *testing.T) {
	s, err := status.New(codes.NotFound, "orig").WithDetails(wrapperspb.String("d"))
	if err != nil {
		t.Fatal(err)
	}
	p := s.Proto()
	p.Code = int32(codes.Internal)
	p.Message = "changed"
	p.Details[0].Value = []byte("garbage")
	p.Details = append(p.Details, &anypb.Any{})

	if s.Code() != codes.NotFound || s.Message() != "orig" {
		t.Errorf("mutating Proto() changed the Status to %v", s)
	}
	d := s.Details()
	if len(d) != 1 {
		t.Fatalf("mutating Proto() changed the details to %v", d)
	}
	if sv, ok := d[0].(*wrapperspb.StringValue); !ok || sv.GetValue() != "d" {
		t.Errorf("mutating Proto() changed detail 0 to %#v", d[0])
	}
}

func TestFromProtoCopies(t *testing.T) {
	p := &statuspb.Status{Code: int32(codes.Aborted), Message: "orig"}
	s := status.FromProto(p)
	err := status.ErrorProto(p)
	p.Code = int32(codes.OK)
	p.Message = "changed"
	if s.Code() != codes.Aborted || s.Message() != "orig" {
		t.Errorf("changing the input changed FromProto's Status to %v", s)
	}
	if status.Code(err) != codes.Aborted || status.Convert(err).Message() != "orig" {
		t.Errorf("changing the input changed ErrorProto's error to %v", err)
	}
}

func TestNilStatus(t *testing.T) {
	for name, s := range map[string]*status.Status{"nil": nil, "zero": {}} {
		t.Run(name, func(t *testing.T) {
			if got := s.Code(); got != codes.OK {
				t.Errorf("Code() = %v, want OK", got)
			}
			if got := s.Message(); got != "" {
				t.Errorf("Message() = %q, want empty", got)
			}
			if err := s.Err(); err != nil {
				t.Errorf("Err() = %v, want nil", err)
			}
			if got := s.Details(); len(got) != 0 {
				t.Errorf("Details() = %v, want none", got)
			}
			if got, want := s.String(), "rpc error: code = OK desc = "; got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
		})
	}
	var s *status.Status
	if p := s.Proto(); p != nil {
		t.Errorf("nil Status: Proto() = %v, want nil", p)
	}
	if d := s.Details(); d != nil {
		t.Errorf("nil Status: Details() = %#v, want nil", d)
	}
}
