// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"runtime"
	"testing"
)

// residentMemory reads a plausible figure on Linux: at least the heap this
// test has just allocated and touched, and less than the memory the Go
// runtime has mapped.
func TestResidentMemory(t *testing.T) {
	block := make([]byte, 32<<20)
	for i := range block {
		block[i] = byte(i)
	}
	rss, err := residentMemory()
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if rss < len(block) || uint64(rss) > ms.Sys+256<<20 {
		t.Errorf("resident memory %d bytes, want between %d and %d", rss, len(block), ms.Sys+256<<20)
	}
	runtime.KeepAlive(block)
}
