// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Hostile peers against the framing layer and the time limits, each bounded
// in count and time, over Unix sockets with raw frames: headers that
// announce megabytes and send nothing more, bodies trickled a byte at a
// time, peers that stop reading their answers, silent connections, and the
// optional idle timeout. Each checks with runtime/metrics that the server
// stays under a bound, that a well-behaved client on another connection is
// served meanwhile, and that the limit that tripped said so in the log.

// dialRaw connects a raw peer that the test drives by hand; it is closed
// when the test ends.
func dialRaw(t *testing.T, path string) net.Conn {
	t.Helper()
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// waitClosed waits until the server closes conn (a read gives an error),
// and returns how long that took from start.
func waitClosed(t *testing.T, conn net.Conn, start time.Time) time.Duration {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(rawPeerTimeout))
	var b [64]byte
	for {
		if _, err := conn.Read(b[:]); err != nil {
			if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
				t.Fatal("the server did not close the connection")
			}
			return time.Since(start)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// wantLogged fails t unless logs has n warnings or more that contain what.
func wantLogged(t *testing.T, logs *recordingLogger, n int, what string) {
	t.Helper()
	eventually(t, "the limit is logged", func() bool {
		got := 0
		for _, line := range logs.warnings() {
			if strings.Contains(line, what) {
				got++
			}
		}
		return got >= n
	})
}

// 200 connections each send a header announcing 4 MiB and nothing more
// (the attack: 804 MiB of heap before). Each costs its first
// chunk, 64 KiB, and the frame timeout closes them all, logged.
func TestHostileHeadersAnnouncingMegabytes(t *testing.T) {
	leakcheck.Check(t)
	const conns, frameTimeout = 200, 300 * time.Millisecond
	logs := &recordingLogger{}
	s, path := newTestServer(t, WithServerLogger(logs), WithServerFrameTimeout(frameTimeout))
	good := dialClient(t, path)
	mustEcho(t, good)
	runtime.GC()
	heapBefore, goroutinesBefore, _ := readHeapMetrics()
	stop := make(chan struct{})
	echoes := steadyEchoes(good, stop)

	start := time.Now()
	attackers := make([]net.Conn, conns)
	for i := range attackers {
		attackers[i] = dialRaw(t, path)
		if _, err := attackers[i].Write(rawFrame(frameLengthMax, 1, frameTypeRequest, 0, nil)); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "every attacker is served", func() bool { return s.Counts().Connections == conns+1 })
	runtime.GC()
	heapDuring, goroutinesDuring, _ := readHeapMetrics()
	for _, conn := range attackers {
		waitClosed(t, conn, start)
	}
	took := time.Since(start)
	close(stop)
	wantServed(t, <-echoes)

	perConn := (int64(heapDuring) - int64(heapBefore)) / conns
	if perConn > 96<<10 {
		t.Errorf("heap in use grew by %d KiB per connection that sent a 4 MiB header, want at most 96 KiB", perConn>>10)
	}
	if perGoroutine := float64(goroutinesDuring-goroutinesBefore) / conns; perGoroutine > 1.1 {
		t.Errorf("%.2f goroutines per attacker, want 1", perGoroutine)
	}
	if took > frameTimeout*3/2+2*time.Second {
		t.Errorf("the attackers were closed after %v with a frame timeout of %v", took, frameTimeout)
	}
	wantLogged(t, logs, conns, errFrameTimeout.Error())
	waitServerCounts(t, s, ServerCounts{Connections: 1})
	t.Logf("%d headers of 4 MiB: %d KiB of heap and %d goroutines each; all closed after %v",
		conns, perConn>>10, (goroutinesDuring-goroutinesBefore)/conns, took)
}

// A body trickled a byte every 20 ms, and half a header, do not outlast
// the frame timeout; the frame timeout does not touch a connection that
// sends nothing at all (it waits between frames, not inside one).
func TestHostileTrickledFrameEndsTheConnection(t *testing.T) {
	leakcheck.Check(t)
	const frameTimeout = 200 * time.Millisecond
	logs := &recordingLogger{}
	s, path := newTestServer(t, WithServerLogger(logs), WithServerFrameTimeout(frameTimeout))
	good := dialClient(t, path)
	stop := make(chan struct{})
	echoes := steadyEchoes(good, stop)

	silent := dialRaw(t, path)
	halfHeader := dialRaw(t, path)
	trickler := dialRaw(t, path)
	start := time.Now()
	if _, err := halfHeader.Write(rawFrame(100, 1, frameTypeRequest, 0, nil)[:5]); err != nil {
		t.Fatal(err)
	}
	if _, err := trickler.Write(rawFrame(1000, 1, frameTypeRequest, 0, nil)); err != nil {
		t.Fatal(err)
	}
	trickled := make(chan int, 1)
	// Owner: the test, which receives from trickled; the loop ends when the
	// server closes the connection.
	go func() {
		n := 0
		for ; n < 1000; n++ {
			time.Sleep(20 * time.Millisecond) // the attack's pace, not synchronisation
			if _, err := trickler.Write([]byte{0}); err != nil {
				break
			}
		}
		trickled <- n
	}()
	for _, conn := range []net.Conn{halfHeader, trickler} {
		if took := waitClosed(t, conn, start); took < frameTimeout {
			t.Errorf("closed after %v, before the frame timeout of %v", took, frameTimeout)
		}
	}
	if n := <-trickled; n >= 1000 {
		t.Errorf("the whole trickled body (%d bytes) went through", n)
	}
	wantLogged(t, logs, 2, errFrameTimeout.Error())
	close(stop)
	wantServed(t, <-echoes)
	if got := s.Counts().Connections; got != 2 {
		t.Errorf("%d connections open, want the silent one and the good client's", got)
	}
	silent.Close()
}

// A peer that stops reading while its answers are queued is cut off after
// the write stall timeout: its queued answers are freed, the handlers of
// its calls in flight are cancelled, and it is logged.
func TestHostileReaderThatStopsReadingIsCutOff(t *testing.T) {
	leakcheck.Check(t)
	const stall = 200 * time.Millisecond
	logs := &recordingLogger{}
	// The server's side of each socket buffers 16 KiB at most, so that the
	// kernel does not take megabytes before a write blocks.
	smallBuffers := handshakerFunc(func(_ context.Context, conn net.Conn) (net.Conn, interface{}, error) {
		if uc, ok := conn.(*net.UnixConn); ok {
			uc.SetWriteBuffer(16 << 10)
		}
		return conn, nil, nil
	})
	s, path := newTestServer(t, WithServerLogger(logs), WithServerWriteStallTimeout(stall), WithServerHandshaker(smallBuffers))
	good := dialClient(t, path)
	mustEcho(t, good)
	runtime.GC()
	heapBefore, _, _ := readHeapMetrics()
	sampler := sampleHeap()
	stop := make(chan struct{})
	echoes := steadyEchoes(good, stop)

	attacker := dialRaw(t, path)
	eventually(t, "the attacker is served", func() bool { return s.Counts().Connections == 2 })
	start := time.Now()
	// Two calls that hold until cancelled, then 40 asking for 256 KiB
	// each, whose answers the attacker never reads.
	block := mustMarshal(t, &Request{Service: testService, Method: "Block", Payload: mustMarshal(t, &wrapperspb.StringValue{})})
	bytesReq := mustMarshal(t, &Request{Service: testService, Method: "Bytes", Payload: mustMarshal(t, wrapperspb.Int64(256<<10))})
	if err := <-writeFrames(attacker, 1, 2, block); err != nil {
		t.Fatal(err)
	}
	if err := <-writeFrames(attacker, 5, 40, bytesReq); err != nil {
		t.Fatal(err)
	}
	// Watched from the server's side: reading would let the writes go on.
	eventually(t, "the attacker is cut off", func() bool { return s.Counts().Connections == 1 })
	took := time.Since(start)
	wantLogged(t, logs, 1, errWriteStall.Error())
	waitServerCounts(t, s, ServerCounts{Connections: 1}) // the Block handlers were cancelled too
	waitClosed(t, attacker, start)
	close(stop)
	wantServed(t, <-echoes)
	heapPeak, _ := sampler.halt()
	// Once its serve goroutine has returned, nothing holds the connection,
	// nor the answers in its queue.
	eventually(t, "the attacker's connection is gone", func() bool { return serverConnCount(s) == 1 })
	var heapAfter uint64
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		runtime.GC() // the buffer pools are emptied by the second
		if heapAfter, _, _ = readHeapMetrics(); heapAfter <= heapBefore+4<<20 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling the heap: nothing to wait on
	}

	if took < stall || took > 3*stall+2*time.Second {
		t.Errorf("cut off after %v with a write stall timeout of %v", took, stall)
	}
	if heapPeak > heapBefore+80<<20 {
		t.Errorf("heap in use peaked at %d MiB, over the 64 MiB connection budget and 16 MiB of slack", heapPeak>>20)
	}
	if heapAfter > heapBefore+4<<20 {
		t.Errorf("heap in use is %d MiB after the attacker was cut off, %d MiB before: its answers were not freed", heapAfter>>20, heapBefore>>20)
	}
	t.Logf("cut off after %v; heap %d MiB before, %d MiB at most, %d MiB after", took, heapBefore>>20, heapPeak>>20, heapAfter>>20)
}

// A connection that sends nothing costs one goroutine and a few KiB, and
// stays open by default (no idle timeout), however long it is silent:
// neither the frame timeout nor the handshake timeout (which bounds the
// Handshaker, and the default one returns at once) closes it.
func TestHostileSilentConnectionsAreCheap(t *testing.T) {
	leakcheck.Check(t)
	const conns = 200
	s, path := newTestServer(t, WithServerFrameTimeout(50*time.Millisecond), WithServerHandshakeTimeout(50*time.Millisecond))
	runtime.GC()
	heapBefore, goroutinesBefore, _ := readHeapMetrics()
	for range conns {
		dialRaw(t, path)
	}
	eventually(t, "every connection is served", func() bool { return s.Counts().Connections == conns })
	runtime.GC()
	heap, goroutines, _ := readHeapMetrics()
	perConn := (int64(heap) - int64(heapBefore)) / conns
	perGoroutine := float64(goroutines-goroutinesBefore) / conns
	if perGoroutine > 1.05 || perConn > 12<<10 {
		t.Errorf("a silent connection costs %.2f goroutines and %d B of heap, want 1 and at most 12 KiB", perGoroutine, perConn)
	}
	// Many frame timeouts later, none was closed.
	time.Sleep(200 * time.Millisecond) // the time they stay silent, not synchronisation
	if got := s.Counts().Connections; got != conns {
		t.Errorf("%d of %d silent connections still open, want all", got, conns)
	}
	t.Logf("a silent connection: %.2f goroutines, %d B of heap (both sides of the socket in this process)", perGoroutine, perConn)
}

// WithServerIdleTimeout closes a silent connection after one to two
// timeouts, and leaves one with a call in flight open for as long as the
// call lasts, then closes it too.
func TestHostileIdleTimeout(t *testing.T) {
	leakcheck.Check(t)
	const idle = 100 * time.Millisecond
	logs := &recordingLogger{}
	s, path := newTestServer(t, WithServerLogger(logs), WithServerIdleTimeout(idle))

	start := time.Now()
	silent := dialRaw(t, path)
	if took := waitClosed(t, silent, start); took < idle {
		t.Errorf("a silent connection was closed after %v, before the idle timeout of %v", took, idle)
	}
	wantLogged(t, logs, 1, errIdleTimeout.Error())

	c := dialClient(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), 5*idle)
	defer cancel()
	err := c.Call(ctx, testService, "Block", &wrapperspb.StringValue{}, nil)
	wantCode(t, err, codes.DeadlineExceeded) // not cut off while the call was in flight
	ended := time.Now()
	eventually(t, "the idle connection is closed", func() bool { return s.Counts().Connections == 0 })
	if took := time.Since(ended); took < idle {
		t.Errorf("closed %v after its call ended, before the idle timeout of %v", took, idle)
	}
}
