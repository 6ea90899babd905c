// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package leakcheck

import (
	"os"
	"testing"
	"time"
)

// Check counts fds on Linux only.
func TestCheckReportsFDLeak(t *testing.T) {
	withGrace(t, 50*time.Millisecond)
	r := &recorder{TB: t}
	Check(r)
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	r.runCleanups()
	f.Close()
	if !r.failed {
		t.Fatal("an fd left open was not reported")
	}
}
