// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/featherrpc/ttrpc/bench/internal/benchpb"
	"github.com/featherrpc/ttrpc/bench/internal/rpc"
)

// Section titles of the one-process measurements.
const (
	secUnary     = "Unary round trip, one process (echo: the payload goes both ways)"
	secCallers   = "Concurrent 64 B calls on one connection, one process"
	secStreaming = "Server streaming, one process"
)

// Pair is a server and one client of one library, both in this process,
// talking over a Unix socket.
type Pair struct {
	// Client is connected to the pair's server.
	Client rpc.Client
	server rpc.Server
	served chan error // receives what Serve returned
}

// StartPair starts a server of lib on a new Unix socket at path and
// connects a client to it. Close stops both.
func StartPair(lib rpc.Library, path string) (*Pair, error) {
	srv, err := lib.NewServer()
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	p := &Pair{server: srv, served: make(chan error, 1)}
	// Owner: p. Serve returns when Close closes the server.
	go func() { p.served <- srv.Serve(l) }()
	c, err := lib.Dial(context.Background(), path)
	if err != nil {
		srv.Close()
		<-p.served
		return nil, err
	}
	p.Client = c
	return p, nil
}

// Close closes the client, then the server, and waits for Serve to return.
func (p *Pair) Close() {
	p.Client.Close()
	p.server.Close()
	<-p.served
}

// withPair runs f with the client of a fresh pair of lib.
func (r *runner) withPair(lib rpc.Library, f func(c rpc.Client) error) error {
	p, err := StartPair(lib, r.socket())
	if err != nil {
		return err
	}
	defer p.Close()
	return f(p.Client)
}

// perCall are the figures of a series of calls: wall time, allocations
// and bytes allocated, each per call (or per message).
type perCall struct{ ns, allocs, bytes float64 }

// measureAllocs runs f, which makes n calls, and returns the per-call
// figures. The allocations are those of the whole process: client and
// server together.
func measureAllocs(f func() (n int, err error)) (perCall, error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	n, err := f()
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		return perCall{}, err
	}
	if n == 0 {
		return perCall{}, errors.New("no call completed")
	}
	return perCall{
		ns:     float64(elapsed.Nanoseconds()) / float64(n),
		allocs: float64(after.Mallocs-before.Mallocs) / float64(n),
		bytes:  float64(after.TotalAlloc-before.TotalAlloc) / float64(n),
	}, nil
}

// echoFor makes Echo calls of in with ctx for at least d and at least
// minCalls, one after another, and returns how many it made.
func echoFor(ctx context.Context, c rpc.Client, in *benchpb.Payload, d time.Duration, minCalls int) (int, error) {
	out := &benchpb.Payload{}
	start := time.Now()
	n := 0
	for n < minCalls || time.Since(start) < d {
		if err := c.Echo(ctx, in, out); err != nil {
			return n, err
		}
		n++
	}
	if len(out.Data) != len(in.Data) {
		return n, fmt.Errorf("echo returned %d bytes, want %d", len(out.Data), len(in.Data))
	}
	return n, nil
}

// measureUnary measures Echo round trips of size bytes with ctx for about
// d, after a warm-up of d/4.
func measureUnary(ctx context.Context, c rpc.Client, size int, d time.Duration) (perCall, error) {
	in := &benchpb.Payload{Data: rpc.Bytes(size)}
	if _, err := echoFor(ctx, c, in, d/4, 3); err != nil {
		return perCall{}, err
	}
	return measureAllocs(func() (int, error) { return echoFor(ctx, c, in, d, 3) })
}

// realisticContext returns the context of a typical call of a container
// runtime's client: a deadline, and one metadata entry (containerd sends
// its namespace so), added the library's way.
func realisticContext(lib rpc.Library) (context.Context, context.CancelFunc) {
	ctx := lib.WithMetadata(context.Background(), "containerd-namespace-ttrpc", "default")
	return context.WithTimeout(ctx, time.Hour)
}

// unary measures one-process round trips at each payload size.
func (r *runner) unary() {
	for _, size := range r.cfg.UnarySizes {
		label := SizeLabel(size)
		r.logf("unary round trip, %s, one process", label)
		samples, errs := r.rounds(func(lib rpc.Library) ([]float64, error) {
			var pc perCall
			err := r.withPair(lib, func(c rpc.Client) (err error) {
				pc, err = measureUnary(context.Background(), c, size, r.cfg.UnaryTime)
				return err
			})
			return []float64{pc.ns, pc.allocs, pc.bytes}, err
		})
		var timeTarget, allocTarget, bytesTarget *Target
		switch size {
		case 64:
			timeTarget, allocTarget = ratioAtMost(0.6), valueAtMost(10, "≤ 10")
		case 1 << 20:
			timeTarget, bytesTarget = ratioAtMost(0.5), valueAtMost(3*float64(size), "≤ 3 × payload")
		}
		record(r.add(newMetric(secUnary, label+": time per call", "unary "+label+" time",
			Nanoseconds, LowerIsBetter, timeTarget)), 0, samples, errs)
		record(r.add(newMetric(secUnary, label+": allocations per call", "unary "+label+" allocs",
			Count, LowerIsBetter, allocTarget)), 1, samples, errs)
		record(r.add(newMetric(secUnary, label+": bytes allocated per call", "unary "+label+" bytes",
			Bytes, LowerIsBetter, bytesTarget)), 2, samples, errs)
	}
	r.unaryRealistic()
}

// unaryRealistic measures 64 B round trips whose context has a deadline
// and metadata, as a container runtime's calls have: the server sets up
// both for every handler.
func (r *runner) unaryRealistic() {
	const label = "64 B, deadline and metadata"
	r.logf("unary round trip, %s, one process", label)
	samples, errs := r.rounds(func(lib rpc.Library) ([]float64, error) {
		var pc perCall
		err := r.withPair(lib, func(c rpc.Client) (err error) {
			ctx, cancel := realisticContext(lib)
			defer cancel()
			pc, err = measureUnary(ctx, c, 64, r.cfg.UnaryTime)
			return err
		})
		return []float64{pc.ns, pc.allocs, pc.bytes}, err
	})
	record(r.add(newMetric(secUnary, label+": time per call", "unary 64 B with deadline time",
		Nanoseconds, LowerIsBetter, nil)), 0, samples, errs)
	record(r.add(newMetric(secUnary, label+": allocations per call", "unary 64 B with deadline allocs",
		Count, LowerIsBetter, nil)), 1, samples, errs)
	record(r.add(newMetric(secUnary, label+": bytes allocated per call", "unary 64 B with deadline bytes",
		Bytes, LowerIsBetter, nil)), 2, samples, errs)
}

// runCallers runs callers goroutines that make 64 B Echo calls on c, one
// after another, until d has passed; it returns the number of calls made.
func runCallers(c rpc.Client, callers int, d time.Duration) (int64, error) {
	var (
		stop  atomic.Bool
		total atomic.Int64
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range callers {
		wg.Add(1)
		// Owner: runCallers, through wg. Each caller exits when stop is set
		// or its call fails.
		go func() {
			defer wg.Done()
			ctx := context.Background()
			in, out := &benchpb.Payload{Data: rpc.Bytes(64)}, &benchpb.Payload{}
			var n int64
			for !stop.Load() {
				if err := c.Echo(ctx, in, out); err != nil {
					once.Do(func() { first = err })
					stop.Store(true)
					break
				}
				n++
			}
			total.Add(n)
		}()
	}
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	return total.Load(), first
}

// callersSample is one measurement of concurrent callers.
type callersSample struct {
	rate       float64 // calls per second
	cpuPerCall float64 // CPU time of the process (client and server) per call, in ns
	cores      float64 // CPU time of the process per second: the cores it kept busy
	// waiting is the time the process's threads spent runnable but waiting
	// for a CPU, per second (0 where the kernel does not report it).
	waiting float64
}

// measureCallers measures callers concurrent callers on c for about d,
// after a warm-up of d/4.
func measureCallers(c rpc.Client, callers int, d time.Duration) (callersSample, error) {
	if _, err := runCallers(c, callers, d/4); err != nil {
		return callersSample{}, err
	}
	runtime.GC()
	cpu0, err := CPUTime()
	if err != nil {
		return callersSample{}, err
	}
	wait0, _ := ThreadWaits()
	start := time.Now()
	n, err := runCallers(c, callers, d)
	elapsed := time.Since(start)
	wait1, _ := ThreadWaits()
	cpu1, cpuErr := CPUTime()
	if err = errors.Join(err, cpuErr); err != nil {
		return callersSample{}, err
	}
	if n == 0 {
		return callersSample{}, errors.New("no call completed")
	}
	cpu := float64((cpu1 - cpu0).Nanoseconds())
	return callersSample{
		rate:       float64(n) / elapsed.Seconds(),
		cpuPerCall: cpu / float64(n),
		cores:      cpu / float64(elapsed.Nanoseconds()),
		waiting:    max(0, float64((wait1-wait0).Nanoseconds())/float64(elapsed.Nanoseconds())),
	}, nil
}

// ThreadWaits returns the time this process's threads have spent runnable
// but waiting for a CPU (run_delay in /proc/self/task/*/schedstat), and
// whether the kernel reports it. Threads that have exited are not counted.
func ThreadWaits() (time.Duration, bool) {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return 0, false
	}
	var total time.Duration
	for _, task := range tasks {
		data, err := os.ReadFile("/proc/self/task/" + task.Name() + "/schedstat")
		if errors.Is(err, fs.ErrNotExist) {
			continue // the thread has exited
		}
		if err != nil {
			return 0, false
		}
		fields := strings.Fields(string(data))
		if len(fields) < 2 {
			return 0, false
		}
		ns, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			return 0, false
		}
		total += time.Duration(ns)
	}
	return total, true
}

// concurrent measures calls/s and CPU per call with each number of
// callers sharing one connection; with 64 callers or more, also the cores
// the process kept busy and, where the kernel reports it, how long its
// threads waited for a CPU: what limits calls/s when it is not CPU time.
func (r *runner) concurrent() {
	_, reportsWaits := ThreadWaits()
	for _, callers := range r.cfg.Callers {
		r.logf("%d concurrent callers, one connection, one process", callers)
		samples, errs := r.rounds(func(lib rpc.Library) ([]float64, error) {
			var s callersSample
			err := r.withPair(lib, func(c rpc.Client) (err error) {
				s, err = measureCallers(c, callers, r.cfg.CallersTime)
				return err
			})
			return []float64{s.rate, s.cpuPerCall, s.cores, s.waiting}, err
		})
		name := fmt.Sprintf("%d callers", callers)
		if callers == 1 {
			name = "1 caller"
		}
		var rateTarget, cpuTarget *Target
		if callers >= 64 {
			rateTarget, cpuTarget = ratioAtLeast(3), ratioAtMost(0.4)
		}
		record(r.add(newMetric(secCallers, name+": calls per second", name+" calls/s",
			PerSecond, HigherIsBetter, rateTarget)), 0, samples, errs)
		record(r.add(newMetric(secCallers, name+": CPU time per call", name+" CPU/call",
			Nanoseconds, LowerIsBetter, cpuTarget)), 1, samples, errs)
		if callers < 64 {
			continue
		}
		record(r.add(newMetric(secCallers, name+": CPU cores kept busy", name+" cores busy",
			Count, HigherIsBetter, nil)), 2, samples, errs)
		if reportsWaits {
			record(r.add(newMetric(secCallers, name+": threads waiting for a CPU (s per s)", name+" waiting",
				Count, LowerIsBetter, nil)), 3, samples, errs)
		}
	}
}

// stream receives one stream of count messages of size bytes into msg.
func stream(c rpc.Client, count, size int, msg *benchpb.Payload) (int, error) {
	req := &benchpb.StreamRequest{Count: int32(count), Size: int32(size)}
	n, err := c.Stream(context.Background(), req, msg)
	if err == nil && n != count {
		err = fmt.Errorf("received %d messages, want %d", n, count)
	}
	return n, err
}

// measureStreams receives streams of count messages of size bytes, one
// after another, for at least d and at least one stream, after a warm-up
// stream, and returns the figures per message.
func measureStreams(c rpc.Client, count, size int, d time.Duration) (perCall, error) {
	msg := &benchpb.Payload{}
	if _, err := stream(c, count, size, msg); err != nil {
		return perCall{}, err
	}
	return measureAllocs(func() (int, error) {
		total := 0
		for start := time.Now(); total == 0 || time.Since(start) < d; {
			n, err := stream(c, count, size, msg)
			total += n
			if err != nil {
				return total, err
			}
		}
		return total, nil
	})
}

// streaming measures server streaming: messages per second, and the
// allocations per message of client and server together, over streams of
// StreamBatch messages; then messages per second of one long stream of
// StreamMessages.
func (r *runner) streaming() {
	size := r.cfg.StreamSize
	label := SizeLabel(size)
	r.logf("server streaming, streams of %d messages of %s, one process", r.cfg.StreamBatch, label)
	samples, errs := r.rounds(func(lib rpc.Library) ([]float64, error) {
		var pc perCall
		err := r.withPair(lib, func(c rpc.Client) (err error) {
			pc, err = measureStreams(c, r.cfg.StreamBatch, size, r.cfg.StreamTime)
			return err
		})
		return []float64{1e9 / pc.ns, pc.allocs, pc.bytes}, err
	})
	batch := fmt.Sprintf("streams of %d", r.cfg.StreamBatch)
	record(r.add(newMetric(secStreaming, label+", "+batch+": messages per second", "stream "+label+" msgs/s",
		PerSecond, HigherIsBetter, ratioAtLeast(2))), 0, samples, errs)
	record(r.add(newMetric(secStreaming, label+", "+batch+": allocations per message", "stream "+label+" allocs",
		Count, LowerIsBetter, nil)), 1, samples, errs)
	record(r.add(newMetric(secStreaming, label+", "+batch+": bytes allocated per message", "stream "+label+" bytes",
		Bytes, LowerIsBetter, nil)), 2, samples, errs)

	r.logf("server streaming, one stream of %d messages of %s, one process", r.cfg.StreamMessages, label)
	samples, errs = r.rounds(func(lib rpc.Library) ([]float64, error) {
		var pc perCall
		err := r.withPair(lib, func(c rpc.Client) error {
			msg := &benchpb.Payload{}
			start := time.Now()
			n, err := stream(c, r.cfg.StreamMessages, size, msg)
			pc.ns = float64(time.Since(start).Nanoseconds()) / float64(max(n, 1))
			return err
		})
		return []float64{1e9 / pc.ns}, err
	})
	record(r.add(newMetric(secStreaming, fmt.Sprintf("%s, one stream of %d: messages per second", label, r.cfg.StreamMessages),
		"long stream "+label+" msgs/s", PerSecond, HigherIsBetter, ratioAtLeast(2))), 0, samples, errs)
}

// SizeLabel names a payload size: "64 B", "4 KiB", "1 MiB".
func SizeLabel(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
