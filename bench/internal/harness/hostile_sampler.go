// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"runtime"
	"runtime/metrics"
	"time"
)

// The runtime/metrics the hostile-peer measurements sample.
const (
	heapMetric       = "/memory/classes/heap/objects:bytes"
	goroutinesMetric = "/sched/goroutines:goroutines"
)

// usage is the process's heap in objects (live, or dead and not yet swept)
// and its goroutines.
type usage struct{ heap, goroutines uint64 }

// readUsage reads the process's usage now.
func readUsage() usage {
	s := []metrics.Sample{{Name: heapMetric}, {Name: goroutinesMetric}}
	metrics.Read(s)
	return usage{heap: s[0].Value.Uint64(), goroutines: s[1].Value.Uint64()}
}

// baseline collects garbage and returns the usage left.
func baseline() usage {
	runtime.GC()
	runtime.GC()
	return readUsage()
}

// sampler reads the usage every few milliseconds in a goroutine of its own
// and keeps the peak. It calls over, once, when the heap exceeds its
// baseline by more than heapCap.
type sampler struct {
	stopc, done chan struct{}
	peak        usage
	capped      bool
}

// startSampler starts sampling every period; base is the usage it
// compares with heapCap.
func startSampler(period time.Duration, base usage, heapCap uint64, over func()) *sampler {
	s := &sampler{stopc: make(chan struct{}), done: make(chan struct{})}
	// Owner: s; stop ends it and waits.
	go func() {
		defer close(s.done)
		t := time.NewTicker(period)
		defer t.Stop()
		samples := []metrics.Sample{{Name: heapMetric}, {Name: goroutinesMetric}}
		for {
			metrics.Read(samples)
			s.peak.heap = max(s.peak.heap, samples[0].Value.Uint64())
			s.peak.goroutines = max(s.peak.goroutines, samples[1].Value.Uint64())
			if !s.capped && s.peak.heap > base.heap+heapCap {
				s.capped = true
				over()
			}
			select {
			case <-s.stopc:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the peak usage, and whether the heap
// went over its cap.
func (s *sampler) stop() (usage, bool) {
	close(s.stopc)
	<-s.done
	return s.peak, s.capped
}
