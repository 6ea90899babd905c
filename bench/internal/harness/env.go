// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// Module paths of the libraries under test.
var modules = map[string]string{
	Ours:      "github.com/featherrpc/ttrpc",
	Reference: "github.com/containerd/ttrpc",
	"grpc-go": "google.golang.org/grpc",
}

// versions returns the version of each library's module linked into this
// program. Ours is replaced by a directory (../, the working tree, or a
// snapshot such as a git archive): its version is the git commit there,
// marked when the tree has changes outside bench/, or else the directory.
func versions(moduleDir string) map[string]string {
	v := map[string]string{}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	for _, dep := range bi.Deps {
		for lib, path := range modules {
			if dep.Path != path {
				continue
			}
			v[lib] = dep.Version
			switch {
			case dep.Replace != nil:
				v[lib] = replacedVersion(moduleDir, dep.Replace.Path)
			case lib == Ours && dep.Version == "(devel)":
				// Built in the repository's workspace (go.work), which
				// hides go.mod's replace directive: the module is ../ all
				// the same.
				v[lib] = replacedVersion(moduleDir, "..")
			}
		}
	}
	return v
}

// replacedVersion describes the directory dir that replaces a module, as
// written in the go.mod of moduleDir.
func replacedVersion(moduleDir, dir string) string {
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(moduleDir, dir)
	}
	commit, err := git(dir, "rev-parse", "--short", "HEAD")
	if err != nil {
		base := filepath.Base(dir)
		if commit, ok := strings.CutPrefix(base, "featherrpc-"); ok {
			return "commit " + commit + " (a git archive made by at.sh)"
		}
		return "the tree " + base
	}
	desc := "commit " + commit
	if status, err := git(dir, "status", "--porcelain", "--", ".", ":(exclude)bench"); err == nil && status != "" {
		desc += " plus uncommitted changes"
	}
	return desc
}

// git runs git in dir and returns its trimmed output.
func git(dir string, args ...string) (string, error) {
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	return strings.TrimSpace(string(out)), err
}

// loadAverage returns the 1-minute load average from /proc/loadavg, or 0.
func loadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(data), " ")
	load, _ := strconv.ParseFloat(first, 64)
	return load
}

// ticks is the length of a clock tick of /proc (USER_HZ is 100 on Linux).
const tick = 10 * time.Millisecond

// busyTimes returns the CPU time the whole machine has spent busy (from
// /proc/stat: user, nice, system, irq and softirq), and the CPU time of
// this process, of its children that it waited for, and of the running
// children whose pids are in live.
func busyTimes(live map[int]bool) (machine, ours time.Duration, err error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 8 || fields[0] != "cpu" {
		return 0, 0, fmt.Errorf("unexpected /proc/stat line %q", line)
	}
	ticks, err := sumFields(fields, 1, 2, 3, 6, 7) // user nice system (idle iowait) irq softirq
	if err != nil {
		return 0, 0, err
	}
	self, err := CPUTime()
	if err != nil {
		return 0, 0, err
	}
	children, err := childrenCPUTime()
	if err != nil {
		return 0, 0, err
	}
	ours = self + children
	for pid := range live {
		ours += processCPU(pid)
	}
	return time.Duration(ticks) * tick, ours, nil
}

// processCPU returns the user and system time of a running process, from
// /proc/PID/stat, or 0.
func processCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: fields start
	// after its closing parenthesis, with the state (field 3) first.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(data[i+1:]))
	ticks, err := sumFields(fields, 11, 12) // utime and stime, fields 14 and 15
	if err != nil {
		return 0
	}
	return time.Duration(ticks) * tick
}

// sumFields adds up the integer fields at the given indexes.
func sumFields(fields []string, indexes ...int) (int64, error) {
	var sum int64
	for _, i := range indexes {
		if i >= len(fields) {
			return 0, fmt.Errorf("no field %d in %q", i, fields)
		}
		n, err := strconv.ParseInt(fields[i], 10, 64)
		if err != nil {
			return 0, err
		}
		sum += n
	}
	return sum, nil
}

// otherShare returns the share of the machine's CPU that processes other
// than ours used between two busyTimes readings elapsed apart.
func otherShare(machine0, ours0, machine1, ours1, elapsed time.Duration) float64 {
	other := max((machine1-machine0)-(ours1-ours0), 0)
	return other.Seconds() / (elapsed.Seconds() * float64(runtime.NumCPU()))
}

// niceness returns the nice value of this process, from /proc/self/stat.
func niceness() int {
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 17 {
		return 0
	}
	n, _ := strconv.Atoi(fields[16]) // field 19
	return n
}

// cpuModel returns the CPU model named in /proc/cpuinfo, or "unknown".
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(data)) {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return "unknown"
}

// notes defines the measurements of a run of cfg, in Markdown.
func notes(cfg Config, env Environment) []string {
	n := []string{
		fmt.Sprintf("Every figure is the median of %d rounds; within a round the libraries take turns (who goes first rotates), "+
			"and \"±\" is half the range of the rounds relative to the median, the largest of the three libraries. "+
			"A ratio is the library's figure divided by containerd/ttrpc's from the same run; for calls/s and messages/s "+
			"higher is better, for everything else lower is better. All libraries run with their default options.", cfg.Rounds),
		"One process: server and client in this process over a Unix socket; the Echo handler answers with the request " +
			"message it decoded. Allocations and bytes are those of the whole process (client and server together, " +
			"from runtime.MemStats) divided by the calls made.",
		fmt.Sprintf("Concurrent callers: N goroutines share one client, hence one connection, for %v per round; calls/s is "+
			"calls completed over wall time, CPU per call is the user+system time of the whole process (getrusage; the "+
			"server runs in the same process, so its CPU is included) over calls completed.", cfg.CallersTime),
		fmt.Sprintf("Streaming: each server-streaming call asks for N messages of %s, and messages/s counts from "+
			"opening the stream to its end (io.EOF); the client decodes every message into one reused message. "+
			"\"Streams of %d\" makes such calls one after another for %v per round (allocations are per message, "+
			"client and server); \"one stream of %d\" is a single long stream per round, where a reader that "+
			"falls behind the sender shows.", SizeLabel(cfg.StreamSize), cfg.StreamBatch, cfg.StreamTime, cfg.StreamMessages),
		fmt.Sprintf("Server in another process: the server is cmd/minimal/<lib>-server; the client (in the benchmark "+
			"process) makes %d sequential 64 B calls per round after a warm-up; p50 and p99 are per round.", cfg.LatencyCalls),
		fmt.Sprintf("Time to first call, new process: from just before fork/exec of cmd/minimal/<lib>-client to reading "+
			"the \"ok\" it prints after its first answer, so it includes process start, runtime and package init, connect "+
			"and the call (median of %d starts per round). In process: dialling a new connection plus its first 64 B call "+
			"(median of %d per round; grpc-go connects lazily, during that call).", cfg.FirstCallRuns, cfg.ConnectRuns),
		fmt.Sprintf("Binary size: go build -ldflags=\"-s -w\" of cmd/minimal/<lib>-server, which serves Echo and Stream on "+
			"a Unix socket. RSS: VmRSS from /proc/PID/status of a fresh server process %v after it listens; per idle "+
			"connection: the growth once %d clients have each connected, made one 64 B call and waited %v, divided by %d.",
			cfg.RSSSettle, cfg.IdleConns, cfg.RSSSettle, cfg.IdleConns),
	}
	if env.WakeUp.Measured {
		n = append(n, "Thread wake-ups (under the machine): before the run, a thread pinned to one CPU spins for "+
			"50 µs and then wakes a thread asleep in futex(2), 300 times; the median is the time until the woken "+
			"thread runs when pinned to another, idle CPU, and the share is how often the kernel ran it on the "+
			"waker's busy CPU when it was free to run anywhere. A library with little work per call spends much "+
			"of it in such wake-ups (the Go runtime wakes a thread whenever a goroutine becomes runnable while a "+
			"CPU is idle), so two machines whose CPUs are alike may still give it quite different figures when "+
			"these two differ.")
	}
	if env.Versions[Reference] == "v1.2.8" {
		n = append(n, "containerd/ttrpc is v1.2.8, the newest v1.2.x whose go.mod allows Go 1.24 (v1.2.9 and "+
			"v1.2.10 require go 1.25.0). The v1.2.10 changes that matter here: each request's server context is "+
			"cancellable even without a deadline (a context.WithCancel per call), and a client stream buffers 64 "+
			"messages instead of 1.")
	}
	return n
}

// WaitIdle waits until other processes have used less than 5% of the
// machine's CPU over two seconds, or until limit has passed, and reports
// whether the machine went idle. Benchmarks on a busy machine measure the
// other work as much as the libraries.
func WaitIdle(limit time.Duration, progress io.Writer) bool {
	const window = 2 * time.Second
	deadline := time.Now().Add(limit)
	for {
		machine0, ours0, err := busyTimes(nil)
		if err != nil {
			return false
		}
		time.Sleep(window)
		machine1, ours1, err := busyTimes(nil)
		if err != nil {
			return false
		}
		share := otherShare(machine0, ours0, machine1, ours1, window)
		if share < 0.05 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		if progress != nil {
			fmt.Fprintf(progress, "waiting for the machine to go idle: other processes use %.0f%% of it\n", 100*share)
		}
	}
}
