// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Limits under abuse: a client flooding a server cannot make it start more
// handler goroutines than WithServerMaxConcurrentRequests allows, and
// messages up to the protocol's 16 MiB hard cap go through while one byte
// more is refused.

const floodService = "ttrpc.test.v1.Flood"

// floodWait bounds the waits of the flood tests, which run thousands of
// requests: generous for a busy machine, and reached only by a hang.
const floodWait = 30 * time.Second

// holdCounter counts the runs of the Hold handler, which waits until its
// release channel closes (or its context ends) and then answers "held".
type holdCounter struct {
	release chan struct{}
	started atomic.Int64 // runs begun
	running atomic.Int64 // runs under way
	peak    atomic.Int64 // most runs under way at once
}

func newHoldCounter() *holdCounter { return &holdCounter{release: make(chan struct{})} }

func (h *holdCounter) method(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
	h.started.Add(1)
	n := h.running.Add(1)
	defer h.running.Add(-1)
	for p := h.peak.Load(); n > p && !h.peak.CompareAndSwap(p, n); p = h.peak.Load() {
	}
	select {
	case <-h.release:
		return wrapperspb.String("held"), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// holdStream is a stream handler that holds like Hold.
func (h *holdCounter) stream(ctx context.Context, ss StreamServer) (interface{}, error) {
	return h.method(ctx, nil)
}

// goroutineSampler records the most goroutines seen while it runs.
type goroutineSampler struct {
	stop chan struct{}
	done chan struct{}
	max  atomic.Int64
}

func sampleGoroutines() *goroutineSampler {
	gs := &goroutineSampler{stop: make(chan struct{}), done: make(chan struct{})}
	// Owner: the test, through gs.halt; exits when stop closes.
	go func() {
		defer close(gs.done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if n := int64(runtime.NumGoroutine()); n > gs.max.Load() {
				gs.max.Store(n)
			}
			select {
			case <-tick.C:
			case <-gs.stop:
				return
			}
		}
	}()
	return gs
}

// halt stops the sampler and returns the most goroutines it saw.
func (gs *goroutineSampler) halt() int {
	close(gs.stop)
	<-gs.done
	return int(gs.max.Load())
}

// TestFloodRawRequestsBoundedHandlers writes 20,000 requests to a server
// limited to 8 requests in flight per connection, without reading a single
// answer at first. Exactly the first 8 start a handler (they hold until
// released), and the server never runs more goroutines than its fixed few
// plus those 8, whatever the backlog. (Whether it also stopped reading,
// pushing back through the socket, depends on the kernel's socket buffers:
// the test logs it.) Every other request is answered, once, with
// RESOURCE_EXHAUSTED; once the 8 are released and answered, the connection
// takes requests again.
func TestFloodRawRequestsBoundedHandlers(t *testing.T) {
	leakcheck.Check(t)
	const limit, flood = 8, 20_000
	hold := newHoldCounter()
	s, path := newTestServer(t, WithServerMaxConcurrentRequests(limit))
	s.Register(floodService, map[string]Method{"Hold": hold.method})
	p := dialRawPeer(t, path)
	p.echoOK(1, "warm")
	// The warm call has left the connection (its answer comes first), so
	// that it does not count against the limit.
	waitServerCounts(t, s, ServerCounts{Connections: 1})
	baseline := runtime.NumGoroutine()
	sampler := sampleGoroutines()

	// The flood, one request per write, on its own goroutine: the server
	// stops reading once its answers fill the socket, and so do our writes.
	holdReq := mustMarshal(t, &Request{Service: floodService, Method: "Hold"})
	id := func(i int) uint32 { return uint32(3 + 2*i) }
	var written atomic.Int64
	writeErr := make(chan error, 1)
	// Owner: the test, which receives from writeErr.
	go func() {
		frame := make([]byte, frameHeaderLength+len(holdReq))
		copy(frame[frameHeaderLength:], holdReq)
		p.conn.SetWriteDeadline(time.Now().Add(time.Minute))
		for i := range flood {
			putFrameHeader(frame, frameHeader{Length: uint32(len(holdReq)), StreamID: id(i), Type: frameTypeRequest})
			if _, err := p.conn.Write(frame); err != nil {
				writeErr <- fmt.Errorf("request %d: %w", i, err)
				return
			}
			written.Add(1)
		}
		writeErr <- nil
	}()
	eventually(t, "the flood is written or the server pushes back", func() bool {
		before := written.Load()
		time.Sleep(20 * time.Millisecond)
		return written.Load() == before
	})
	pushedBack := written.Load() < flood
	if got := hold.started.Load(); got != limit {
		t.Fatalf("%d handlers started for %d requests, want %d", got, written.Load(), limit)
	}

	// Now read every answer.
	codesByID := make(map[uint32]codes.Code, flood)
	read := func(n int) {
		t.Helper()
		for range n {
			h, data := p.recvFrame()
			resp := &Response{}
			if h.Type != frameTypeResponse || proto.Unmarshal(data, resp) != nil {
				t.Fatalf("frame type %d on stream %d, want a response", h.Type, h.StreamID)
			}
			if _, dup := codesByID[h.StreamID]; dup {
				t.Fatalf("stream %d answered twice", h.StreamID)
			}
			codesByID[h.StreamID] = responseCode(resp)
		}
	}
	read(flood - limit)
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	if got := hold.started.Load(); got != limit {
		t.Fatalf("%d handlers started for %d requests, want %d", got, flood, limit)
	}
	close(hold.release)
	read(limit)
	for i := range flood {
		want := codes.ResourceExhausted
		if i < limit {
			want = codes.OK
		}
		if got, ok := codesByID[id(i)]; !ok || got != want {
			t.Fatalf("request %d (stream %d) answered %v (%v), want %v", i, id(i), got, ok, want)
		}
	}
	p.echoOK(id(flood), "after the flood")
	peak := sampler.halt()
	if peak > baseline+limit+8 {
		t.Errorf("goroutines peaked at %d, %d over the %d before the flood: more than the %d handlers allowed", peak, peak-baseline, baseline, limit)
	}
	if hold.peak.Load() != limit {
		t.Errorf("%d handlers ran at once, want %d", hold.peak.Load(), limit)
	}
	t.Logf("%d requests: %d handlers, %d goroutines at most (%d before); the server pushed back: %v",
		flood, hold.started.Load(), peak, baseline, pushedBack)
}

// TestFloodCallsAndStreamsShareTheLimit makes 1,000 concurrent calls and
// streams on one Client to a server limited to 8 requests in flight per
// connection: 8 handlers run, the others are refused at once with
// RESOURCE_EXHAUSTED (and never reach a handler), a second connection has
// its own 8, and once the handlers finish the first connection serves again.
func TestFloodCallsAndStreamsShareTheLimit(t *testing.T) {
	leakcheck.Check(t)
	const limit, callers = 8, 1000
	hold := newHoldCounter()
	s, path := newTestServer(t, WithServerMaxConcurrentRequests(limit))
	s.Register(floodService, map[string]Method{"Hold": hold.method})
	s.RegisterService(floodService+"Streams", &ServiceDesc{Streams: map[string]Stream{
		"Hold": {StreamingServer: true, Handler: hold.stream},
	}})
	c := dialClient(t, path)
	mustEcho(t, c)

	// Bounds for a thousand goroutines on a busy machine; reaching one means
	// a hang.
	ctx, cancel := context.WithTimeout(context.Background(), floodWait)
	defer cancel()
	var wg sync.WaitGroup
	results := make(chan error, callers)
	for i := range callers {
		wg.Add(1)
		// Owner: wg; exits when its call or stream ends.
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				resp := &wrapperspb.StringValue{}
				err := c.Call(ctx, floodService, "Hold", &wrapperspb.StringValue{}, resp)
				if err == nil && resp.Value != "held" {
					err = fmt.Errorf("answer %q", resp.Value)
				}
				results <- err
				return
			}
			cs, err := c.NewStream(ctx, &StreamDesc{StreamingServer: true}, floodService+"Streams", "Hold", &wrapperspb.StringValue{})
			if err != nil {
				results <- err
				return
			}
			resp := &wrapperspb.StringValue{}
			if err = cs.RecvMsg(resp); err == nil && resp.Value != "held" {
				err = fmt.Errorf("stream sent %q", resp.Value)
			} else if err == nil {
				if err = cs.RecvMsg(resp); err == io.EOF {
					err = nil
				}
			}
			results <- err
		}()
	}
	// Every refusal comes back while the 8 hold.
	refused := 0
	for refused < callers-limit {
		select {
		case err := <-results:
			if code := status.Code(err); code != codes.ResourceExhausted {
				t.Fatalf("call over the limit = %v, want RESOURCE_EXHAUSTED", err)
			}
			refused++
		case <-time.After(floodWait):
			t.Fatalf("%d of %d calls over the limit refused", refused, callers-limit)
		}
	}
	if got := hold.started.Load(); got != limit {
		t.Fatalf("%d handlers started, want %d", got, limit)
	}
	if counts := s.Counts(); counts.Calls+counts.Streams != limit {
		t.Fatalf("server counts %+v, want %d calls and streams in flight", counts, limit)
	}
	// Another connection has a budget of its own.
	other := dialClient(t, path)
	otherDone := make(chan error, 1)
	// Owner: the test, which receives from otherDone.
	go func() { otherDone <- other.Call(ctx, floodService, "Hold", &wrapperspb.StringValue{}, nil) }()
	eventually(t, "the second connection's call runs", func() bool { return hold.started.Load() == limit+1 })

	close(hold.release)
	wg.Wait()
	close(results)
	for err := range results {
		if err != nil {
			t.Errorf("call within the limit = %v", err)
		}
	}
	if err := <-otherDone; err != nil {
		t.Errorf("call on the second connection = %v", err)
	}
	mustEcho(t, c)
	mustEcho(t, other)
}

// sizedBytes returns a BytesValue whose encoding inside the envelope built
// by envelope(payload) makes a frame of exactly target bytes of data.
func sizedBytes(t *testing.T, target int, envelope func(payload []byte) proto.Message) *wrapperspb.BytesValue {
	t.Helper()
	// Sizes grow by one byte per byte of value, except where a length
	// varint grows: start below and step up.
	probe := func(n int) int {
		// The envelope's size depends on the payload's length only.
		return proto.Size(envelope(make([]byte, protowire.SizeTag(1)+protowire.SizeBytes(n))))
	}
	n := target - 64
	for size := probe(n); size < target; size = probe(n) {
		n += target - size
	}
	if probe(n) != target {
		t.Fatalf("no value gives a frame of %d bytes (%d gives %d)", target, n, probe(n))
	}
	return &wrapperspb.BytesValue{Value: bytes.Repeat([]byte{0xa5}, n)}
}

// TestMaxMessageSizeHardCapEndToEnd sets the limits at the protocol's hard
// cap of 16 MiB on both sides: a request, a response and a stream message
// (each way) whose frame carries exactly 16 MiB go through; one byte more
// is refused before it is sent (by the client), replaced by
// RESOURCE_EXHAUSTED (by the server), or read, dropped and answered with
// RESOURCE_EXHAUSTED (by a receiver); the connections go on.
func TestMaxMessageSizeHardCapEndToEnd(t *testing.T) {
	leakcheck.Check(t)
	const hardCap = 16 << 20
	s, path := newTestServer(t, WithServerMaxMessageSize(hardCap, hardCap))
	s.RegisterService(streamService, streamTestService())
	s.Register(floodService, map[string]Method{
		"EchoBytes": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			req := &wrapperspb.BytesValue{}
			if err := unmarshal(req); err != nil {
				return nil, err
			}
			return req, nil
		},
		"Sized": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			req := &wrapperspb.Int64Value{}
			if err := unmarshal(req); err != nil {
				return nil, err
			}
			return &wrapperspb.BytesValue{Value: make([]byte, req.Value)}, nil
		},
	})
	c := dialClient(t, path, WithClientMaxMessageSize(hardCap, hardCap))
	// The request carries the time left as timeout_nano: from 30 s down to
	// 4.3 s its varint takes 5 bytes (2^28 to 2^35 ns).
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wantOversized := func(what string, err error, rejected int) {
		t.Helper()
		var oversized *OversizedMessageErr
		if !errors.As(err, &oversized) || oversized.MaximumLength() != hardCap || oversized.RejectedLength() != rejected {
			t.Fatalf("%s = %v, want *OversizedMessageErr rejecting %d bytes over %d", what, err, rejected, hardCap)
		}
		wantCode(t, err, codes.ResourceExhausted)
	}

	// A request of exactly 16 MiB, and one of a byte more.
	request := func(payload []byte) proto.Message {
		return &Request{Service: floodService, Method: "EchoBytes", Payload: payload, TimeoutNano: int64(20 * time.Second)}
	}
	req := sizedBytes(t, hardCap, request)
	resp := &wrapperspb.BytesValue{}
	if err := c.Call(ctx, floodService, "EchoBytes", req, resp); err != nil || !bytes.Equal(resp.Value, req.Value) {
		t.Fatalf("request of exactly 16 MiB = %d bytes back, %v", len(resp.Value), err)
	}
	req.Value = append(req.Value, 0xa5)
	wantOversized("request of 16 MiB + 1", c.Call(ctx, floodService, "EchoBytes", req, resp), hardCap+1)

	// A response of exactly 16 MiB, and one of a byte more.
	response := func(payload []byte) proto.Message { return &Response{Payload: payload} }
	n := int64(len(sizedBytes(t, hardCap, response).Value))
	if err := c.Call(ctx, floodService, "Sized", wrapperspb.Int64(n), resp); err != nil || int64(len(resp.Value)) != n {
		t.Fatalf("response of exactly 16 MiB = %d bytes, %v", len(resp.Value), err)
	}
	err := c.Call(ctx, floodService, "Sized", wrapperspb.Int64(n+1), resp)
	wantCode(t, err, codes.ResourceExhausted)

	// A stream message of exactly 16 MiB each way, and one of a byte more.
	cs, err := c.NewStream(ctx, echoDesc, streamService, "Echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	// A stream message is the frame's data as it is: tag, 4-byte length,
	// value.
	msg := &wrapperspb.BytesValue{Value: make([]byte, hardCap-1-4)}
	if size := proto.Size(msg); size != hardCap {
		t.Fatalf("stream message of %d bytes, want %d", size, hardCap)
	}
	if err := cs.SendMsg(msg); err != nil {
		t.Fatal(err)
	}
	got := &wrapperspb.BytesValue{}
	if err := cs.RecvMsg(got); err != nil || len(got.Value) != len(msg.Value) {
		t.Fatalf("stream message of exactly 16 MiB = %d bytes back, %v", len(got.Value), err)
	}
	msg.Value = append(msg.Value, 0)
	wantOversized("stream message of 16 MiB + 1", cs.SendMsg(msg), hardCap+1)
	if err := cs.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if err := cs.RecvMsg(got); err != io.EOF {
		t.Fatalf("end of stream = %v", err)
	}

	// A raw frame of 16 MiB + 1 to the server: read, dropped and refused.
	p := dialRawPeer(t, path)
	p.writeHeader(1, frameTypeRequest, 0, hardCap+1)
	p.writeRaw(make([]byte, hardCap+1))
	wantResponseCode(t, p.recvResponse(1), codes.ResourceExhausted)
	p.echoOK(3, "after 16 MiB + 1")

	// A raw response of 16 MiB + 1 to the client: dropped, and only its
	// call fails; one of exactly 16 MiB is taken.
	rc, rp := newRawServerClient(t, WithClientMaxMessageSize(hardCap, hardCap))
	for _, size := range []int{hardCap + 1, hardCap} {
		call := make(chan error, 1)
		resp := &wrapperspb.BytesValue{}
		// Owner: the test, which receives from call.
		go func() { call <- rc.Call(context.Background(), floodService, "Sized", wrapperspb.Int64(0), resp) }()
		id, _ := rp.recvRequest()
		if size > hardCap {
			rp.writeHeader(id, frameTypeResponse, 0, uint32(size))
			rp.writeRaw(make([]byte, size))
			select {
			case err := <-call:
				wantOversized("response frame of 16 MiB + 1", err, size)
			case <-time.After(floodWait):
				t.Fatal("call with an oversized response did not return")
			}
			continue
		}
		rp.writeResponse(id, &Response{Payload: mustMarshal(t, &wrapperspb.BytesValue{Value: make([]byte, n)})})
		select {
		case err := <-call:
			if err != nil || int64(len(resp.Value)) != n {
				t.Fatalf("response frame of exactly 16 MiB = %d bytes, %v", len(resp.Value), err)
			}
		case <-time.After(floodWait):
			t.Fatal("call with a 16 MiB response did not return")
		}
	}
	mustEcho(t, c)
}
