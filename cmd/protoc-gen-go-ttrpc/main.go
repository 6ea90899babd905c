// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Command protoc-gen-go-ttrpc is a protoc plugin that generates ttrpc
// service code for github.com/featherrpc/ttrpc: for each service of a .proto
// file, a server interface, a Register function, a client constructor and
// typed stream wrappers. It writes <file>_ttrpc.pb.go beside the output of
// protoc-gen-go, which generates the messages.
//
// Install it and run it from protoc or buf:
//
//	go install github.com/featherrpc/ttrpc/cmd/protoc-gen-go-ttrpc@latest
//	protoc --go_out=. --go_opt=paths=source_relative \
//	  --go-ttrpc_out=. --go-ttrpc_opt=paths=source_relative example.proto
//
// Options (--go-ttrpc_opt=name=value, comma-separated):
//
//   - prefix=X prepends X to every exported name it generates
//     (XExampleService, RegisterXExampleService, NewXExampleClient, ...).
//   - paths=import|source_relative, module=PATH and M<file>=<import path>
//     work as they do for protoc-gen-go; use the same ones for both plugins.
//
// The generated code has the shape that containerd's protoc-gen-go-ttrpc
// generates, so code written against it compiles after only the ttrpc import
// path changes.
package main

import "github.com/featherrpc/ttrpc/cmd/protoc-gen-go-ttrpc/ttrpcgen"

func main() { ttrpcgen.Main(ttrpcgen.ImportPath) }
