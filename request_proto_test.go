// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// TestRequestProtoDescriptor checks what File_request_proto's doc says: it
// is the generated descriptor, registered under featherrpc's path and proto
// package, and it defines the four envelopes.
func TestRequestProtoDescriptor(t *testing.T) {
	if File_request_proto != File_github_com_featherrpc_ttrpc_request_proto {
		t.Fatal("File_request_proto is not the generated descriptor")
	}
	const path = "github.com/featherrpc/ttrpc/request.proto"
	if got := File_request_proto.Path(); got != path {
		t.Errorf("path %q, want %q", got, path)
	}
	if got := File_request_proto.Package(); got != "featherrpc.ttrpc" {
		t.Errorf("proto package %q, want featherrpc.ttrpc", got)
	}
	registered, err := protoregistry.GlobalFiles.FindFileByPath(path)
	if err != nil || registered != File_request_proto {
		t.Errorf("the registry has %v (%v) under %s", registered, err, path)
	}
	if _, err := protoregistry.GlobalFiles.FindFileByPath("request.proto"); err == nil {
		t.Error(`this package registered "request.proto", containerd's path`)
	}
	messages := File_request_proto.Messages()
	for _, name := range []string{"Request", "Response", "KeyValue", "StringList"} {
		if messages.ByName(protoreflect.Name(name)) == nil {
			t.Errorf("request.proto defines no message %s", name)
		}
	}
	if File_request_proto.Messages().ByName("Request") != (&Request{}).ProtoReflect().Descriptor() {
		t.Error("Request's descriptor is not the one in File_request_proto")
	}
}
