// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package harness

import (
	"syscall"
	"time"
)

// CPUTime returns the user and system CPU time this process has used.
func CPUTime() (time.Duration, error) {
	return rusageTime(syscall.RUSAGE_SELF)
}

// childrenCPUTime returns the user and system CPU time of the children this
// process has waited for.
func childrenCPUTime() (time.Duration, error) {
	return rusageTime(syscall.RUSAGE_CHILDREN)
}

func rusageTime(who int) (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
