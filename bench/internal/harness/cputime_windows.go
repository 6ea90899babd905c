// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"errors"
	"syscall"
	"time"
)

// CPUTime returns the user and kernel CPU time this process has used.
func CPUTime() (time.Duration, error) {
	self, err := syscall.GetCurrentProcess()
	if err != nil {
		return 0, err
	}
	var created, exited, kernel, user syscall.Filetime
	if err := syscall.GetProcessTimes(self, &created, &exited, &kernel, &user); err != nil {
		return 0, err
	}
	return filetimeDuration(kernel) + filetimeDuration(user), nil
}

// filetimeDuration converts a FILETIME that holds an amount of time, in
// 100 ns intervals. (Filetime.Nanoseconds is for points in time: it
// subtracts the 369 years from 1601 to 1970.)
func filetimeDuration(ft syscall.Filetime) time.Duration {
	return time.Duration(int64(ft.HighDateTime)<<32|int64(ft.LowDateTime)) * 100
}

// childrenCPUTime is not measured on Windows, which keeps no total for a
// process's children.
func childrenCPUTime() (time.Duration, error) {
	return 0, errors.New("harness: the CPU time of child processes is not measured on Windows")
}
