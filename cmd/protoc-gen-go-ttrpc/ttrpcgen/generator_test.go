// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpcgen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// testprotos holds the golden files: the checked-in output of the plugin
// (and of protoc-gen-go) for the recorded requests in testdata, compiled and
// exercised by roundtrip_test.go.
const testprotos = "../internal/testprotos"

const regenerate = "run cmd/protoc-gen-go-ttrpc/internal/testprotos/generate.sh to regenerate"

// runPlugin runs the plugin in-process on req, as protoc would run it.
func runPlugin(t *testing.T, req *pluginpb.CodeGeneratorRequest) (*protogen.Plugin, *pluginpb.CodeGeneratorResponse) {
	t.Helper()
	var cfg config
	gen, err := options(&cfg).New(req)
	if err != nil {
		return nil, &pluginpb.CodeGeneratorResponse{Error: proto.String(err.Error())}
	}
	if err := generate(gen, &cfg); err != nil {
		gen.Error(err)
	}
	return gen, gen.Response()
}

// readRequest reads a recorded request: text format for .txtpb files,
// binary otherwise.
func readRequest(t *testing.T, path string) *pluginpb.CodeGeneratorRequest {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	req := &pluginpb.CodeGeneratorRequest{}
	if strings.HasSuffix(path, ".txtpb") {
		err = prototext.Unmarshal(data, req)
	} else {
		err = proto.Unmarshal(data, req)
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return req
}

// TestGolden runs the plugin on every recorded request and compares its
// output with the checked-in files. A file without services must produce
// nothing, and have no stale output checked in.
func TestGolden(t *testing.T) {
	paths, err := filepath.Glob("../testdata/*.request.*")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 5 {
		t.Fatalf("found %d recorded requests in testdata, want at least 5", len(paths))
	}
	for _, path := range paths {
		name := strings.SplitN(filepath.Base(path), ".", 2)[0]
		t.Run(name, func(t *testing.T) {
			req := readRequest(t, path)
			gen, resp := runPlugin(t, req)
			if resp.Error != nil {
				t.Fatalf("plugin error: %s", resp.GetError())
			}
			written := make(map[string]string)
			for _, f := range resp.File {
				written[f.GetName()] = f.GetContent()
			}
			for _, file := range gen.Files {
				if !file.Generate {
					continue
				}
				out := outputName(req, file)
				content, ok := written[out]
				delete(written, out)
				golden, err := os.ReadFile(filepath.Join(testprotos, out))
				switch {
				case len(file.Services) == 0 && ok:
					t.Errorf("%s has no services, but the plugin wrote %s", file.Desc.Path(), out)
				case len(file.Services) == 0 && err == nil:
					t.Errorf("%s has no services, but %s is checked in; delete it", file.Desc.Path(), out)
				case len(file.Services) == 0:
				case !ok:
					t.Errorf("%s has services, but the plugin wrote no %s", file.Desc.Path(), out)
				case err != nil:
					t.Errorf("%v; %s", err, regenerate)
				case content != string(golden):
					t.Errorf("%s differs from the plugin's output; %s\n%s", out, regenerate, firstDifference(string(golden), content))
				}
			}
			for out := range written {
				t.Errorf("unexpected output file %s", out)
			}
		})
	}
}

// outputName is the name of the file the plugin writes for file: protogen
// names it, then strips the module= prefix when it builds the response.
func outputName(req *pluginpb.CodeGeneratorRequest, file *protogen.File) string {
	name := file.GeneratedFilenamePrefix + "_ttrpc.pb.go"
	for _, param := range strings.Split(req.GetParameter(), ",") {
		if module, ok := strings.CutPrefix(param, "module="); ok {
			name = strings.TrimPrefix(name, module+"/")
		}
	}
	return name
}

// firstDifference shows the first line where got differs from want.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  checked in: %s\n  generated:  %s", i+1, wl, gl)
		}
	}
	return ""
}

// request builds a request for one file, given as a FileDescriptorProto in
// text format, with the given parameter.
func request(t *testing.T, parameter, file string) *pluginpb.CodeGeneratorRequest {
	t.Helper()
	fd := &descriptorpb.FileDescriptorProto{}
	if err := prototext.Unmarshal([]byte(file), fd); err != nil {
		t.Fatalf("bad test descriptor: %v", err)
	}
	return &pluginpb.CodeGeneratorRequest{
		FileToGenerate: []string{fd.GetName()},
		Parameter:      proto.String(parameter),
		ProtoFile:      []*descriptorpb.FileDescriptorProto{fd},
	}
}

// exampleFile is a small file with one unary service.
const exampleFile = `
	name: "dir/example.proto"
	package: "test.v1"
	syntax: "proto3"
	options { go_package: "example.com/mod/dir/examplepb" }
	message_type { name: "Req" }
	service {
		name: "Example"
		method { name: "Method1" input_type: ".test.v1.Req" output_type: ".test.v1.Req" }
	}`

// TestStandardOptions checks that the options protogen implements decide
// where the file goes and which package it is in, as for protoc-gen-go.
func TestStandardOptions(t *testing.T) {
	tests := []struct {
		parameter, file, pkg string
	}{
		{"", "example.com/mod/dir/examplepb/example_ttrpc.pb.go", "examplepb"},
		{"paths=import", "example.com/mod/dir/examplepb/example_ttrpc.pb.go", "examplepb"},
		{"paths=source_relative", "dir/example_ttrpc.pb.go", "examplepb"},
		{"module=example.com/mod", "dir/examplepb/example_ttrpc.pb.go", "examplepb"},
		{"Mdir/example.proto=example.com/other;otherpb", "example.com/other/example_ttrpc.pb.go", "otherpb"},
		{"paths=source_relative,prefix=TTRPC", "dir/example_ttrpc.pb.go", "examplepb"},
	}
	for _, tt := range tests {
		t.Run(tt.parameter, func(t *testing.T) {
			_, resp := runPlugin(t, request(t, tt.parameter, exampleFile))
			if resp.Error != nil {
				t.Fatalf("plugin error: %s", resp.GetError())
			}
			if len(resp.File) != 1 {
				t.Fatalf("plugin wrote %d files, want 1", len(resp.File))
			}
			if got := resp.File[0].GetName(); got != tt.file {
				t.Errorf("file name %q, want %q", got, tt.file)
			}
			if !strings.Contains(resp.File[0].GetContent(), "\npackage "+tt.pkg+"\n") {
				t.Errorf("output is not in package %s", tt.pkg)
			}
		})
	}
}

func TestPrefix(t *testing.T) {
	_, resp := runPlugin(t, request(t, "prefix=TTRPC", exampleFile))
	if resp.Error != nil {
		t.Fatalf("plugin error: %s", resp.GetError())
	}
	content := resp.File[0].GetContent()
	for _, want := range []string{
		"type TTRPCExampleService interface",
		"func RegisterTTRPCExampleService(srv *ttrpc.Server, svc TTRPCExampleService)",
		"func NewTTRPCExampleClient(client *ttrpc.Client) TTRPCExampleService",
		"type ttrpcExampleClient struct",
		`srv.RegisterService("test.v1.Example"`, // the wire name has no prefix
	} {
		if !strings.Contains(content, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestBadOptions(t *testing.T) {
	for _, parameter := range []string{"prefix=1x", "prefix=lower", "prefix=A-B", "bogus=1", "paths=nowhere"} {
		t.Run(parameter, func(t *testing.T) {
			_, resp := runPlugin(t, request(t, parameter, exampleFile))
			if resp.Error == nil {
				t.Errorf("plugin accepted %q", parameter)
			}
			if len(resp.File) != 0 {
				t.Errorf("plugin wrote files despite the error")
			}
		})
	}
}

func TestFeatures(t *testing.T) {
	_, resp := runPlugin(t, request(t, "", exampleFile))
	want := uint64(pluginpb.CodeGeneratorResponse_FEATURE_PROTO3_OPTIONAL | pluginpb.CodeGeneratorResponse_FEATURE_SUPPORTS_EDITIONS)
	if got := resp.GetSupportedFeatures(); got&want != want {
		t.Errorf("supported features %b, want %b", got, want)
	}
	if resp.GetMinimumEdition() > int32(descriptorpb.Edition_EDITION_PROTO2) ||
		resp.GetMaximumEdition() < int32(descriptorpb.Edition_EDITION_2023) {
		t.Errorf("supported editions %d..%d, want at least proto2..2023", resp.GetMinimumEdition(), resp.GetMaximumEdition())
	}
}

func TestNoServices(t *testing.T) {
	_, resp := runPlugin(t, request(t, "", `
		name: "types.proto" package: "test.v1" syntax: "proto3"
		options { go_package: "example.com/types" }
		message_type { name: "Req" }`))
	if resp.Error != nil || len(resp.File) != 0 {
		t.Errorf("plugin answered %v for a file without services, want no files", resp)
	}
}

// TestNameClashes checks that names that would not compile are reported
// with the culprits, and that prefix= resolves a clash with a message.
func TestNameClashes(t *testing.T) {
	tests := []struct {
		name, parameter, file, want string
	}{
		{
			name: "methods", want: "methods get_status and GetStatus of service test.v1.S both have the Go name GetStatus",
			file: `name: "x.proto" package: "test.v1" syntax: "proto3" options { go_package: "example.com/x" }
				message_type { name: "M" }
				service { name: "S"
					method { name: "get_status" input_type: ".test.v1.M" output_type: ".test.v1.M" }
					method { name: "GetStatus" input_type: ".test.v1.M" output_type: ".test.v1.M" } }`,
		},
		{
			name: "message", want: "message test.v1.SService and service test.v1.S both declare the Go name SService",
			file: `name: "x.proto" package: "test.v1" syntax: "proto3" options { go_package: "example.com/x" }
				message_type { name: "SService" }
				service { name: "S" method { name: "M" input_type: ".test.v1.SService" output_type: ".test.v1.SService" } }`,
		},
		{
			name: "services", want: "service test.v1.A and service test.v1.A_B both declare the Go name A_BClient",
			file: `name: "x.proto" package: "test.v1" syntax: "proto3" options { go_package: "example.com/x" }
				message_type { name: "M" }
				service { name: "A" method { name: "B" input_type: ".test.v1.M" output_type: ".test.v1.M" client_streaming: true } }
				service { name: "A_B" method { name: "C" input_type: ".test.v1.M" output_type: ".test.v1.M" server_streaming: true } }`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, resp := runPlugin(t, request(t, tt.parameter, tt.file))
			if !strings.Contains(resp.GetError(), tt.want) {
				t.Errorf("plugin error %q, want it to contain %q", resp.GetError(), tt.want)
			}
		})
	}

	// With a prefix, the clash with the message is gone.
	_, resp := runPlugin(t, request(t, "prefix=X", tests[1].file))
	if resp.Error != nil {
		t.Errorf("with prefix=X: %s", resp.GetError())
	}
}

func TestUnexport(t *testing.T) {
	for in, want := range map[string]string{
		"Example":      "example",
		"TTRPCExample": "ttrpcExample",
		"HTTP":         "http",
		"HTTP2Server":  "http2Server",
		"X":            "x",
		"X_Y":          "x_Y",
		"ÄbcDef":       "äbcDef",
	} {
		if got := unexport(in); got != want {
			t.Errorf("unexport(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCommand(t *testing.T) {
	var out bytes.Buffer
	if !command([]string{"/bin/protoc-gen-go-ttrpc", "--version"}, &out) {
		t.Fatal("--version was not handled")
	}
	if got := out.String(); !strings.HasPrefix(got, "protoc-gen-go-ttrpc ") || strings.TrimSpace(got) == "protoc-gen-go-ttrpc" {
		t.Errorf("--version printed %q, want the name and a version", got)
	}
	out.Reset()
	if !command([]string{"protoc-gen-go-ttrpc", "--help"}, &out) || !strings.Contains(out.String(), "prefix=") {
		t.Errorf("--help printed %q", out.String())
	}
	if command([]string{"protoc-gen-go-ttrpc"}, &out) || command([]string{"protoc-gen-go-ttrpc", "x"}, &out) {
		t.Error("command handled something other than --version and --help")
	}
}
