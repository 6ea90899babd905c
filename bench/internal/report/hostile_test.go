// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/bench/internal/harness"
)

// metric returns a metric of unit u with the given values by library.
func metric(u harness.Unit, values map[string]float64) *harness.Metric {
	return &harness.Metric{Unit: u, Values: values, Spread: map[string]float64{}, Errors: map[string]string{}}
}

// hostileResults returns results with one hostile row, whose containerd
// heap figure was capped, and nothing else.
func hostileResults() *harness.Results {
	both := func(ours, theirs float64) map[string]float64 {
		return map[string]float64{"featherrpc": ours, "containerd": theirs}
	}
	row := &harness.HostileRow{
		Attack:     "200 connections each send a header announcing 4 MiB, then nothing",
		Heap:       metric(harness.Bytes, both(15<<20, 805<<20)),
		Goroutines: metric(harness.Count, both(204, 403)),
		P50:        metric(harness.Nanoseconds, both(71_500, 98_400)),
		P99:        metric(harness.Nanoseconds, both(422_000, 574_000)),
		Failed:     metric(harness.Count, both(0, 3)),
		Ended:      metric(harness.Count, both(200, 0)),
		Capped:     map[string]bool{"containerd": true},
	}
	return &harness.Results{
		Libraries: []string{"featherrpc", "containerd", "grpc-go"},
		Ours:      "featherrpc", Reference: "containerd",
		Env:          harness.Environment{Started: time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC), Versions: map[string]string{"featherrpc": "commit abc", "containerd": "v1.2.10"}},
		Hostile:      []*harness.HostileRow{row},
		HostileNotes: []string{"Peak heap: sampled."},
	}
}

// TestHostileSection checks that every figure of a hostile row, for both
// libraries and not grpc-go's, appears in RESULTS.md and in the text table.
func TestHostileSection(t *testing.T) {
	res := hostileResults()
	var md, text bytes.Buffer
	if err := Markdown(&md, res, "results.png"); err != nil {
		t.Fatal(err)
	}
	if err := Text(&text, res); err != nil {
		t.Fatal(err)
	}
	row := "| " + res.Hostile[0].Attack + " | 15.0 MiB | ≥ 805 MiB | 204 | 403 | 71.5 µs | 98.4 µs | 422 µs | 574 µs | 0 | 3 | 200 | 0 |"
	for _, want := range []string{hostileHeading + "\n", row, "peak heap: featherrpc | peak heap: containerd",
		"client p99: featherrpc", "- Peak heap: sampled.", "containerd: v1.2.10"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("RESULTS.md lacks %q:\n%s", want, md.String())
		}
	}
	if strings.Contains(md.String(), "peak heap: grpc-go") {
		t.Error("RESULTS.md has hostile columns for grpc-go, which is not attacked")
	}
	if i, j := strings.Index(md.String(), hostileHeading), strings.Index(md.String(), notesHeading); i < 0 || j < i {
		t.Errorf("the hostile section is not before %q", notesHeading)
	}
	for _, want := range []string{"Hostile peers", res.Hostile[0].Attack, "≥ 805 MiB", "574 µs"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the text table lacks %q:\n%s", want, text.String())
		}
	}
}

// TestMergeHostile checks that merging rewrites only the hostile section,
// adds it to a file without one, and gives the same file when repeated.
func TestMergeHostile(t *testing.T) {
	section := hostileMarkdown(hostileResults())
	old := "# Benchmark results\n\n| a | b |\n\n" + notesHeading + "\n\n- a note\n"
	added, err := mergeHostile(old, section)
	if err != nil {
		t.Fatal(err)
	}
	want := "# Benchmark results\n\n| a | b |\n\n" + section + "\n" + notesHeading + "\n\n- a note\n"
	if added != want {
		t.Errorf("added:\n%s\nwant:\n%s", added, want)
	}
	stale := strings.Replace(added, "574 µs", "999 µs", 1)
	again, err := mergeHostile(stale, section)
	if err != nil {
		t.Fatal(err)
	}
	if again != want {
		t.Errorf("merged again:\n%s\nwant:\n%s", again, want)
	}
	last, err := mergeHostile("# R\n\n"+hostileHeading+"\n\nold\n", section)
	if err != nil || last != "# R\n\n"+section {
		t.Errorf("a section at the end: %q, %v", last, err)
	}
	if _, err := mergeHostile(old, ""); err == nil {
		t.Error("merging no figures: no error")
	}
}
