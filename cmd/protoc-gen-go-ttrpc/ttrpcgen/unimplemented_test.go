// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpcgen

import (
	"strings"
	"testing"
)

// streamsFile has one method of each kind, one of them with a proto name
// that is not its Go name.
const streamsFile = `
	name: "s.proto" package: "test.v1" syntax: "proto3"
	options { go_package: "example.com/s" }
	message_type { name: "M" }
	service { name: "S"
		method { name: "Unary" input_type: ".test.v1.M" output_type: ".test.v1.M" }
		method { name: "Server" input_type: ".test.v1.M" output_type: ".test.v1.M" server_streaming: true }
		method { name: "Client" input_type: ".test.v1.M" output_type: ".test.v1.M" client_streaming: true }
		method { name: "bidi_chat" input_type: ".test.v1.M" output_type: ".test.v1.M" client_streaming: true server_streaming: true }
	}`

// TestUnimplemented checks the Unimplemented type's declaration and its
// methods, one for each kind, with the signatures of the server interface.
func TestUnimplemented(t *testing.T) {
	for _, tt := range []struct {
		parameter string
		want      []string
	}{
		{"", []string{
			"type UnimplementedSService struct{}",
			"func (UnimplementedSService) Unary(context.Context, *M) (*M, error) {\n\treturn nil, status.Error(codes.Unimplemented, \"method Unary not implemented\")\n}",
			"func (UnimplementedSService) Server(context.Context, *M, S_ServerServer) error {\n\treturn status.Error(codes.Unimplemented, \"method Server not implemented\")\n}",
			"func (UnimplementedSService) Client(context.Context, S_ClientServer) (*M, error) {\n\treturn nil, status.Error(codes.Unimplemented, \"method Client not implemented\")\n}",
			"func (UnimplementedSService) BidiChat(context.Context, S_BidiChatServer) error {\n\treturn status.Error(codes.Unimplemented, \"method bidi_chat not implemented\")\n}",
			`codes "github.com/featherrpc/ttrpc/codes"`,
			`status "github.com/featherrpc/ttrpc/status"`,
		}},
		{"prefix=X", []string{
			"type UnimplementedXSService struct{}",
			"func (UnimplementedXSService) Server(context.Context, *M, XS_ServerServer) error {",
		}},
	} {
		t.Run(tt.parameter, func(t *testing.T) {
			_, resp := runPlugin(t, request(t, tt.parameter, streamsFile))
			if resp.Error != nil {
				t.Fatalf("plugin error: %s", resp.GetError())
			}
			content := resp.File[0].GetContent()
			for _, want := range tt.want {
				if !strings.Contains(content, want) {
					t.Errorf("output lacks\n%s\n\noutput:\n%s", want, content)
				}
			}
		})
	}
}

// TestUnimplementedSwapped checks that code generated for another ttrpc
// import path (ttrpc-swap's stand-in for github.com/containerd/ttrpc, which
// has no status package) still takes status and codes from this library.
func TestUnimplementedSwapped(t *testing.T) {
	setImportPath("github.com/containerd/ttrpc")
	t.Cleanup(func() { setImportPath(ImportPath) })
	_, resp := runPlugin(t, request(t, "", streamsFile))
	if resp.Error != nil {
		t.Fatalf("plugin error: %s", resp.GetError())
	}
	content := resp.File[0].GetContent()
	for _, want := range []string{
		`ttrpc "github.com/containerd/ttrpc"`,
		`codes "github.com/featherrpc/ttrpc/codes"`,
		`status "github.com/featherrpc/ttrpc/status"`,
	} {
		if !strings.Contains(content, want) {
			t.Errorf("output lacks %s", want)
		}
	}
}

// TestUnimplementedClash checks that the Unimplemented type's name is
// claimed like the other generated names.
func TestUnimplementedClash(t *testing.T) {
	file := `name: "x.proto" package: "test.v1" syntax: "proto3" options { go_package: "example.com/x" }
		message_type { name: "UnimplementedSService" }
		service { name: "S" method { name: "M" input_type: ".test.v1.UnimplementedSService" output_type: ".test.v1.UnimplementedSService" } }`
	want := "message test.v1.UnimplementedSService and service test.v1.S both declare the Go name UnimplementedSService"
	if _, resp := runPlugin(t, request(t, "", file)); !strings.Contains(resp.GetError(), want) {
		t.Errorf("plugin error %q, want it to contain %q", resp.GetError(), want)
	}
	// A service named UnimplementedS declares the interface
	// UnimplementedSService, the name of S's Unimplemented type.
	file = `name: "x.proto" package: "test.v1" syntax: "proto3" options { go_package: "example.com/x" }
		message_type { name: "M" }
		service { name: "S" method { name: "A" input_type: ".test.v1.M" output_type: ".test.v1.M" } }
		service { name: "UnimplementedS" method { name: "B" input_type: ".test.v1.M" output_type: ".test.v1.M" } }`
	want = "service test.v1.S and service test.v1.UnimplementedS both declare the Go name UnimplementedSService"
	if _, resp := runPlugin(t, request(t, "", file)); !strings.Contains(resp.GetError(), want) {
		t.Errorf("plugin error %q, want it to contain %q", resp.GetError(), want)
	}
}
