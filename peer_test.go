// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/status"
	"github.com/featherrpc/ttrpc/status/statuspb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Tests in this file drive one end of a connection by hand, frame by frame,
// against the other end run by the library: a raw client against our Server,
// and a raw server against our Client.

// rawPeerTimeout bounds every read and write of a raw peer, and every wait
// for a call's outcome, so that a test waiting for something the library
// never does fails instead of hanging. Generous, for a loaded machine
// running the suite under the race detector.
const rawPeerTimeout = 10 * time.Second

// rawPeer is a hand-driven end of a connection. Its methods call t.Fatal, so
// they must be called from the test's goroutine.
type rawPeer struct {
	t    *testing.T
	conn net.Conn
	ch   *channel // used for recv only; writes go straight to conn
}

// newRawPeer wraps conn, which is closed when the test ends.
func newRawPeer(t *testing.T, conn net.Conn) *rawPeer {
	t.Cleanup(func() { conn.Close() })
	return &rawPeer{t: t, conn: conn, ch: newChannel(conn, frameLengthMax, frameLengthMax)}
}

// dialRawPeer connects a raw client to the server listening at path.
func dialRawPeer(t *testing.T, path string) *rawPeer {
	t.Helper()
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	return newRawPeer(t, conn)
}

// newRawServerClient connects one of our Clients to a raw server on a fresh
// Unix socket. The client is closed when the test ends.
func newRawServerClient(t *testing.T, opts ...ClientOpts) (*Client, *rawPeer) {
	t.Helper()
	return newRawServerClientOver(t, func(conn net.Conn) net.Conn { return conn }, opts...)
}

// newRawServerClientOver is newRawServerClient with the client's side of
// the connection wrapped by wrap (to inject faults, say).
func newRawServerClientOver(t *testing.T, wrap func(net.Conn) net.Conn, opts ...ClientOpts) (*Client, *rawPeer) {
	t.Helper()
	l, err := net.Listen("unix", socketPath(t))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	conn, err := net.Dial("unix", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]ClientOpts{WithClientLogger(quietLogger)}, opts...)
	c := NewClient(wrap(conn), opts...)
	t.Cleanup(func() { c.Close() })
	// The dial has completed, so the connection waits in the backlog.
	sconn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return c, newRawPeer(t, sconn)
}

// writeRaw writes b as it is.
func (p *rawPeer) writeRaw(b []byte) {
	p.t.Helper()
	p.conn.SetWriteDeadline(time.Now().Add(rawPeerTimeout))
	if _, err := p.conn.Write(b); err != nil {
		p.t.Fatalf("raw peer: write: %v", err)
	}
}

// writeHeader writes a frame header announcing length bytes of data, and
// nothing else.
func (p *rawPeer) writeHeader(id uint32, typ frameType, flags uint8, length uint32) {
	p.t.Helper()
	var hdr [frameHeaderLength]byte
	putFrameHeader(hdr[:], frameHeader{Length: length, StreamID: id, Type: typ, Flags: flags})
	p.writeRaw(hdr[:])
}

// writeFrame writes a whole frame in one write.
func (p *rawPeer) writeFrame(id uint32, typ frameType, flags uint8, data []byte) {
	p.t.Helper()
	b := make([]byte, frameHeaderLength+len(data))
	putFrameHeader(b, frameHeader{Length: uint32(len(data)), StreamID: id, Type: typ, Flags: flags})
	copy(b[frameHeaderLength:], data)
	p.writeRaw(b)
}

// writeRequest writes a unary (flags 0) Request frame.
func (p *rawPeer) writeRequest(id uint32, req *Request) {
	p.t.Helper()
	p.writeFrame(id, frameTypeRequest, 0, mustMarshal(p.t, req))
}

// writeResponse writes a Response frame.
func (p *rawPeer) writeResponse(id uint32, resp *Response) {
	p.t.Helper()
	p.writeFrame(id, frameTypeResponse, 0, mustMarshal(p.t, resp))
}

// recvFrame reads the next frame; the data is a copy.
func (p *rawPeer) recvFrame() (frameHeader, []byte) {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(rawPeerTimeout))
	h, data, err := p.ch.recv()
	if err != nil {
		p.t.Fatalf("raw peer: recv: %v", err)
	}
	return h, bytes.Clone(*data)
}

// recvResponse reads the next frame, which must be a Response on stream id.
func (p *rawPeer) recvResponse(id uint32) *Response {
	p.t.Helper()
	h, data := p.recvFrame()
	if h.Type != frameTypeResponse || h.StreamID != id {
		p.t.Fatalf("got frame type %d on stream %d (flags %#x, %d bytes), want a response on stream %d",
			h.Type, h.StreamID, h.Flags, h.Length, id)
	}
	if h.Flags != 0 {
		p.t.Errorf("response on stream %d has flags %#x, want 0", id, h.Flags)
	}
	resp := &Response{}
	if err := proto.Unmarshal(data, resp); err != nil {
		p.t.Fatalf("response on stream %d: %v", id, err)
	}
	return resp
}

// recvRequest reads the next frame, which must be a unary Request, and
// returns its stream id and envelope.
func (p *rawPeer) recvRequest() (uint32, *Request) {
	p.t.Helper()
	h, data := p.recvFrame()
	if h.Type != frameTypeRequest {
		p.t.Fatalf("got frame type %d on stream %d, want a request", h.Type, h.StreamID)
	}
	if h.Flags != 0 {
		p.t.Errorf("unary request on stream %d has flags %#x, want 0", h.StreamID, h.Flags)
	}
	req := &Request{}
	if err := proto.Unmarshal(data, req); err != nil {
		p.t.Fatalf("request on stream %d: %v", h.StreamID, err)
	}
	return h.StreamID, req
}

// echoOK sends an Echo request on stream id and checks its answer.
func (p *rawPeer) echoOK(id uint32, s string) {
	p.t.Helper()
	p.writeRequest(id, echoRequest(p.t, s))
	wantEchoResponse(p.t, p.recvResponse(id), s)
}

// wantStatus sends req on stream id and checks that the answer has code.
func (p *rawPeer) wantStatus(id uint32, req *Request, code codes.Code) {
	p.t.Helper()
	p.writeRequest(id, req)
	wantResponseCode(p.t, p.recvResponse(id), code)
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// echoRequest is the envelope of an Echo call with s.
func echoRequest(t *testing.T, s string) *Request {
	return &Request{Service: testService, Method: "Echo", Payload: mustMarshal(t, wrapperspb.String(s))}
}

// echoResponse is the envelope of a successful Echo answer with s.
func echoResponse(t *testing.T, s string) *Response {
	return &Response{Payload: mustMarshal(t, wrapperspb.String(s))}
}

func responseCode(resp *Response) codes.Code {
	return codes.Code(resp.GetStatus().GetCode())
}

func wantResponseCode(t *testing.T, resp *Response, code codes.Code) {
	t.Helper()
	if got := responseCode(resp); got != code {
		t.Fatalf("response status %v (%q), want %v", got, resp.GetStatus().GetMessage(), code)
	}
}

func wantEchoResponse(t *testing.T, resp *Response, s string) {
	t.Helper()
	if st := resp.GetStatus(); st.GetCode() != 0 {
		t.Fatalf("echo response status %v %q, want OK", codes.Code(st.GetCode()), st.GetMessage())
	}
	got := &wrapperspb.StringValue{}
	if err := proto.Unmarshal(resp.Payload, got); err != nil {
		t.Fatal(err)
	}
	if got.Value != s {
		t.Fatalf("echo response %q, want %q", got.Value, s)
	}
}

// callResult is the outcome of a call made on another goroutine.
type callResult struct {
	value string
	err   error
	took  time.Duration
}

// goEcho calls Echo with s on a new goroutine and reports on the returned
// channel. Owner: the test, which receives from the channel (waitCall); the
// goroutine exits when Call returns, at the latest when the client closes.
func goEcho(ctx context.Context, c *Client, s string) <-chan callResult {
	done := make(chan callResult, 1)
	go func() {
		start := time.Now()
		v, err := echo(ctx, c, s)
		done <- callResult{value: v, err: err, took: time.Since(start)}
	}()
	return done
}

// waitCall waits for a call started by goEcho.
func waitCall(t *testing.T, done <-chan callResult) callResult {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(rawPeerTimeout):
		t.Fatal("call did not return")
		return callResult{}
	}
}

// wantPending fails the test if the call has returned.
func wantPending(t *testing.T, done <-chan callResult, what string) {
	t.Helper()
	select {
	case r := <-done:
		t.Fatalf("%s returned (%q, %v) before it was answered", what, r.value, r.err)
	default:
	}
}

// boundedCtx is a context that ends after rawPeerTimeout, for calls made on
// the test's goroutine: a call the library never finishes fails the test
// instead of hanging it.
func boundedCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), rawPeerTimeout)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds, failing the test after a while.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(rawPeerTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// serverConnCount is the number of connections the server tracks.
func serverConnCount(s *Server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// onlyServerConn returns the server's one connection.
func onlyServerConn(t *testing.T, s *Server) *serverConn {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.conns) != 1 {
		t.Fatalf("server has %d connections, want 1", len(s.conns))
	}
	for sc := range s.conns {
		return sc
	}
	return nil
}

// waitNoCallsInFlight waits until the connection has forgotten every call:
// a response can reach the client a moment before the server forgets its
// call, and a test that reuses the id must not race with that (see
// TestServerRawReusedIDOfAnsweredCall).
func waitNoCallsInFlight(t *testing.T, sc *serverConn) {
	t.Helper()
	eventually(t, "the server forgot the answered calls", func() bool {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		return len(sc.calls) == 0
	})
}

// ---- A raw client against our Server ----

func TestServerRawUnaryRequest(t *testing.T) {
	leakcheck.Check(t)
	_, path := newTestServer(t)
	p := dialRawPeer(t, path)

	p.writeRequest(1, echoRequest(t, "hello"))
	resp := p.recvResponse(1)
	if resp.Status != nil {
		t.Errorf("successful response carries status %v, want none", resp.Status)
	}
	wantEchoResponse(t, resp, "hello")
}

func TestServerRawDataFrameOnUnaryCall(t *testing.T) {
	leakcheck.Check(t)
	_, path := newTestServer(t)
	p := dialRawPeer(t, path)

	p.writeRequest(1, &Request{Service: testService, Method: "Block"})
	p.writeFrame(1, frameTypeData, 0, []byte("stray"))
	wantResponseCode(t, p.recvResponse(1), codes.InvalidArgument)

	// The next frame is the answer to this request: the Block handler's own
	// answer (after its context was cancelled) must not follow on stream 1.
	p.echoOK(3, "after")
}

func TestServerRawInvalidStreamIDs(t *testing.T) {
	leakcheck.Check(t)
	s, path := newTestServer(t)
	p := dialRawPeer(t, path)

	p.echoOK(1, "one")
	sc := onlyServerConn(t, s)

	// Data frames on streams that were never opened.
	p.writeFrame(5, frameTypeData, 0, []byte("x"))
	wantResponseCode(t, p.recvResponse(5), codes.InvalidArgument)
	p.writeFrame(2, frameTypeData, 0, []byte("x"))
	wantResponseCode(t, p.recvResponse(2), codes.InvalidArgument)

	// Requests with ids a client may not use.
	p.wantStatus(4, echoRequest(t, "even"), codes.InvalidArgument)
	p.wantStatus(0, echoRequest(t, "zero"), codes.InvalidArgument)
	waitNoCallsInFlight(t, sc)
	p.wantStatus(1, echoRequest(t, "reused"), codes.InvalidArgument)
	p.echoOK(7, "seven")
	p.wantStatus(3, echoRequest(t, "lower"), codes.InvalidArgument)
	waitNoCallsInFlight(t, sc)
	p.wantStatus(7, echoRequest(t, "reused again"), codes.InvalidArgument)

	// A late data frame on a finished stream is dropped without an answer:
	// the next frame is the answer to the next request.
	p.writeFrame(7, frameTypeData, 0, []byte("late"))

	// A reused id while the first call on it is still in flight fails that
	// call, once.
	p.writeRequest(9, &Request{Service: testService, Method: "Block"})
	p.wantStatus(9, echoRequest(t, "reused in flight"), codes.InvalidArgument)

	p.echoOK(11, "still served")
}

// TestServerRawReusedIDOfAnsweredCall reuses the id of a call whose
// handler has answered but whose response is not yet queued (the writer's
// queue is full because the client does not read). The reused id must still
// get its INVALID_ARGUMENT, as any reused id does. (This once went
// unanswered: failCall found the call answered already and sent nothing;
// openStreamID now answers the bad request itself in that case.)
func TestServerRawReusedIDOfAnsweredCall(t *testing.T) {
	leakcheck.Check(t)
	s, path := newTestServer(t)
	p := dialRawPeer(t, path)
	p.echoOK(1, "accepted")
	sc := onlyServerConn(t, s)

	// Stop reading, and ask for more response bytes than the socket, the
	// writer and its queue hold: handlers then wait to queue their answers.
	const fill = sendQueueLength + 36
	bytesReq := &Request{Service: testService, Method: "Bytes", Payload: mustMarshal(t, wrapperspb.Int64(64<<10))}
	for i := range fill {
		p.writeRequest(uint32(3+2*i), bytesReq)
	}
	eventually(t, "the server's send queue is full", func() bool { return sc.writerUp.Load() && len(sc.sendq) == cap(sc.sendq) })
	x := uint32(3 + 2*fill)
	p.writeRequest(x, echoRequest(t, "x"))
	eventually(t, "the Echo handler has answered and waits to queue its response", func() bool {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		cl := sc.calls[x]
		return cl != nil && cl.answered.Load()
	})
	p.writeRequest(x, echoRequest(t, "reused"))
	// The reader answers frames in order: the status for the reused id
	// is queued before the status for this data frame on an even id.
	p.writeFrame(2, frameTypeData, 0, []byte("marker"))

	var xCodes []codes.Code
	bytesAnswers, sawMarker, sawEcho := 0, false, false
	for bytesAnswers < fill || !sawEcho || !sawMarker {
		h, data := p.recvFrame()
		resp := &Response{}
		if h.Type != frameTypeResponse || proto.Unmarshal(data, resp) != nil {
			t.Fatalf("got frame type %d on stream %d, want a response", h.Type, h.StreamID)
		}
		switch {
		case h.StreamID == 2:
			wantResponseCode(t, resp, codes.InvalidArgument)
			sawMarker = true
		case h.StreamID == x:
			xCodes = append(xCodes, responseCode(resp))
			sawEcho = sawEcho || responseCode(resp) == codes.OK
		default:
			wantResponseCode(t, resp, codes.OK)
			bytesAnswers++
		}
	}
	if len(xCodes) != 2 || xCodes[0] == xCodes[1] {
		t.Errorf("responses on stream %d have codes %v; want one OK (the Echo) and one INVALID_ARGUMENT (the reused id)", x, xCodes)
	}
	p.echoOK(x+2, "still served")
}

func TestServerRawUnknownFrameTypeSkipped(t *testing.T) {
	leakcheck.Check(t)
	_, path := newTestServer(t)
	p := dialRawPeer(t, path)

	p.writeFrame(1, frameType(7), 0x5, []byte("some data of an unknown frame type"))
	p.writeFrame(1, frameType(0), 0, nil)
	p.writeFrame(3, frameType(0xff), 0xff, bytes.Repeat([]byte{0xff}, 1000))
	p.echoOK(1, "after unknown frames")
}

func TestServerRawOversizedRequest(t *testing.T) {
	leakcheck.Check(t)
	s, path := newTestServer(t)
	p := dialRawPeer(t, path)

	for _, tc := range []struct {
		id     uint32
		length uint32
	}{
		{1, frameLengthMax + 1},
		// A non-zero first length byte is over the limit by definition.
		{5, 0x01000000},
	} {
		p.writeHeader(tc.id, frameTypeRequest, 0, tc.length)
		p.writeRaw(make([]byte, tc.length))
		wantResponseCode(t, p.recvResponse(tc.id), codes.ResourceExhausted)
		p.echoOK(tc.id+2, fmt.Sprintf("after %d bytes", tc.length))
	}

	// An oversized frame of an unknown type is skipped like any other.
	p.writeHeader(9, frameType(7), 0, frameLengthMax+1)
	p.writeRaw(make([]byte, frameLengthMax+1))
	// An oversized request on a reused id is refused for its id.
	waitNoCallsInFlight(t, onlyServerConn(t, s))
	p.writeHeader(7, frameTypeRequest, 0, frameLengthMax+1)
	p.writeRaw(make([]byte, frameLengthMax+1))
	wantResponseCode(t, p.recvResponse(7), codes.InvalidArgument)
	// An oversized data frame on a call in flight fails the call.
	p.writeRequest(9, &Request{Service: testService, Method: "Block"})
	p.writeHeader(9, frameTypeData, 0, frameLengthMax+1)
	p.writeRaw(make([]byte, frameLengthMax+1))
	wantResponseCode(t, p.recvResponse(9), codes.ResourceExhausted)

	// A frame of exactly the limit is not oversized: it is read as a
	// request (here not a valid envelope: zero bytes would be).
	p.writeHeader(11, frameTypeRequest, 0, frameLengthMax)
	p.writeRaw(bytes.Repeat([]byte{0xff}, frameLengthMax))
	wantResponseCode(t, p.recvResponse(11), codes.InvalidArgument)
	p.echoOK(13, "after the limit")
}

func TestServerRawMalformedRequest(t *testing.T) {
	leakcheck.Check(t)
	_, path := newTestServer(t)
	p := dialRawPeer(t, path)

	// An envelope that is not protobuf (a truncated varint).
	p.writeFrame(1, frameTypeRequest, 0, []byte{0xff, 0xff})
	wantResponseCode(t, p.recvResponse(1), codes.InvalidArgument)

	// A payload that is not the method's message.
	p.wantStatus(3, &Request{Service: testService, Method: "Echo", Payload: []byte{0xff, 0xff}}, codes.InvalidArgument)

	p.echoOK(5, "still served")
}

func TestServerRawUnknownServiceAndMethod(t *testing.T) {
	leakcheck.Check(t)
	_, path := newTestServer(t)
	p := dialRawPeer(t, path)

	for _, tc := range []struct {
		id              uint32
		service, method string
		message         string
	}{
		{1, "no.such.Service", "Echo", "service no.such.Service"},
		{3, testService, "NoSuchMethod", "method NoSuchMethod"},
	} {
		p.writeRequest(tc.id, &Request{Service: tc.service, Method: tc.method})
		resp := p.recvResponse(tc.id)
		wantResponseCode(t, resp, codes.Unimplemented)
		if got := resp.GetStatus().GetMessage(); got != tc.message {
			t.Errorf("status message %q, want %q", got, tc.message)
		}
	}
	p.echoOK(5, "still served")
}

func TestServerRawClientClosesMidFrame(t *testing.T) {
	leakcheck.Check(t)
	s, path := newTestServer(t)

	for _, tc := range []struct {
		name string
		send func(p *rawPeer)
	}{
		{"in data", func(p *rawPeer) {
			p.writeHeader(3, frameTypeRequest, 0, 100)
			p.writeRaw(make([]byte, 10))
		}},
		{"in header", func(p *rawPeer) {
			p.writeRaw([]byte{0, 0, 0, 100})
		}},
		{"after a request in flight", func(p *rawPeer) {
			p.writeRequest(3, &Request{Service: testService, Method: "Block"})
			p.writeHeader(5, frameTypeRequest, 0, 100)
		}},
	} {
		p := dialRawPeer(t, path)
		p.echoOK(1, "served") // the server has accepted the connection
		tc.send(p)
		p.conn.Close()
		eventually(t, "the server dropped the connection that closed "+tc.name, func() bool {
			return serverConnCount(s) == 0
		})
	}

	c := dialClient(t, path)
	mustEcho(t, c)
}

// ---- A raw server against our Client ----
// (TestClientRawServerStopsReading, which needs Linux, is in
// peer_linux_test.go.)

func TestClientRawServerClosesMidCall(t *testing.T) {
	leakcheck.Check(t)
	var onClose atomic.Int32
	c, p := newRawServerClient(t, WithOnClose(func() { onClose.Add(1) }))

	call := goEcho(context.Background(), c, "x")
	p.recvRequest()
	p.conn.Close()
	r := waitCall(t, call)
	if !errors.Is(r.err, ErrClosed) {
		t.Fatalf("pending call after the peer closed = %v, want ErrClosed", r.err)
	}
	for range 3 {
		if _, err := echo(boundedCtx(t), c, "later"); !errors.Is(err, ErrClosed) {
			t.Fatalf("call after the peer closed = %v, want ErrClosed", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), rawPeerTimeout)
	defer cancel()
	if err := c.UserOnCloseWait(ctx); err != nil {
		t.Fatalf("UserOnCloseWait = %v, want nil", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close = %v, want nil", err)
	}
	if _, err := echo(boundedCtx(t), c, "after Close"); !errors.Is(err, ErrClosed) {
		t.Fatalf("call after Close = %v, want ErrClosed", err)
	}
	if n := onClose.Load(); n != 1 {
		t.Fatalf("onClose ran %d times, want 1", n)
	}
}

func TestClientRawServerClosesMidResponse(t *testing.T) {
	leakcheck.Check(t)
	c, p := newRawServerClient(t)

	call := goEcho(context.Background(), c, "x")
	id, _ := p.recvRequest()
	p.writeHeader(id, frameTypeResponse, 0, 50)
	p.writeRaw([]byte{1, 2, 3, 4, 5})
	p.conn.Close()
	r := waitCall(t, call)
	if !errors.Is(r.err, ErrClosed) || !errors.Is(r.err, io.ErrUnexpectedEOF) {
		t.Fatalf("call whose response was cut = %v, want ErrClosed and io.ErrUnexpectedEOF", r.err)
	}
}

func TestClientRawServerUnknownStreamIgnored(t *testing.T) {
	leakcheck.Check(t)
	c, p := newRawServerClient(t)

	call := goEcho(context.Background(), c, "real")
	id, _ := p.recvRequest()
	p.writeResponse(id+2, echoResponse(t, "unknown odd"))
	p.writeResponse(id+1, echoResponse(t, "unknown even"))
	p.writeResponse(0, echoResponse(t, "zero"))
	// A data frame for no call, and a frame of an unknown type.
	p.writeFrame(id+2, frameTypeData, 0, mustMarshal(t, wrapperspb.String("data")))
	p.writeFrame(id+2, frameTypeData, flagRemoteClosed|flagNoData, nil)
	p.writeFrame(id, frameType(9), 0, []byte("unknown type"))
	wantPending(t, call, "the call")
	p.writeResponse(id, echoResponse(t, "real"))
	if r := waitCall(t, call); r.err != nil || r.value != "real" {
		t.Fatalf("call = %q, %v; want real, nil", r.value, r.err)
	}
	// A second response on the finished stream is ignored too.
	p.writeResponse(id, echoResponse(t, "again"))
	next := goEcho(context.Background(), c, "next")
	id, _ = p.recvRequest()
	p.writeResponse(id, echoResponse(t, "next"))
	if r := waitCall(t, next); r.err != nil || r.value != "next" {
		t.Fatalf("next call = %q, %v; want next, nil", r.value, r.err)
	}
}

func TestClientRawServerDataFrameOnUnaryCall(t *testing.T) {
	leakcheck.Check(t)
	c, p := newRawServerClient(t)

	call := goEcho(context.Background(), c, "x")
	id, _ := p.recvRequest()
	p.writeFrame(id, frameTypeData, 0, mustMarshal(t, wrapperspb.String("data")))
	if r := waitCall(t, call); !errors.Is(r.err, ErrProtocol) {
		t.Fatalf("unary call answered with a data frame = %q, %v; want ErrProtocol", r.value, r.err)
	}
	// Only that call failed; the late response for it is dropped.
	p.writeResponse(id, echoResponse(t, "late"))
	next := goEcho(context.Background(), c, "next")
	id, _ = p.recvRequest()
	p.writeResponse(id, echoResponse(t, "next"))
	if r := waitCall(t, next); r.err != nil || r.value != "next" {
		t.Fatalf("call after a data frame on a unary call = %q, %v; want next, nil", r.value, r.err)
	}
}

func TestClientRawServerAnswersOutOfOrder(t *testing.T) {
	leakcheck.Check(t)
	c, p := newRawServerClient(t)

	first := goEcho(context.Background(), c, "first")
	id1, req1 := p.recvRequest()
	second := goEcho(context.Background(), c, "second")
	id2, req2 := p.recvRequest()

	echoBack := func(id uint32, req *Request) {
		in := &wrapperspb.StringValue{}
		if err := proto.Unmarshal(req.Payload, in); err != nil {
			t.Fatal(err)
		}
		p.writeResponse(id, echoResponse(t, in.Value))
	}
	echoBack(id2, req2)
	if r := waitCall(t, second); r.err != nil || r.value != "second" {
		t.Fatalf("second call = %q, %v; want second, nil", r.value, r.err)
	}
	wantPending(t, first, "the first call")
	echoBack(id1, req1)
	if r := waitCall(t, first); r.err != nil || r.value != "first" {
		t.Fatalf("first call = %q, %v; want first, nil", r.value, r.err)
	}
}

func TestClientRawServerOversizedResponse(t *testing.T) {
	leakcheck.Check(t)
	c, p := newRawServerClient(t)

	call := goEcho(context.Background(), c, "big")
	id, _ := p.recvRequest()
	p.writeHeader(id, frameTypeResponse, 0, frameLengthMax+1)
	p.writeRaw(make([]byte, frameLengthMax+1))
	r := waitCall(t, call)
	var oversized *OversizedMessageErr
	if !errors.As(r.err, &oversized) {
		t.Fatalf("call with an oversized response = %v, want *OversizedMessageErr", r.err)
	}
	if oversized.RejectedLength() != frameLengthMax+1 || oversized.MaximumLength() != frameLengthMax {
		t.Errorf("OversizedMessageErr lengths %d, %d; want %d, %d",
			oversized.RejectedLength(), oversized.MaximumLength(), frameLengthMax+1, frameLengthMax)
	}
	wantCode(t, r.err, codes.ResourceExhausted)

	next := goEcho(context.Background(), c, "next")
	id, _ = p.recvRequest()
	p.writeResponse(id, echoResponse(t, "next"))
	if r := waitCall(t, next); r.err != nil || r.value != "next" {
		t.Fatalf("call after an oversized response = %q, %v; want next, nil", r.value, r.err)
	}
}

func TestClientRawServerErrorStatus(t *testing.T) {
	leakcheck.Check(t)
	c, p := newRawServerClient(t)

	call := goEcho(context.Background(), c, "x")
	id, _ := p.recvRequest()
	p.writeResponse(id, &Response{
		Status:  &statuspb.Status{Code: int32(codes.NotFound), Message: "no such thing"},
		Payload: mustMarshal(t, wrapperspb.String("ignored")),
	})
	r := waitCall(t, call)
	wantCode(t, r.err, codes.NotFound)
	if st := status.Convert(r.err); st.Message() != "no such thing" {
		t.Errorf("status message %q, want %q", st.Message(), "no such thing")
	}
}

func TestClientRawServerMalformedResponse(t *testing.T) {
	leakcheck.Check(t)
	c, p := newRawServerClient(t)

	call := goEcho(context.Background(), c, "x")
	id, _ := p.recvRequest()
	p.writeFrame(id, frameTypeResponse, 0, []byte{0xff, 0xff})
	if r := waitCall(t, call); !errors.Is(r.err, ErrProtocol) {
		t.Fatalf("call answered with a malformed envelope = %v, want ErrProtocol", r.err)
	}

	// A payload that is not the call's message fails only that call.
	call = goEcho(context.Background(), c, "y")
	id, _ = p.recvRequest()
	p.writeResponse(id, &Response{Payload: []byte{0xff, 0xff}})
	if r := waitCall(t, call); r.err == nil {
		t.Fatal("call answered with a payload that does not unmarshal succeeded")
	}

	call = goEcho(context.Background(), c, "z")
	id, _ = p.recvRequest()
	p.writeResponse(id, echoResponse(t, "z"))
	if r := waitCall(t, call); r.err != nil || r.value != "z" {
		t.Fatalf("call after malformed responses = %q, %v; want z, nil", r.value, r.err)
	}
}

func TestClientRawServerStreamIDsIncrease(t *testing.T) {
	leakcheck.Check(t)
	c, p := newRawServerClient(t)

	for i := range 5 {
		call := goEcho(context.Background(), c, "x")
		id, _ := p.recvRequest()
		if want := uint32(2*i + 1); id != want {
			t.Fatalf("call %d went out on stream %d, want %d", i, id, want)
		}
		p.writeResponse(id, echoResponse(t, "x"))
		if r := waitCall(t, call); r.err != nil {
			t.Fatal(r.err)
		}
	}
}

func TestClientRawServerDeadlineAndMetadata(t *testing.T) {
	leakcheck.Check(t)
	c, p := newRawServerClient(t)

	const timeout = 10 * time.Second
	md := MD{}
	md.Set("Alpha", "1", "2", "3")
	md.Append("beta", "x")
	md.Append("BETA", "y", "z")
	md.Set("gamma", "only")
	ctx, cancel := context.WithTimeout(WithMetadata(context.Background(), md), timeout)
	defer cancel()
	call := goEcho(ctx, c, "x")
	id, req := p.recvRequest()

	if req.Service != testService || req.Method != "Echo" {
		t.Errorf("request for %s/%s, want %s/Echo", req.Service, req.Method, testService)
	}
	if req.TimeoutNano <= 0 || req.TimeoutNano > int64(timeout) {
		t.Errorf("timeout_nano %d, want in (0, %d]", req.TimeoutNano, int64(timeout))
	}
	got := map[string][]string{}
	for _, kv := range req.Metadata {
		got[kv.Key] = append(got[kv.Key], kv.Value)
	}
	want := map[string][]string{"alpha": {"1", "2", "3"}, "beta": {"x", "y", "z"}, "gamma": {"only"}}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(req.Metadata) != 7 {
		t.Errorf("metadata %v, want per key in order %v", req.Metadata, want)
	}

	p.writeResponse(id, echoResponse(t, "x"))
	if r := waitCall(t, call); r.err != nil {
		t.Fatal(r.err)
	}

	// Without a deadline or metadata, neither is sent.
	call = goEcho(context.Background(), c, "y")
	id, req = p.recvRequest()
	if req.TimeoutNano != 0 || len(req.Metadata) != 0 {
		t.Errorf("call without deadline or metadata sent timeout_nano %d, metadata %v", req.TimeoutNano, req.Metadata)
	}
	p.writeResponse(id, echoResponse(t, "y"))
	if r := waitCall(t, call); r.err != nil {
		t.Fatal(r.err)
	}
}
