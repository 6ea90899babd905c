// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import "google.golang.org/protobuf/reflect/protoreflect"

// File_request_proto is the descriptor of request.proto, the file that defines
// the wire envelopes (Request, Response, KeyValue, StringList), under the name
// containerd's ttrpc gives it. It is registered under the path
// "github.com/featherrpc/ttrpc/request.proto", in the proto package
// featherrpc.ttrpc, so that it never collides with containerd's copy (path
// "request.proto", package ttrpc) in the same program; the messages on the
// wire are the same.
//
// File_github_com_featherrpc_ttrpc_request_proto is the same descriptor:
// protoc-gen-go declares it in request.pb.go and names it after the path.
// Generated code carries no comment of ours, so this one speaks for it. It
// stays exported, as protoc-gen-go makes it, because hiding it would mean
// editing generated code after every regeneration.
var File_request_proto protoreflect.FileDescriptor = requestProtoFile()

// requestProtoFile makes sure the generated descriptor is built before it is
// read: package variables are initialised before the generated init runs.
func requestProtoFile() protoreflect.FileDescriptor {
	file_github_com_featherrpc_ttrpc_request_proto_init()
	return File_github_com_featherrpc_ttrpc_request_proto
}
