// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package report presents the results of a benchmark run: a plain-text table
// for the terminal, a Markdown file (RESULTS.md) and a bar chart of the
// ratios to containerd/ttrpc (results.png), drawn with the standard library.
package report

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/featherrpc/ttrpc/bench/internal/harness"
)

// FormatValue formats v in unit u: "12.3 µs", "4.0 KiB", "37.0", "96.1k/s".
func FormatValue(v float64, u harness.Unit) string {
	switch u {
	case harness.Nanoseconds:
		switch {
		case v < 1e3:
			return fmt.Sprintf("%.0f ns", v)
		case v < 1e6:
			return fmt.Sprintf("%.*f µs", decimals(v/1e3), v/1e3)
		case v < 1e9:
			return fmt.Sprintf("%.*f ms", decimals(v/1e6), v/1e6)
		}
		return fmt.Sprintf("%.2f s", v/1e9)
	case harness.Bytes:
		switch {
		case v < 1<<10:
			return fmt.Sprintf("%.0f B", v)
		case v < 1<<20:
			return fmt.Sprintf("%.*f KiB", decimals(v/(1<<10)), v/(1<<10))
		}
		return fmt.Sprintf("%.*f MiB", decimals(v/(1<<20)), v/(1<<20))
	case harness.PerSecond:
		switch {
		case v < 1e3:
			return fmt.Sprintf("%.0f/s", v)
		case v < 1e6:
			return fmt.Sprintf("%.*fk/s", decimals(v/1e3), v/1e3)
		}
		return fmt.Sprintf("%.*fM/s", decimals(v/1e6), v/1e6)
	}
	return fmt.Sprintf("%.*f", decimals(v), v)
}

// decimals is how many decimals show three significant digits of v (at
// most two decimals).
func decimals(v float64) int {
	switch v = math.Abs(v); {
	case v >= 100:
		return 0
	case v >= 10:
		return 1
	}
	return 2
}

// FormatRatio formats a ratio: "0.55x".
func FormatRatio(r float64) string {
	if r >= 10 {
		return fmt.Sprintf("%.1fx", r)
	}
	return fmt.Sprintf("%.2fx", r)
}

// row is one metric as table cells.
type row struct {
	section string
	cells   []string
}

// header returns the column titles of the table.
func header(res *harness.Results) []string {
	h := []string{"Measurement"}
	h = append(h, res.Libraries...)
	for _, lib := range res.Libraries {
		if lib != res.Reference {
			h = append(h, lib+" ÷ "+res.Reference)
		}
	}
	return append(h, "±", res.Ours+" target", "met")
}

// rows returns the cells of every metric, in order.
func rows(res *harness.Results) []row {
	var out []row
	for _, m := range res.Metrics {
		cells := []string{m.Name}
		for _, lib := range res.Libraries {
			cells = append(cells, valueCell(m, lib))
		}
		for _, lib := range res.Libraries {
			if lib == res.Reference {
				continue
			}
			cell := "–"
			if r, ok := m.Ratio(lib, res.Reference); ok {
				cell = FormatRatio(r)
			}
			cells = append(cells, cell)
		}
		cells = append(cells, spreadCell(m), "", "")
		if m.Target != nil {
			cells[len(cells)-2] = m.Target.Text
			if met, ok := m.TargetMet(res.Ours, res.Reference); ok {
				cells[len(cells)-1] = map[bool]string{true: "yes", false: "NO"}[met]
			}
		}
		out = append(out, row{section: m.Section, cells: cells})
	}
	return out
}

// valueCell is the cell of lib's value of m.
func valueCell(m *harness.Metric, lib string) string {
	if _, failed := m.Errors[lib]; failed {
		return "error"
	}
	v, ok := m.Values[lib]
	if !ok {
		return "–"
	}
	return FormatValue(v, m.Unit)
}

// spreadCell is the largest spread of the rounds among the libraries.
func spreadCell(m *harness.Metric) string {
	if len(m.Spread) == 0 {
		return ""
	}
	s := slices.Max(slices.Collect(maps.Values(m.Spread)))
	return fmt.Sprintf("%.0f%%", 100*s)
}

// errorLines lists every failed measurement.
func errorLines(res *harness.Results) []string {
	var out []string
	for _, m := range res.Metrics {
		for _, lib := range res.Libraries {
			if e, ok := m.Errors[lib]; ok {
				out = append(out, fmt.Sprintf("%s, %s, %s: %s", m.Section, m.Name, lib, e))
			}
		}
	}
	return out
}

// Text writes the results as an aligned plain-text table.
func Text(w io.Writer, res *harness.Results) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header(res), "\t"))
	section := ""
	for _, r := range rows(res) {
		if r.section != section {
			section = r.section
			fmt.Fprintf(tw, "\n%s\n", section)
		}
		fmt.Fprintln(tw, "  "+strings.Join(r.cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range errorLines(res) {
		fmt.Fprintln(w, "error:", e)
	}
	if err := hostileText(w, res); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s; ran %v; %s\n", describeEnv(res.Env), res.Env.Duration.Round(time.Second), describeLoad(res.Env))
	if wake := describeWakeUps(res.Env.WakeUp); err == nil && wake != "" {
		_, err = fmt.Fprintf(w, "thread wake-ups: %s\n", wake)
	}
	return err
}

// describeEnv is a one-line description of the machine.
func describeEnv(env harness.Environment) string {
	return fmt.Sprintf("%s, %s, %s", env.GoVersion, env.Platform, env.CPU)
}

// describeWakeUps tells how the kernel woke threads, or "" if not probed.
func describeWakeUps(w harness.WakeUp) string {
	if !w.Measured {
		return ""
	}
	return fmt.Sprintf("a thread woken on another, idle CPU ran %.1f µs after the wake-up (median); "+
		"%.0f%% of the threads woken by a busy one, free to run on any CPU, ran on the waker's CPU",
		float64(w.OtherCPU.Nanoseconds())/1e3, 100*w.OnWakerCPU)
}

// describeLoad tells how busy the machine was with other work.
func describeLoad(env harness.Environment) string {
	share := 0.0
	if env.Duration > 0 {
		share = env.OtherCPU.Seconds() / (env.Duration.Seconds() * float64(env.NumCPU))
	}
	s := fmt.Sprintf("other processes used %.1f CPU-seconds during the run (%.1f%% of the machine); "+
		"%d samples measured again because of them, %d kept disturbed; load average %.2f before",
		env.OtherCPU.Seconds(), 100*share, env.Retried, env.Disturbed, env.LoadStart)
	if env.Nice != 0 {
		s += fmt.Sprintf("; run at nice %d", env.Nice)
	}
	if env.Disturbed > 0 || (share > 0.02 && env.Retried == 0) {
		s += " — WARNING: other work on the machine distorted these figures"
	}
	return s
}

// notesHeading starts the notes of RESULTS.md on how each figure is
// measured.
const notesHeading = "## How each figure is measured"

// Markdown writes the results as a Markdown document that shows the chart
// at chartPath.
func Markdown(w io.Writer, res *harness.Results, chartPath string) error {
	var b strings.Builder
	b.WriteString("# Benchmark results\n\n")
	b.WriteString("Generated by `go run ./cmd/benchall` in `bench/`; do not edit by hand.\n\n")
	if res.Env.Short {
		b.WriteString("**Short mode: these figures only show that every measurement works.**\n\n")
	}
	fmt.Fprintf(&b, "- Machine: %s\n", describeEnv(res.Env))
	fmt.Fprintf(&b, "- Run: %s, %v, %s\n", res.Env.Started.UTC().Format("2006-01-02 15:04 MST"),
		res.Env.Duration.Round(time.Second), describeLoad(res.Env))
	if wake := describeWakeUps(res.Env.WakeUp); wake != "" {
		fmt.Fprintf(&b, "- Thread wake-ups: %s\n", wake)
	}
	for _, lib := range res.Libraries {
		fmt.Fprintf(&b, "- %s: %s\n", lib, res.Env.Versions[lib])
	}
	fmt.Fprintf(&b, "\n![Ratios to %s](%s)\n\n", res.Reference, chartPath)
	h := header(res)
	b.WriteString("| " + strings.Join(h, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat(" --- |", len(h)) + "\n")
	section := ""
	for _, r := range rows(res) {
		if r.section != section {
			section = r.section
			fmt.Fprintf(&b, "| **%s** |%s\n", section, strings.Repeat(" |", len(h)-1))
		}
		b.WriteString("| " + strings.Join(r.cells, " | ") + " |\n")
	}
	if errs := errorLines(res); len(errs) > 0 {
		b.WriteString("\nFailed measurements:\n\n")
		for _, e := range errs {
			fmt.Fprintf(&b, "- %s\n", e)
		}
	}
	if hostile := hostileMarkdown(res); hostile != "" {
		b.WriteString("\n" + hostile)
	}
	b.WriteString("\n" + notesHeading + "\n\n")
	for _, n := range res.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteFiles writes RESULTS.md and the chart it shows, results.png, into
// dir, and returns their paths.
func WriteFiles(dir string, res *harness.Results) (mdPath, pngPath string, err error) {
	var md, chart bytes.Buffer
	if err := Markdown(&md, res, "results.png"); err != nil {
		return "", "", err
	}
	if err := Chart(&chart, res); err != nil {
		return "", "", err
	}
	mdPath, pngPath = filepath.Join(dir, "RESULTS.md"), filepath.Join(dir, "results.png")
	if err := os.WriteFile(mdPath, md.Bytes(), 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(pngPath, chart.Bytes(), 0o644); err != nil {
		return "", "", err
	}
	return mdPath, pngPath, nil
}
