// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Command benchall runs every side-by-side benchmark of featherrpc/ttrpc,
// containerd/ttrpc and grpc-go, prints the table, and writes RESULTS.md and
// results.png into the benchmark module's directory.
//
// Run it from the bench directory (or the repository root):
//
//	cd bench && go run ./cmd/benchall
//
// It takes about three and a quarter minutes on an idle 2-core machine; other
// work on the machine distorts the figures, so the load average before and
// after is reported with them. With -short it runs every measurement with
// tiny counts in a few seconds; with -only it runs some of them (say
// -only callers,stream). Either writes nothing unless -out is given.
// -only hostile -merge measures the hostile peers and rewrites only their
// section of RESULTS.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/featherrpc/ttrpc/bench/internal/harness"
	"github.com/featherrpc/ttrpc/bench/internal/report"
)

// modulePath is the module whose directory benchall looks for.
const modulePath = "github.com/featherrpc/ttrpc/bench"

func main() {
	short := flag.Bool("short", false, "run every measurement with tiny counts (a smoke test)")
	out := flag.String("out", "", "directory for RESULTS.md and results.png (default: the bench module; none with -short or -only)")
	only := flag.String("only", "", "comma-separated measurements to run, of "+strings.Join(harness.Measurements, ","))
	waitIdle := flag.Duration("wait-idle", 0, "first wait up to this long for other processes to leave the machine idle")
	guard := flag.Bool("guard", true, "measure again each sample that other processes disturbed (full runs only)")
	merge := flag.Bool("merge", false, "with -only hostile: rewrite only the hostile-peer section of RESULTS.md in -out (default: the bench module)")
	flag.Parse()
	if *waitIdle > 0 && !harness.WaitIdle(*waitIdle, os.Stderr) {
		fmt.Fprintln(os.Stderr, "benchall: warning: the machine is still busy; measuring anyway")
	}
	if err := run(*short, *guard, *merge, *only, *out); err != nil {
		fmt.Fprintln(os.Stderr, "benchall:", err)
		os.Exit(1)
	}
}

func run(short, guard, merge bool, only, out string) error {
	dir, err := moduleDir()
	if err != nil {
		return err
	}
	if merge && only != "hostile" {
		return errors.New("-merge goes with -only hostile")
	}
	cfg := harness.FullConfig(dir)
	if short {
		cfg = harness.ShortConfig(dir)
	}
	cfg.Guard = cfg.Guard && guard
	if only != "" {
		cfg.Only = strings.Split(only, ",")
	}
	if out == "" && (merge || !short && only == "") {
		out = dir
	}
	cfg.Progress = os.Stderr
	res, err := harness.Run(cfg)
	if err != nil {
		return err
	}
	if err := report.Text(os.Stdout, res); err != nil {
		return err
	}
	if out == "" {
		return nil
	}
	if merge {
		md := filepath.Join(out, "RESULTS.md")
		err := report.MergeHostile(md, res)
		if err == nil {
			fmt.Fprintf(os.Stderr, "wrote the hostile-peer section of %s\n", md)
		}
		return err
	}
	md, png, err := report.WriteFiles(out, res)
	if err == nil {
		fmt.Fprintf(os.Stderr, "wrote %s and %s\n", md, png)
	}
	return err
}

// moduleDir finds the benchmark module: the working directory or one
// above it, or a bench directory in one of them.
func moduleDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		for _, candidate := range []string{dir, filepath.Join(dir, "bench")} {
			if isModule(candidate) {
				return candidate, nil
			}
		}
		if filepath.Dir(dir) == dir {
			return "", errors.New("run me inside the bench module (cd bench && go run ./cmd/benchall)")
		}
	}
}

// isModule reports whether dir holds the go.mod of the benchmark module.
func isModule(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	first, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSpace(first) == "module "+modulePath
}
