// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/anypb"
)

// echoProtoset is the descriptor set of testdata/protos, which the test
// server serves.
const echoProtoset = "testdata/echo.protoset"

// echoService is the test server's ttrpcurl.test.v1.Echo, on dynamic
// messages.
type echoService struct {
	request, reply, count, missing protoreflect.MessageDescriptor
}

func newEchoService(t *testing.T) *echoService {
	files, err := loadProtosets([]string{echoProtoset})
	if err != nil {
		t.Fatal(err)
	}
	find := func(name string) protoreflect.MessageDescriptor {
		d, err := files.FindDescriptorByName(protoreflect.FullName("ttrpcurl.test.v1." + name))
		if err != nil {
			t.Fatal(err)
		}
		return d.(protoreflect.MessageDescriptor)
	}
	return &echoService{request: find("EchoRequest"), reply: find("EchoReply"), count: find("CountRequest"), missing: find("Missing")}
}

// startServer serves the Echo service on a Unix socket in a new temporary
// directory (short, for the 108-byte limit) until the test ends, and
// returns the socket's path. It checks that the test leaks nothing.
func startServer(t *testing.T) string {
	leakcheck.Check(t)
	svc := newEchoService(t)
	server, err := ttrpc.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	server.RegisterService("ttrpcurl.test.v1.Echo", svc.desc())
	return serveOnSocket(t, server)
}

// listenTemp listens on a Unix socket in a new directory, removed when
// the test ends (after the cleanups its callers register, which close the
// listener); it returns the listener and the socket's path.
func listenTemp(t *testing.T) (net.Listener, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "t")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	return l, path
}

// serveOnSocket runs server on a new socket until the test ends.
func serveOnSocket(t *testing.T, server *ttrpc.Server) string {
	l, path := listenTemp(t)
	served := make(chan error, 1)
	go func() { served <- server.Serve(context.Background(), l) }() // owner: the test; exits at Close below
	t.Cleanup(func() {
		server.Close()
		if err := <-served; !errors.Is(err, ttrpc.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return path
}

func (s *echoService) desc() *ttrpc.ServiceDesc {
	return &ttrpc.ServiceDesc{
		Methods: map[string]ttrpc.Method{
			"Unary": s.unary,
			"Fail":  s.fail,
			"Hang":  s.hang,
		},
		Streams: map[string]ttrpc.Stream{
			"Count": {Handler: s.countStream, StreamingServer: true},
			"Join":  {Handler: s.join, StreamingClient: true},
			"Chat":  {Handler: s.chat, StreamingClient: true, StreamingServer: true},
		},
	}
}

// unary echoes text and n, with the metadata received and whether a
// timeout came.
func (s *echoService) unary(ctx context.Context, unmarshal func(any) error) (any, error) {
	req := dynamicpb.NewMessage(s.request)
	if err := unmarshal(req); err != nil {
		return nil, err
	}
	reply := s.newReply(get(req, "text").String(), int32(get(req, "n").Int()))
	md, _ := ttrpc.GetMetadata(ctx)
	var pairs []string
	for k, vs := range md {
		for _, v := range vs {
			pairs = append(pairs, k+"="+v)
		}
	}
	slices.Sort(pairs)
	list := reply.Mutable(s.reply.Fields().ByName("metadata")).List()
	for _, p := range pairs {
		list.Append(protoreflect.ValueOfString(p))
	}
	_, hasDeadline := ctx.Deadline()
	set(reply, "timeout_set", protoreflect.ValueOfBool(hasDeadline))
	return reply, nil
}

// fail answers NOT_FOUND with two details: a Missing, whose type the
// protos know, and one whose type nobody knows.
func (s *echoService) fail(ctx context.Context, unmarshal func(any) error) (any, error) {
	req := dynamicpb.NewMessage(s.request)
	if err := unmarshal(req); err != nil {
		return nil, err
	}
	missing := dynamicpb.NewMessage(s.missing)
	set(missing, "what", get(req, "text"))
	st, err := status.New(codes.NotFound, "no "+get(req, "text").String()).WithDetails(missing)
	if err != nil {
		return nil, err
	}
	p := st.Proto()
	p.Details = append(p.Details, &anypb.Any{TypeUrl: "type.googleapis.com/elsewhere.Secret", Value: []byte{8, 1}})
	return nil, status.FromProto(p).Err()
}

// hang answers when the call's context ends.
func (s *echoService) hang(ctx context.Context, unmarshal func(any) error) (any, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// countStream sends count replies, n = 1..count.
func (s *echoService) countStream(ctx context.Context, stream ttrpc.StreamServer) (any, error) {
	req := dynamicpb.NewMessage(s.count)
	if err := stream.RecvMsg(req); err != nil {
		return nil, err
	}
	for i := range int32(get(req, "count").Int()) {
		if err := stream.SendMsg(s.newReply("", i+1)); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// join answers the texts of all requests joined by spaces, n their count.
func (s *echoService) join(ctx context.Context, stream ttrpc.StreamServer) (any, error) {
	var texts []string
	for {
		req := dynamicpb.NewMessage(s.request)
		err := stream.RecvMsg(req)
		if errors.Is(err, io.EOF) {
			return s.newReply(strings.Join(texts, " "), int32(len(texts))), nil
		}
		if err != nil {
			return nil, err
		}
		texts = append(texts, get(req, "text").String())
	}
}

// chat answers each request as it comes, its text upper-cased.
func (s *echoService) chat(ctx context.Context, stream ttrpc.StreamServer) (any, error) {
	for i := int32(1); ; i++ {
		req := dynamicpb.NewMessage(s.request)
		err := stream.RecvMsg(req)
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if err := stream.SendMsg(s.newReply(strings.ToUpper(get(req, "text").String()), i)); err != nil {
			return nil, err
		}
	}
}

func (s *echoService) newReply(text string, n int32) *dynamicpb.Message {
	reply := dynamicpb.NewMessage(s.reply)
	set(reply, "text", protoreflect.ValueOfString(text))
	set(reply, "n", protoreflect.ValueOfInt32(n))
	return reply
}

func get(m proto.Message, field string) protoreflect.Value {
	r := m.ProtoReflect()
	return r.Get(r.Descriptor().Fields().ByName(protoreflect.Name(field)))
}

func set(m proto.Message, field string, v protoreflect.Value) {
	r := m.ProtoReflect()
	r.Set(r.Descriptor().Fields().ByName(protoreflect.Name(field)), v)
}

// silentServer accepts connections and never reads or answers, until the
// test ends; it returns the socket's path.
func silentServer(t *testing.T) string {
	leakcheck.Check(t)
	l, path := listenTemp(t)
	accepted := make(chan []net.Conn, 1)
	go func() { // owner: the test; loop: accept; exits when l closes
		var conns []net.Conn
		for {
			conn, err := l.Accept()
			if err != nil {
				accepted <- conns
				return
			}
			conns = append(conns, conn)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for _, c := range <-accepted {
			c.Close()
		}
	})
	return path
}
