// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Command record records the frames that containerd's ttrpc client and
// server exchange for each case of package script, and writes them as
// testdata/<case>.frames, the files that the replay tests play back
// against our client and server. Run it from the interop directory:
//
//	go run ./cmd/record            # rewrite testdata/*.frames
//	go run ./cmd/record -check     # fail if a recording would change
//
// The recordings are deterministic (no deadlines, sorted metadata, one
// connection per case), so running it again changes nothing unless
// containerd's wire format changed.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/featherrpc/ttrpc/interop/internal/record"
	"github.com/featherrpc/ttrpc/interop/internal/script"
	"github.com/featherrpc/ttrpc/interop/internal/theirs"
)

func main() {
	dir := flag.String("dir", "testdata", "directory to write the recordings to")
	check := flag.Bool("check", false, "only check that the recordings in -dir are current")
	flag.Parse()
	if err := run(*dir, *check); err != nil {
		fmt.Fprintln(os.Stderr, "record:", err)
		os.Exit(1)
	}
}

func run(dir string, check bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	stale := 0
	for _, c := range script.Cases {
		rec, err := record.Record(context.Background(), theirs.Impl, theirs.Impl, c)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, c.Name+".frames")
		data := rec.Marshal()
		if check {
			old, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(old, data) {
				fmt.Fprintf(os.Stderr, "%s is not current\n", path)
				stale++
			}
			continue
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
		fmt.Printf("%s: %d frames\n", path, len(rec.Events))
	}
	if stale > 0 {
		return fmt.Errorf("%d recordings are not current: run go run ./cmd/record", stale)
	}
	return nil
}
