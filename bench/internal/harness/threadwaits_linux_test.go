// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// Threads that outnumber the CPUs and all want to run wait for one, and
// ThreadWaits counts that wait: with three threads per CPU, each thread
// waits about twice as long as it runs.
func TestThreadWaitsCountsThreadsWaitingForACPU(t *testing.T) {
	before, ok := ThreadWaits()
	if !ok {
		t.Fatal("no run delays in /proc/self/task/*/schedstat")
	}
	cpus := runtime.NumCPU()
	threads := 3 * cpus
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
	const spinning = 300 * time.Millisecond
	deadline := time.Now().Add(spinning)
	cpu0, err := CPUTime()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range threads {
		wg.Add(1)
		// Owner: this test, through wg. Each goroutine spins on its own
		// thread until deadline, then gives the thread back to the runtime
		// (which keeps it, and so its count).
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			spin(time.Until(deadline))
		}()
	}
	wg.Wait()
	after, ok := ThreadWaits()
	cpu1, err := CPUTime()
	if !ok || err != nil {
		t.Fatalf("run delays readable: %v; CPU time: %v", ok, err)
	}
	waited, ran := after-before, cpu1-cpu0
	if waited < ran*3/2 {
		t.Fatalf("threads waited %v for a CPU while the process ran %v, want at least 1.5 times as long", waited, ran)
	}
	t.Logf("waited %v, ran %v", waited, ran)
}
