// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package leakcheck

import (
	"os"
	"testing"
)

// openFDs counts the open file descriptors of this process: the entries of
// /proc/self/fd. Reading the directory opens one more fd for the moment of
// the count; it is in every count alike, so comparisons are not affected.
func openFDs(t testing.TB) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("leakcheck: counting open fds: %v", err)
	}
	return len(entries)
}
