// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package leakcheck

import (
	"os"
	"testing"
	"time"
)

// recorder is a testing.TB that records failures and cleanups instead of
// acting on them.
type recorder struct {
	testing.TB
	cleanups []func()
	failed   bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Cleanup(f func())      { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) runCleanups() {
	for _, f := range r.cleanups {
		f()
	}
}
func withGrace(t *testing.T, d time.Duration) {
	old := Grace
	Grace = d
	t.Cleanup(func() { Grace = old })
}

func TestCheckReportsGoroutineLeak(t *testing.T) {
	withGrace(t, 50*time.Millisecond)
	r := &recorder{TB: t}
	Check(r)
	stop := make(chan struct{})
	go func() { <-stop }()
	r.runCleanups()
	close(stop)
	if !r.failed {
		t.Fatal("a goroutine that outlived the check was not reported")
	}
}

func TestCheckPassesWhenEverythingEnds(t *testing.T) {
	withGrace(t, 2*time.Second)
	r := &recorder{TB: t}
	Check(r)
	done := make(chan struct{})
	go func() { time.Sleep(20 * time.Millisecond); close(done) }()
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	r.runCleanups()
	<-done
	if r.failed {
		t.Fatal("reported a leak although the goroutine ended within the grace period")
	}
}
