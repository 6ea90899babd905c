// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"os"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// loadProtosets reads descriptor sets (FileDescriptorSet messages, as
// `buf build -o` and `protoc --descriptor_set_out` write them) and links
// their files. A file the sets import but do not hold is taken from the
// well-known types built into the command, else it is an error.
func loadProtosets(paths []string) (*protoregistry.Files, error) {
	set := map[string]*descriptorpb.FileDescriptorProto{}
	var order []string
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errProtoset, err)
		}
		var fds descriptorpb.FileDescriptorSet
		if err := proto.Unmarshal(data, &fds); err != nil {
			return nil, fmt.Errorf("%w %s: not a descriptor set: %w", errProtoset, path, err)
		}
		for _, fdp := range fds.File {
			if _, dup := set[fdp.GetName()]; !dup {
				set[fdp.GetName()] = fdp
				order = append(order, fdp.GetName())
			}
		}
	}
	l := &setLinker{set: set, files: new(protoregistry.Files), linking: map[string]bool{}}
	for _, name := range order {
		if err := l.link(name, ""); err != nil {
			return nil, fmt.Errorf("%w: %w", errProtoset, err)
		}
	}
	return l.files, nil
}

// setLinker links the files of descriptor sets, each after its imports.
type setLinker struct {
	set     map[string]*descriptorpb.FileDescriptorProto
	files   *protoregistry.Files
	linking map[string]bool // files whose imports are being linked
}

// link links file name, which importer imports ("" for a file of the set).
func (l *setLinker) link(name, importer string) error {
	if _, err := l.files.FindFileByPath(name); err == nil {
		return nil
	}
	fdp, ok := l.set[name]
	if !ok {
		if fd, err := protoregistry.GlobalFiles.FindFileByPath(name); err == nil {
			return registerWithImports(l.files, fd)
		}
		return fmt.Errorf("%s imports %s, which the set does not hold (write it with --include_imports)", importer, name)
	}
	if l.linking[name] {
		return fmt.Errorf("%s: import cycle", name)
	}
	l.linking[name] = true
	for _, dep := range fdp.GetDependency() {
		if err := l.link(dep, name); err != nil {
			return err
		}
	}
	fd, err := protodesc.NewFile(fdp, l.files)
	if err != nil {
		return err
	}
	return l.files.RegisterFile(fd)
}
