// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/featherrpc/ttrpc/bench/internal/benchpb"
	"github.com/featherrpc/ttrpc/bench/internal/rpc"
)

// How the hostile-peer measurements sample and bound each attack.
const (
	samplePeriod = 2 * time.Millisecond
	// hostileHeapCap ends an attack early when the heap grows by more:
	// the figure is then a lower bound.
	hostileHeapCap = 1536 << 20
	// The well-behaved client calls every callPeriod, each call with a
	// timeout of callTimeout.
	callPeriod  = 2 * time.Millisecond
	callTimeout = time.Second
	// settleWait is how long to wait after an attack for the server's
	// goroutines to end before the next.
	settleWait = 5 * time.Second
)

// secHostile is the section of the hostile-peer metrics.
const secHostile = "Hostile peers"

// HostileRow is one attack's figures for each library attacked: the peak
// growth of the heap and of the goroutines over the baseline before the
// attack, and the well-behaved client's latency during it.
type HostileRow struct {
	// Attack describes the attack, with its counts.
	Attack string
	// Heap and Goroutines are the peaks over the baseline; P50 and P99 the
	// well-behaved client's latency percentiles, Failed its calls that
	// failed; Ended the attacker's connections that the server ended.
	Heap, Goroutines, P50, P99, Failed, Ended *Metric
	// Capped tells, by library, that the heap went over the cap and the
	// attack was ended early: its heap figure is a lower bound.
	Capped map[string]bool
}

// metrics returns the row's metrics in table order.
func (h *HostileRow) metrics() []*Metric {
	return []*Metric{h.Heap, h.Goroutines, h.P50, h.P99, h.Failed, h.Ended}
}

// newHostileRow returns an empty row for the attack named name.
func newHostileRow(name string) *HostileRow {
	m := func(what string, u Unit) *Metric {
		return newMetric(secHostile, name+": "+what, what, u, LowerIsBetter, nil)
	}
	return &HostileRow{
		Attack:     name,
		Heap:       m("peak heap", Bytes),
		Goroutines: m("peak goroutines", Count),
		P50:        m("p50", Nanoseconds),
		P99:        m("p99", Nanoseconds),
		Failed:     m("calls failed", Count),
		Ended:      m("connections ended", Count),
		Capped:     map[string]bool{},
	}
}

// hostile runs every attack against each library that has a Hold server,
// one library at a time, the first library rotating from one attack to
// the next.
func (r *runner) hostile() {
	var libs []rpc.Library
	for _, lib := range r.libs {
		if lib.NewHoldServer != nil {
			libs = append(libs, lib)
		}
	}
	for i, atk := range hostileAttacks(r.cfg.HostileScale) {
		row := newHostileRow(atk.name)
		r.res.Hostile = append(r.res.Hostile, row)
		for k := range libs {
			lib := libs[(i+k)%len(libs)]
			r.logf("hostile: %s: %s", lib.Name, atk.name)
			before := readUsage().goroutines
			if err := r.attackOne(lib, atk, row); err != nil {
				for _, m := range row.metrics() {
					m.setError(lib.Name, err)
				}
			}
			settle(before)
		}
	}
	r.res.HostileNotes = hostileNotes(r.cfg)
}

// settle waits up to settleWait for the goroutines to come back to about
// what they were before an attack.
func settle(before uint64) {
	for deadline := time.Now().Add(settleWait); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if readUsage().goroutines <= before+2 {
			return
		}
	}
}

// attackOne serves lib's Hold server in this process, connects a
// well-behaved client of lib, and runs atk for cfg.HostileTime while it
// samples; it records the figures in row.
func (r *runner) attackOne(lib rpc.Library, atk attack, row *HostileRow) error {
	gate := make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(gate) }) }
	srv, err := lib.NewHoldServer(gate)
	if err != nil {
		return err
	}
	path := r.socket()
	l, err := net.Listen("unix", path)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	// Owner: this function; Serve returns when the deferred Close runs.
	go func() { served <- srv.Serve(l) }()
	defer func() {
		release()
		srv.Close()
		<-served
	}()
	c, err := lib.Dial(context.Background(), path)
	if err != nil {
		return err
	}
	defer c.Close()
	in, out := &benchpb.Payload{Data: rpc.Bytes(64)}, &benchpb.Payload{}
	for range 20 {
		if err := c.Echo(context.Background(), in, out); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}

	base := baseline()
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.HostileTime)
	defer cancel()
	s := startSampler(samplePeriod, base, hostileHeapCap, cancel)
	type calls struct {
		lat    []float64
		failed int
	}
	done := make(chan calls, 1)
	// Owner: this function, which receives from done.
	go func() {
		lat, failed := wellBehaved(ctx, c, callPeriod, callTimeout)
		done <- calls{lat, failed}
	}()
	a := newAttacker(ctx, path)
	atk.script(a)
	<-ctx.Done()
	got := <-done
	peak, capped := s.stop()
	ended := a.ended()
	release()
	a.stop()

	if len(got.lat) == 0 {
		return errors.New("the well-behaved client made no call")
	}
	name := lib.Name
	row.Heap.setSamples(name, []float64{float64(peak.heap) - float64(min(base.heap, peak.heap))})
	row.Goroutines.setSamples(name, []float64{float64(peak.goroutines) - float64(min(base.goroutines, peak.goroutines))})
	row.P50.setSamples(name, []float64{percentile(got.lat, 50)})
	row.P99.setSamples(name, []float64{percentile(got.lat, 99)})
	row.Failed.setSamples(name, []float64{float64(got.failed)})
	row.Ended.setSamples(name, []float64{float64(ended)})
	row.Capped[name] = capped
	return nil
}
