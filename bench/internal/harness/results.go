// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Unit says what a metric's values are, for formatting.
type Unit int

// The units of metrics.
const (
	Nanoseconds Unit = iota // a duration in ns
	Bytes                   // a size in bytes
	Count                   // a plain number, e.g. allocations per call
	PerSecond               // a rate, e.g. calls per second
)

// Direction says which way a metric improves.
type Direction int

// The directions.
const (
	LowerIsBetter Direction = iota
	HigherIsBetter
)

// Target is the goal of featherrpc for one metric (issue 7).
type Target struct {
	// Text describes the goal, e.g. "≤ 0.6x".
	Text string
	// Met tells whether our value meets the goal, given the reference
	// library's value.
	Met func(ours, reference float64) bool
}

// ratioAtMost is the target "ratio to the reference at most r".
func ratioAtMost(r float64) *Target {
	return &Target{Text: fmt.Sprintf("≤ %gx", r), Met: func(o, ref float64) bool { return o <= r*ref }}
}

// ratioAtLeast is the target "ratio to the reference at least r".
func ratioAtLeast(r float64) *Target {
	return &Target{Text: fmt.Sprintf("≥ %gx", r), Met: func(o, ref float64) bool { return o >= r*ref }}
}

// smaller is the target "less than the reference".
func smaller() *Target {
	return &Target{Text: "< 1x", Met: func(o, ref float64) bool { return o < ref }}
}

// valueAtMost is the target "our value at most v", in the metric's unit.
func valueAtMost(v float64, text string) *Target {
	return &Target{Text: text, Met: func(o, _ float64) bool { return o <= v }}
}

// Metric is one figure measured for every library.
type Metric struct {
	// Section groups metrics in tables, e.g. "Unary round trip, one process".
	Section string
	// Name names the metric within its section, e.g. "64 B: time per call".
	Name string
	// Chart is the metric's short label in the chart.
	Chart string
	// Unit is the unit of Values; Better says which way they improve.
	Unit   Unit
	Better Direction
	// Values holds the median of the rounds, by library name. A library
	// whose measurement failed has an entry in Errors instead.
	Values map[string]float64
	// Spread is the half-range of the rounds relative to the median, by
	// library name: how far apart the rounds were.
	Spread map[string]float64
	// Errors holds, by library name, why its measurement failed.
	Errors map[string]string
	// Target is featherrpc's goal for this metric, or nil.
	Target *Target
}

// newMetric returns an empty metric.
func newMetric(section, name, chart string, unit Unit, better Direction, target *Target) *Metric {
	return &Metric{
		Section: section, Name: name, Chart: chart, Unit: unit, Better: better, Target: target,
		Values: map[string]float64{}, Spread: map[string]float64{}, Errors: map[string]string{},
	}
}

// setSamples records the rounds of one library: their median and spread.
func (m *Metric) setSamples(lib string, samples []float64) {
	if len(samples) == 0 {
		return
	}
	med := median(samples)
	m.Values[lib] = med
	if med != 0 {
		m.Spread[lib] = (slices.Max(samples) - slices.Min(samples)) / 2 / math.Abs(med)
	}
}

// setError records that the measurement of lib failed.
func (m *Metric) setError(lib string, err error) {
	if _, ok := m.Errors[lib]; !ok {
		m.Errors[lib] = err.Error()
	}
	delete(m.Values, lib)
}

// Ratio is lib's value divided by the reference library's.
func (m *Metric) Ratio(lib, reference string) (float64, bool) {
	v, ok := m.Values[lib]
	ref, refOK := m.Values[reference]
	if !ok || !refOK || ref == 0 {
		return 0, false
	}
	return v / ref, true
}

// TargetMet tells whether lib meets the metric's target; ok is false when
// there is no target or no value to judge.
func (m *Metric) TargetMet(lib, reference string) (met, ok bool) {
	v, vok := m.Values[lib]
	ref, rok := m.Values[reference]
	if m.Target == nil || !vok || !rok {
		return false, false
	}
	return m.Target.Met(v, ref), true
}

// Results is everything one run measured.
type Results struct {
	// Libraries are the names of the libraries in table order.
	Libraries []string
	// Ours is the library whose targets are judged; Reference the one all
	// ratios divide by.
	Ours, Reference string
	Metrics         []*Metric
	Env             Environment
	// Notes are remarks on the run, e.g. definitions, in Markdown.
	Notes []string
	// Hostile holds a row per hostile-peer attack, for the libraries that
	// were attacked (not grpc-go); HostileNotes say how they are measured.
	Hostile      []*HostileRow
	HostileNotes []string
}

// Environment describes where and with what a run measured.
type Environment struct {
	Started  time.Time
	Duration time.Duration
	Short    bool
	// GoVersion, Platform and CPU describe the machine: "go1.24.2",
	// "linux/amd64, 2 CPUs, GOMAXPROCS 2", the CPU model.
	GoVersion, Platform, CPU string
	NumCPU                   int
	// Nice is the scheduling niceness the run had (negative: it was
	// favoured over other processes).
	Nice int
	// Versions maps each library to the module version measured.
	Versions map[string]string
	// LoadStart and LoadEnd are the 1-minute load averages of the machine
	// before and after the run (they lag: OtherCPU is the better guide).
	LoadStart, LoadEnd float64
	// OtherCPU is the CPU time that other processes used on the machine
	// during the run: anything much above zero distorted the figures.
	OtherCPU time.Duration
	// Retried counts the samples measured again because other processes
	// disturbed them; Disturbed those kept although still disturbed.
	Retried, Disturbed int
	// WakeUp is how the kernel woke threads, probed before the run.
	WakeUp WakeUp
}

// median returns the median of xs, which it sorts.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// percentile returns the p-th percentile (0 < p <= 100) of sorted xs,
// by the nearest-rank method.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
