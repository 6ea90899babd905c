// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// loadProtos parses and links .proto files with protocompile. Their names,
// and their imports, are relative to one of importPaths (to the current
// directory when there are none); the standard imports
// (google/protobuf/*.proto) are built in.
func loadProtos(ctx context.Context, protos, importPaths []string) (*protoregistry.Files, error) {
	names := make([]string, len(protos))
	for i, p := range protos {
		names[i] = importName(p, importPaths)
	}
	compiler := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: importPaths}),
		// Comments, for describe.
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	compiled, err := compiler.Compile(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errProtos, err)
	}
	files := new(protoregistry.Files)
	for _, f := range compiled {
		if err := registerWithImports(files, f); err != nil {
			return nil, fmt.Errorf("%w: %w", errProtos, err)
		}
	}
	return files, nil
}

// importName returns the name under which protocompile finds the file
// given as -proto p. protoc wants names relative to an import path; a user
// who gives the file by its path on disk, inside an import path
// (-import-path api -proto api/types/mount.proto), means that file, so its
// path is made relative to that import path.
func importName(p string, importPaths []string) string {
	for _, dir := range importPaths {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			return p // found as protoc would
		}
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if _, err := os.Stat(abs); err != nil {
		return p
	}
	for _, dir := range importPaths {
		absDir, err := filepath.Abs(dir)
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(absDir, abs); err == nil && filepath.IsLocal(rel) {
			return filepath.ToSlash(rel)
		}
	}
	return p
}
