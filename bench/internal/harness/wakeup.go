// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import "time"

// How this machine's kernel wakes a sleeping thread. An RPC library with
// little work per call spends much of a call's time in such wake-ups (the
// Go runtime wakes a sleeping thread to run a goroutine on an idle CPU), so
// two machines with the same CPUs can give it quite different figures:
// waking a thread on an idle CPU costs a few microseconds on bare metal and
// far more on a virtual CPU that the host must first run again; and some
// kernels put a woken thread on the CPU of the thread that woke it, busy as
// it is, while another CPU stays idle.

// WakeUp is what ProbeWakeUps measured; Measured is false where it cannot
// run (not Linux, fewer than two CPUs, or no thread affinity).
type WakeUp struct {
	Measured bool
	// OtherCPU is the median time from the wake-up to the woken thread
	// running, with the woken thread pinned to another CPU than its waker.
	OtherCPU time.Duration
	// OnWakerCPU is the share of the wake-ups, with the woken thread free to
	// run on any CPU and the waker busy, that the kernel ran on the waker's
	// CPU.
	OnWakerCPU float64
}

// spin keeps the calling thread busy for d.
func spin(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}
