// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package leakcheck fails a test when goroutines or open file descriptors
// outlive it (fds are counted on Linux only, in /proc). It is for tests
// only.
package leakcheck

import (
	"runtime"
	"testing"
	"time"
)

// Grace is how long Check waits for goroutines and fds to go back to their
// baseline: teardown is asynchronous (a closed connection's goroutines need
// a moment to notice), but anything that is still there after Grace leaked.
var Grace = 5 * time.Second

// Check records the number of goroutines and open fds now and, when the test
// ends, fails it if more remain after Grace. Call it first in a test, so that
// its cleanup runs after every other cleanup of the test. Tests that use it
// must not run in parallel with other tests.
func Check(t testing.TB) {
	t.Helper()
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)
	t.Cleanup(func() {
		deadline := time.Now().Add(Grace)
		for {
			g, f := runtime.NumGoroutine(), openFDs(t)
			if g <= goroutines && f <= fds {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("leak: goroutines %d -> %d, open fds %d -> %d\n%s", goroutines, g, fds, f, stacks())
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

func stacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}
