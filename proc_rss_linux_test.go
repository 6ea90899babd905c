// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"bytes"
	"os"
	"strconv"
	"testing"
)

// vmRSS reads VmRSS from /proc/self/status, the kernel's other account of
// the resident set, in bytes.
func vmRSS(t *testing.T) int {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(status, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			kb, err := strconv.Atoi(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(" kB"))))
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// residentMemory reads what the kernel reports in /proc/self/status too
// (within what the process may touch between the two reads), and counts a
// block of memory this test has just touched.
func TestResidentMemory(t *testing.T) {
	block := make([]byte, 32<<20)
	for i := range block {
		block[i] = byte(i)
	}
	rss, err := residentMemory()
	if err != nil {
		t.Fatal(err)
	}
	want := vmRSS(t)
	if rss < len(block) || rss < want-16<<20 || rss > want+16<<20 {
		t.Errorf("resident memory %d bytes; VmRSS says %d, and the test touched %d", rss, want, len(block))
	}
	block[0]++ // keeps block alive, and touched, until here
}
