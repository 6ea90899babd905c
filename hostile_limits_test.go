// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Hostile peers against the metadata limits (WithServerMaxMetadata) and
// the server-wide limits (WithServerMaxConnections, WithServerMaxInFlight):
// each attack is bounded in count and time, runs over Unix sockets, and
// checks with runtime/metrics that the server stays under a bound while a
// well-behaved client on another connection keeps being served.

// heapSampler records, every millisecond until halt, the most heap in use
// by objects and the most goroutines, from runtime/metrics.
type heapSampler struct {
	stop, done    chan struct{}
	heap, threads atomic.Uint64 // peaks: bytes of heap objects, goroutines
}

var heapSamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/sched/goroutines:goroutines"},
	{Name: "/gc/heap/allocs:bytes"},
}

// readHeapMetrics returns the heap in use by objects, the goroutines and
// the bytes allocated so far.
func readHeapMetrics() (heap, goroutines, allocated uint64) {
	samples := append([]metrics.Sample(nil), heapSamples...)
	metrics.Read(samples)
	return samples[0].Value.Uint64(), samples[1].Value.Uint64(), samples[2].Value.Uint64()
}

func sampleHeap() *heapSampler {
	hs := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	// Owner: the test, through halt; exits when stop closes.
	go func() {
		defer close(hs.done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			heap, goroutines, _ := readHeapMetrics()
			hs.heap.Store(max(hs.heap.Load(), heap))
			hs.threads.Store(max(hs.threads.Load(), goroutines))
			select {
			case <-tick.C:
			case <-hs.stop:
				return
			}
		}
	}()
	return hs
}

// halt stops the sampler and returns its peaks.
func (hs *heapSampler) halt() (heap, goroutines uint64) {
	close(hs.stop)
	<-hs.done
	return hs.heap.Load(), hs.threads.Load()
}

// steadyEchoes calls Echo on c in a loop until stop closes, and reports
// the calls made, the first error and the slowest call.
func steadyEchoes(c *Client, stop <-chan struct{}) <-chan echoStats {
	out := make(chan echoStats, 1)
	// Owner: the test, which closes stop and receives from out.
	go func() {
		var st echoStats
		for !isDone(stop) {
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), rawPeerTimeout)
			_, err := echo(ctx, c, "steady")
			cancel()
			st.slowest = max(st.slowest, time.Since(start))
			if err != nil && st.err == nil {
				st.err = err
			}
			st.calls++
		}
		out <- st
	}()
	return out
}

type echoStats struct {
	calls   int
	err     error
	slowest time.Duration
}

// wantServed fails t unless the well-behaved client's calls all succeeded,
// promptly.
func wantServed(t *testing.T, st echoStats) {
	t.Helper()
	if st.err != nil || st.calls == 0 || st.slowest > 2*time.Second {
		t.Errorf("well-behaved client: %d calls, first error %v, slowest %v", st.calls, st.err, st.slowest)
	}
}

// answerCounter reads every frame a raw attacker gets until its connection
// ends, counting the Response status codes and keeping one message per
// code.
type answerCounter struct {
	mu       sync.Mutex
	codes    map[codes.Code]int
	messages map[codes.Code]string
	done     chan struct{}
}

func countAnswers(conn net.Conn) *answerCounter {
	ac := &answerCounter{codes: map[codes.Code]int{}, messages: map[codes.Code]string{}, done: make(chan struct{})}
	ch := newChannel(conn, frameLengthMax, frameLengthMax)
	// Owner: the test; exits when conn is closed (the test's cleanup).
	go func() {
		defer close(ac.done)
		for {
			h, data, err := ch.recv()
			if err != nil {
				return
			}
			resp := &Response{}
			if h.Type == frameTypeResponse && proto.Unmarshal(*data, resp) == nil {
				ac.mu.Lock()
				ac.codes[responseCode(resp)]++
				ac.messages[responseCode(resp)] = resp.GetStatus().GetMessage()
				ac.mu.Unlock()
			}
			releaseBuffer(data)
		}
	}()
	return ac
}

func (ac *answerCounter) count(code codes.Code) (int, string) {
	ac.mu.Lock()
	defer ac.mu.Unlock()
	return ac.codes[code], ac.messages[code]
}

// hugeMetadataRequest is the attack of issue 16: a Request of about
// 0.94 MiB for Hold whose metadata is 65,829 keys.
func hugeMetadataRequest() []byte {
	b := appendStringField(nil, fieldRequestService, floodService)
	b = appendStringField(b, fieldRequestMethod, "Hold")
	for i := range 65_829 {
		b = appendKeyValue(b, fmt.Sprintf("k%07d", i), "v") // 15 bytes an entry
	}
	return b
}

// writeFrames writes count frames of data, on the odd stream ids from
// first, in one goroutine; the returned channel gets the first error.
func writeFrames(conn net.Conn, first uint32, count int, data []byte) <-chan error {
	errc := make(chan error, 1)
	// Owner: the test, which receives from errc.
	go func() {
		frame := make([]byte, frameHeaderLength+len(data))
		copy(frame[frameHeaderLength:], data)
		conn.SetWriteDeadline(time.Now().Add(floodWait))
		for i := range count {
			putFrameHeader(frame, frameHeader{Length: uint32(len(data)), StreamID: first + 2*uint32(i), Type: frameTypeRequest})
			if _, err := conn.Write(frame); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	return errc
}

// TestHostileMetadataFloodIsCheap is issue 16's metadata attack against a
// server limited to 8 requests in flight per connection: 8 Hold calls hold
// the connection's slots, then 100 requests of 0.94 MiB with 65,829
// metadata keys each arrive. Each is refused with RESOURCE_EXHAUSTED before
// its metadata is decoded: the server allocates for each at most 256 KiB
// more than for a plain request of the same size (decoding the metadata
// took about 16 MiB more). Sent again while a client is served on another
// connection, the heap in use stays within 24 MiB of where it was
// (decoding, it went past that) and the client keeps being served. Once
// the slots are free, the same request is refused by the metadata limit,
// with a message that names it.
func TestHostileMetadataFloodIsCheap(t *testing.T) {
	leakcheck.Check(t)
	const limit, floodCount = 8, 100
	hold := newHoldCounter()
	s, path := newTestServer(t, WithServerMaxConcurrentRequests(limit))
	s.Register(floodService, map[string]Method{"Hold": hold.method})
	good := dialClient(t, path)
	mustEcho(t, good)
	attacker := dialRawPeer(t, path)
	answers := countAnswers(attacker.conn)
	holdReq := mustMarshal(t, &Request{Service: floodService, Method: "Hold"})
	if err := <-writeFrames(attacker.conn, 1, limit, holdReq); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the Hold calls hold every slot", func() bool { return hold.running.Load() == limit })
	attack := hugeMetadataRequest()
	plain := mustMarshal(t, &Request{Service: floodService, Method: "Hold", Payload: make([]byte, len(attack)-32)})
	nextID := uint32(2*limit + 1)
	// flood sends 100 frames of data, each refused, and returns the bytes
	// the process allocated for each.
	flood := func(data []byte) uint64 {
		refused, _ := answers.count(codes.ResourceExhausted)
		_, _, allocBefore := readHeapMetrics()
		if err := <-writeFrames(attacker.conn, nextID, floodCount, data); err != nil {
			t.Fatal(err)
		}
		nextID += 2 * floodCount
		eventually(t, "every flood request is answered", func() bool {
			n, _ := answers.count(codes.ResourceExhausted)
			return n == refused+floodCount
		})
		_, _, allocAfter := readHeapMetrics()
		return (allocAfter - allocBefore) / floodCount
	}
	// What reading and refusing a frame of that size costs, then the same
	// with the metadata, with nothing else running.
	plainCost := flood(plain)
	perRequest := flood(attack)
	if perRequest > plainCost+256<<10 {
		t.Errorf("%d KiB allocated per refused request with metadata, %d KiB without: its metadata was decoded", perRequest>>10, plainCost>>10)
	}

	// Again, while a client is served on another connection.
	runtime.GC()
	heapBefore, goroutinesBefore, _ := readHeapMetrics()
	sampler := sampleHeap()
	stopEchoes := make(chan struct{})
	echoes := steadyEchoes(good, stopEchoes)
	start := time.Now()
	flood(attack)
	took := time.Since(start)
	close(stopEchoes)
	wantServed(t, <-echoes)
	heapPeak, goroutinesPeak := sampler.halt()
	if heapPeak > heapBefore+24<<20 {
		t.Errorf("heap in use peaked at %d MiB, %d MiB over the %d MiB before the flood",
			heapPeak>>20, (heapPeak-heapBefore)>>20, heapBefore>>20)
	}
	// The sampler, the echoing client and the goroutines that serve it
	// (a request goroutine, the writers, a timer's) come and go: a few
	// more than before, never one per refused request.
	if goroutinesPeak > goroutinesBefore+16 {
		t.Errorf("goroutines peaked at %d, %d before the flood", goroutinesPeak, goroutinesBefore)
	}
	if _, msg := answers.count(codes.ResourceExhausted); !strings.Contains(msg, "too many requests in flight on this connection") {
		t.Errorf("refused with %q, want the per-connection limit", msg)
	}
	if got := hold.started.Load(); got != limit {
		t.Errorf("%d handlers started, want %d", got, limit)
	}
	t.Logf("%d requests of %d KiB in %v: %d KiB allocated each (%d KiB without metadata), heap peak %d MiB (%d before), goroutines peak %d (%d before)",
		floodCount, len(attack)>>10, took, perRequest>>10, plainCost>>10, heapPeak>>20, heapBefore>>20, goroutinesPeak, goroutinesBefore)

	// The slots free, the attack meets the metadata limit.
	close(hold.release)
	eventually(t, "the Hold calls end", func() bool { return hold.running.Load() == 0 })
	waitServerCounts(t, s, ServerCounts{Connections: 2})
	attacker.writeFrame(nextID, frameTypeRequest, 0, attack)
	eventually(t, "the attack is refused by the metadata limit", func() bool {
		n, _ := answers.count(codes.ResourceExhausted)
		return n == 3*floodCount+1
	})
	if _, msg := answers.count(codes.ResourceExhausted); msg != "ttrpc: request metadata has too many entries (limit 1024)" {
		t.Errorf("refused with %q, want the metadata entries limit named", msg)
	}
	if got := hold.started.Load(); got != limit {
		t.Errorf("%d handlers started, want %d", got, limit)
	}
	mustEcho(t, good)
}

// manyEntries is metadata of n entries of one byte each.
func manyEntries(n int) MD {
	md := MD{}
	for i := range n {
		md.Append(fmt.Sprint("k", i), "v")
	}
	return md
}

// TestHostileMetadataLimitsPerCall sends metadata at and over each limit
// through a Client: at the limit the call is served, one over it is
// refused with RESOURCE_EXHAUSTED naming the limit, and the connection goes
// on serving.
func TestHostileMetadataLimitsPerCall(t *testing.T) {
	_, c := setup(t, WithServerMaxMetadata(16, 100))
	for _, tc := range []struct {
		name string
		md   MD
		want string // "" for served
	}{
		{"16 entries", manyEntries(16), ""},
		{"17 entries", manyEntries(17), "ttrpc: request metadata has too many entries (limit 16)"},
		{"100 bytes", MD{"key": {strings.Repeat("v", 97)}}, ""},
		{"100 bytes, the key twice", MD{"key": {strings.Repeat("v", 50), strings.Repeat("w", 44)}}, ""},
		{"101 bytes", MD{"key": {strings.Repeat("v", 98)}}, "ttrpc: request metadata has too many bytes of keys and values (limit 100)"},
		{"101 bytes, the key twice", MD{"key": {strings.Repeat("v", 50), strings.Repeat("w", 45)}}, "ttrpc: request metadata has too many bytes of keys and values (limit 100)"},
	} {
		_, err := echo(WithMetadata(boundedCtx(t), tc.md), c, "x")
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v, want served", tc.name, err)
			}
			continue
		}
		if st, _ := status.FromError(err); st.Code() != codes.ResourceExhausted || st.Message() != tc.want {
			t.Errorf("%s: %v, want RESOURCE_EXHAUSTED %q", tc.name, err, tc.want)
		}
		mustEcho(t, c)
	}
}

// countingHandshaker accepts every connection and counts its runs.
type countingHandshaker struct{ runs atomic.Int64 }

func (h *countingHandshaker) Handshake(_ context.Context, conn net.Conn) (net.Conn, interface{}, error) {
	h.runs.Add(1)
	return conn, nil, nil
}

// TestHostileConnectionFlood opens 200 connections to a server limited to
// 4, of which 3 are served clients: each excess connection is closed at
// once, before its handshake, the server never holds more than 4, its
// goroutines stay bounded, the flood is logged in one line (the log is
// rate-limited; a later line counts the connections closed since), and the
// served clients keep being served. When one of them leaves, a new
// connection is served.
func TestHostileConnectionFlood(t *testing.T) {
	leakcheck.Check(t)
	const limit, flood = 4, 200
	logs := &recordingLogger{}
	hs := &countingHandshaker{}
	s, path := newTestServer(t, WithServerMaxConnections(limit), WithServerLogger(logs), WithServerHandshaker(hs))
	good := dialClient(t, path)
	mustEcho(t, good)
	others := []*Client{dialClient(t, path), dialClient(t, path), dialClient(t, path)}
	for _, c := range others {
		mustEcho(t, c)
	}
	stopEchoes := make(chan struct{})
	echoes := steadyEchoes(good, stopEchoes)
	time.Sleep(20 * time.Millisecond) // the echoes' goroutines are running
	_, goroutinesBefore, _ := readHeapMetrics()
	sampler := sampleHeap()
	for i := range flood {
		conn, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(rawPeerTimeout))
		if n, err := conn.Read(make([]byte, 1)); n != 0 || err == nil {
			t.Fatalf("connection %d over the limit: read %d bytes, %v; want it closed", i, n, err)
		}
		conn.Close()
		if n := s.Counts().Connections; n > limit {
			t.Fatalf("%d connections open, limit %d", n, limit)
		}
	}
	close(stopEchoes)
	wantServed(t, <-echoes)
	_, goroutinesPeak := sampler.halt()
	// The sampler, the echoing client and the goroutines that serve it
	// (a request goroutine, the writers, a timer's) come and go: a few
	// more than before, never one per refused request.
	if goroutinesPeak > goroutinesBefore+16 {
		t.Errorf("goroutines peaked at %d, %d before the flood", goroutinesPeak, goroutinesBefore)
	}
	if n := hs.runs.Load(); n != limit {
		t.Errorf("%d handshakes ran, want %d: the excess must be closed before its handshake", n, limit)
	}
	logs.mu.Lock()
	var refusals []string
	for _, line := range logs.lines {
		if strings.Contains(line, "too many connections") {
			refusals = append(refusals, line)
		}
	}
	logs.mu.Unlock()
	if len(refusals) != 1 || !strings.HasPrefix(refusals[0], "WARN") || !strings.Contains(refusals[0], fmt.Sprint("limit ", limit)) {
		t.Errorf("log lines on refused connections: %q, want one warning naming the limit", refusals)
	}
	// Ten seconds later (as if), the next refusal logs again, with the
	// number closed since the first line: 199 and itself.
	s.refusalLogged.Add(-int64(connRefusalLogEvery))
	if conn, err := net.Dial("unix", path); err == nil {
		conn.SetReadDeadline(time.Now().Add(rawPeerTimeout))
		conn.Read(make([]byte, 1))
		conn.Close()
	}
	eventually(t, "the second line", func() bool {
		logs.mu.Lock()
		defer logs.mu.Unlock()
		return strings.Contains(strings.Join(logs.lines, "\n"), fmt.Sprint("closed ", flood))
	})
	others[0].Close()
	eventually(t, "a slot frees", func() bool { return s.Counts().Connections < limit })
	mustEcho(t, dialClient(t, path))
}

// TestHostileInFlightAcrossConnections floods a server limited to 6 calls
// and streams in flight over all its connections from 4 raw connections,
// 500 Hold requests each (a stream among them): 6 handlers start, every
// other request is refused with RESOURCE_EXHAUSTED naming the server-wide
// limit, the goroutines stay bounded, and once the handlers return every
// connection is served again.
func TestHostileInFlightAcrossConnections(t *testing.T) {
	leakcheck.Check(t)
	const limit, conns, flood = 6, 4, 500
	hold := newHoldCounter()
	s, path := newTestServer(t, WithServerMaxInFlight(limit))
	s.RegisterService(floodService, &ServiceDesc{
		Methods: map[string]Method{"Hold": hold.method},
		Streams: map[string]Stream{"HoldStream": {Handler: hold.stream, StreamingClient: true, StreamingServer: true}},
	})
	stream := dialRawPeer(t, path)
	stream.writeFrame(1, frameTypeRequest, flagRemoteOpen, mustMarshal(t, &Request{Service: floodService, Method: "HoldStream"}))
	eventually(t, "the stream holds a slot", func() bool { return hold.running.Load() == 1 })
	peers := make([]*rawPeer, conns)
	counters := make([]*answerCounter, conns)
	for i := range peers {
		peers[i] = dialRawPeer(t, path)
		peers[i].echoOK(1, "warm")
		counters[i] = countAnswers(peers[i].conn)
	}
	_, goroutinesBefore, _ := readHeapMetrics()
	sampler := sampleHeap()
	holdReq := mustMarshal(t, &Request{Service: floodService, Method: "Hold"})
	for _, p := range peers {
		if err := <-writeFrames(p.conn, 3, flood, holdReq); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "every excess request is answered", func() bool {
		total := 0
		for _, ac := range counters {
			n, _ := ac.count(codes.ResourceExhausted)
			total += n
		}
		return total == conns*flood-(limit-1)
	})
	_, goroutinesPeak := sampler.halt()
	if got := hold.started.Load(); got != limit {
		t.Errorf("%d handlers started, want %d", got, limit)
	}
	if goroutinesPeak > goroutinesBefore+limit+8 {
		t.Errorf("goroutines peaked at %d, %d before the flood", goroutinesPeak, goroutinesBefore)
	}
	if _, msg := counters[0].count(codes.ResourceExhausted); msg != "ttrpc: too many requests in flight on this server (limit 6)" {
		t.Errorf("refused with %q, want the server-wide limit named", msg)
	}
	close(hold.release)
	waitServerCounts(t, s, ServerCounts{Connections: conns + 1})
	for i, p := range peers {
		before, _ := counters[i].count(codes.OK)
		p.writeFrame(2*flood+3, frameTypeRequest, 0, mustMarshal(t, echoRequest(t, "after")))
		eventually(t, "the connection is served again", func() bool {
			n, _ := counters[i].count(codes.OK)
			return n > before
		})
	}
}

// TestHostileInFlightCountsAbandonedHandlers: a handler that ignores its
// context keeps its server-wide slot after the server has answered its
// call at the deadline, until it returns.
func TestHostileInFlightCountsAbandonedHandlers(t *testing.T) {
	release := make(chan struct{})
	s, c := setup(t, WithServerMaxInFlight(1))
	s.Register(floodService, map[string]Method{
		"Ignore": func(context.Context, func(interface{}) error) (interface{}, error) {
			<-release
			return nil, nil
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	wantCode(t, c.Call(ctx, floodService, "Ignore", &Request{}, nil), codes.DeadlineExceeded)
	eventually(t, "the server gives up on the handler", func() bool { return s.Counts().Abandoned == 1 })
	_, err := echo(boundedCtx(t), c, "x")
	wantCode(t, err, codes.ResourceExhausted)
	close(release)
	eventually(t, "the handler returns", func() bool { return s.Counts().Abandoned == 0 })
	mustEcho(t, c)
}

// The first Request field a hostile peer may put anywhere: metadata before
// the names still meets the limits.
func TestHostileMetadataFirstOnTheWire(t *testing.T) {
	_, path := newTestServer(t, WithServerMaxMetadata(2, 0))
	p := dialRawPeer(t, path)
	var b []byte
	for i := range 3 {
		b = appendKeyValue(b, fmt.Sprint("k", i), "v")
	}
	b = appendStringField(b, fieldRequestService, testService)
	b = appendStringField(b, fieldRequestMethod, "Echo")
	b = protowire.AppendTag(b, fieldRequestPayload, protowire.BytesType)
	b = protowire.AppendBytes(b, echoRequest(t, "x").Payload)
	p.writeFrame(1, frameTypeRequest, 0, b)
	resp := p.recvResponse(1)
	wantResponseCode(t, resp, codes.ResourceExhausted)
	if msg := resp.GetStatus().GetMessage(); msg != "ttrpc: request metadata has too many entries (limit 2)" {
		t.Errorf("message %q", msg)
	}
	p.echoOK(3, "still served")
}
