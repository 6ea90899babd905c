// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

//go:build ignore

// Command modzip writes the files of a module as the go command expects
// them from a module proxy: VERSION.zip, VERSION.mod and VERSION.info in
// DIR/PATH/@v/, and VERSION added to DIR/PATH/@v/list. scripts/
// check-published.sh runs it to publish this checkout's modules to a
// proxy on the local file system (GOPROXY=file://DIR). It reads the
// files to publish, one path a line relative to the module's root, on its
// standard input. Only the standard library, so that it runs on a machine
// that has nothing but Go:
//
//	git ls-files | go run scripts/modzip.go -dir /tmp/proxy -module github.com/featherrpc/ttrpc -version v0.1.0 -root .
package main

import (
	"archive/zip"
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

func main() {
	dir := flag.String("dir", "", "the proxy's directory")
	module := flag.String("module", "", "the module path")
	version := flag.String("version", "", "the version to publish")
	root := flag.String("root", ".", "the module's root directory")
	flag.Parse()
	if *dir == "" || *module == "" || *version == "" {
		fmt.Fprintln(os.Stderr, "usage: modzip -dir DIR -module PATH -version VERSION [-root DIR] <FILES")
		os.Exit(2)
	}
	if err := publish(*dir, *module, *version, *root, os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "modzip:", err)
		os.Exit(1)
	}
}

// publish writes the module's files at version into the proxy at dir.
func publish(dir, module, version, root string, files io.Reader) error {
	if strings.ToLower(module) != module {
		return errors.New("module paths with capital letters need escaping, which modzip does not do")
	}
	at := filepath.Join(dir, filepath.FromSlash(module), "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		return fmt.Errorf("publishing %s: %w", module, err)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return fmt.Errorf("publishing %s: %w", module, err)
	}
	if err := os.WriteFile(filepath.Join(at, version+".mod"), mod, 0o644); err != nil {
		return fmt.Errorf("publishing %s: %w", module, err)
	}
	info, err := json.Marshal(struct{ Version, Time string }{version, time.Now().UTC().Format(time.RFC3339)})
	if err != nil {
		return fmt.Errorf("publishing %s: %w", module, err)
	}
	if err := os.WriteFile(filepath.Join(at, version+".info"), info, 0o644); err != nil {
		return fmt.Errorf("publishing %s: %w", module, err)
	}
	if err := writeZip(filepath.Join(at, version+".zip"), module+"@"+version, root, files); err != nil {
		return fmt.Errorf("publishing %s: %w", module, err)
	}
	return addToList(filepath.Join(at, "list"), version)
}

// writeZip writes the zip file of a module: each file under the prefix
// module@version/, as the go command lays it out.
func writeZip(name, prefix, root string, files io.Reader) error {
	out, err := os.Create(name)
	if err != nil {
		return err
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	sc := bufio.NewScanner(files)
	for sc.Scan() {
		rel := strings.TrimSpace(sc.Text())
		if rel == "" {
			continue
		}
		if err := addFile(zw, path.Join(prefix, rel), filepath.Join(root, filepath.FromSlash(rel))); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return out.Close()
}

// addFile adds the regular file at src to zw as name; anything else (a
// symbolic link, a file listed but deleted) is left out, as the go
// command leaves it out of module zips.
func addFile(zw *zip.Writer, name, src string) error {
	fi, err := os.Lstat(src)
	if errors.Is(err, os.ErrNotExist) || (err == nil && !fi.Mode().IsRegular()) {
		return nil
	}
	if err != nil {
		return err
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	w, err := zw.Create(name)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// addToList adds version to the proxy's list of versions, once.
func addToList(list, version string) error {
	b, err := os.ReadFile(list)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	versions := strings.Fields(string(b))
	if !slices.Contains(versions, version) {
		versions = append(versions, version)
	}
	return os.WriteFile(list, []byte(strings.Join(versions, "\n")+"\n"), 0o644)
}
