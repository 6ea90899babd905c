// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import "google.golang.org/protobuf/reflect/protoreflect"

// File_request_proto is the descriptor of request.proto, the file that defines
// the wire envelopes (Request, Response, KeyValue, StringList). It is
// registered under the path "github.com/featherrpc/ttrpc/request.proto" so
// that it never collides with containerd's copy in the same program.
var File_request_proto protoreflect.FileDescriptor = requestProtoFile()

// requestProtoFile makes sure the generated descriptor is built before it is
// read: package variables are initialised before the generated init runs.
func requestProtoFile() protoreflect.FileDescriptor {
	file_github_com_featherrpc_ttrpc_request_proto_init()
	return File_github_com_featherrpc_ttrpc_request_proto
}
