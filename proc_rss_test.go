// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// residentMemory returns the resident set size of this process in bytes,
// read from /proc/self/statm (its second field, in pages). It fails where
// there is no /proc (outside Linux).
func residentMemory() (int, error) {
	statm, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, fmt.Errorf("resident memory: %w", err)
	}
	fields := bytes.Fields(statm)
	if len(fields) < 2 {
		return 0, fmt.Errorf("resident memory: /proc/self/statm has %d fields, want at least 2", len(fields))
	}
	pages, err := strconv.Atoi(string(fields[1]))
	if err != nil {
		return 0, fmt.Errorf("resident memory: %w", err)
	}
	return pages * os.Getpagesize(), nil
}
