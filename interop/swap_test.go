// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package interop

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// swapEnv is the environment of the go commands of TestSwapCoversUpstream.
func swapEnv() []string {
	return append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local")
}

func goRun(t *testing.T, dir string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, swapEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out
}

// TestSwapCoversUpstream swaps a module that requires containerd's ttrpc
// v1.2.10 with ttrpc-swap (its defaults: the grpc status bridge and
// containerd's codec), builds it, and fails unless the stand-in declares
// every exported name of containerd's package, as the same kind of
// declaration (a type, a function with the same parameter and result
// types, a variable, a constant).
func TestSwapCoversUpstream(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	var upstream struct{ Dir string }
	if err := json.Unmarshal(goRun(t, ".", "go", "mod", "download", "-json", "github.com/containerd/ttrpc@v1.2.10"), &upstream); err != nil {
		t.Fatal(err)
	}
	swap := filepath.Join(t.TempDir(), "ttrpc-swap")
	goRun(t, root, "go", "build", "-o", swap, "./cmd/ttrpc-swap")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/swapped\n\ngo 1.25.0\n\nrequire github.com/containerd/ttrpc v1.2.10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	main := "package main\n\nimport \"github.com/containerd/ttrpc\"\n\nfunc main() { _ = ttrpc.NewClient }\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	goRun(t, dir, swap, "-featherrpc", root)
	goRun(t, dir, "go", "vet", "./...", "github.com/containerd/ttrpc/...")

	want := exportedDecls(t, upstream.Dir)
	got := exportedDecls(t, filepath.Join(dir, "third_party", "containerd-ttrpc"))
	if len(want) < 40 {
		t.Fatalf("found only %d exported names in containerd's ttrpc", len(want))
	}
	var names []string
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		switch g, ok := got[name]; {
		case !ok:
			t.Errorf("the stand-in lacks %s (%s)", name, want[name])
		case g != want[name]:
			t.Errorf("%s: the stand-in has %s, containerd's ttrpc %s", name, g, want[name])
		}
	}
}

// exportedDecls maps every exported top-level name of the Go package in
// dir (test files and other packages left out) to its kind: "type",
// "var", "const", or "func" with its parameter and result types.
func exportedDecls(t *testing.T, dir string) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	decls := map[string]string{}
	for _, file := range pkgs["ttrpc"].Files {
		for _, d := range file.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					decls[d.Name.Name] = "func" + signature(fset, d.Type)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							decls[s.Name.Name] = "type"
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								decls[n.Name] = d.Tok.String()
							}
						}
					}
				}
			}
		}
	}
	return decls
}

// signature is the parameter and result types of a function, without
// names ("(context.Context, string) (string, bool)"), with interface{}
// spelled any.
func signature(fset *token.FileSet, fn *ast.FuncType) string {
	list := func(fields *ast.FieldList) string {
		if fields == nil {
			return "()"
		}
		var types []string
		for _, f := range fields.List {
			var b bytes.Buffer
			printer.Fprint(&b, fset, f.Type)
			typ := strings.ReplaceAll(b.String(), "interface{}", "any")
			for n := max(len(f.Names), 1); n > 0; n-- {
				types = append(types, typ)
			}
		}
		return "(" + strings.Join(types, ", ") + ")"
	}
	return list(fn.Params) + " " + list(fn.Results)
}
