// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"
)

// benchPair starts a server with the test services on a Unix socket and
// connects a client; both are closed when the benchmark ends.
func benchPair(b *testing.B) *Client {
	b.Helper()
	s, err := NewServer(WithServerLogger(quietLogger))
	if err != nil {
		b.Fatal(err)
	}
	s.Register(testService, testMethods())
	s.RegisterService(streamService, streamTestService())
	path := benchSocketPath(b)
	l, err := net.Listen("unix", path)
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve(context.Background(), l)
	conn, err := net.Dial("unix", path)
	if err != nil {
		b.Fatal(err)
	}
	c := NewClient(conn, WithClientLogger(quietLogger))
	b.Cleanup(func() {
		c.Close()
		s.Close()
	})
	return c
}

func benchSocketPath(b *testing.B) string {
	dir := b.TempDir()
	if len(dir) > 90 {
		b.Fatalf("socket directory %q too long", dir)
	}
	return dir + "/s"
}

// BenchmarkRoundTrip measures one round trip of an Echo call, client and server
// in one process, for several payload sizes.
func BenchmarkRoundTrip(b *testing.B) {
	for _, size := range []int{64, 4 << 10, 1 << 20} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			c := benchPair(b)
			req := &wrapperspb.BytesValue{Value: make([]byte, size)}
			resp := &wrapperspb.BytesValue{}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := c.Call(context.Background(), testService, "Echo", req, resp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRoundTripDeadlineMetadata measures a 64-byte round trip whose
// context has a deadline and metadata, as most calls of a container
// runtime's clients do: the server's handler context carries both.
func BenchmarkRoundTripDeadlineMetadata(b *testing.B) {
	c := benchPair(b)
	req := &wrapperspb.BytesValue{Value: make([]byte, 64)}
	resp := &wrapperspb.BytesValue{}
	ctx, cancel := context.WithTimeout(WithMetadata(context.Background(), MD{"namespace": {"default"}}), time.Hour)
	defer cancel()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := c.Call(ctx, testService, "Echo", req, resp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConcurrent measures throughput with many concurrent callers
// on one connection.
func BenchmarkConcurrent(b *testing.B) {
	for _, callers := range []int{16, 64, 256} {
		b.Run(fmt.Sprint(callers), func(b *testing.B) {
			c := benchPair(b)
			b.SetParallelism(max(callers/max(1, testingProcs()), 1))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				req := &wrapperspb.BytesValue{Value: make([]byte, 64)}
				resp := &wrapperspb.BytesValue{}
				for pb.Next() {
					if err := c.Call(context.Background(), testService, "Echo", req, resp); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkStream measures 1 KiB messages on server streams of
// 1000 messages each.
func BenchmarkStream(b *testing.B) {
	s, err := NewServer(WithServerLogger(quietLogger))
	if err != nil {
		b.Fatal(err)
	}
	msg := &wrapperspb.BytesValue{Value: make([]byte, 1024)}
	s.RegisterService("bench.Streams", &ServiceDesc{Streams: map[string]Stream{
		"Send": {StreamingServer: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
			n := &wrapperspb.Int64Value{}
			if err := ss.RecvMsg(n); err != nil {
				return nil, err
			}
			for range n.Value {
				if err := ss.SendMsg(msg); err != nil {
					return nil, err
				}
			}
			return nil, nil
		}},
	}})
	path := benchSocketPath(b)
	l, err := net.Listen("unix", path)
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve(context.Background(), l)
	defer s.Close()
	conn, err := net.Dial("unix", path)
	if err != nil {
		b.Fatal(err)
	}
	c := NewClient(conn, WithClientLogger(quietLogger))
	defer c.Close()
	b.ReportAllocs()
	b.SetBytes(1024)
	b.ResetTimer()
	got := &wrapperspb.BytesValue{}
	for left := b.N; left > 0; left -= 1000 {
		n := min(left, 1000)
		cs, err := c.NewStream(context.Background(), divideDesc, "bench.Streams", "Send", wrapperspb.Int64(int64(n)))
		if err != nil {
			b.Fatal(err)
		}
		for range n {
			if err := cs.RecvMsg(got); err != nil {
				b.Fatal(err)
			}
		}
		if err := cs.RecvMsg(got); err != io.EOF {
			b.Fatal(err)
		}
	}
}

// BenchmarkPool compares a dialing client with one connection and with a
// pool of four (both policies) at 1, 64 and 256 concurrent callers,
// reporting calls/s and the process's CPU time per call (client and server
// together: they share the process).
func BenchmarkPool(b *testing.B) {
	for _, conns := range []int{1, 4} {
		for _, policy := range []PoolPolicy{PoolLeastPending, PoolRoundRobin} {
			if conns == 1 && policy == PoolRoundRobin {
				continue // no choice to make
			}
			for _, callers := range []int{1, 64, 256} {
				name := fmt.Sprintf("conns=%d/%v/callers=%d", conns, policy, callers)
				b.Run(name, func(b *testing.B) { benchPool(b, conns, policy, callers) })
			}
		}
	}
}

func benchPool(b *testing.B, conns int, policy PoolPolicy, callers int) {
	s, err := NewServer(WithServerLogger(quietLogger))
	if err != nil {
		b.Fatal(err)
	}
	s.Register(testService, testMethods())
	path := benchSocketPath(b)
	l, err := net.Listen("unix", path)
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve(context.Background(), l)
	defer s.Close()
	dial := func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}
	c := NewClientWithDialer(dial, WithClientLogger(quietLogger), WithConnections(conns), WithPoolPolicy(policy))
	defer c.Close()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, start := processCPU(), time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := &wrapperspb.BytesValue{Value: make([]byte, 64)}
			resp := &wrapperspb.BytesValue{}
			for next.Add(1) <= int64(b.N) {
				if err := c.Call(context.Background(), testService, "Echo", req, resp); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), processCPU()-cpu0
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/call")
}

func testingProcs() int { return runtime.GOMAXPROCS(0) }
