// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// The checked-in echo.protoset holds what testdata/protos says: each file
// of it, parsed by protocompile, equals the file protoc wrote (run
// testdata/generate.sh after changing a .proto).
func TestProtosetCurrent(t *testing.T) {
	fromSet, err := loadProtosets([]string{echoProtoset})
	if err != nil {
		t.Fatal(err)
	}
	fromProtos, err := loadProtos(context.Background(), []string{"echo.proto"}, []string{"testdata/protos"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"echo.proto", "types.proto"} {
		want := fileProto(t, fromProtos, name)
		want.SourceCodeInfo = nil
		if got := fileProto(t, fromSet, name); !proto.Equal(got, want) {
			t.Errorf("%s: testdata/echo.protoset is stale; run testdata/generate.sh\nprotoset: %v\nprotos:   %v", name, got, want)
		}
	}
	var names []string
	fromSet.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		names = append(names, f.Path())
		return true
	})
	if len(names) != 4 || !strings.Contains(strings.Join(names, " "), "google/protobuf/any.proto") {
		t.Errorf("the protoset holds %q, want echo.proto, types.proto and the two well-known files they import", names)
	}
}

func fileProto(t *testing.T, files *protoregistry.Files, name string) *descriptorpb.FileDescriptorProto {
	t.Helper()
	fd, err := files.FindFileByPath(name)
	if err != nil {
		t.Fatal(err)
	}
	return protodesc.ToFileDescriptorProto(fd)
}
