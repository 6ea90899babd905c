// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A thread pinned to its waker's CPU always runs there, and one pinned to
// another CPU never does: the probe's count of wake-ups on the waker's CPU
// comes from where the woken thread really ran.
func TestWakeUpsCountWhereTheWokenThreadRan(t *testing.T) {
	var allowed unix.CPUSet
	if err := unix.SchedGetaffinity(0, &allowed); err != nil {
		t.Fatal(err)
	}
	cpus := cpuList(allowed)
	const n = 50
	same, err := measureWakeUps(cpus[0], cpuSetOf(cpus[0]), n)
	if err != nil {
		t.Fatal(err)
	}
	if same.onWakerCPU != n {
		t.Errorf("pinned to the waker's CPU: %d of %d wake-ups ran there, want all", same.onWakerCPU, n)
	}
	checkLatencies(t, same.latencies)
	if len(cpus) < 2 {
		t.Logf("one CPU allowed (%v): only the same-CPU case runs", cpus)
		return
	}
	other, err := measureWakeUps(cpus[0], cpuSetOf(cpus[1]), n)
	if err != nil {
		t.Fatal(err)
	}
	if other.onWakerCPU != 0 {
		t.Errorf("pinned to another CPU: %d of %d wake-ups ran on the waker's CPU, want none", other.onWakerCPU, n)
	}
	checkLatencies(t, other.latencies)
}

// checkLatencies fails unless every latency is positive and under the
// probe's one-second limit.
func checkLatencies(t *testing.T, latencies []float64) {
	t.Helper()
	for i, ns := range latencies {
		if d := time.Duration(ns); d <= 0 || d >= time.Second {
			t.Fatalf("wake-up %d took %v, want within (0, 1s)", i, d)
		}
	}
}

// The whole probe, on a machine with two CPUs or more, gives a latency and
// a share within their ranges.
func TestProbeWakeUps(t *testing.T) {
	w := ProbeWakeUps()
	var allowed unix.CPUSet
	if err := unix.SchedGetaffinity(0, &allowed); err != nil {
		t.Fatal(err)
	}
	if w.Measured != (allowed.Count() >= 2) {
		t.Fatalf("measured %v with %d CPUs allowed", w.Measured, allowed.Count())
	}
	if !w.Measured {
		return
	}
	if w.OtherCPU <= 0 || w.OtherCPU >= time.Second || w.OnWakerCPU < 0 || w.OnWakerCPU > 1 {
		t.Fatalf("probe gave %+v", w)
	}
	t.Logf("%+v", w)
}
