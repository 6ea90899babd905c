// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status/statuspb"
)

// Status is an RPC outcome: a code, a message and optional details. It is
// immutable once made, so it may be shared between goroutines; methods that
// change it, such as WithDetails, return a new Status.
//
// A nil *Status is valid and means OK with an empty message.
type Status struct {
	// s is never nil in a Status made by this package, and never handed out
	// or mutated after construction: Proto returns a copy.
	s *statuspb.Status
}

// errDetailsOnOK is returned by WithDetails on a status whose code is OK.
var errDetailsOnOK = errors.New("no error details for status with code OK")

// Code returns the status code, or codes.OK for a nil Status.
func (s *Status) Code() codes.Code {
	if s == nil || s.s == nil {
		return codes.OK
	}
	return codes.Code(s.s.GetCode())
}

// Message returns the status message, or "" for a nil Status.
func (s *Status) Message() string {
	if s == nil || s.s == nil {
		return ""
	}
	return s.s.GetMessage()
}

// Proto returns the status as a protobuf message, or nil for a nil Status.
// The result is a deep copy: changing it does not change s.
func (s *Status) Proto() *statuspb.Status {
	if s == nil {
		return nil
	}
	return cloneProto(s.s)
}

// Err returns an error that carries s, or nil when the code is OK. The
// error's GRPCStatus method returns s, so FromError gives s back.
func (s *Status) Err() error {
	if s.Code() == codes.OK {
		return nil
	}
	return &statusError{s: s}
}

// WithDetails returns a new Status with details appended, each packed in an
// Any. It fails, returning a nil Status, when s's code is OK (an OK status
// carries no details) or when a detail cannot be marshalled.
func (s *Status) WithDetails(details ...proto.Message) (*Status, error) {
	if s.Code() == codes.OK {
		return nil, errDetailsOnOK
	}
	p := s.Proto()
	for _, d := range details {
		a, err := anypb.New(d)
		if err != nil {
			return nil, fmt.Errorf("status: packing detail %T: %w", d, err)
		}
		p.Details = append(p.Details, a)
	}
	return &Status{s: p}, nil
}

// Details returns the status details, each unpacked into a message of the
// type its Any names (found in protoregistry.GlobalTypes). A detail that
// cannot be unpacked, for example because its type is not linked into the
// program, appears as the error that explains why, in its place. A nil
// Status has no details and returns nil.
func (s *Status) Details() []any {
	if s == nil || s.s == nil {
		return nil
	}
	out := make([]any, 0, len(s.s.GetDetails()))
	for _, a := range s.s.GetDetails() {
		m, err := a.UnmarshalNew()
		if err != nil {
			out = append(out, err)
			continue
		}
		out = append(out, m)
	}
	return out
}

// String describes the status in grpc's format:
// "rpc error: code = NotFound desc = no such thing".
func (s *Status) String() string {
	return fmt.Sprintf("rpc error: code = %s desc = %s", s.Code(), s.Message())
}

// cloneProto deep-copies p; a nil p gives an empty (OK) message.
func cloneProto(p *statuspb.Status) *statuspb.Status {
	if p == nil {
		return &statuspb.Status{}
	}
	return proto.Clone(p).(*statuspb.Status)
}
