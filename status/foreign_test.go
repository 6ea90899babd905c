// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package status_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

// The types below mimic google.golang.org/grpc/status, which this module may
// not import: an error whose GRPCStatus returns a status type whose Proto
// returns a google.rpc.Status. The message is a dynamicpb one built from a
// descriptor made here, a Go type wholly unrelated to statuspb.Status, so a
// passing test proves the conversion goes through the wire form.

// fakeGRPCStatus has the shape of grpc's *status.Status.
type fakeGRPCStatus struct {
	m *dynamicpb.Message
}

// Proto returns a copy of the google.rpc.Status, like grpc's.
func (s *fakeGRPCStatus) Proto() *dynamicpb.Message {
	if s == nil || s.m == nil {
		return nil
	}
	return proto.Clone(s.m).(*dynamicpb.Message)
}

// fakeGRPCError has the shape of grpc's status error.
type fakeGRPCError struct {
	s *fakeGRPCStatus
}

func (e *fakeGRPCError) Error() string               { return "fake grpc error" }
func (e *fakeGRPCError) GRPCStatus() *fakeGRPCStatus { return e.s }

// protoer is an interface result type, to cover a GRPCStatus method whose
// result is an interface rather than a pointer.
type protoer interface{ Proto() proto.Message }

// ifaceStatus implements protoer.
type ifaceStatus struct{ m proto.Message }

func (s ifaceStatus) Proto() proto.Message { return s.m }

// valueError is a non-pointer error type whose GRPCStatus returns protoer.
type valueError struct{ s protoer }

func (e valueError) Error() string       { return "value error" }
func (e valueError) GRPCStatus() protoer { return e.s }

// wrongShapeError has a GRPCStatus method that is not grpc's: FromError must
// look past it.
type wrongShapeError struct{ next error }

func (e wrongShapeError) Error() string      { return "wrong shape: " + e.next.Error() }
func (e wrongShapeError) Unwrap() error      { return e.next }
func (e wrongShapeError) GRPCStatus() string { return "not a status" }

// googleRPCStatus returns the descriptor of a message google.rpc.Status,
// built here and registered nowhere.
func googleRPCStatus(t *testing.T) protoreflect.MessageDescriptor {
	t.Helper()
	field := func(name string, num int32, typ descriptorpb.FieldDescriptorProto_Type,
		label descriptorpb.FieldDescriptorProto_Label, typeName string) *descriptorpb.FieldDescriptorProto {
		f := &descriptorpb.FieldDescriptorProto{
			Name: proto.String(name), JsonName: proto.String(name), Number: proto.Int32(num),
			Type: typ.Enum(), Label: label.Enum(),
		}
		if typeName != "" {
			f.TypeName = proto.String(typeName)
		}
		return f
	}
	opt := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
	fdp := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("google/rpc/status.proto"),
		Package:    proto.String("google.rpc"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"google/protobuf/any.proto"},
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("Status"),
			Field: []*descriptorpb.FieldDescriptorProto{
				field("code", 1, descriptorpb.FieldDescriptorProto_TYPE_INT32, opt, ""),
				field("message", 2, descriptorpb.FieldDescriptorProto_TYPE_STRING, opt, ""),
				field("details", 3, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE,
					descriptorpb.FieldDescriptorProto_LABEL_REPEATED, ".google.protobuf.Any"),
			},
		}},
	}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatalf("building google.rpc.Status: %v", err)
	}
	return fd.Messages().ByName("Status")
}

// newGoogleStatus fills a dynamic google.rpc.Status field by field.
func newGoogleStatus(t *testing.T, c codes.Code, msg string, details ...proto.Message) *dynamicpb.Message {
	t.Helper()
	md := googleRPCStatus(t)
	m := dynamicpb.NewMessage(md)
	fields := md.Fields()
	m.Set(fields.ByName("code"), protoreflect.ValueOfInt32(int32(c)))
	m.Set(fields.ByName("message"), protoreflect.ValueOfString(msg))
	list := m.Mutable(fields.ByName("details")).List()
	for _, d := range details {
		a, err := anypb.New(d)
		if err != nil {
			t.Fatal(err)
		}
		el := list.NewElement()
		af := el.Message().Descriptor().Fields()
		el.Message().Set(af.ByName("type_url"), protoreflect.ValueOfString(a.GetTypeUrl()))
		el.Message().Set(af.ByName("value"), protoreflect.ValueOfBytes(a.GetValue()))
		list.Append(el)
	}
	return m
}

func TestFromErrorForeign(t *testing.T) {
	m := newGoogleStatus(t, codes.FailedPrecondition, "not empty",
		wrapperspb.String("dir"), durationpb.New(2*time.Second))
	fake := &fakeGRPCError{&fakeGRPCStatus{m}}
	ours := status.Error(codes.Aborted, "ours")
	wrapped := "op: fake grpc error"
	tests := []struct {
		name        string
		err         error
		code        codes.Code
		msg         string
		ok          bool
		wantDetails bool
	}{
		{"direct", fake, codes.FailedPrecondition, "not empty", true, true},
		{"wrapped with %w", fmt.Errorf("op: %w", fake), codes.FailedPrecondition, wrapped, true, true},
		{"joined", errors.Join(errors.New("a"), fake), codes.FailedPrecondition, "a\nfake grpc error", true, true},
		{"past a wrong-shaped GRPCStatus", wrongShapeError{fake}, codes.FailedPrecondition,
			"wrong shape: fake grpc error", true, true},
		{"interface result, value receiver", valueError{ifaceStatus{m}}, codes.FailedPrecondition,
			"not empty", true, true},
		{"nil status", &fakeGRPCError{}, codes.Unknown, "fake grpc error", false, false},
		{"wrapped nil status", fmt.Errorf("op: %w", &fakeGRPCError{}), codes.Unknown, wrapped, false, false},
		{"nil proto", &fakeGRPCError{&fakeGRPCStatus{}}, codes.Unknown, "fake grpc error", false, false},
		{"nil interface proto", valueError{ifaceStatus{}}, codes.Unknown, "value error", false, false},
		{"ours is recognised first", errors.Join(fake, ours), codes.Aborted,
			"fake grpc error\nrpc error: code = Aborted desc = ours", true, false},
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
			d := s.Details()
			if !tc.wantDetails {
				if len(d) != 0 {
					t.Errorf("details = %v, want none", d)
				}
				return
			}
			if len(d) != 2 {
				t.Fatalf("details = %v, want 2", d)
			}
			if sv, ok := d[0].(*wrapperspb.StringValue); !ok || sv.GetValue() != "dir" {
				t.Errorf("detail 0 = %#v, want StringValue dir", d[0])
			}
			if du, ok := d[1].(*durationpb.Duration); !ok || du.AsDuration() != 2*time.Second {
				t.Errorf("detail 1 = %#v, want Duration 2s", d[1])
			}
		})
	}
}

// TestForeignConversionKeepsTheWireForm checks the converted status
// re-marshals to the very bytes of the foreign one.
func TestForeignConversionKeepsTheWireForm(t *testing.T) {
	m := newGoogleStatus(t, codes.Unauthenticated, "who?", wrapperspb.Bytes([]byte{0, 1, 2}))
	s, ok := status.FromError(&fakeGRPCError{&fakeGRPCStatus{m}})
	if !ok {
		t.Fatal("foreign status not recognised")
	}
	opts := proto.MarshalOptions{Deterministic: true}
	want, err := opts.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	got, err := opts.Marshal(s.Proto())
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("wire form changed:\n got %x\nwant %x", got, want)
	}
}
