// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
)

// descriptors are the services and messages an invocation knows, from
// -proto files or from -protoset files.
type descriptors struct {
	files *protoregistry.Files
	types *typeResolver
}

// loadDescriptors loads what opts names: .proto files (parsed here) or
// descriptor sets, not both.
func loadDescriptors(ctx context.Context, opts *options) (*descriptors, error) {
	var files *protoregistry.Files
	var err error
	switch {
	case len(opts.protos) > 0 && len(opts.protosets) > 0:
		return nil, errBothSources
	case len(opts.protos) > 0:
		files, err = loadProtos(ctx, opts.protos, opts.importPaths)
	case len(opts.protosets) > 0:
		files, err = loadProtosets(opts.protosets)
	default:
		return nil, errNoDescriptors
	}
	if err != nil {
		return nil, err
	}
	return &descriptors{files: files, types: &typeResolver{dynamicpb.NewTypes(files)}}, nil
}

// typeResolver finds message types (of Any values, in status details and
// requests) in the loaded files first, then among the types linked into the
// command (the well-known types).
type typeResolver struct {
	loaded *dynamicpb.Types
}

// FindMessageByName implements protoregistry.MessageTypeResolver.
func (r *typeResolver) FindMessageByName(name protoreflect.FullName) (protoreflect.MessageType, error) {
	mt, err := r.loaded.FindMessageByName(name)
	if errors.Is(err, protoregistry.NotFound) {
		return protoregistry.GlobalTypes.FindMessageByName(name)
	}
	return mt, err
}

// FindMessageByURL implements protoregistry.MessageTypeResolver.
func (r *typeResolver) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	mt, err := r.loaded.FindMessageByURL(url)
	if errors.Is(err, protoregistry.NotFound) {
		return protoregistry.GlobalTypes.FindMessageByURL(url)
	}
	return mt, err
}

// FindExtensionByName implements protoregistry.ExtensionTypeResolver.
func (r *typeResolver) FindExtensionByName(field protoreflect.FullName) (protoreflect.ExtensionType, error) {
	xt, err := r.loaded.FindExtensionByName(field)
	if errors.Is(err, protoregistry.NotFound) {
		return protoregistry.GlobalTypes.FindExtensionByName(field)
	}
	return xt, err
}

// FindExtensionByNumber implements protoregistry.ExtensionTypeResolver.
func (r *typeResolver) FindExtensionByNumber(message protoreflect.FullName, field protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	xt, err := r.loaded.FindExtensionByNumber(message, field)
	if errors.Is(err, protoregistry.NotFound) {
		return protoregistry.GlobalTypes.FindExtensionByNumber(message, field)
	}
	return xt, err
}

// registerWithImports adds fd and, first, everything it imports to files,
// skipping files already there.
func registerWithImports(files *protoregistry.Files, fd protoreflect.FileDescriptor) error {
	if _, err := files.FindFileByPath(fd.Path()); err == nil {
		return nil
	}
	imports := fd.Imports()
	for i := range imports.Len() {
		if err := registerWithImports(files, imports.Get(i).FileDescriptor); err != nil {
			return err
		}
	}
	return files.RegisterFile(fd)
}
