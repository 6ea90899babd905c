// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package harness measures featherrpc/ttrpc, containerd/ttrpc and grpc-go
// side by side, on the same messages over Unix sockets, and returns every
// figure with its ratio to containerd/ttrpc measured in the same run.
//
// Run alternates the libraries within each round of a measurement (the
// first library of a round rotates), so that drift of the machine over the
// run falls on all libraries alike, and reports the median of the rounds.
// The one-process measurements run the server and the client in this
// process; the others start the minimal programs of cmd/minimal, which Run
// builds first with go build -ldflags="-s -w".
package harness

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/featherrpc/ttrpc/bench/internal/lib/containerd"
	"github.com/featherrpc/ttrpc/bench/internal/lib/featherrpc"
	"github.com/featherrpc/ttrpc/bench/internal/lib/grpcgo"
	"github.com/featherrpc/ttrpc/bench/internal/rpc"
)

// Libraries returns the libraries under test, ours first and the reference
// second.
func Libraries() []rpc.Library {
	return []rpc.Library{featherrpc.Library(), containerd.Library(), grpcgo.Library()}
}

// The library whose targets are judged, and the one every ratio divides by.
const (
	Ours      = featherrpc.Name
	Reference = containerd.Name
)

// Config says how long and how often each measurement runs.
type Config struct {
	// Short marks a run of ShortConfig: its figures only prove that every
	// measurement works.
	Short bool
	// Rounds is how many times each measurement runs per library; figures
	// are the median of the rounds.
	Rounds int

	// UnarySizes are the payload sizes of the one-process round trips;
	// UnaryTime is how long one round of one size and library calls.
	UnarySizes []int
	UnaryTime  time.Duration
	// Callers are the numbers of concurrent callers on one connection;
	// CallersTime is how long one round of one number and library calls.
	Callers     []int
	CallersTime time.Duration
	// StreamSize is the size of streamed messages. One round of streaming
	// receives streams of StreamBatch messages for StreamTime, then one
	// stream of StreamMessages.
	StreamSize, StreamBatch, StreamMessages int
	StreamTime                              time.Duration
	// LatencyCalls is the number of timed 64 B calls per round with the
	// server in another process.
	LatencyCalls int
	// IdleConns is the number of idle connections opened to a fresh server
	// process to measure its memory per connection, after RSSSettle.
	IdleConns int
	RSSSettle time.Duration
	// FirstCallRuns is the number of client processes started per library
	// to time the first call; ConnectRuns the number of in-process
	// connect-and-call runs.
	FirstCallRuns, ConnectRuns int
	// HostileTime is how long each hostile-peer attack lasts, per library;
	// HostileScale multiplies the attacks' full counts (1 in a full run).
	HostileTime  time.Duration
	HostileScale float64

	// Guard measures again each sample during which other processes used
	// more than a tenth of the machine (see guarded).
	Guard bool
	// Only names the measurements to run, of Measurements; empty means all.
	Only []string

	// ModuleDir is the root of the benchmark module (where cmd/minimal is).
	ModuleDir string
	// Progress receives a line per step; nil means none.
	Progress io.Writer
}

// Measurements are the names of the measurements, in the order Run runs
// them, for Config.Only.
var Measurements = []string{"unary", "callers", "stream", "latency", "startup", "footprint", "hostile"}

// FullConfig is the configuration of the full run: about three and a quarter
// minutes on an idle 2-core machine, building the minimal programs
// included (their first build, with grpc-go, takes a minute more).
func FullConfig(moduleDir string) Config {
	return Config{
		Guard:          true,
		Rounds:         5,
		UnarySizes:     []int{64, 4 << 10, 1 << 20},
		UnaryTime:      400 * time.Millisecond,
		Callers:        []int{1, 16, 64, 256},
		CallersTime:    time.Second,
		StreamSize:     1 << 10,
		StreamBatch:    1_000,
		StreamTime:     400 * time.Millisecond,
		StreamMessages: 100_000,
		LatencyCalls:   5_000,
		IdleConns:      100,
		RSSSettle:      500 * time.Millisecond,
		FirstCallRuns:  10,
		ConnectRuns:    100,
		HostileTime:    3 * time.Second,
		HostileScale:   1,
		ModuleDir:      moduleDir,
	}
}

// ShortConfig runs every measurement of FullConfig with tiny counts, in a
// few seconds, so that a test keeps the harness from rotting.
func ShortConfig(moduleDir string) Config {
	return Config{
		Short:          true,
		Rounds:         2,
		UnarySizes:     []int{64, 4 << 10, 1 << 20},
		UnaryTime:      10 * time.Millisecond,
		Callers:        []int{1, 16, 64, 256},
		CallersTime:    20 * time.Millisecond,
		StreamSize:     1 << 10,
		StreamBatch:    100,
		StreamTime:     10 * time.Millisecond,
		StreamMessages: 300,
		LatencyCalls:   50,
		IdleConns:      5,
		RSSSettle:      10 * time.Millisecond,
		FirstCallRuns:  1,
		ConnectRuns:    2,
		HostileTime:    100 * time.Millisecond,
		HostileScale:   0.01,
		ModuleDir:      moduleDir,
	}
}

// Run performs every measurement of cfg and returns the results. A
// library that fails a measurement gets an error in that metric and the run
// goes on; Run itself fails only when the run cannot go on at all (for
// example when the minimal programs do not build).
func Run(cfg Config) (*Results, error) {
	for _, name := range cfg.Only {
		if !slices.Contains(Measurements, name) {
			return nil, fmt.Errorf("unknown measurement %q; there are %v", name, Measurements)
		}
	}
	dir, err := os.MkdirTemp("", "bench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	r := &runner{
		cfg:  cfg,
		libs: Libraries(),
		dir:  dir,
		live: map[int]bool{},
		res: &Results{
			Ours:      Ours,
			Reference: Reference,
			Env:       environment(cfg),
		},
	}
	for _, lib := range r.libs {
		r.res.Libraries = append(r.res.Libraries, lib.Name)
	}
	start := time.Now()
	machine0, ours0, busyErr := busyTimes(nil)
	if r.want("latency") || r.want("startup") || r.want("footprint") {
		if err := r.build(); err != nil {
			return nil, err
		}
	}
	if r.want("unary") {
		r.unary()
	}
	if r.want("callers") {
		r.concurrent()
	}
	if r.want("stream") {
		r.streaming()
	}
	r.processes()
	if r.want("hostile") {
		r.hostile()
	}
	r.res.Env.Duration = time.Since(start)
	r.res.Env.LoadEnd = loadAverage()
	if machine1, ours1, err := busyTimes(nil); err == nil && busyErr == nil {
		r.res.Env.OtherCPU = max((machine1-machine0)-(ours1-ours0), 0)
	}
	r.res.Notes = notes(cfg, r.res.Env)
	return r.res, nil
}

// runner carries a run's state through its measurements.
type runner struct {
	cfg  Config
	libs []rpc.Library
	dir  string // temporary: sockets and programs
	res  *Results
	// servers and clients map a library name to the paths of its minimal
	// programs; build sets them.
	servers, clients map[string]string
	sockets          int          // sockets made so far, to name the next
	live             map[int]bool // pids of running servers, whose CPU is ours
}

// want tells whether the named measurement is to run.
func (r *runner) want(name string) bool {
	return len(r.cfg.Only) == 0 || slices.Contains(r.cfg.Only, name)
}

// logf reports progress.
func (r *runner) logf(format string, args ...any) {
	if r.cfg.Progress != nil {
		fmt.Fprintf(r.cfg.Progress, format+"\n", args...)
	}
}

// add appends a metric to the results and returns it.
func (r *runner) add(m *Metric) *Metric {
	r.res.Metrics = append(r.res.Metrics, m)
	return m
}

// socket returns a new Unix socket path in the run's directory.
func (r *runner) socket() string {
	r.sockets++
	return fmt.Sprintf("%s/%d.sock", r.dir, r.sockets)
}

// rounds runs f for each round and each library, rotating which library
// goes first, and collects what f returns per library. A library whose f
// fails is not run again; its error is returned in errs.
func (r *runner) rounds(f func(lib rpc.Library) ([]float64, error)) (samples map[string][][]float64, errs map[string]error) {
	samples, errs = map[string][][]float64{}, map[string]error{}
	for round := range r.cfg.Rounds {
		for i := range r.libs {
			lib := r.libs[(i+round)%len(r.libs)]
			if errs[lib.Name] != nil {
				continue
			}
			vals, err := r.guarded(func() ([]float64, error) { return f(lib) })
			if err != nil {
				errs[lib.Name] = err
				continue
			}
			samples[lib.Name] = append(samples[lib.Name], vals)
		}
	}
	return samples, errs
}

// The disturbance guard: a sample during which other processes used more
// than disturbedShare of the machine is measured again, after waiting up
// to idleWait for the machine to go idle, at most maxRetries times.
const (
	disturbedShare = 0.10
	idleWait       = 30 * time.Second
	maxRetries     = 3
)

// guarded runs one sample, f, and runs it again while other processes
// disturbed it, if cfg.Guard is set.
func (r *runner) guarded(f func() ([]float64, error)) ([]float64, error) {
	for attempt := 0; ; attempt++ {
		machine0, ours0, err0 := busyTimes(r.live)
		start := time.Now()
		vals, err := f()
		elapsed := time.Since(start)
		machine1, ours1, err1 := busyTimes(r.live)
		if err != nil || !r.cfg.Guard || err0 != nil || err1 != nil {
			return vals, err
		}
		share := otherShare(machine0, ours0, machine1, ours1, elapsed)
		if share <= disturbedShare {
			return vals, nil
		}
		if attempt == maxRetries {
			r.res.Env.Disturbed++
			r.logf("  warning: other processes used %.0f%% of the machine during this sample; keeping it", 100*share)
			return vals, nil
		}
		r.res.Env.Retried++
		r.logf("  other processes used %.0f%% of the machine during this sample; measuring it again", 100*share)
		WaitIdle(idleWait, r.cfg.Progress)
	}
}

// record stores the k-th value of every round into m, and the errors.
func record(m *Metric, k int, samples map[string][][]float64, errs map[string]error) {
	for lib, rounds := range samples {
		if errs[lib] != nil {
			continue
		}
		xs := make([]float64, len(rounds))
		for i, vals := range rounds {
			xs[i] = vals[k]
		}
		m.setSamples(lib, xs)
	}
	for lib, err := range errs {
		m.setError(lib, err)
	}
}

// environment describes this machine and the versions under test.
func environment(cfg Config) Environment {
	return Environment{
		Started:   time.Now(),
		Short:     cfg.Short,
		GoVersion: runtime.Version(),
		Platform:  fmt.Sprintf("%s/%s, %d CPUs, GOMAXPROCS %d", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0)),
		CPU:       cpuModel(),
		NumCPU:    runtime.NumCPU(),
		Nice:      niceness(),
		Versions:  versions(cfg.ModuleDir),
		LoadStart: loadAverage(),
		WakeUp:    ProbeWakeUps(),
	}
}
