// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/status"
	"github.com/featherrpc/ttrpc/status/statuspb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Fuzz targets for the envelopes and for the connection state machines of
// the server and the client. FuzzChannelRecv and FuzzFrameHeaderRoundTrip
// (channel_test.go) cover the frame reader itself. `go test` runs the seeds
// below (and any crasher kept under testdata/fuzz/<FuzzName>/);
// scripts/fuzz.sh runs every target for a bounded time.

// fuzzWait bounds every wait inside a fuzz iteration: an iteration takes
// milliseconds, so reaching it means a hang.
const fuzzWait = 10 * time.Second

func fzMarshal(tb testing.TB, m proto.Message) []byte {
	tb.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// ---- Envelopes ----

// seedRequests are real request envelopes, as the client builds them.
func seedRequests(tb testing.TB) []*Request {
	md := MD{}
	md.Set("Alpha", "1", "2")
	md.Append("beta", "")
	ctx, cancel := context.WithTimeout(WithMetadata(context.Background(), md), time.Minute)
	defer cancel()
	return []*Request{
		{},
		newRequest(context.Background(), testService, "Echo", fzMarshal(tb, wrapperspb.String("hello"))),
		newRequest(ctx, "containerd.task.v2.Task", "Create", bytes.Repeat([]byte{0x0a, 0x01, 'x'}, 50)),
		{Service: "s", Method: "m", TimeoutNano: -1, Metadata: []*KeyValue{{Key: "K", Value: "v"}, {}}},
		{TimeoutNano: math.MaxInt64, Payload: []byte{}},
	}
}

// seedResponses are real response envelopes, as the server builds them.
func seedResponses(tb testing.TB) []*Response {
	withDetails, err := status.New(codes.NotFound, "no such thing").WithDetails(wrapperspb.String("detail"), &Request{Service: "x"})
	if err != nil {
		tb.Fatal(err)
	}
	badAny := &anypb.Any{TypeUrl: "type.googleapis.com/google.protobuf.StringValue", Value: []byte{0xff}}
	return []*Response{
		{},
		{Payload: fzMarshal(tb, wrapperspb.String("hello"))},
		{Status: status.New(codes.ResourceExhausted, "too big").Proto()},
		{Status: withDetails.Proto(), Payload: []byte("ignored")},
		{Status: &statuspb.Status{Code: -1, Message: "negative", Details: []*anypb.Any{badAny, {TypeUrl: "nope"}}}},
		{Status: &statuspb.Status{Code: 9999}},
		{Status: &statuspb.Status{}}, // present but OK
	}
}

// checkEnvelopeRoundTrip re-encodes a decoded envelope: the encoding must
// decode to an equal message and be stable.
func checkEnvelopeRoundTrip(t *testing.T, m, fresh proto.Message) {
	t.Helper()
	enc, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatalf("a decoded %T does not encode: %v", m, err)
	}
	if err := proto.Unmarshal(enc, fresh); err != nil {
		t.Fatalf("re-encoded %T does not decode: %v", m, err)
	}
	if !proto.Equal(m, fresh) {
		t.Fatalf("%T round trip changed it:\n%v\n%v", m, m, fresh)
	}
	again, err := proto.MarshalOptions{Deterministic: true}.Marshal(fresh)
	if err != nil || !bytes.Equal(enc, again) {
		t.Fatalf("%T encoding unstable: % x then % x (%v)", m, enc, again, err)
	}
}

func FuzzRequestDecode(f *testing.F) {
	for _, req := range seedRequests(f) {
		f.Add(fzMarshal(f, req))
	}
	f.Add([]byte{0xff, 0xff})                  // truncated varint
	f.Add([]byte{0x0a, 0x05, 'a'})             // truncated string
	f.Add([]byte{0x0a, 0x02, 0xc3, 0x28})      // invalid UTF-8 in a proto3 string
	f.Add([]byte{0x2a, 0x03, 0x0a, 0x01, 'K'}) // metadata entry without value
	f.Add([]byte{0xf8, 0xff, 0xff, 0xff, 0x0f, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		req := &Request{}
		if err := proto.Unmarshal(data, req); err != nil {
			return
		}
		// What the server does with a request it decoded must not panic.
		md := metadataFromKeyValues(req.Metadata)
		n := 0
		for key, values := range md {
			if key != strings.ToLower(key) {
				t.Fatalf("metadata key %q not lower-cased", key)
			}
			n += len(values)
		}
		if n != len(req.Metadata) {
			t.Fatalf("metadata has %d values, the request %d", n, len(req.Metadata))
		}
		// Any timeout but zero is a deadline; a negative one has passed
		// (as in containerd's ttrpc).
		cl := &serverCall{env: requestEnvelope{timeoutNano: req.TimeoutNano}}
		(&serverConn{ctx: context.Background(), callParent: context.Background()}).initContext(cl)
		_, hasDeadline := cl.ctx.Deadline()
		expired := cl.ctx.Err() != nil
		cl.cancel()
		if hasDeadline != (req.TimeoutNano != 0) || req.TimeoutNano < 0 && !expired {
			t.Fatalf("timeout_nano %d gave a deadline: %v (expired: %v)", req.TimeoutNano, hasDeadline, expired)
		}
		checkEnvelopeRoundTrip(t, req, &Request{})
	})
}

func FuzzResponseDecode(f *testing.F) {
	for _, resp := range seedResponses(f) {
		f.Add(fzMarshal(f, resp))
	}
	f.Add([]byte{0xff, 0xff})
	f.Add([]byte{0x0a, 0x03, 0x08, 0x80, 0x01}) // status with a truncated code
	f.Add([]byte{0x0a, 0x02, 0x1a, 0x00})       // status with an empty detail
	f.Fuzz(func(t *testing.T, data []byte) {
		resp := &Response{}
		if err := proto.Unmarshal(data, resp); err != nil {
			return
		}
		// What the client does with a response it decoded must not panic,
		// and keeps the status's code and message.
		if st := resp.GetStatus(); st.GetCode() != 0 {
			err := status.ErrorProto(st)
			if err == nil {
				t.Fatalf("status code %d gave no error", st.GetCode())
			}
			s, ok := status.FromError(err)
			if !ok || s.Code() != codes.Code(st.GetCode()) || s.Message() != st.GetMessage() {
				t.Fatalf("status %v became %v (%v)", st, s, ok)
			}
			if status.Code(err) != codes.Code(st.GetCode()) {
				t.Fatalf("status.Code = %v, want %d", status.Code(err), st.GetCode())
			}
			_ = err.Error()
			_ = s.Details()
			_ = s.String()
			_ = statsCode(err)
		}
		checkEnvelopeRoundTrip(t, resp, &Response{})
	})
}

// ---- Frame sequences ----

// fuzzFrame is one complete frame of a fuzz input, as a receiver with a
// given limit reads it.
type fuzzFrame struct {
	h         frameHeader
	data      []byte // nil when oversized
	oversized bool
}

// fuzzInput is a fuzz input split into frames.
type fuzzInput struct {
	frames   []fuzzFrame
	boundary bool   // the input ends between two frames
	maxID    uint32 // the largest stream id of any header, complete or not
}

// splitFrames parses b as a channel with the given receive limit reads it.
func splitFrames(b []byte, limit int) fuzzInput {
	var in fuzzInput
	for {
		if len(b) == 0 {
			in.boundary = true
			return in
		}
		h, err := parseFrameHeader(b)
		if err != nil {
			return in // a partial header
		}
		in.maxID = max(in.maxID, h.StreamID)
		if uint64(len(b)-frameHeaderLength) < uint64(h.Length) {
			return in // a partial frame
		}
		f := fuzzFrame{h: h, oversized: int64(h.Length) > int64(limit)}
		if !f.oversized {
			f.data = b[frameHeaderLength : frameHeaderLength+int(h.Length)]
		}
		in.frames = append(in.frames, f)
		b = b[frameHeaderLength+int(h.Length):]
	}
}

// nextOddID returns the smallest odd stream id above every id of the input,
// or false when there is none.
func (in fuzzInput) nextOddID() (uint32, bool) {
	next := uint64(in.maxID) + 1
	if next%2 == 0 {
		next++
	}
	return uint32(next), next <= math.MaxUint32
}

// waitGoroutines polls until no more than base goroutines run, failing the
// test after fuzzWait with every stack.
func waitGoroutines(t testing.TB, base int) {
	t.Helper()
	deadline := time.Now().Add(fuzzWait)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines %d -> %d\n%s", base, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

// ---- FuzzServerFrames ----

// fuzzServerLimit is the server's message size limit in FuzzServerFrames:
// small, so that oversized frames are cheap to reach.
const fuzzServerLimit = 1024

const fuzzStreamService = "ttrpc.fuzz.v1.Streams"

// newFuzzServer returns a server with handlers of every kind whose work is
// bounded whatever the input asks: unary Echo, Fail, Block (until its
// context ends) and Panic; streams Sum (client), Count (server, at most 7
// messages), Echo (bidi) and FailAfter (server, fails after one message).
func newFuzzServer(t testing.TB) *Server {
	s, err := NewServer(
		WithServerLogger(quietLogger),
		WithServerMaxMessageSize(fuzzServerLimit, fuzzServerLimit),
		WithServerStreamBuffer(4, 20*time.Millisecond),
	)
	if err != nil {
		t.Fatal(err)
	}
	methods := testMethods()
	delete(methods, "Bytes") // allocates what the request asks for
	methods["Panic"] = func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
		panic("fuzz panic")
	}
	s.Register(testService, methods)
	count := func(ctx context.Context, ss StreamServer) (interface{}, error) {
		n := &wrapperspb.Int64Value{}
		if err := ss.RecvMsg(n); err != nil {
			return nil, err
		}
		for i := range n.Value & 7 {
			if err := ss.SendMsg(wrapperspb.Int64(i)); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	desc := streamTestService()
	desc.Streams["Count"] = Stream{StreamingServer: true, Handler: count}
	desc.Streams["FailAfter"] = Stream{StreamingServer: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
		if err := ss.SendMsg(wrapperspb.Int64(1)); err != nil {
			return nil, err
		}
		return nil, status.Error(codes.NotFound, "fuzz")
	}}
	delete(desc.Streams, "Divide") // sends as many messages as asked
	s.RegisterService(fuzzStreamService, desc)
	return s
}

// fuzzServerPeer reads and checks everything a server sends on one
// connection, so that the server never waits for its writes, and hands
// the probe's answer to the test.
type fuzzServerPeer struct {
	conn    net.Conn
	answers map[uint32]bool // ids that may get a frame: those of the input's requests and data frames
	streams map[uint32]bool // ids that may get data frames: opened as streams by the input
	probeID uint32          // 0: none
	probe   chan *Response
	done    chan struct{}
	err     error // the first violation; read after done closes
}

func newFuzzServerPeer(conn net.Conn, in fuzzInput, probeID uint32) *fuzzServerPeer {
	p := &fuzzServerPeer{
		conn: conn, probeID: probeID,
		answers: map[uint32]bool{}, streams: map[uint32]bool{},
		probe: make(chan *Response, 1), done: make(chan struct{}),
	}
	for _, f := range in.frames {
		switch f.h.Type {
		case frameTypeRequest:
			p.answers[f.h.StreamID] = true
			if f.h.Flags != 0 && !f.oversized {
				p.streams[f.h.StreamID] = true
			}
		case frameTypeData:
			p.answers[f.h.StreamID] = true
		}
	}
	// Owner: the fuzz iteration, which waits on done; read exits when the
	// connection closes.
	go p.read()
	return p
}

func (p *fuzzServerPeer) read() {
	defer close(p.done)
	ch := newChannel(p.conn, frameLengthHardMax, frameLengthHardMax)
	for {
		h, data, err := ch.recv()
		if err != nil {
			return
		}
		if err := p.check(h, *data); err != nil && p.err == nil {
			p.err = err
		}
	}
}

func (p *fuzzServerPeer) check(h frameHeader, data []byte) error {
	if p.probeID != 0 && h.StreamID == p.probeID {
		resp := &Response{}
		if h.Type != frameTypeResponse || proto.Unmarshal(data, resp) != nil {
			return fmt.Errorf("probe stream %d got frame type %d (%d bytes)", h.StreamID, h.Type, len(data))
		}
		select {
		case p.probe <- resp:
			return nil
		default:
			return fmt.Errorf("probe stream %d answered twice", h.StreamID)
		}
	}
	if !p.answers[h.StreamID] {
		return fmt.Errorf("frame type %d on stream %d, which the client never used", h.Type, h.StreamID)
	}
	switch h.Type {
	case frameTypeResponse:
		if h.Flags != 0 {
			return fmt.Errorf("response on stream %d has flags %#x", h.StreamID, h.Flags)
		}
		if err := proto.Unmarshal(data, &Response{}); err != nil {
			return fmt.Errorf("response on stream %d does not decode: %v", h.StreamID, err)
		}
	case frameTypeData:
		if !p.streams[h.StreamID] {
			return fmt.Errorf("data frame on stream %d, which was not opened as a stream", h.StreamID)
		}
		if h.Flags&^(flagRemoteClosed|flagNoData) != 0 || h.Flags&flagNoData != 0 && len(data) != 0 {
			return fmt.Errorf("data frame on stream %d with flags %#x and %d bytes", h.StreamID, h.Flags, len(data))
		}
	default:
		return fmt.Errorf("frame of type %d from the server", h.Type)
	}
	return nil
}

// sendProbe sends an Echo request on the probe's stream and checks its
// answer.
func (p *fuzzServerPeer) sendProbe(t *testing.T) {
	t.Helper()
	p.conn.SetWriteDeadline(time.Now().Add(fuzzWait))
	if _, err := p.conn.Write(frameOf(p.probeID, frameTypeRequest, 0, fzMarshal(t, echoRequest(t, "probe")))); err != nil {
		t.Fatalf("write probe: %v", err)
	}
	select {
	case resp := <-p.probe:
		wantEchoResponse(t, resp, "probe")
	case <-p.done:
		t.Fatalf("connection ended before the probe on stream %d was answered (%v)", p.probeID, p.err)
	case <-time.After(fuzzWait):
		t.Fatalf("probe on stream %d not answered", p.probeID)
	}
}

// close closes the connection and waits for the reader; it reports any
// violation seen.
func (p *fuzzServerPeer) close(t *testing.T) {
	t.Helper()
	p.conn.Close()
	select {
	case <-p.done:
	case <-time.After(fuzzWait):
		t.Fatal("reader did not exit after the connection closed")
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
}

// fuzzServerSeeds are sequences of client frames: valid traffic of every
// kind, and the usual mistakes.
func fuzzServerSeeds(tb testing.TB) [][]byte {
	m := func(msg proto.Message) []byte { return fzMarshal(tb, msg) }
	req := func(service, method string, payload proto.Message) []byte {
		r := &Request{Service: service, Method: method}
		if payload != nil {
			r.Payload = m(payload)
		}
		return m(r)
	}
	echo := req(testService, "Echo", wrapperspb.String("x"))
	md := m(&Request{Service: testService, Method: "Echo", Payload: m(wrapperspb.String("md")),
		TimeoutNano: int64(time.Minute), Metadata: []*KeyValue{{Key: "a", Value: "b"}}})
	block := m(&Request{Service: testService, Method: "Block", TimeoutNano: int64(time.Millisecond)})
	return [][]byte{
		{},
		frameOf(1, frameTypeRequest, 0, echo),
		concat(
			frameOf(1, frameTypeRequest, 0, echo),
			frameOf(3, frameTypeRequest, 0, req(testService, "Fail", wrapperspb.UInt32(5))),
			frameOf(5, frameTypeRequest, 0, req(testService, "Panic", nil)),
			frameOf(7, frameTypeRequest, 0, req("no.Such", "Echo", nil)),
			frameOf(9, frameTypeRequest, 0, req(testService, "Nope", nil)),
			frameOf(11, frameTypeRequest, 0, md),
		),
		// Streams: server, client, bidi, interleaved.
		concat(
			frameOf(1, frameTypeRequest, flagRemoteClosed, req(fuzzStreamService, "Count", wrapperspb.Int64(3))),
			frameOf(3, frameTypeRequest, flagRemoteOpen, req(fuzzStreamService, "Sum", nil)),
			frameOf(5, frameTypeRequest, flagRemoteOpen, req(fuzzStreamService, "Echo", nil)),
			frameOf(3, frameTypeData, 0, m(wrapperspb.Int64(2))),
			frameOf(5, frameTypeData, 0, m(wrapperspb.Bytes([]byte("e")))),
			frameOf(3, frameTypeData, 0, nil),
			frameOf(5, frameTypeData, flagRemoteClosed, m(wrapperspb.Bytes([]byte("last")))),
			frameOf(3, frameTypeData, flagRemoteClosed|flagNoData, nil),
			frameOf(7, frameTypeRequest, flagRemoteClosed, req(fuzzStreamService, "FailAfter", nil)),
		),
		// A stream left open, a blocked call, and one with a deadline.
		concat(
			frameOf(1, frameTypeRequest, flagRemoteOpen, req(fuzzStreamService, "Echo", nil)),
			frameOf(3, frameTypeRequest, 0, req(testService, "Block", nil)),
			frameOf(5, frameTypeRequest, 0, block),
			frameOf(1, frameTypeData, 0, m(wrapperspb.Bytes([]byte("open")))),
		),
		// Mistakes: bad ids, data on unary and unknown streams, data after
		// close, unknown types, a server stream opened as unary, a malformed
		// envelope, oversized frames.
		concat(
			frameOf(2, frameTypeRequest, 0, echo),
			frameOf(0, frameTypeRequest, 0, echo),
			frameOf(5, frameTypeRequest, 0, req(testService, "Block", nil)),
			frameOf(5, frameTypeData, 0, []byte("on unary")),
			frameOf(3, frameTypeRequest, 0, echo),
			frameOf(5, frameTypeRequest, 0, echo),
			frameOf(9, frameTypeData, 0, []byte("unknown")),
			frameOf(7, frameTypeRequest, flagRemoteClosed, req(fuzzStreamService, "Echo", nil)),
			frameOf(7, frameTypeData, 0, []byte("after close")),
			frameOf(9, frameType(7), 0xff, []byte("unknown type")),
			frameOf(11, frameTypeRequest, 0, req(fuzzStreamService, "Count", wrapperspb.Int64(2))),
			frameOf(13, frameTypeRequest, 0, []byte{0xff, 0xff}),
			frameOf(15, frameTypeRequest, 0, make([]byte, fuzzServerLimit+1)),
			frameOf(17, frameTypeRequest, flagRemoteOpen, req(fuzzStreamService, "Sum", nil)),
			frameOf(17, frameTypeData, 0, make([]byte, fuzzServerLimit+1)),
			frameOf(19, frameTypeData, flagNoData|flagRemoteClosed, []byte("data with no-data")),
			frameOf(21, frameTypeResponse, 0, nil),
		),
		// Ends inside a frame, and ids at the top of the range: the probe
		// goes on a fresh connection.
		concat(frameOf(1, frameTypeRequest, 0, echo), rawFrame(100, 3, frameTypeRequest, 0, []byte("cut"))),
		concat(frameOf(1, frameTypeRequest, 0, echo), []byte{0, 0, 0}),
		rawFrame(0xffffffff, 5, frameTypeData, 0, nil),
		frameOf(math.MaxUint32, frameTypeRequest, 0, echo),
	}
}

// checkLeaksUnlessFuzzing is leakcheck.Check for a fuzz target run as a
// test (its seeds). While fuzzing, the process running the target is the
// fuzzing engine's, which starts goroutines of its own; each iteration
// checks its own goroutines instead (waitGoroutines).
func checkLeaksUnlessFuzzing(f *testing.F) {
	if fl := flag.Lookup("test.fuzz"); fl == nil || fl.Value.String() == "" {
		leakcheck.Check(f)
	}
}

func FuzzServerFrames(f *testing.F) {
	checkLeaksUnlessFuzzing(f)
	for _, seed := range fuzzServerSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(fuzzServerFrames)
}

// fuzzServerFrames feeds data, as it is, to a server over an in-memory
// pipe while reading and checking everything the server sends. Then the
// server must answer a well-formed Echo call: on the same connection, on
// the next odd id above every id of the input, when the input ends between
// frames and such an id exists; otherwise (the connection is stuck inside
// a frame, or out of ids) on a fresh connection, after the first one has
// been closed. Finally the server is closed: its counts go back to zero and
// every goroutine of the iteration exits.
func fuzzServerFrames(t *testing.T, data []byte) {
	base := runtime.NumGoroutine()
	s := newFuzzServer(t)
	l := newPipeListener()
	served := make(chan error, 1)
	// Owner: this iteration, which receives from served after s.Close.
	go func() { served <- s.Serve(context.Background(), l) }()
	in := splitFrames(data, fuzzServerLimit)
	probeID, sameConn := in.nextOddID()
	sameConn = sameConn && in.boundary
	if !sameConn {
		probeID = 0
	}

	conn, err := l.dial()
	if err != nil {
		t.Fatal(err)
	}
	p := newFuzzServerPeer(conn, in, probeID)
	conn.SetWriteDeadline(time.Now().Add(fuzzWait))
	if _, err := conn.Write(data); len(data) > 0 && err != nil {
		t.Fatalf("the server stopped reading: %v", err)
	}
	if sameConn {
		p.sendProbe(t)
	}
	p.close(t)
	if !sameConn {
		fresh, err := l.dial()
		if err != nil {
			t.Fatal(err)
		}
		fp := newFuzzServerPeer(fresh, fuzzInput{}, 1)
		fp.sendProbe(t)
		fp.close(t)
	}

	deadline := time.Now().Add(fuzzWait)
	for s.Counts() != (ServerCounts{}) {
		if time.Now().After(deadline) {
			t.Fatalf("server counts %+v after every connection closed", s.Counts())
		}
		time.Sleep(time.Millisecond)
	}
	s.Close()
	select {
	case err := <-served:
		if !errors.Is(err, ErrServerClosed) {
			t.Fatalf("Serve = %v", err)
		}
	case <-time.After(fuzzWait):
		t.Fatal("Serve did not return after Close")
	}
	waitGoroutines(t, base)
}

// ---- FuzzClientFrames ----

// fuzzClientLimit is the client's message size limit in FuzzClientFrames.
const fuzzClientLimit = 512

// rawMessage is a message that is its bytes: any frame data decodes into
// it, so that every error a fuzzed call returns comes from the library.
type rawMessage struct{ b []byte }

func (m *rawMessage) Reset()      { m.b = nil }
func (m *rawMessage) SizeVT() int { return len(m.b) }
func (m *rawMessage) MarshalToSizedBufferVT(b []byte) (int, error) {
	return copy(b[len(b)-len(m.b):], m.b), nil
}
func (m *rawMessage) UnmarshalVT(p []byte) error {
	m.b = append([]byte{}, p...)
	return nil
}

// fuzzCall is one call or stream that FuzzClientFrames keeps in flight.
type fuzzCall struct {
	id       uint32
	stream   *StreamDesc // nil for a unary call
	done     chan struct{}
	received atomic.Int32 // messages received so far
	// set before done closes:
	msgs [][]byte // for a unary call, the response (if err is nil)
	err  error
}

// fuzzOutcome is what the client must report for a call, given the frames
// it received.
type fuzzOutcome struct {
	msgs [][]byte
	// the end: exactly one is set (a status code != OK counts)
	ok, closed, protocol, oversized bool
	code                            codes.Code
}

// expectedOutcome models the client: the frames of the input on the call's
// stream, in order, up to the first that ends the call. A connection that
// ends first fails the call with ErrClosed.
func expectedOutcome(in fuzzInput, id uint32, stream *StreamDesc) fuzzOutcome {
	var out fuzzOutcome
	for _, f := range in.frames {
		if f.h.StreamID != id {
			continue
		}
		if f.oversized { // whatever its type
			out.oversized = true
			return out
		}
		switch f.h.Type {
		case frameTypeResponse:
			resp := &Response{}
			if proto.Unmarshal(f.data, resp) != nil {
				out.protocol = true
				return out
			}
			if st := resp.GetStatus(); st.GetCode() != 0 {
				out.code = codes.Code(st.GetCode())
				return out
			}
			if stream == nil || !stream.StreamingServer {
				out.msgs = append(out.msgs, resp.Payload)
			}
			out.ok = true
			return out
		case frameTypeData:
			if stream == nil {
				out.protocol = true
				return out
			}
			if f.h.Flags&flagNoData == 0 {
				out.msgs = append(out.msgs, f.data)
			}
			if f.h.Flags&flagRemoteClosed != 0 {
				out.ok = true
				return out
			}
		}
	}
	out.closed = true
	return out
}

func (c *fuzzCall) String() string {
	if c.stream != nil {
		return fmt.Sprintf("stream %d (%+v)", c.id, *c.stream)
	}
	return fmt.Sprintf("call on stream %d", c.id)
}

// settle waits until the call has taken in what the input dictates: the
// end of a call that the input ends, the messages of one left open. The
// client handles frames as they arrive, so that needs no end of the
// connection.
func (c *fuzzCall) settle(t *testing.T, want fuzzOutcome) {
	t.Helper()
	deadline := time.Now().Add(fuzzWait)
	for {
		select {
		case <-c.done:
			return
		default:
		}
		if want.closed && int(c.received.Load()) >= len(want.msgs) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d messages and no end %v after the frames that make them arrived; want %+v",
				c, c.received.Load(), fuzzWait, want)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// check compares what the call got with the model.
func (c *fuzzCall) check(t *testing.T, want fuzzOutcome) {
	t.Helper()
	if status.Code(c.err) == codes.DeadlineExceeded && errors.Is(c.err, context.DeadlineExceeded) {
		t.Fatalf("%s hung until its deadline", c)
	}
	if len(c.msgs) > len(want.msgs) {
		t.Fatalf("%s got %d messages, the input had %d", c, len(c.msgs), len(want.msgs))
	}
	for i, msg := range c.msgs {
		if !bytes.Equal(msg, want.msgs[i]) {
			t.Fatalf("%s message %d = %q, want %q", c, i, msg, want.msgs)
		}
	}
	if c.stream != nil && errors.Is(c.err, ErrStreamFull) {
		return // the stream fell behind; its messages were checked above
	}
	var oversized *OversizedMessageErr
	var got bool
	switch {
	case want.ok && c.stream == nil:
		got = c.err == nil
	case want.ok:
		got = c.err == io.EOF
	case want.closed:
		got = errors.Is(c.err, ErrClosed)
	case want.protocol:
		got = errors.Is(c.err, ErrProtocol)
	case want.oversized:
		got = errors.As(c.err, &oversized) && status.Code(c.err) == codes.ResourceExhausted
	default:
		got = status.Code(c.err) == want.code && !errors.Is(c.err, ErrClosed)
	}
	if !got || len(c.msgs) != len(want.msgs) {
		t.Fatalf("%s ended with %v after %d messages; want %+v", c, c.err, len(c.msgs), want)
	}
}

// fuzzClientCalls are the calls FuzzClientFrames keeps in flight, in the
// order they are opened: they get stream ids 1, 3, 5, 7 and 9.
var fuzzClientCalls = []*StreamDesc{nil, nil, divideDesc, sumDesc, echoDesc}

// fuzzClientSeeds are sequences of server frames for the calls of
// fuzzClientCalls: valid answers in various orders, and the usual mistakes.
func fuzzClientSeeds(tb testing.TB) [][]byte {
	m := func(msg proto.Message) []byte { return fzMarshal(tb, msg) }
	ok := func(payload string) []byte { return m(&Response{Payload: []byte(payload)}) }
	fail := func(c codes.Code) []byte { return m(&Response{Status: status.New(c, "failed").Proto()}) }
	return [][]byte{
		{},
		concat(
			frameOf(1, frameTypeResponse, 0, ok("one")),
			frameOf(3, frameTypeResponse, 0, fail(codes.NotFound)),
			frameOf(5, frameTypeData, 0, []byte("a")),
			frameOf(5, frameTypeData, 0, nil),
			frameOf(5, frameTypeData, flagRemoteClosed|flagNoData, nil),
			frameOf(7, frameTypeResponse, 0, ok("sum")),
			frameOf(9, frameTypeData, 0, []byte("echo")),
			frameOf(9, frameTypeResponse, 0, fail(codes.Internal)),
		),
		concat(
			frameOf(9, frameTypeData, flagRemoteClosed, []byte("last with data")),
			frameOf(7, frameTypeData, 0, []byte("data on a client stream")),
			frameOf(7, frameTypeResponse, 0, m(&Response{})),
			frameOf(5, frameTypeResponse, 0, ok("payload ignored on a server stream")),
			frameOf(3, frameTypeResponse, 0, ok("three")),
			frameOf(1, frameTypeResponse, 0, ok("one")),
			frameOf(1, frameTypeResponse, 0, ok("again")),
		),
		// Mistakes: data on a unary call, a malformed envelope, oversized
		// frames, unknown ids and types, frames after the end.
		concat(
			frameOf(1, frameTypeData, 0, []byte("on unary")),
			frameOf(3, frameTypeResponse, 0, []byte{0xff, 0xff}),
			frameOf(5, frameTypeData, 0, make([]byte, fuzzClientLimit+1)),
			frameOf(2, frameTypeResponse, 0, ok("even")),
			frameOf(11, frameTypeResponse, 0, ok("not yet")),
			frameOf(7, frameType(9), 0xff, []byte("unknown type")),
			frameOf(7, frameTypeResponse, 0, make([]byte, fuzzClientLimit+1)),
			frameOf(9, frameTypeData, flagRemoteClosed|flagNoData, nil),
			frameOf(9, frameTypeData, 0, []byte("after the end")),
		),
		// Ends inside a frame.
		concat(frameOf(1, frameTypeResponse, 0, ok("one")), rawFrame(50, 3, frameTypeResponse, 0, []byte("cut"))),
		concat(frameOf(5, frameTypeData, 0, []byte("a")), []byte{0, 0}),
		rawFrame(0xffffffff, 1, frameTypeResponse, 0, nil),
	}
}

func FuzzClientFrames(f *testing.F) {
	checkLeaksUnlessFuzzing(f)
	for i, seed := range fuzzClientSeeds(f) {
		f.Add(i%2 == 0, seed)
	}
	f.Fuzz(fuzzClientFrames)
}

// fuzzClientFrames opens a client on an in-memory pipe whose other end is
// driven by hand, with two unary calls and three streams (one of each kind)
// in flight, and waits until everything the client writes for them has
// been read; then it writes data, as it is, to the client. When the input
// ends between frames, a well-formed call made afterwards must succeed.
// Every call that the input ends must then return, and every stream must
// have received the messages the input sent it, without the connection
// ending. Then the connection ends (closeClient: by Client.Close; otherwise
// by the server's end closing), and every call must have returned well
// before its deadline with exactly the outcome the frames it received
// dictate (see expectedOutcome); the client's counts go back to zero and
// every goroutine of the iteration exits.
func fuzzClientFrames(t *testing.T, closeClient bool, data []byte) {
	base := runtime.NumGoroutine()
	cconn, sconn := net.Pipe()
	c := NewClient(cconn, WithClientLogger(quietLogger),
		WithClientMaxMessageSize(fuzzClientLimit, fuzzClientLimit),
		WithClientStreamBuffer(4, 50*time.Millisecond))
	defer c.Close()
	defer sconn.Close()

	// The raw server reads everything the client writes and reports each
	// frame's header. Owner: this iteration; exits when sconn closes.
	frames := make(chan frameHeader, 16)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		ch := newChannel(sconn, frameLengthHardMax, frameLengthHardMax)
		for {
			h, _, err := ch.recv()
			if err != nil {
				return
			}
			frames <- h
		}
	}()
	nextFrame := func(id uint32, typ frameType) {
		t.Helper()
		select {
		case h := <-frames:
			if h.StreamID != id || h.Type != typ {
				t.Fatalf("client wrote frame type %d on stream %d, want type %d on %d", h.Type, h.StreamID, typ, id)
			}
		case <-time.After(fuzzWait):
			t.Fatalf("frame type %d on stream %d never arrived", typ, id)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), fuzzWait)
	defer cancel()
	var wg sync.WaitGroup
	calls := make([]*fuzzCall, len(fuzzClientCalls))
	for i, desc := range fuzzClientCalls {
		fc := &fuzzCall{id: uint32(2*i + 1), stream: desc, done: make(chan struct{})}
		calls[i] = fc
		wg.Add(1)
		if desc == nil {
			// Owner: wg; exits when the call returns.
			go func() {
				defer wg.Done()
				defer close(fc.done)
				resp := &rawMessage{}
				fc.err = c.Call(ctx, "fuzz", "Unary", &rawMessage{b: []byte("req")}, resp)
				if fc.err == nil {
					fc.msgs = [][]byte{resp.b}
				}
			}()
			nextFrame(fc.id, frameTypeRequest)
			continue
		}
		var req interface{}
		if !desc.StreamingClient {
			req = &rawMessage{b: []byte("req")}
		}
		cs, err := c.NewStream(ctx, desc, "fuzz", "Stream", req)
		if err != nil {
			t.Fatal(err)
		}
		nextFrame(fc.id, frameTypeRequest)
		if desc.StreamingClient {
			if err := cs.SendMsg(&rawMessage{b: []byte("sent")}); err != nil {
				t.Fatal(err)
			}
			nextFrame(fc.id, frameTypeData)
			if !desc.StreamingServer {
				if err := cs.CloseSend(); err != nil {
					t.Fatal(err)
				}
				nextFrame(fc.id, frameTypeData)
			}
		}
		// Owner: wg; exits when the stream ends.
		go func() {
			defer wg.Done()
			defer close(fc.done)
			for {
				m := &rawMessage{}
				if fc.err = cs.RecvMsg(m); fc.err != nil {
					return
				}
				fc.msgs = append(fc.msgs, m.b)
				fc.received.Add(1)
			}
		}()
	}

	// The client has nothing left to write: from here on it only reads.
	sconn.SetWriteDeadline(time.Now().Add(fuzzWait))
	if _, err := sconn.Write(data); len(data) > 0 && err != nil {
		t.Fatalf("the client stopped reading: %v", err)
	}
	in := splitFrames(data, fuzzClientLimit)
	if in.boundary {
		// The client still works. (Frames that the input sent on the
		// probe's id before the probe existed may still be waiting in the
		// client's buffer when the probe registers: a peer that answers
		// too early cannot be told from one answering on time, so the probe
		// may end as those frames say.)
		probeID := uint32(2*len(fuzzClientCalls) + 1)
		probe := make(chan error, 1)
		resp := &rawMessage{}
		// Owner: this iteration, which receives from probe.
		go func() { probe <- c.Call(ctx, "fuzz", "Probe", &rawMessage{}, resp) }()
		nextFrame(probeID, frameTypeRequest)
		if _, err := sconn.Write(frameOf(probeID, frameTypeResponse, 0, fzMarshal(t, &Response{Payload: []byte("probe")}))); err != nil {
			t.Fatalf("write probe answer: %v", err)
		}
		if err := <-probe; err != nil || string(resp.b) != "probe" {
			early := expectedOutcome(in, probeID, nil)
			if early.closed {
				t.Fatalf("probe call after the input = %q, %v; want probe, nil", resp.b, err)
			}
			got := &fuzzCall{id: probeID, err: err}
			if err == nil {
				got.msgs = [][]byte{resp.b}
			}
			got.check(t, early)
		}
	}
	wants := make([]fuzzOutcome, len(calls))
	for i, fc := range calls {
		wants[i] = expectedOutcome(in, fc.id, fc.stream)
		fc.settle(t, wants[i])
	}

	closed := make(chan struct{})
	// Owner: this iteration, which waits for closed.
	go func() {
		defer close(closed)
		if closeClient {
			c.Close()
		} else {
			sconn.Close()
		}
	}()
	allDone := make(chan struct{})
	// Owner: this iteration, which waits for allDone.
	go func() { wg.Wait(); close(allDone) }()
	select {
	case <-allDone:
	case <-time.After(fuzzWait + time.Second):
		t.Fatal("calls did not return after the connection ended")
	}
	<-closed
	for i, fc := range calls {
		fc.check(t, wants[i])
	}
	c.Close()
	sconn.Close()
	<-drained
	if counts := c.Counts(); counts != (ClientCounts{}) {
		t.Fatalf("client counts %+v after Close", counts)
	}
	cancel()
	waitGoroutines(t, base)
}
