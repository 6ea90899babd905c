// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package leakcheck

import (
	"testing"

	"github.com/prometheus/procfs"
)

// openFDs counts the open file descriptors of this process, in /proc.
func openFDs(t testing.TB) int {
	proc, err := procfs.Self()
	if err != nil {
		t.Fatalf("leakcheck: %v", err)
	}
	n, err := proc.FileDescriptorsLen()
	if err != nil {
		t.Fatalf("leakcheck: %v", err)
	}
	return n
}
