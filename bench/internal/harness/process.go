// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/featherrpc/ttrpc/bench/internal/benchpb"
	"github.com/featherrpc/ttrpc/bench/internal/minimal"
	"github.com/featherrpc/ttrpc/bench/internal/rpc"
)

// Section titles of the measurements with the server in another process.
const (
	secLatency   = "64 B unary calls, server in another process"
	secStartup   = "Time to first call (64 B, server already running in another process)"
	secFootprint = "Minimal server (cmd/minimal), in its own process"
)

// How long a program may take to start or stop before it counts as hung.
const (
	startTimeout = 20 * time.Second
	stopTimeout  = 10 * time.Second
)

// build builds the minimal programs into the run's directory, exactly as
// go build -ldflags="-s -w" builds them, and notes their paths.
func (r *runner) build() error {
	r.logf(`building the minimal programs: go build -ldflags="-s -w" ./cmd/minimal/...`)
	bin := filepath.Join(r.dir, "bin")
	cmd := exec.Command("go", "build", "-ldflags=-s -w", "-o", bin+string(filepath.Separator), "./cmd/minimal/...")
	cmd.Dir = r.cfg.ModuleDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the minimal programs in %s: %w\n%s", r.cfg.ModuleDir, err, out)
	}
	r.servers, r.clients = map[string]string{}, map[string]string{}
	for _, lib := range r.libs {
		r.servers[lib.Name] = filepath.Join(bin, lib.Program+"-server")
		r.clients[lib.Name] = filepath.Join(bin, lib.Program+"-client")
	}
	return nil
}

// program is a minimal program running in its own process.
type program struct {
	name      string
	cmd       *exec.Cmd
	stdin     io.Closer     // closing it stops a server
	stderr    *bytes.Buffer // what the program printed; read after exited
	firstLine chan string   // receives the first line of stdout
	exited    chan struct{} // closed when the process has exited
	err       error         // how the process exited; read after exited
}

// startProgram starts the program at path with args.
func startProgram(path string, args ...string) (*program, error) {
	p := &program{
		name:      filepath.Base(path),
		cmd:       exec.Command(path, args...),
		stderr:    &bytes.Buffer{},
		firstLine: make(chan string, 1),
		exited:    make(chan struct{}),
	}
	p.cmd.Stderr = p.stderr
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	p.stdin = stdin
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	// Owner: p. run exits when the process has exited, which a server
	// does when stop closes its stdin (or kills it).
	go p.run(stdout)
	return p, nil
}

// run reads the program's stdout to its end, handing on the first line,
// then waits for the process. (Wait must not run before the reads from the
// stdout pipe are done.)
func (p *program) run(stdout io.Reader) {
	br := bufio.NewReader(stdout)
	if line, err := br.ReadString('\n'); err == nil {
		p.firstLine <- strings.TrimSuffix(line, "\n")
	}
	io.Copy(io.Discard, br)
	p.err = p.cmd.Wait()
	close(p.exited)
}

// expectLine waits for the program's first line and checks that it is
// want. A program that fails to print it in time is killed.
func (p *program) expectLine(want string) error {
	timeout := time.NewTimer(startTimeout)
	defer timeout.Stop()
	var line string
	select {
	case line = <-p.firstLine:
	case <-p.exited:
		select {
		case line = <-p.firstLine:
		default:
			return fmt.Errorf("%s exited before printing %q: %v (stderr: %q)", p.name, want, p.err, p.stderr.String())
		}
	case <-timeout.C:
		p.kill()
		return fmt.Errorf("%s did not print %q within %v (stderr: %q)", p.name, want, startTimeout, p.stderr.String())
	}
	if line != want {
		return fmt.Errorf("%s printed %q, want %q", p.name, line, want)
	}
	return nil
}

// kill ends the process at once and waits for it.
func (p *program) kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// stop closes the program's stdin, which ends a minimal server, and waits
// for the process to exit; one that does not exit in time is killed.
func (p *program) stop() error {
	p.stdin.Close()
	timeout := time.NewTimer(stopTimeout)
	defer timeout.Stop()
	select {
	case <-p.exited:
	case <-timeout.C:
		p.kill()
		return fmt.Errorf("%s did not stop within %v; killed", p.name, stopTimeout)
	}
	if p.err != nil {
		return fmt.Errorf("%s: %w (stderr: %q)", p.name, p.err, p.stderr.String())
	}
	return nil
}

// server is a minimal server running in its own process.
type server struct {
	*program
	socket string
	forget func() // removes the server from the runner's live processes
}

// stop stops the server and waits for it.
func (s *server) stop() error {
	defer s.forget()
	return s.program.stop()
}

// startServer starts the minimal server of lib on a new socket and waits
// until it listens.
func (r *runner) startServer(lib rpc.Library) (*server, error) {
	socket := r.socket()
	p, err := startProgram(r.servers[lib.Name], socket)
	if err != nil {
		return nil, err
	}
	if err := p.expectLine(minimal.Ready); err != nil {
		p.kill()
		return nil, err
	}
	pid := p.cmd.Process.Pid
	r.live[pid] = true
	return &server{program: p, socket: socket, forget: func() { delete(r.live, pid) }}, nil
}

// rss returns the resident set size of the server process, from
// /proc/PID/status (Linux only).
func (s *server) rss() (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(data)) {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
		if err != nil {
			return 0, fmt.Errorf("parsing VmRSS %q: %w", rest, err)
		}
		return kb * 1024, nil
	}
	return 0, errors.New("no VmRSS in /proc status")
}

// processes runs the measurements that need the minimal programs: latency
// and time to first call against one long-running server per library, then
// binary size and memory.
func (r *runner) processes() {
	if r.want("footprint") {
		defer r.footprint()
	}
	if !r.want("latency") && !r.want("startup") {
		return
	}
	servers, startErrs := map[string]*server{}, map[string]error{}
	for _, lib := range r.libs {
		s, err := r.startServer(lib)
		if err != nil {
			startErrs[lib.Name] = err
			continue
		}
		servers[lib.Name] = s
	}
	serverOf := func(lib rpc.Library) (*server, error) {
		if err := startErrs[lib.Name]; err != nil {
			return nil, err
		}
		return servers[lib.Name], nil
	}
	if r.want("latency") {
		r.latency(serverOf)
	}
	if r.want("startup") {
		r.startup(serverOf)
	}
	for _, s := range servers {
		if err := s.stop(); err != nil {
			r.logf("warning: %v", err)
		}
	}
}

// latency measures p50 and p99 of 64 B calls, one after another, with the
// server in another process.
func (r *runner) latency(serverOf func(rpc.Library) (*server, error)) {
	r.logf("64 B unary latency, server in another process")
	samples, errs := r.rounds(func(lib rpc.Library) ([]float64, error) {
		s, err := serverOf(lib)
		if err != nil {
			return nil, err
		}
		c, err := lib.Dial(context.Background(), s.socket)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		lat, err := measureLatency(c, r.cfg.LatencyCalls)
		if err != nil {
			return nil, err
		}
		return []float64{percentile(lat, 50), percentile(lat, 99)}, nil
	})
	record(r.add(newMetric(secLatency, "p50 latency", "2 processes p50 latency",
		Nanoseconds, LowerIsBetter, ratioAtMost(0.5))), 0, samples, errs)
	record(r.add(newMetric(secLatency, "p99 latency", "2 processes p99 latency",
		Nanoseconds, LowerIsBetter, nil)), 1, samples, errs)
}

// measureLatency times calls 64 B Echo calls on c, one after another, after
// a warm-up of a tenth as many, and returns the latencies in ns, sorted.
func measureLatency(c rpc.Client, calls int) ([]float64, error) {
	ctx := context.Background()
	in, out := &benchpb.Payload{Data: rpc.Bytes(64)}, &benchpb.Payload{}
	if _, err := echoFor(ctx, c, in, 0, max(calls/10, 10)); err != nil {
		return nil, err
	}
	lat := make([]float64, calls)
	for i := range lat {
		start := time.Now()
		if err := c.Echo(ctx, in, out); err != nil {
			return nil, err
		}
		lat[i] = float64(time.Since(start).Nanoseconds())
	}
	slices.Sort(lat)
	return lat, nil
}

// startup measures the time to a first call: from starting a new client
// process, and from dialling a new connection in this process.
func (r *runner) startup(serverOf func(rpc.Library) (*server, error)) {
	r.logf("time to first call: new client process, and new connection in process")
	samples, errs := r.rounds(func(lib rpc.Library) ([]float64, error) {
		s, err := serverOf(lib)
		if err != nil {
			return nil, err
		}
		procs := make([]float64, r.cfg.FirstCallRuns)
		for i := range procs {
			if procs[i], err = r.timeFirstCall(lib, s.socket); err != nil {
				return nil, err
			}
		}
		conns := make([]float64, r.cfg.ConnectRuns)
		for i := range conns {
			if conns[i], err = timeConnect(lib, s.socket); err != nil {
				return nil, err
			}
		}
		return []float64{median(procs), median(conns)}, nil
	})
	record(r.add(newMetric(secStartup, "new process: start to first answer", "first call, new process",
		Nanoseconds, LowerIsBetter, nil)), 0, samples, errs)
	record(r.add(newMetric(secStartup, "in process: connect and first call", "connect + first call",
		Nanoseconds, LowerIsBetter, nil)), 1, samples, errs)
}

// timeFirstCall starts lib's minimal client against socket and times it
// from just before the process starts to the moment its "ok" (printed
// after its first answer) arrives.
func (r *runner) timeFirstCall(lib rpc.Library, socket string) (float64, error) {
	start := time.Now()
	p, err := startProgram(r.clients[lib.Name], socket)
	if err != nil {
		return 0, err
	}
	err = p.expectLine(minimal.OK)
	elapsed := time.Since(start)
	if err != nil {
		p.kill()
		return 0, err
	}
	if err := p.stop(); err != nil {
		return 0, err
	}
	return float64(elapsed.Nanoseconds()), nil
}

// timeConnect times dialling a new client of lib to socket and its first
// 64 B call.
func timeConnect(lib rpc.Library, socket string) (float64, error) {
	ctx := context.Background()
	in, out := &benchpb.Payload{Data: rpc.Bytes(64)}, &benchpb.Payload{}
	start := time.Now()
	c, err := lib.Dial(ctx, socket)
	if err != nil {
		return 0, err
	}
	err = c.Echo(ctx, in, out)
	elapsed := time.Since(start)
	c.Close()
	return float64(elapsed.Nanoseconds()), err
}

// footprint measures the stripped size of each minimal server, and the
// memory of a fresh server process: idle, and per idle connection.
func (r *runner) footprint() {
	size := r.add(newMetric(secFootprint, `binary size (go build -ldflags="-s -w")`, "server binary size",
		Bytes, LowerIsBetter, smaller()))
	for _, lib := range r.libs {
		fi, err := os.Stat(r.servers[lib.Name])
		if err != nil {
			size.setError(lib.Name, err)
			continue
		}
		size.setSamples(lib.Name, []float64{float64(fi.Size())})
	}
	r.logf("server memory: idle, then with %d idle connections", r.cfg.IdleConns)
	samples, errs := r.rounds(r.measureRSS)
	record(r.add(newMetric(secFootprint, "RSS idle", "server RSS idle",
		Bytes, LowerIsBetter, smaller())), 0, samples, errs)
	record(r.add(newMetric(secFootprint, "RSS per idle connection", "server RSS per idle conn",
		Bytes, LowerIsBetter, nil)), 1, samples, errs)
}

// measureRSS starts a fresh server of lib and returns its resident set
// size when idle, and the growth per connection after IdleConns clients
// have connected and made one 64 B call each.
func (r *runner) measureRSS(lib rpc.Library) (_ []float64, err error) {
	s, err := r.startServer(lib)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, s.stop()) }()
	time.Sleep(r.cfg.RSSSettle)
	idle, err := s.rss()
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	in, out := &benchpb.Payload{Data: rpc.Bytes(64)}, &benchpb.Payload{}
	var clients []rpc.Client
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for range r.cfg.IdleConns {
		c, err := lib.Dial(ctx, s.socket)
		if err != nil {
			return nil, err
		}
		clients = append(clients, c)
		if err := c.Echo(ctx, in, out); err != nil {
			return nil, err
		}
	}
	time.Sleep(r.cfg.RSSSettle)
	busy, err := s.rss()
	if err != nil {
		return nil, err
	}
	return []float64{idle, (busy - idle) / float64(r.cfg.IdleConns)}, nil
}
