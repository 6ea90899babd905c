// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package consumers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOtelttrpcSpansSameSwapped runs testdata/spanprobe (an OK call and a
// NotFound call through otelttrpc's client and server interceptors) inside
// a copy of otelttrpc three times: on containerd's ttrpc, swapped with the
// grpc status bridge (the default) and swapped without it. The spans must
// be the same all three times, as the bridge converts only the error the
// Client returns; the caller must get the same code and message as on
// containerd's ttrpc with the bridge, and UNKNOWN without it (which is why
// the bridge is on by default).
func TestOtelttrpcSpansSameSwapped(t *testing.T) {
	swap, root := buildSwap(t)
	probe, err := os.ReadFile(filepath.Join("testdata", "spanprobe", "spanprobe_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	run := func(swapFlags ...string) (spans, callers []string) {
		dir := copyModule(t, "github.com/containerd/otelttrpc@v0.1.0")
		if swapFlags != nil {
			runSwap(t, swap, root, dir, swapFlags...)
		}
		if err := os.WriteFile(filepath.Join(dir, "spanprobe_test.go"), probe, 0o644); err != nil {
			t.Fatal(err)
		}
		out := goCmd(t, dir, "test", "-count=1", "-run", "^TestSpanProbe$", "-v", ".")
		for _, line := range strings.Split(string(out), "\n") {
			switch {
			case strings.HasPrefix(line, "SPAN "):
				spans = append(spans, line)
			case strings.HasPrefix(line, "CALLER "):
				callers = append(callers, line)
			}
		}
		if len(spans) != 4 || len(callers) != 2 {
			t.Fatalf("the probe printed %d spans and %d caller lines, want 4 and 2:\n%s", len(spans), len(callers), out)
		}
		return spans, callers
	}
	genuineSpans, genuineCallers := run()
	bridgedSpans, bridgedCallers := run("-grpcstatus=true")
	plainSpans, plainCallers := run("-grpcstatus=false")
	t.Logf("spans on containerd's ttrpc:\n%s", strings.Join(genuineSpans, "\n"))

	same := func(what string, got, want []string) {
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n%s\nwant, as on containerd's ttrpc:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	same("spans swapped with the bridge", bridgedSpans, genuineSpans)
	same("spans swapped without the bridge", plainSpans, genuineSpans)
	same("caller's view swapped with the bridge", bridgedCallers, genuineCallers)
	if !strings.Contains(plainCallers[1], "code=Unknown") {
		t.Errorf("without the bridge grpc read %q; want code=Unknown (or the bridge would not be needed)", plainCallers[1])
	}
}
