// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Command ttrpc-swap swaps containerd's ttrpc (github.com/containerd/ttrpc)
// for github.com/featherrpc/ttrpc in an existing Go module, without
// changing an import: run at the root of a module that depends on
// containerd's ttrpc, directly or through containerd/api, nri, otelttrpc
// or containerd, it writes a small module with containerd's module path
// that forwards every name of containerd's ttrpc v1.2.10 to featherrpc's,
// adds a replace directive for it to go.mod and runs go mod tidy.
//
//	go run github.com/featherrpc/ttrpc/cmd/ttrpc-swap@latest
//	go test ./...
//	go run github.com/featherrpc/ttrpc/cmd/ttrpc-swap@latest -undo
//
// The stand-in goes to third_party/containerd-ttrpc (-dir). Its clients
// get the grpc status bridge (grpcstatus.ClientOption, so that grpc's
// status.FromError and containerd's errdefs read the errors' codes) and,
// with its servers, containerd's codec (proto.Marshal and proto.Unmarshal,
// WithClientProtoCodec and WithServerProtoCodec); the written ttrpc.go
// explains both and the exceptions. -undo removes the stand-in and the
// replace directives, and gives back go.mod and go.sum byte for byte when
// they have not changed since the swap.
//
// Flags:
//
//	-undo           undo the swap
//	-dir DIR        where to write the stand-in (default third_party/containerd-ttrpc)
//	-version V      the version of github.com/featherrpc/ttrpc to require
//	                (default: the version this command was built from)
//	-featherrpc DIR use a local checkout of github.com/featherrpc/ttrpc instead
//	                (adds replace directives for its modules)
//	-grpcstatus     install the grpc status bridge (default true)
//	-proto-codec    encode with proto.Marshal, as containerd's ttrpc does,
//	                instead of featherrpc's vtprotobuf fast path (default true)
//	-tidy           run go mod tidy after the swap (default true)
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

func main() {
	if err := run(os.Args[1:], ".", os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run parses args and swaps (or undoes the swap of) the module in dir.
func run(args []string, dir string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ttrpc-swap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts options
	undo := fs.Bool("undo", false, "undo the swap: remove the stand-in and the replace directives")
	fs.StringVar(&opts.dir, "dir", "third_party/containerd-ttrpc", "where to write the stand-in, relative to the module's root")
	fs.StringVar(&opts.version, "version", buildVersion(), "the version of github.com/featherrpc/ttrpc to require")
	fs.StringVar(&opts.checkout, "featherrpc", "", "a local checkout of github.com/featherrpc/ttrpc to use instead of -version")
	fs.BoolVar(&opts.bridge, "grpcstatus", true, "give clients the grpc status bridge (grpcstatus.ClientOption)")
	fs.BoolVar(&opts.protoCodec, "proto-codec", true, "encode and decode with proto.Marshal and proto.Unmarshal, as containerd's ttrpc does")
	fs.BoolVar(&opts.tidy, "tidy", true, "run go mod tidy after the swap")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("ttrpc-swap: unexpected arguments %q", fs.Args())
	}
	m := &module{root: dir, log: stdout}
	if *undo {
		return m.undo(opts.dir)
	}
	return m.swap(opts)
}

// buildVersion is the version of github.com/featherrpc/ttrpc this command
// was built from (go run ...@v1.2.3 gives v1.2.3), or "" for a build from
// a checkout, which is no version another module can require.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Path != "github.com/featherrpc/ttrpc" {
		return ""
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" || strings.Contains(v, "+") {
		return ""
	}
	return v
}
