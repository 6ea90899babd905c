// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package script

import (
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/proto"

	"github.com/featherrpc/ttrpc/interop/internal/peer"
	"github.com/featherrpc/ttrpc/interop/internal/testpb"
	"github.com/featherrpc/ttrpc/interop/internal/testsvc"
)

// WantStatus is the status a client should decode from an error.
type WantStatus struct {
	Code    int32
	Message string
	Details []proto.Message
}

// ErrorStatus is the status testsvc.ActionError makes from req.
func ErrorStatus(req *testpb.Echo) WantStatus {
	return WantStatus{Code: req.GetCode(), Message: req.GetText(), Details: testsvc.Details(req)}
}

// CheckStatus checks that err decodes, with impl's own status package, to
// want: code, message and every detail.
func CheckStatus(impl peer.Impl, err error, want WantStatus) error {
	if err == nil {
		return fmt.Errorf("no error, want status %d %q", want.Code, want.Message)
	}
	st, ok := impl.FromError(err)
	if !ok {
		return fmt.Errorf("error %v (%T) carries no status, want %d %q", err, err, want.Code, want.Message)
	}
	if st.Code != want.Code || st.Message != want.Message {
		return fmt.Errorf("status %d %q, want %d %q", st.Code, st.Message, want.Code, want.Message)
	}
	if len(st.Details) != len(want.Details) {
		return fmt.Errorf("status has %d details, want %d: %v", len(st.Details), len(want.Details), st.Details)
	}
	for i, d := range st.Details {
		m, ok := d.(proto.Message)
		if !ok {
			return fmt.Errorf("detail %d did not unpack: %v", i, d)
		}
		if !proto.Equal(m, want.Details[i]) {
			return fmt.Errorf("detail %d is %v, want %v", i, m, want.Details[i])
		}
	}
	return nil
}

// CheckEcho checks that got equals want.
func CheckEcho(got, want *testpb.Echo) error {
	if !proto.Equal(got, want) {
		return fmt.Errorf("got %v, want %v", protoString(got), protoString(want))
	}
	return nil
}

// protoString formats m for an error message, cut short: messages of
// megabytes are compared too.
func protoString(m *testpb.Echo) string {
	if m == nil {
		return "<nil>"
	}
	s := m.String()
	if len(s) > 300 {
		s = fmt.Sprintf("%s... (data %d bytes)", s[:300], len(m.GetData()))
	}
	return "{" + s + "}"
}

// Recv reads a message from s for each of want, and checks that it equals
// it.
func Recv(s peer.ClientStream, want ...*testpb.Echo) error {
	for i, w := range want {
		got := &testpb.Echo{}
		if err := s.RecvMsg(got); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
		if err := CheckEcho(got, w); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
	}
	return nil
}

// RecvEOF checks that the stream ended successfully: RecvMsg returns
// io.EOF.
func RecvEOF(s peer.ClientStream) error {
	m := &testpb.Echo{}
	err := s.RecvMsg(m)
	if !errors.Is(err, io.EOF) {
		return fmt.Errorf("after the last message: got %v (message %v), want io.EOF", err, m)
	}
	return nil
}

// Send sends every message on s.
func Send(s peer.ClientStream, msgs ...*testpb.Echo) error {
	for i, m := range msgs {
		if err := s.SendMsg(m); err != nil {
			return fmt.Errorf("send %d: %w", i, err)
		}
	}
	return nil
}
