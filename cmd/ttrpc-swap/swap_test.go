// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeVersion is the version of github.com/containerd/ttrpc that the test
// modules require: a go.mod without requirements, served by a proxy in a
// temporary directory, so that nothing needs the network.
const fakeVersion = "v0.0.1"

// hermetic points the go commands of the test (and of the command under
// test) at a fresh module cache filled from the real one and from a fake
// proxy that serves fakeVersion of containerd's ttrpc, with no network.
func hermetic(t *testing.T) {
	t.Helper()
	realCache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	proxy := t.TempDir()
	dir := filepath.Join(proxy, "github.com", "containerd", "ttrpc", "@v")
	writeFile(t, filepath.Join(dir, "list"), fakeVersion+"\n")
	writeFile(t, filepath.Join(dir, fakeVersion+".info"), `{"Version":"`+fakeVersion+`"}`)
	writeFile(t, filepath.Join(dir, fakeVersion+".mod"), "module github.com/containerd/ttrpc\n\ngo 1.21\n")
	cached := filepath.Join(strings.TrimSpace(string(realCache)), "cache", "download")
	t.Setenv("GOPROXY", "file://"+filepath.ToSlash(cached)+",file://"+filepath.ToSlash(proxy))
	t.Setenv("GOMODCACHE", t.TempDir())
	t.Setenv("GOFLAGS", "-mod=mod -modcacherw")
	t.Setenv("GOSUMDB", "off")
	t.Setenv("GOWORK", "off")
	t.Setenv("GOTOOLCHAIN", "local")
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goIn runs go with args in dir and fails the test if it fails.
func goIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// consumerCode uses containerd's ttrpc as its users and generated stubs
// do; it compiles only if the stand-in has these names.
const consumerCode = `package main

import (
	"context"
	"errors"
	"net"

	"github.com/containerd/ttrpc"
)

type service interface {
	Echo(context.Context, *ttrpc.StringList) (*ttrpc.StringList, error)
}

func register(srv *ttrpc.Server, svc service) {
	srv.RegisterService("test.Echo", &ttrpc.ServiceDesc{
		Methods: map[string]ttrpc.Method{
			"Echo": func(ctx context.Context, unmarshal func(any) error) (any, error) {
				var req ttrpc.StringList
				if err := unmarshal(&req); err != nil {
					return nil, err
				}
				return svc.Echo(ctx, &req)
			},
		},
		Streams: map[string]ttrpc.Stream{
			"Watch": {Handler: func(ctx context.Context, s ttrpc.StreamServer) (any, error) { return nil, s.RecvMsg(&ttrpc.KeyValue{}) }, StreamingServer: true},
		},
	})
}

func main() {
	var conn net.Conn
	interceptor := func(ctx context.Context, req *ttrpc.Request, resp *ttrpc.Response, info *ttrpc.UnaryClientInfo, invoke ttrpc.Invoker) error {
		return invoke(ctx, req, resp)
	}
	c := ttrpc.NewClient(conn, ttrpc.WithUnaryClientInterceptor(interceptor), ttrpc.WithOnClose(func() {}))
	var stream ttrpc.ClientStream
	stream, _ = c.NewStream(context.Background(), &ttrpc.StreamDesc{StreamingServer: true}, "test.Echo", "Watch", &ttrpc.KeyValue{})
	_ = stream
	srv, _ := ttrpc.NewServer(ttrpc.WithServerHandshaker(ttrpc.UnixSocketRequireSameUser()))
	register(srv, nil)
	ctx := ttrpc.WithMetadata(context.Background(), ttrpc.MD{"k": {"v"}})
	_, _ = ttrpc.GetMetadataValue(ctx, "k")
	var oversized *ttrpc.OversizedMessageErr
	_ = errors.As(ttrpc.OversizedMessageError(1<<30), &oversized)
	_ = errors.Is(c.Close(), ttrpc.ErrClosed)
}
`

// newConsumer writes a module that requires containerd's ttrpc (and uses
// it, in consumerCode) with a go.sum, and returns its directory.
func newConsumer(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/consumer\n\ngo 1.25.0\n\nrequire github.com/containerd/ttrpc "+fakeVersion+"\n")
	goIn(t, dir, "list", "-m", "all") // fills go.sum
	writeFile(t, filepath.Join(dir, "main.go"), consumerCode)
	return dir
}

// repoRoot is the checkout this test runs in.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func swapIn(dir string, args ...string) error {
	return run(args, dir, io.Discard, io.Discard)
}

// TestSwapBuildsAndUndoes swaps a module, builds it (its code, and the
// stand-in's protoc-gen-go-ttrpc) and undoes the swap, which gives back
// go.mod and go.sum byte for byte.
func TestSwapBuildsAndUndoes(t *testing.T) {
	hermetic(t)
	for _, codec := range []string{"-proto-codec=true", "-proto-codec=false"} {
		t.Run(codec, func(t *testing.T) {
			dir := newConsumer(t)
			mod, sum := readFile(t, filepath.Join(dir, "go.mod")), readFile(t, filepath.Join(dir, "go.sum"))
			// The bridge needs grpc, which the root module's tests may not
			// have in the module cache; the interop module builds it.
			if err := swapIn(dir, "-featherrpc", repoRoot(t), "-grpcstatus=false", codec); err != nil {
				t.Fatal(err)
			}
			goIn(t, dir, "vet", "./...")
			goIn(t, dir, "build", "-o", t.TempDir(), ".", "github.com/containerd/ttrpc/cmd/protoc-gen-go-ttrpc")
			written := string(readFile(t, filepath.Join(dir, "third_party/containerd-ttrpc/ttrpc.go")))
			if strings.Contains(written, "WithClientProtoCodec()") != (codec == "-proto-codec=true") {
				t.Errorf("with %s, the stand-in's clients get WithClientProtoCodec: %v", codec, !strings.Contains(written, "WithClientProtoCodec()"))
			}
			if strings.Contains(written, "grpcstatus") {
				t.Error("with -grpcstatus=false, the stand-in still uses grpcstatus")
			}
			if !bytes.Contains(readFile(t, filepath.Join(dir, "go.mod")), []byte("github.com/containerd/ttrpc => ./third_party/containerd-ttrpc")) {
				t.Error("go.mod has no replace directive for the stand-in")
			}

			if err := swapIn(dir, "-undo"); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, filepath.Join(dir, "go.mod")); !bytes.Equal(got, mod) {
				t.Errorf("go.mod after undo:\n%s\nwant:\n%s", got, mod)
			}
			if got := readFile(t, filepath.Join(dir, "go.sum")); !bytes.Equal(got, sum) {
				t.Errorf("go.sum after undo differs from the original")
			}
			if _, err := os.Stat(filepath.Join(dir, "third_party")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("third_party is still there after undo (%v)", err)
			}
		})
	}
}

// TestUndoAfterChanges checks that undo keeps the changes made to go.mod
// after the swap and drops only the replace directives it added.
func TestUndoAfterChanges(t *testing.T) {
	hermetic(t)
	dir := newConsumer(t)
	if err := swapIn(dir, "-featherrpc", repoRoot(t), "-grpcstatus=false", "-tidy=false"); err != nil {
		t.Fatal(err)
	}
	goIn(t, dir, "mod", "edit", "-exclude=example.com/other@v1.0.0")
	if err := swapIn(dir, "-undo"); err != nil {
		t.Fatal(err)
	}
	mod := string(readFile(t, filepath.Join(dir, "go.mod")))
	if strings.Contains(mod, "replace") || !strings.Contains(mod, "exclude example.com/other v1.0.0") {
		t.Errorf("go.mod after undo:\n%s\nwant the exclude kept and no replace directive", mod)
	}
}

// TestSwapErrors checks that each way a swap cannot go gives its error and
// leaves the module as it was.
func TestSwapErrors(t *testing.T) {
	hermetic(t)
	root := repoRoot(t)
	local := []string{"-featherrpc", root, "-grpcstatus=false", "-tidy=false"}
	tests := []struct {
		name  string
		setup func(t *testing.T) string
		args  []string
		want  error
	}{
		{"no go.mod", func(t *testing.T) string { return t.TempDir() }, local, errNoGoMod},
		{"no dependency", func(t *testing.T) string {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/other\n\ngo 1.25.0\n")
			return dir
		}, local, errNotDependent},
		{"upstream itself", func(t *testing.T) string {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "go.mod"), "module github.com/containerd/ttrpc\n\ngo 1.25.0\n")
			return dir
		}, local, errIsUpstream},
		{"already swapped", func(t *testing.T) string {
			dir := newConsumer(t)
			if err := swapIn(dir, local...); err != nil {
				t.Fatal(err)
			}
			return dir
		}, local, errAlreadySwapped},
		{"replaced by someone else", func(t *testing.T) string {
			dir := newConsumer(t)
			goIn(t, dir, "mod", "edit", "-replace=github.com/containerd/ttrpc=../elsewhere")
			return dir
		}, local, errReplaced},
		{"directory in the way", func(t *testing.T) string {
			dir := newConsumer(t)
			writeFile(t, filepath.Join(dir, "third_party/containerd-ttrpc/README"), "mine")
			return dir
		}, local, errDirExists},
		{"no version", newConsumer, []string{"-version="}, errNoVersion},
		{"not a checkout", newConsumer, []string{"-featherrpc", t.TempDir()}, errNotCheckout},
		{"undo without a swap", newConsumer, []string{"-undo"}, errNotSwapped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.setup(t)
			mod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
			err := swapIn(dir, tt.args...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "go.mod")); !bytes.Equal(got, mod) {
				t.Errorf("go.mod changed:\n%s\nwas:\n%s", got, mod)
			}
		})
	}
}

// TestFailedSwapRollsBack checks that a swap whose go mod tidy fails
// leaves the module as it was.
func TestFailedSwapRollsBack(t *testing.T) {
	hermetic(t)
	dir := newConsumer(t)
	writeFile(t, filepath.Join(dir, "broken.go"), "package main\n\nimport _ \"example.com/nowhere\"\n")
	mod, sum := readFile(t, filepath.Join(dir, "go.mod")), readFile(t, filepath.Join(dir, "go.sum"))
	err := swapIn(dir, "-featherrpc", repoRoot(t), "-grpcstatus=false")
	if !errors.Is(err, errGo) {
		t.Fatalf("error %v, want %v", err, errGo)
	}
	if !bytes.Equal(readFile(t, filepath.Join(dir, "go.mod")), mod) || !bytes.Equal(readFile(t, filepath.Join(dir, "go.sum")), sum) {
		t.Error("go.mod or go.sum changed")
	}
	if _, err := os.Stat(filepath.Join(dir, "third_party")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("third_party is still there (%v)", err)
	}
}

// TestTemplates renders every combination of the flags: each is valid Go
// and names what its flags ask for.
func TestTemplates(t *testing.T) {
	for _, bridge := range []bool{false, true} {
		for _, codec := range []bool{false, true} {
			data := struct {
				Version            string
				Bridge, ProtoCodec bool
			}{"v1.0.0", bridge, codec}
			src, err := render(files["ttrpc.go"], data)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(src), "grpcstatus.ClientOption()") != bridge || strings.Contains(string(src), "WithServerProtoCodec()") != codec {
				t.Errorf("bridge %v, codec %v: wrong options in\n%s", bridge, codec, src)
			}
			mod, err := render(files["go.mod"], data)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(mod), "grpcstatus v1.0.0") != bridge || !strings.Contains(string(mod), "github.com/featherrpc/ttrpc v1.0.0") {
				t.Errorf("bridge %v: go.mod\n%s", bridge, mod)
			}
		}
	}
}
