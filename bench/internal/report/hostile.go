// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package report

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/featherrpc/ttrpc/bench/internal/harness"
)

// hostileHeading starts the hostile-peer section of RESULTS.md;
// MergeHostile replaces what follows it up to the next heading of its level.
const hostileHeading = "## Hostile peers"

// hostileLibs returns the libraries that the hostile rows have figures or
// errors for, in table order.
func hostileLibs(res *harness.Results) []string {
	var libs []string
	for _, lib := range res.Libraries {
		for _, row := range res.Hostile {
			_, v := row.Heap.Values[lib]
			_, e := row.Heap.Errors[lib]
			if v || e {
				libs = append(libs, lib)
				break
			}
		}
	}
	return libs
}

// hostileTable returns the hostile section's column titles and rows: per
// attack, each figure for each library side by side.
func hostileTable(res *harness.Results) (head []string, rows [][]string) {
	libs := hostileLibs(res)
	head = []string{"Attack"}
	for _, what := range []string{"peak heap", "peak goroutines", "client p50", "client p99", "client calls failed", "connections ended"} {
		for _, lib := range libs {
			head = append(head, what+": "+lib)
		}
	}
	for _, row := range res.Hostile {
		cells := []string{row.Attack}
		for i, m := range []*harness.Metric{row.Heap, row.Goroutines, row.P50, row.P99, row.Failed, row.Ended} {
			for _, lib := range libs {
				cell := valueCell(m, lib)
				if v, ok := m.Values[lib]; ok && m.Unit == harness.Count {
					cell = fmt.Sprintf("%.0f", v)
				}
				if i == 0 && row.Capped[lib] {
					cell = "≥ " + cell
				}
				cells = append(cells, cell)
			}
		}
		rows = append(rows, cells)
	}
	return head, rows
}

// hostileErrors lists the attacks that failed, per library.
func hostileErrors(res *harness.Results) []string {
	var out []string
	for _, row := range res.Hostile {
		for _, lib := range res.Libraries {
			if e, ok := row.Heap.Errors[lib]; ok {
				out = append(out, fmt.Sprintf("%s, %s: %s", row.Attack, lib, e))
			}
		}
	}
	return out
}

// hostileText writes the hostile section as an aligned plain-text table.
func hostileText(w io.Writer, res *harness.Results) error {
	if len(res.Hostile) == 0 {
		return nil
	}
	head, rows := hostileTable(res)
	fmt.Fprintf(w, "\n%s\n", strings.TrimPrefix(hostileHeading, "## "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range hostileErrors(res) {
		fmt.Fprintln(w, "error:", e)
	}
	return nil
}

// hostileMarkdown returns the hostile section of RESULTS.md, from its
// heading to its last note, or "" when the run had no attacks.
func hostileMarkdown(res *harness.Results) string {
	if len(res.Hostile) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(hostileHeading + "\n\n")
	fmt.Fprintf(&b, "Measured %s (`go run ./cmd/benchall -only hostile -merge` measures it again and rewrites only this section)",
		res.Env.Started.UTC().Format("2006-01-02 15:04 MST"))
	if res.Env.Short {
		b.WriteString(", **in short mode: these figures only show that every attack works**")
	}
	for _, lib := range hostileLibs(res) {
		fmt.Fprintf(&b, "; %s: %s", lib, res.Env.Versions[lib])
	}
	fmt.Fprintf(&b, "; the run took %v, %s. Both servers run with their default options. Lower is better everywhere.\n\n",
		res.Env.Duration.Round(time.Second), describeLoad(res.Env))
	head, rows := hostileTable(res)
	b.WriteString("| " + strings.Join(head, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat(" --- |", len(head)) + "\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	if errs := hostileErrors(res); len(errs) > 0 {
		b.WriteString("\nFailed attacks:\n\n")
		for _, e := range errs {
			fmt.Fprintf(&b, "- %s\n", e)
		}
	}
	b.WriteString("\nHow the hostile figures are measured:\n\n")
	for _, n := range res.HostileNotes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	return b.String()
}

// MergeHostile rewrites the hostile section of the RESULTS.md at path with
// that of res and keeps the rest of the file; a file without the section
// gets it before its notes on how each figure is measured (or at its end).
func MergeHostile(path string, res *harness.Results) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	merged, err := mergeHostile(string(data), hostileMarkdown(res))
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(merged), 0o644)
}

// mergeHostile replaces the hostile section of doc with section.
func mergeHostile(doc, section string) (string, error) {
	if section == "" {
		return "", fmt.Errorf("no hostile-peer figures to merge")
	}
	if start := strings.Index(doc, "\n"+hostileHeading+"\n"); start >= 0 {
		start++
		end := len(doc)
		if next := strings.Index(doc[start+len(hostileHeading):], "\n## "); next >= 0 {
			end = start + len(hostileHeading) + next + 1
		}
		tail := doc[end:]
		if tail != "" {
			section += "\n"
		}
		return doc[:start] + section + tail, nil
	}
	if at := strings.Index(doc, "\n"+notesHeading+"\n"); at >= 0 {
		return doc[:at+1] + section + "\n" + doc[at+1:], nil
	}
	return strings.TrimRight(doc, "\n") + "\n\n" + section, nil
}
