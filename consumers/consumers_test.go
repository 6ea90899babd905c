// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package consumers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// suites are the consumers whose tests run genuine and swapped, at the
// versions go.mod requires.
var suites = []struct {
	module, version string
	packages        []string
}{
	{"github.com/containerd/otelttrpc", "v0.1.0", []string{"./..."}},
	{"github.com/containerd/nri", "v0.12.5", []string{"./pkg/..."}},
}

// exceptions lists the tests whose outcome may differ between the genuine
// and the swapped run, each with its cause. It is empty: every test has the
// same outcome on both libraries.
var exceptions = map[string]string{}

// goEnv is the environment of every go command the test runs: the module
// graph may change (the copies' go.mod files are updated as needed), no
// workspace, and this toolchain only.
func goEnv() []string {
	return append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local")
}

// goCmd runs go with args in dir and returns its standard output.
func goCmd(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir, cmd.Env = dir, goEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, stderr.String())
	}
	return out
}

// buildSwap builds ttrpc-swap from this checkout and returns the binary
// and the checkout's root.
func buildSwap(t *testing.T) (swap, root string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	swap = filepath.Join(t.TempDir(), "ttrpc-swap")
	goCmd(t, root, "build", "-o", swap, "./cmd/ttrpc-swap")
	return swap, root
}

// runSwap swaps containerd's ttrpc for this checkout's in the module at
// dir, with the extra flags.
func runSwap(t *testing.T, swap, root, dir string, flags ...string) {
	t.Helper()
	cmd := exec.Command(swap, append([]string{"-featherrpc", root}, flags...)...)
	cmd.Dir, cmd.Env = dir, goEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ttrpc-swap %s: %v\n%s", strings.Join(flags, " "), err, out)
	}
}

func TestConsumersSwapped(t *testing.T) {
	swap, root := buildSwap(t)
	for _, s := range suites {
		t.Run(filepath.Base(s.module), func(t *testing.T) {
			src := copyModule(t, s.module+"@"+s.version)

			start := time.Now()
			genuine := runSuite(t, src, s.packages)
			t.Logf("genuine (containerd's ttrpc): %s in %v", genuine.counts(), time.Since(start).Round(time.Second))

			runSwap(t, swap, root, src)
			start = time.Now()
			swapped := runSuite(t, src, s.packages)
			t.Logf("swapped (featherrpc's ttrpc): %s in %v", swapped.counts(), time.Since(start).Round(time.Second))

			if len(genuine) == 0 {
				t.Fatal("the genuine run reported no tests")
			}
			compare(t, genuine, swapped)
		})
	}
}

// copyModule copies the source of module@version from the module cache
// into a writable temporary directory and returns that directory.
func copyModule(t *testing.T, modVersion string) string {
	t.Helper()
	var info struct{ Dir, Error string }
	out := goCmd(t, ".", "mod", "download", "-json", modVersion)
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		t.Fatalf("go mod download %s: %v %s", modVersion, err, info.Error)
	}
	dst := t.TempDir()
	err := filepath.WalkDir(info.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(info.Dir, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// outcomes maps each test ("package TestName/sub") to its final action:
// pass, fail or skip.
type outcomes map[string]string

// counts is the summary of o: how many passed, failed and were skipped.
func (o outcomes) counts() string {
	n := map[string]int{}
	for _, action := range o {
		n[action]++
	}
	return fmt.Sprintf("%d passed, %d failed, %d skipped", n["pass"], n["fail"], n["skip"])
}

// runSuite runs go test -json on packages in dir and returns every test's
// outcome. A failing test is an outcome, not an error; a build failure is
// (its package reports no tests, and go test's output is shown).
func runSuite(t *testing.T, dir string, packages []string) outcomes {
	t.Helper()
	cmd := exec.Command("go", append([]string{"test", "-count=1", "-json"}, packages...)...)
	cmd.Dir, cmd.Env = dir, goEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	o, buildFailed := parseEvents(t, stdout)
	waitErr := cmd.Wait()
	if len(buildFailed) > 0 {
		t.Fatalf("packages failed to build: %v\n%s", buildFailed, stderr.String())
	}
	if waitErr != nil && o.failures() == 0 {
		t.Fatalf("go test failed with no failing test: %v\n%s", waitErr, stderr.String())
	}
	return o
}

// failures counts the failed tests in o.
func (o outcomes) failures() int {
	n := 0
	for _, action := range o {
		if action == "fail" {
			n++
		}
	}
	return n
}

// parseEvents reads test2json events and returns the tests' outcomes and
// the packages that failed without a test failing (a build failure).
func parseEvents(t *testing.T, r io.Reader) (outcomes, []string) {
	t.Helper()
	o := outcomes{}
	failedPkgs := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev struct{ Action, Package, Test string }
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			continue // a line go test printed outside test2json (build output)
		}
		switch {
		case ev.Test != "" && (ev.Action == "pass" || ev.Action == "fail" || ev.Action == "skip"):
			o[ev.Package+" "+ev.Test] = ev.Action
		case ev.Test == "" && ev.Action == "fail":
			failedPkgs[ev.Package] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var buildFailed []string
	for pkg := range failedPkgs {
		if !hasTests(o, pkg) {
			buildFailed = append(buildFailed, pkg)
		}
	}
	sort.Strings(buildFailed)
	return o, buildFailed
}

// hasTests reports whether o has an outcome of a test of pkg.
func hasTests(o outcomes, pkg string) bool {
	for name := range o {
		if strings.HasPrefix(name, pkg+" ") {
			return true
		}
	}
	return false
}

// compare fails for every test whose outcome differs between the two runs
// (a test missing from one of them too), except the listed exceptions.
func compare(t *testing.T, genuine, swapped outcomes) {
	t.Helper()
	names := map[string]bool{}
	for name := range genuine {
		names[name] = true
	}
	for name := range swapped {
		names[name] = true
	}
	var sorted []string
	for name := range names {
		sorted = append(sorted, name)
	}
	sort.Strings(sorted)
	for _, name := range sorted {
		g, s := genuine[name], swapped[name]
		if g == s {
			continue
		}
		if cause, ok := exceptions[name]; ok {
			t.Logf("%s: %q genuine, %q swapped (known exception: %s)", name, g, s, cause)
			continue
		}
		t.Errorf("%s: %q genuine, %q swapped", name, or(g, "not run"), or(s, "not run"))
	}
}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
