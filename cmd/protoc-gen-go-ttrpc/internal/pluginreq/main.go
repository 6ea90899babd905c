// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Command pluginreq records and replays protoc plugin requests, so that the
// golden tests of protoc-gen-go-ttrpc run without protoc. It is a tool of
// internal/testprotos/generate.sh.
//
// Run by protoc as a plugin (no arguments), it writes the request it gets,
// byte for byte, to the file named by $PLUGINREQ_OUT, and answers with no
// files:
//
//	PLUGINREQ_OUT=case.request.pb protoc --plugin=protoc-gen-record=pluginreq --record_out=PARAMS:/tmp x.proto
//
// With arguments, it replays a recorded request (binary, or text format when
// the file name ends in .txtpb) to a plugin and writes the files the plugin
// answers with under DIR:
//
//	pluginreq -plugin PATH -out DIR [-drop NAME] REQUEST
//
// -drop removes a parameter the plugin would not understand (prefix= for
// protoc-gen-go).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"
)

func main() {
	var err error
	if len(os.Args) == 1 {
		err = record(os.Stdin, os.Stdout, os.Getenv("PLUGINREQ_OUT"))
	} else {
		err = replay(os.Args[1:])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pluginreq:", err)
		os.Exit(1)
	}
}

// record saves the request on in to path and answers on out, declaring
// every feature so that protoc sends any file.
func record(in io.Reader, out io.Writer, path string) error {
	if path == "" {
		return fmt.Errorf("PLUGINREQ_OUT is not set")
	}
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	resp, err := proto.Marshal(&pluginpb.CodeGeneratorResponse{
		SupportedFeatures: proto.Uint64(uint64(pluginpb.CodeGeneratorResponse_FEATURE_PROTO3_OPTIONAL |
			pluginpb.CodeGeneratorResponse_FEATURE_SUPPORTS_EDITIONS)),
	})
	if err != nil {
		return err
	}
	_, err = out.Write(resp)
	return err
}

// replay runs a plugin on a recorded request and writes its files.
func replay(args []string) error {
	flags := flag.NewFlagSet("pluginreq", flag.ContinueOnError)
	plugin := flags.String("plugin", "", "the plugin binary to run")
	outDir := flags.String("out", ".", "the directory to write the generated files under")
	drop := flags.String("drop", "", "a parameter to remove from the request")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *plugin == "" || flags.NArg() != 1 {
		return fmt.Errorf("usage: pluginreq -plugin PATH -out DIR [-drop NAME] REQUEST")
	}
	req, err := readRequest(flags.Arg(0))
	if err != nil {
		return err
	}
	if *drop != "" {
		req.Parameter = proto.String(dropParameter(req.GetParameter(), *drop))
	}
	in, err := proto.Marshal(req)
	if err != nil {
		return err
	}
	var stdout bytes.Buffer
	cmd := exec.Command(*plugin)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", *plugin, err)
	}
	resp := &pluginpb.CodeGeneratorResponse{}
	if err := proto.Unmarshal(stdout.Bytes(), resp); err != nil {
		return err
	}
	if resp.Error != nil {
		return fmt.Errorf("%s: %s", *plugin, resp.GetError())
	}
	for _, f := range resp.File {
		path := filepath.Join(*outDir, filepath.FromSlash(f.GetName()))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(f.GetContent()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// readRequest reads a recorded request: text format for .txtpb files,
// binary otherwise.
func readRequest(path string) (*pluginpb.CodeGeneratorRequest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	req := &pluginpb.CodeGeneratorRequest{}
	if strings.HasSuffix(path, ".txtpb") {
		err = prototext.Unmarshal(data, req)
	} else {
		err = proto.Unmarshal(data, req)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return req, nil
}

// dropParameter removes the parameter name (name=value or name) from a
// comma-separated parameter list.
func dropParameter(params, name string) string {
	var kept []string
	for _, p := range strings.Split(params, ",") {
		if p != name && !strings.HasPrefix(p, name+"=") {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ",")
}
