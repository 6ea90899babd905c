// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"go/format"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/template"
)

// The module paths the swap deals with.
const (
	upstreamPath   = "github.com/containerd/ttrpc"
	featherPath    = "github.com/featherrpc/ttrpc"
	grpcstatusPath = "github.com/featherrpc/ttrpc/grpcstatus"
	// localVersion is what the stand-in requires of a local checkout,
	// which a replace directive then supplies.
	localVersion = "v0.0.0-00010101000000-000000000000"
	// stateFile, in the stand-in's directory, records what -undo restores.
	stateFile = "ttrpc-swap.json"
)

//go:embed template/*.tmpl
var templates embed.FS

// files maps each file the swap writes, relative to the stand-in's
// directory, to its template.
var files = map[string]string{
	"go.mod":                          "go.mod.tmpl",
	"ttrpc.go":                        "ttrpc.go.tmpl",
	"unixcreds_linux.go":              "unixcreds_linux.go.tmpl",
	"cmd/protoc-gen-go-ttrpc/main.go": "protoc-gen-go-ttrpc.go.tmpl",
}

// options are the flags of a swap.
type options struct {
	dir        string // the stand-in's directory, relative to the root
	version    string // of featherrpc's modules, when checkout is ""
	checkout   string // a local checkout of featherrpc's repository
	bridge     bool   // grpcstatus.ClientOption on every client
	protoCodec bool   // WithClientProtoCodec and WithServerProtoCodec
	tidy       bool   // go mod tidy after the swap
}

// state is what a swap records for -undo, in stateFile.
type state struct {
	GoMod        []byte   // go.mod before the swap
	GoSum        []byte   // go.sum before the swap (nil: there was none)
	SwappedGoMod [32]byte // SHA-256 of go.mod right after the swap
	SwappedGoSum [32]byte // SHA-256 of go.sum right after the swap
	Replaced     []string // the module paths the swap added replace directives for
	Created      []string // directories the swap created, deepest first
}

// module is the Go module being swapped, at root.
type module struct {
	root string
	log  io.Writer
}

// goMod is the part of `go mod edit -json` the swap reads.
type goMod struct {
	Module  struct{ Path string }
	Replace []struct{ Old struct{ Path string } }
}

// swap writes the stand-in and points go.mod at it.
func (m *module) swap(opts options) error {
	oldMod, err := os.ReadFile(filepath.Join(m.root, "go.mod"))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w (in %s)", errNoGoMod, m.root)
	} else if err != nil {
		return fmt.Errorf("ttrpc-swap: %w", err)
	}
	oldSum, err := os.ReadFile(filepath.Join(m.root, "go.sum"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ttrpc-swap: %w", err)
	}
	dir := filepath.Join(m.root, opts.dir)
	if _, err := os.Stat(filepath.Join(dir, stateFile)); err == nil {
		return fmt.Errorf("%w: %s is there", errAlreadySwapped, filepath.Join(opts.dir, stateFile))
	}
	if err := m.check(dir); err != nil {
		return err
	}
	version, replaces, err := opts.featherrpc()
	if err != nil {
		return err
	}
	st := state{GoMod: oldMod, GoSum: oldSum}
	if st.Created, err = m.write(dir, opts, version); err != nil {
		return err
	}
	replaces = append([]string{upstreamPath + "=" + replacePath(opts.dir)}, replaces...)
	args := []string{"mod", "edit"}
	for _, r := range replaces {
		args = append(args, "-replace="+r)
		st.Replaced = append(st.Replaced, strings.SplitN(r, "=", 2)[0])
	}
	if _, err = m.goCmd(args...); err == nil && opts.tidy {
		_, err = m.goCmd("mod", "tidy")
	}
	if err == nil {
		err = m.record(dir, &st)
	}
	if err != nil {
		m.restore(&st, true)
		return err
	}
	fmt.Fprintf(m.log, "ttrpc-swap: %s now uses %s (stand-in in %s); undo with ttrpc-swap -undo\n", upstreamPath, featherPath, opts.dir)
	if !opts.tidy {
		fmt.Fprintln(m.log, "ttrpc-swap: run go mod tidy to update go.mod and go.sum")
	}
	return nil
}

// check refuses a module that is not a place for a swap.
func (m *module) check(dir string) error {
	out, err := m.goCmd("mod", "edit", "-json")
	if err != nil {
		return err
	}
	var mod goMod
	if err := json.Unmarshal(out, &mod); err != nil {
		return fmt.Errorf("%w: go mod edit -json: %w", errGo, err)
	}
	if mod.Module.Path == upstreamPath {
		return errIsUpstream
	}
	for _, r := range mod.Replace {
		if r.Old.Path == upstreamPath {
			return errReplaced
		}
	}
	if _, err := m.goCmd("list", "-m", upstreamPath); err != nil {
		return fmt.Errorf("%w (%w)", errNotDependent, err)
	}
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("%w: %s", errDirExists, dir)
	}
	return nil
}

// featherrpc returns the version of featherrpc's modules that the
// stand-in requires and, for a local checkout, the replace directives
// (old=new) that point them at it.
func (opts options) featherrpc() (string, []string, error) {
	if opts.checkout == "" {
		if opts.version == "" {
			return "", nil, errNoVersion
		}
		return opts.version, nil, nil
	}
	abs, err := filepath.Abs(opts.checkout)
	if err != nil {
		return "", nil, fmt.Errorf("ttrpc-swap: %w", err)
	}
	for path, sub := range map[string]string{featherPath: "", grpcstatusPath: "grpcstatus"} {
		b, err := os.ReadFile(filepath.Join(abs, sub, "go.mod"))
		if err != nil || !bytes.HasPrefix(b, []byte("module "+path+"\n")) && !bytes.Contains(b, []byte("\nmodule "+path+"\n")) {
			return "", nil, fmt.Errorf("%w: %s has no go.mod for %s", errNotCheckout, filepath.Join(abs, sub), path)
		}
	}
	replaces := []string{featherPath + "=" + abs}
	if opts.bridge {
		replaces = append(replaces, grpcstatusPath+"="+filepath.Join(abs, "grpcstatus"))
	}
	return localVersion, replaces, nil
}

// replacePath is dir as the new path of a replace directive: a relative
// one must start with ./ or ../.
func replacePath(dir string) string {
	dir = filepath.ToSlash(filepath.Clean(dir))
	if filepath.IsAbs(dir) || strings.HasPrefix(dir, "../") {
		return dir
	}
	return "./" + dir
}

// write writes the stand-in into dir and returns the directories it
// created, deepest first.
func (m *module) write(dir string, opts options, version string) ([]string, error) {
	var created []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || d == filepath.Dir(d) {
			break
		}
		created = append(created, d)
	}
	data := struct {
		Version            string
		Bridge, ProtoCodec bool
	}{version, opts.bridge, opts.protoCodec}
	for name, tmpl := range files {
		content, err := render(tmpl, data)
		if err != nil {
			return created, err
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return created, fmt.Errorf("ttrpc-swap: %w", err)
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return created, fmt.Errorf("ttrpc-swap: %w", err)
		}
	}
	return created, nil
}

// render fills in the template tmpl, formatting Go source with gofmt.
func render(tmpl string, data any) ([]byte, error) {
	t, err := template.ParseFS(templates, "template/"+tmpl)
	if err != nil {
		return nil, fmt.Errorf("ttrpc-swap: template %s: %w", tmpl, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("ttrpc-swap: template %s: %w", tmpl, err)
	}
	if !strings.HasSuffix(tmpl, ".go.tmpl") {
		return b.Bytes(), nil
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("ttrpc-swap: template %s: %w", tmpl, err)
	}
	return src, nil
}

// record notes in the stand-in's state file what go.mod and go.sum look
// like after the swap, with what they were before.
func (m *module) record(dir string, st *state) error {
	mod, err := os.ReadFile(filepath.Join(m.root, "go.mod"))
	if err != nil {
		return fmt.Errorf("ttrpc-swap: %w", err)
	}
	sum, _ := os.ReadFile(filepath.Join(m.root, "go.sum"))
	st.SwappedGoMod, st.SwappedGoSum = sha256.Sum256(mod), sha256.Sum256(sum)
	b, err := json.MarshalIndent(st, "", "\t")
	if err != nil {
		return fmt.Errorf("ttrpc-swap: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, stateFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("ttrpc-swap: %w", err)
	}
	return nil
}

// undo removes the stand-in in dir (relative to the root) and what the
// swap changed in go.mod and go.sum.
func (m *module) undo(dir string) error {
	dir = filepath.Join(m.root, dir)
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", errNotSwapped, filepath.Join(dir, stateFile))
	} else if err != nil {
		return fmt.Errorf("ttrpc-swap: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("%w: %s: %w", errNotSwapped, filepath.Join(dir, stateFile), err)
	}
	if err := m.restore(&st, false); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("ttrpc-swap: %w", err)
	}
	for _, d := range st.Created {
		os.Remove(d) // only if empty: something else may live there now
	}
	fmt.Fprintf(m.log, "ttrpc-swap: back to %s\n", upstreamPath)
	return nil
}

// restore gives back go.mod and go.sum as they were before the swap, when
// they have not changed since (or always, when force is set: the swap
// failed halfway). A go.mod that changed keeps its changes and loses only
// the replace directives the swap added; a go.sum that changed is left for
// go mod tidy.
func (m *module) restore(st *state, force bool) error {
	modPath, sumPath := filepath.Join(m.root, "go.mod"), filepath.Join(m.root, "go.sum")
	mod, err := os.ReadFile(modPath)
	if err != nil {
		return fmt.Errorf("ttrpc-swap: %w", err)
	}
	if force || sha256.Sum256(mod) == st.SwappedGoMod {
		if err := os.WriteFile(modPath, st.GoMod, 0o644); err != nil {
			return fmt.Errorf("ttrpc-swap: %w", err)
		}
	} else {
		args := []string{"mod", "edit"}
		for _, path := range st.Replaced {
			args = append(args, "-dropreplace="+path)
		}
		if _, err := m.goCmd(args...); err != nil {
			return err
		}
		fmt.Fprintln(m.log, "ttrpc-swap: go.mod changed since the swap: dropped only the replace directives; run go mod tidy")
	}
	sum, _ := os.ReadFile(sumPath)
	switch {
	case !force && sha256.Sum256(sum) != st.SwappedGoSum:
		fmt.Fprintln(m.log, "ttrpc-swap: go.sum changed since the swap: left as it is; run go mod tidy")
	case st.GoSum == nil:
		os.Remove(sumPath)
	default:
		if err := os.WriteFile(sumPath, st.GoSum, 0o644); err != nil {
			return fmt.Errorf("ttrpc-swap: %w", err)
		}
	}
	if force {
		for _, d := range st.Created {
			os.RemoveAll(d)
		}
	}
	return nil
}

// goCmd runs the go command in the module's root and returns its output.
func (m *module) goCmd(args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = m.root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%w: go %s: %w: %s", errGo, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
