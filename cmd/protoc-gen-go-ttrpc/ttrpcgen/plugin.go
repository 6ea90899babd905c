// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package ttrpcgen is the protoc-gen-go-ttrpc plugin as a library: Main
// runs it. It exists so that another module can build the same plugin
// under its own path; the ttrpc-swap command writes a stand-in for
// github.com/containerd/ttrpc whose cmd/protoc-gen-go-ttrpc calls Main
// with that module's import path, so that code regenerated in a swapped
// project keeps importing github.com/containerd/ttrpc.
package ttrpcgen

import (
	"fmt"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// ImportPath is the import path of this library's ttrpc package, the
// one generated code imports unless Main is told otherwise.
const ImportPath = "github.com/featherrpc/ttrpc"

// Main runs the plugin as a protoc plugin (reading the request from stdin,
// writing the response to stdout), or answers --version and --help. The
// code it generates imports the ttrpc package as importPath (ImportPath,
// or the path of a module that aliases this library's names). Main exits
// the process when protoc's request fails.
func Main(importPath string) {
	if command(os.Args, os.Stdout) {
		return
	}
	setImportPath(importPath)
	var cfg config
	options(&cfg).Run(func(gen *protogen.Plugin) error {
		return generate(gen, &cfg)
	})
}

const usage = `%[1]s is a protoc plugin that generates ttrpc service code for
github.com/featherrpc/ttrpc. protoc runs it for --go-ttrpc_out:

	protoc --go_out=. --go_opt=paths=source_relative \
	  --go-ttrpc_out=. --go-ttrpc_opt=paths=source_relative example.proto

Options (--go-ttrpc_opt, comma-separated name=value pairs):
	prefix=X              prepend X to every generated exported name
	paths=source_relative write files beside their .proto (default: by import path)
	module=PATH           strip PATH from the output file names
	M<file>=<import path> set the Go import path of a .proto file

Flags: --version prints the version, --help this text.
`

// command answers --version and --help, and reports whether args was one
// of them. Anything else is left to protogen, which runs the plugin (and
// refuses other arguments).
func command(args []string, w io.Writer) bool {
	if len(args) != 2 {
		return false
	}
	name := filepath.Base(args[0])
	switch args[1] {
	case "--version", "-version":
		fmt.Fprintf(w, "%s %s\n", name, version())
	case "--help", "-help", "-h":
		fmt.Fprintf(w, usage, name)
	default:
		return false
	}
	return true
}

// version is the module version the binary was built from: the tag given
// to go install (v1.2.3), or "(devel)" for a build from a checkout.
func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}

// config holds the plugin's own options; protogen handles the standard ones
// (paths, module, M mappings) itself.
type config struct {
	// prefix is prepended to every exported name the plugin generates.
	prefix string
}

// options returns the protogen options that parse the plugin's parameters
// into cfg.
func options(cfg *config) protogen.Options {
	return protogen.Options{ParamFunc: cfg.set}
}

// set applies one plugin parameter that protogen does not know itself.
func (cfg *config) set(name, value string) error {
	switch name {
	case "prefix":
		if value != "" && (!token.IsIdentifier(value) || !token.IsExported(value)) {
			return fmt.Errorf("option prefix=%s: the prefix must be an exported Go identifier (start with a capital letter)", value)
		}
		cfg.prefix = value
		return nil
	default:
		return fmt.Errorf("unknown option %q (supported: prefix, paths, module, M<file>)", name)
	}
}

// generate writes the ttrpc code of every file protoc asked for.
func generate(gen *protogen.Plugin, cfg *config) error {
	gen.SupportedFeatures = uint64(pluginpb.CodeGeneratorResponse_FEATURE_PROTO3_OPTIONAL |
		pluginpb.CodeGeneratorResponse_FEATURE_SUPPORTS_EDITIONS)
	// The generated code uses no field features, so every edition that
	// protogen understands is fine.
	gen.SupportedEditionsMinimum = descriptorpb.Edition_EDITION_PROTO2
	gen.SupportedEditionsMaximum = descriptorpb.Edition_EDITION_2024
	for _, file := range gen.Files {
		if !file.Generate {
			continue
		}
		if err := generateFile(gen, file, cfg.prefix); err != nil {
			return err
		}
	}
	return nil
}
