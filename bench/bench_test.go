// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package bench

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/featherrpc/ttrpc/bench/internal/benchpb"
	"github.com/featherrpc/ttrpc/bench/internal/harness"
	"github.com/featherrpc/ttrpc/bench/internal/report"
	"github.com/featherrpc/ttrpc/bench/internal/rpc"
)

// TestBenchShort runs every measurement of cmd/benchall with tiny counts
// (including building the minimal programs and starting them as separate
// processes, and every hostile-peer attack) and checks that each library produced every figure, and that
// the table, RESULTS.md and results.png come out.
func TestBenchShort(t *testing.T) {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	res, err := harness.Run(harness.ShortConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Metrics) == 0 {
		t.Fatal("no metrics")
	}
	for _, m := range res.Metrics {
		for _, lib := range res.Libraries {
			if e, ok := m.Errors[lib]; ok {
				t.Errorf("%s: %s: %s: %s", m.Section, m.Name, lib, e)
			} else if _, ok := m.Values[lib]; !ok {
				t.Errorf("%s: %s: %s: no value", m.Section, m.Name, lib)
			}
		}
	}
	checkBinarySmaller(t, res)
	checkHostile(t, res)
	var text bytes.Buffer
	if err := report.Text(&text, res); err != nil {
		t.Fatal(err)
	}
	t.Logf("short run (figures are meaningless):\n%s", text.String())
	out := t.TempDir()
	mdPath, pngPath, err := report.WriteFiles(out, res)
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(mdPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Metrics {
		if !strings.Contains(string(md), "| "+m.Name+" |") {
			t.Errorf("RESULTS.md has no row %q", m.Name)
		}
	}
	for _, row := range res.Hostile {
		if !strings.Contains(string(md), "| "+row.Attack+" |") {
			t.Errorf("RESULTS.md has no hostile row %q", row.Attack)
		}
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("results.png: %v", err)
	}
}

// checkBinarySmaller fails t unless featherrpc's stripped minimal server is
// smaller than containerd's: the one figure of the run that does not
// depend on the machine's load (only on the toolchain), so a change that
// loses the target fails here rather than in the next benchmark run.
func checkBinarySmaller(t *testing.T, res *harness.Results) {
	t.Helper()
	for _, m := range res.Metrics {
		if !strings.HasPrefix(m.Name, "binary size") {
			continue
		}
		ours, theirs := m.Values["featherrpc"], m.Values["containerd"]
		if ours == 0 || theirs == 0 || ours >= theirs {
			t.Errorf("minimal server binary: featherrpc %.0f bytes, containerd %.0f; want ours smaller", ours, theirs)
		}
		return
	}
	t.Error("no binary size in the results")
}

// checkHostile fails t unless every hostile-peer attack ran (with tiny
// counts) against featherrpc and containerd and gave each figure.
func checkHostile(t *testing.T, res *harness.Results) {
	t.Helper()
	if len(res.Hostile) != 8 {
		t.Errorf("%d hostile-peer attacks, want 8", len(res.Hostile))
	}
	for _, row := range res.Hostile {
		for _, m := range []*harness.Metric{row.Heap, row.Goroutines, row.P50, row.P99, row.Failed, row.Ended} {
			for _, lib := range []string{harness.Ours, harness.Reference} {
				if e, ok := m.Errors[lib]; ok {
					t.Errorf("%s: %s: %s", m.Name, lib, e)
				} else if _, ok := m.Values[lib]; !ok {
					t.Errorf("%s: %s: no value", m.Name, lib)
				}
			}
		}
	}
}

// startPair starts a server and a client of lib in this process, on a Unix
// socket in a new short-named directory, and stops them when tb ends.
func startPair(tb testing.TB, lib rpc.Library) *harness.Pair {
	tb.Helper()
	dir, err := os.MkdirTemp("", "bench")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	p, err := harness.StartPair(lib, filepath.Join(dir, "s.sock"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

// sizeName names a payload size in a benchmark name: "64B", "4KiB".
func sizeName(n int) string {
	return strings.ReplaceAll(harness.SizeLabel(n), " ", "")
}

// BenchmarkUnary measures one Echo round trip (client and server in this
// process) per op, at each payload size. The allocations are the whole
// process's: client and server.
func BenchmarkUnary(b *testing.B) {
	for _, size := range []int{64, 4 << 10, 1 << 20} {
		for _, lib := range harness.Libraries() {
			b.Run(fmt.Sprintf("size=%s/lib=%s", sizeName(size), lib.Name), func(b *testing.B) {
				p := startPair(b, lib)
				ctx := context.Background()
				in, out := &benchpb.Payload{Data: rpc.Bytes(size)}, &benchpb.Payload{}
				if err := p.Client.Echo(ctx, in, out); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := p.Client.Echo(ctx, in, out); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkStream measures server streaming of 1 KiB messages: one op is
// one message of a stream of b.N messages.
func BenchmarkStream(b *testing.B) {
	const size = 1 << 10
	for _, lib := range harness.Libraries() {
		b.Run(fmt.Sprintf("size=%s/lib=%s", sizeName(size), lib.Name), func(b *testing.B) {
			p := startPair(b, lib)
			msg := &benchpb.Payload{}
			b.ReportAllocs()
			b.ResetTimer()
			req := &benchpb.StreamRequest{Count: int32(b.N), Size: size}
			n, err := p.Client.Stream(context.Background(), req, msg)
			if err != nil {
				b.Fatal(err)
			}
			if n != b.N {
				b.Fatalf("received %d messages, want %d", n, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkConcurrent measures 64 B Echo calls made by concurrent callers
// sharing one client (one connection); one op is one call. cpu-ns/op is
// the CPU time of the whole process (client and server) per call.
func BenchmarkConcurrent(b *testing.B) {
	for _, callers := range []int{1, 16, 64, 256} {
		for _, lib := range harness.Libraries() {
			b.Run(fmt.Sprintf("callers=%d/lib=%s", callers, lib.Name), func(b *testing.B) {
				p := startPair(b, lib)
				b.ReportAllocs()
				cpu0, err := harness.CPUTime()
				if err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				var left atomic.Int64
				left.Store(int64(b.N))
				var wg sync.WaitGroup
				for range callers {
					wg.Add(1)
					// Owner: this benchmark, through wg. Each caller exits
					// when the b.N calls are shared out.
					go func() {
						defer wg.Done()
						ctx := context.Background()
						in, out := &benchpb.Payload{Data: rpc.Bytes(64)}, &benchpb.Payload{}
						for left.Add(-1) >= 0 {
							if err := p.Client.Echo(ctx, in, out); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				cpu1, err := harness.CPUTime()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			})
		}
	}
}
