// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package ttrpc

import (
	"syscall"
	"time"
)

// processCPU returns the user and system CPU time this process has used,
// or 0 if the kernel does not say.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
