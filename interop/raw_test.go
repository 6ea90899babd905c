// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package interop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/interop/internal/ours"
	"github.com/featherrpc/ttrpc/interop/internal/peer"
	"github.com/featherrpc/ttrpc/interop/internal/script"
	"github.com/featherrpc/ttrpc/interop/internal/testpb"
	"github.com/featherrpc/ttrpc/interop/internal/testsvc"
	"github.com/featherrpc/ttrpc/interop/internal/theirs"
	"github.com/featherrpc/ttrpc/interop/internal/wire"
	"github.com/featherrpc/ttrpc/status"
)

// The tests in this file speak raw frames: a hand-made client against
// both servers, and a hand-made server against both clients, for what a
// well-behaved peer of either implementation never sends.

var impls = []peer.Impl{ours.Impl, theirs.Impl}

// rawClient writes and reads frames on a connection to a server.
type rawClient struct {
	t    *testing.T
	conn net.Conn
}

func dialRaw(t *testing.T, addr string) *rawClient {
	conn := dialConn(t, addr)
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawClient{t: t, conn: conn}
}

func (r *rawClient) send(f wire.Frame) {
	r.t.Helper()
	if err := wire.WriteFrame(r.conn, f); err != nil {
		r.t.Fatalf("write %v: %v", f, err)
	}
}

func (r *rawClient) recv() wire.Frame {
	r.t.Helper()
	f, err := wire.ReadFrame(r.conn, 0)
	if err != nil {
		r.t.Fatalf("read: %v", err)
	}
	return f
}

// recvResponse reads a frame that must be the response of stream id.
func (r *rawClient) recvResponse(id uint32) *ttrpc.Response {
	r.t.Helper()
	f := r.recv()
	if f.Type != wire.TypeResponse || f.StreamID != id {
		r.t.Fatalf("got %v, want a response on stream %d", f, id)
	}
	resp := &ttrpc.Response{}
	if err := proto.Unmarshal(f.Data, resp); err != nil {
		r.t.Fatalf("response %v: %v", f, err)
	}
	return resp
}

// request encodes a request frame.
func request(id uint32, flags byte, service, method string, req proto.Message) wire.Frame {
	payload, err := proto.Marshal(req)
	if err != nil {
		panic(err)
	}
	data, err := proto.Marshal(&ttrpc.Request{Service: service, Method: method, Payload: payload})
	if err != nil {
		panic(err)
	}
	return wire.NewFrame(id, wire.TypeRequest, flags, data)
}

func unaryRequest(id uint32, req *testpb.Echo) wire.Frame {
	return request(id, 0, testsvc.Service, testsvc.Unary, req)
}

// checkEchoResponse checks that resp is OK and carries want.
func checkEchoResponse(t *testing.T, resp *ttrpc.Response, want *testpb.Echo) {
	t.Helper()
	if code := resp.GetStatus().GetCode(); code != 0 {
		t.Fatalf("status %d %q, want OK", code, resp.GetStatus().GetMessage())
	}
	got := &testpb.Echo{}
	if err := proto.Unmarshal(resp.GetPayload(), got); err != nil {
		t.Fatal(err)
	}
	if err := script.CheckEcho(got, want); err != nil {
		t.Fatal(err)
	}
}

// checkCode checks a response's status code and logs its message.
func checkCode(t *testing.T, impl peer.Impl, what string, resp *ttrpc.Response, code int32) {
	t.Helper()
	if got := resp.GetStatus().GetCode(); got != code {
		t.Errorf("%s: status %d %q, want code %d", what, got, resp.GetStatus().GetMessage(), code)
	}
	t.Logf("%s server, %s: %d %q", impl.Name, what, resp.GetStatus().GetCode(), resp.GetStatus().GetMessage())
}

// TestRawOversizedRequest: a request frame over 4 MiB is read and
// discarded; the server answers RESOURCE_EXHAUSTED on its stream and the
// connection goes on.
func TestRawOversizedRequest(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.Name+"-server", func(t *testing.T) {
			leakcheck.Check(t)
			r := dialRaw(t, startServer(t, impl).addr)
			r.send(wire.NewFrame(1, wire.TypeRequest, 0, make([]byte, wire.MaxLength+1)))
			resp := r.recvResponse(1)
			checkCode(t, impl, "oversized request", resp, 8)
			checkStatusMessage(t, resp.GetStatus().GetMessage())
			r.send(unaryRequest(3, &testpb.Echo{Seq: 3}))
			checkEchoResponse(t, r.recvResponse(3), &testpb.Echo{Seq: 3})
		})
	}
}

// checkStatusMessage checks that a status message is a description, not
// a whole status error's text.
func checkStatusMessage(t *testing.T, msg string) {
	t.Helper()
	// Our server's RESOURCE_EXHAUSTED answers once carried a whole status
	// error's text ("rpc error: code = ...") as their message; containerd's
	// server sends "message length 4194305 exceed maximum message size of
	// 4194304".
	if strings.HasPrefix(msg, "rpc error:") {
		t.Errorf("status message %q is a status error's text", msg)
	}
}

// TestRawStreamIDs: a request on an even stream id, or on an id already
// used, gets INVALID_ARGUMENT on that id; the connection goes on.
func TestRawStreamIDs(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.Name+"-server", func(t *testing.T) {
			leakcheck.Check(t)
			r := dialRaw(t, startServer(t, impl).addr)
			r.send(unaryRequest(2, &testpb.Echo{Seq: 2}))
			checkCode(t, impl, "even stream id", r.recvResponse(2), 3)
			r.send(unaryRequest(5, &testpb.Echo{Seq: 5}))
			checkEchoResponse(t, r.recvResponse(5), &testpb.Echo{Seq: 5})
			r.send(unaryRequest(5, &testpb.Echo{Seq: 5}))
			checkCode(t, impl, "reused stream id", r.recvResponse(5), 3)
			r.send(unaryRequest(3, &testpb.Echo{Seq: 3}))
			checkCode(t, impl, "decreasing stream id", r.recvResponse(3), 3)
			r.send(unaryRequest(7, &testpb.Echo{Seq: 7}))
			checkEchoResponse(t, r.recvResponse(7), &testpb.Echo{Seq: 7})
		})
	}
}

// TestRawUnknownFrameType: a frame of an unknown type is skipped, with
// its data, and the connection goes on.
func TestRawUnknownFrameType(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.Name+"-server", func(t *testing.T) {
			leakcheck.Check(t)
			r := dialRaw(t, startServer(t, impl).addr)
			r.send(wire.NewFrame(1, 0x7f, 0xff, []byte("not a frame anybody knows")))
			r.send(unaryRequest(3, &testpb.Echo{Seq: 3}))
			checkEchoResponse(t, r.recvResponse(3), &testpb.Echo{Seq: 3})
		})
	}
}

// TestRawUnaryRequestToStream: a request with flags 0 (unary) to a
// server-streaming method. Our server refuses it with UNIMPLEMENTED (its
// answer could not be read by a client that expects one response);
// containerd's runs the stream anyway and sends data frames. A difference
// on purpose; no generated client does this.
func TestRawUnaryRequestToStream(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.Name+"-server", func(t *testing.T) {
			leakcheck.Check(t)
			r := dialRaw(t, startServer(t, impl).addr)
			r.send(request(1, 0, testsvc.Service, testsvc.Generate, &testpb.Echo{Count: 1}))
			if impl.Name == peer.Ours {
				checkCode(t, impl, "unary request to a stream", r.recvResponse(1), 12)
				return
			}
			first, last := r.recv(), r.recv()
			if first.Type != wire.TypeData || last.Type != wire.TypeData || last.Flags != wire.FlagRemoteClosed|wire.FlagNoData {
				t.Errorf("containerd's server answered %v, %v; want a data frame and the OK ending", first, last)
			}
		})
	}
}

// fakeServer serves one connection on a fresh socket with handle, and
// returns the socket's address. The test fails if handle does.
func fakeServer(t *testing.T, handle func(conn net.Conn) error) string {
	t.Helper()
	ln, err := net.Listen("unix", filepath.Join(tempDir(t), "s"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	// Owner: this test. The goroutine returns when handle does; the
	// connection's deadline bounds it.
	go func() {
		conn, err := ln.Accept()
		ln.Close()
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		done <- handle(conn)
	}()
	t.Cleanup(func() {
		ln.Close()
		if err := <-done; err != nil {
			t.Errorf("fake server: %v", err)
		}
	})
	return ln.Addr().String()
}

// readRequest reads a request frame and decodes its Echo.
func readRequest(conn net.Conn) (wire.Frame, *testpb.Echo, error) {
	f, err := wire.ReadFrame(conn, 0)
	if err != nil {
		return f, nil, err
	}
	req := &ttrpc.Request{}
	if f.Type != wire.TypeRequest {
		return f, nil, fmt.Errorf("got %v, want a request", f)
	}
	if err := proto.Unmarshal(f.Data, req); err != nil {
		return f, nil, err
	}
	echo := &testpb.Echo{}
	return f, echo, proto.Unmarshal(req.GetPayload(), echo)
}

// response encodes a response frame.
func response(id uint32, resp *ttrpc.Response) wire.Frame {
	data, err := proto.Marshal(resp)
	if err != nil {
		panic(err)
	}
	return wire.NewFrame(id, wire.TypeResponse, 0, data)
}

func echoResponse(id uint32, m *testpb.Echo) wire.Frame {
	payload, _ := proto.Marshal(m)
	return response(id, &ttrpc.Response{Payload: payload})
}

// readToEOF reads until the client closes the connection, and fails on
// any frame it reads.
func readToEOF(conn net.Conn) error {
	f, err := wire.ReadFrame(conn, 0)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return fmt.Errorf("after the last answer: read %v, %v; want EOF", f, err)
}

// TestRawClientOversizedResponse: a response frame over 4 MiB fails only
// its own call, with RESOURCE_EXHAUSTED; the next call on the connection
// is answered.
func TestRawClientOversizedResponse(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.Name+"-client", func(t *testing.T) {
			leakcheck.Check(t)
			addr := fakeServer(t, func(conn net.Conn) error {
				f, _, err := readRequest(conn)
				if err != nil {
					return err
				}
				if err := wire.WriteFrame(conn, wire.NewFrame(f.StreamID, wire.TypeResponse, 0, make([]byte, wire.MaxLength+1))); err != nil {
					return err
				}
				f, req, err := readRequest(conn)
				if err != nil {
					return err
				}
				if err := wire.WriteFrame(conn, echoResponse(f.StreamID, req)); err != nil {
					return err
				}
				return readToEOF(conn)
			})
			c := dial(t, impl, addr, peer.ClientOptions{})
			_, err := call(context.Background(), c, &testpb.Echo{Seq: 1})
			if st, ok := impl.FromError(err); !ok || st.Code != 8 {
				t.Errorf("oversized response: got %v, want RESOURCE_EXHAUSTED", err)
			}
			mustEcho(t, context.Background(), c, &testpb.Echo{Seq: 2}, &testpb.Echo{Seq: 2})
			c.Close()
		})
	}
}

// TestRawClientPeerQuirks: answers that a peer other than these two may
// send, each to its own call on one connection:
//  1. an OK response whose status is present but empty (a Status message
//     with code 0): both clients take it as OK;
//  2. a response on a stream nobody waits for, then the real answer: both
//     clients drop the first;
//  3. a frame of an unknown type on the call's stream, then the real
//     answer: our client skips the frame, as the protocol says;
//     containerd's fails the call with ErrProtocol (a difference on
//     purpose) and drops the real answer;
//  4. a plain answer: the connection went on.
func TestRawClientPeerQuirks(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.Name+"-client", func(t *testing.T) {
			leakcheck.Check(t)
			addr := fakeServer(t, func(conn net.Conn) error {
				for range 4 {
					f, req, err := readRequest(conn)
					if err != nil {
						return err
					}
					id := f.StreamID
					var frames []wire.Frame
					switch req.GetSeq() {
					case 1:
						payload, _ := proto.Marshal(req)
						frames = append(frames, response(id, &ttrpc.Response{Status: status.New(0, "").Proto(), Payload: payload}))
					case 2:
						frames = append(frames, echoResponse(id+100, &testpb.Echo{Text: "nobody asked"}), echoResponse(id, req))
					case 3:
						frames = append(frames, wire.NewFrame(id, 0x7f, 0, []byte("unknown type")), echoResponse(id, req))
					default:
						frames = append(frames, echoResponse(id, req))
					}
					for _, fr := range frames {
						if err := wire.WriteFrame(conn, fr); err != nil {
							return err
						}
					}
				}
				return readToEOF(conn)
			})
			c := dial(t, impl, addr, peer.ClientOptions{})
			ctx := context.Background()
			mustEcho(t, ctx, c, &testpb.Echo{Seq: 1, Text: "empty status"}, &testpb.Echo{Seq: 1, Text: "empty status"})
			mustEcho(t, ctx, c, &testpb.Echo{Seq: 2, Text: "stray response"}, &testpb.Echo{Seq: 2, Text: "stray response"})
			if impl.Name == peer.Ours {
				mustEcho(t, ctx, c, &testpb.Echo{Seq: 3, Text: "unknown type"}, &testpb.Echo{Seq: 3, Text: "unknown type"})
			} else if _, err := call(ctx, c, &testpb.Echo{Seq: 3}); err == nil {
				t.Errorf("containerd's client took a frame of unknown type; it used to fail the call")
			}
			mustEcho(t, ctx, c, &testpb.Echo{Seq: 4}, &testpb.Echo{Seq: 4})
			c.Close()
		})
	}
}

// TestRawStatusTextsMatchContainerd: for the protocol errors both servers
// answer with a status, the two send the same code and the same message
// (for a request that does not decode, the same message up to the
// decoder's own words), so that code matching on either sees no change.
func TestRawStatusTextsMatchContainerd(t *testing.T) {
	answers := map[string][]string{}
	for _, impl := range impls {
		t.Run(impl.Name+"-server", func(t *testing.T) {
			leakcheck.Check(t)
			r := dialRaw(t, startServer(t, impl).addr)
			record := func(id uint32) {
				st := r.recvResponse(id).GetStatus()
				msg := st.GetMessage()
				if prefix, _, ok := strings.Cut(msg, "error: "); ok && strings.HasPrefix(msg, "unmarshal request") {
					msg = prefix + "error: ..."
				}
				answers[impl.Name] = append(answers[impl.Name], fmt.Sprintf("%d %s", st.GetCode(), msg))
			}
			r.send(wire.NewFrame(1, wire.TypeRequest, 0, make([]byte, wire.MaxLength+1)))
			record(1)
			r.send(unaryRequest(2, &testpb.Echo{Seq: 2}))
			record(2)
			r.send(unaryRequest(3, &testpb.Echo{Seq: 3}))
			checkEchoResponse(t, r.recvResponse(3), &testpb.Echo{Seq: 3})
			r.send(unaryRequest(3, &testpb.Echo{Seq: 3}))
			record(3)
			r.send(wire.NewFrame(9, wire.TypeData, 0, []byte{0x08, 0x01}))
			record(9)
			r.send(wire.NewFrame(4, wire.TypeData, 0, []byte{0x08, 0x01}))
			record(4)
			r.send(wire.NewFrame(11, wire.TypeRequest, 0, []byte{0xff, 0xff, 0xff}))
			record(11)
			r.send(request(13, 0, "no.such.Service", "Method", &testpb.Echo{}))
			record(13)
			r.send(request(15, 0, testsvc.Service, "NoSuchMethod", &testpb.Echo{}))
			record(15)
			// A payload that does not decode: the codes differ on purpose
			// (ours INVALID_ARGUMENT, containerd's INTERNAL), the words not.
			data, _ := proto.Marshal(&ttrpc.Request{Service: testsvc.Service, Method: testsvc.Unary, Payload: []byte{0xff, 0xff}})
			r.send(wire.NewFrame(17, wire.TypeRequest, 0, data))
			answers[impl.Name] = append(answers[impl.Name], "? "+r.recvResponse(17).GetStatus().GetMessage())
		})
	}
	ours, theirs := answers[peer.Ours], answers[peer.Theirs]
	t.Logf("answers of both servers:\n  %s", strings.Join(ours, "\n  "))
	if len(ours) == 0 || len(ours) != len(theirs) || strings.Join(ours, "\n") != strings.Join(theirs, "\n") {
		t.Errorf("status answers differ:\nours:\n  %s\ncontainerd's:\n  %s", strings.Join(ours, "\n  "), strings.Join(theirs, "\n  "))
	}
}
