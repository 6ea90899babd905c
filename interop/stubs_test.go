// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package interop

import (
	"context"
	"reflect"
	"strings"
	"testing"

	cttrpc "github.com/containerd/ttrpc"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/interop/internal/ours"
	"github.com/featherrpc/ttrpc/interop/internal/ourstubs"
	"github.com/featherrpc/ttrpc/interop/internal/peer"
	"github.com/featherrpc/ttrpc/interop/internal/portedstubs"
	"github.com/featherrpc/ttrpc/interop/internal/script"
	"github.com/featherrpc/ttrpc/interop/internal/testpb"
	"github.com/featherrpc/ttrpc/interop/internal/testsvc"
	"github.com/featherrpc/ttrpc/interop/internal/theirs"
	"github.com/featherrpc/ttrpc/interop/internal/theirstubs"
)

// The generated code of service.proto comes in three packages:
// theirstubs (containerd's protoc-gen-go-ttrpc), ourstubs (ours) and
// portedstubs (containerd's output with only the import path changed to
// ours, as a user who switches without regenerating has it). The tests
// below register the service with one package's Register function on one
// implementation's server, and call it with another package's client on
// the other implementation's client.

// stubClient is what every generated client offers, with the stream types
// reduced to the methods the tests use.
type stubClient interface {
	Unary(context.Context, *testpb.Echo) (*testpb.Echo, error)
	Collect(context.Context) (collectStub, error)
	Generate(context.Context, *testpb.Echo) (recvStub, error)
	Chat(context.Context) (chatStub, error)
}

type collectStub interface {
	Send(*testpb.Echo) error
	CloseAndRecv() (*testpb.Echo, error)
}

type recvStub interface {
	Recv() (*testpb.Echo, error)
}

type chatStub interface {
	Send(*testpb.Echo) error
	Recv() (*testpb.Echo, error)
	CloseSend() error
}

// stubCase is one generated client calling one generated server.
type stubCase struct {
	name       string
	clientImpl peer.Impl // decodes the client's errors
	// serve starts a server with the service registered by generated code
	// and returns its address.
	serve func(t *testing.T) string
	// client returns a generated client over conn.
	client func(t *testing.T, addr string) stubClient
}

func TestGeneratedStubs(t *testing.T) {
	cases := []stubCase{
		{"containerd-stubs-client_featherrpc-stubs-server", theirs.Impl, serveOurStubs, theirStubClient},
		{"featherrpc-stubs-client_containerd-stubs-server", ours.Impl, serveTheirStubs, ourStubClient},
		{"containerd-stubs-client_ported-stubs-server", theirs.Impl, servePortedStubs, theirStubClient},
		{"ported-stubs-client_containerd-stubs-server", ours.Impl, serveTheirStubs, portedStubClient},
		{"ported-stubs-client_featherrpc-stubs-server", ours.Impl, serveOurStubs, portedStubClient},
		{"featherrpc-stubs-client_ported-stubs-server", ours.Impl, servePortedStubs, ourStubClient},
	}
	for _, sc := range cases {
		t.Run(sc.name, func(t *testing.T) {
			leakcheck.Check(t)
			c := sc.client(t, sc.serve(t))
			exerciseStubs(t, sc.clientImpl, c)
		})
	}
}

// exerciseStubs calls every method of the service through generated code.
func exerciseStubs(t *testing.T, impl peer.Impl, c stubClient) {
	ctx := context.Background()

	// Unary: an echo, and an error with details.
	small := &testpb.Echo{Seq: 1, Text: "stub", Data: []byte{1, 2, 3}}
	got, err := c.Unary(ctx, small)
	if err != nil {
		t.Fatal(err)
	}
	if err := script.CheckEcho(got, small); err != nil {
		t.Error(err)
	}
	fail := &testpb.Echo{Seq: 2, Action: testsvc.ActionError, Code: 6, Text: "exists"}
	_, err = c.Unary(ctx, fail)
	if err := script.CheckStatus(impl, err, script.ErrorStatus(fail)); err != nil {
		t.Error(err)
	}

	// Client streaming, with an empty message.
	cs, err := c.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*testpb.Echo{{Text: "a"}, {}, {Text: "c"}} {
		if err := cs.Send(m); err != nil {
			t.Fatal(err)
		}
	}
	got, err = cs.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	if err := script.CheckEcho(got, &testpb.Echo{Seq: 3, Text: "a||c"}); err != nil {
		t.Error(err)
	}

	// Server streaming: the OK ending, then the error ending.
	gs, err := c.Generate(ctx, &testpb.Echo{Count: 2, Text: "g"})
	if err != nil {
		t.Fatal(err)
	}
	recvAll(t, gs, &testpb.Echo{Seq: 1, Text: "g"}, &testpb.Echo{Seq: 2, Text: "g"})
	if m, err := gs.Recv(); err == nil || !isEOF(err) {
		t.Errorf("after the last message: got %v, %v; want io.EOF", m, err)
	}
	failing := &testpb.Echo{Seq: 3, Count: 1, Action: testsvc.ActionError, Code: 14, Text: "unavailable"}
	gs, err = c.Generate(ctx, failing)
	if err != nil {
		t.Fatal(err)
	}
	recvAll(t, gs, &testpb.Echo{Seq: 1, Text: "unavailable"})
	_, err = gs.Recv()
	if err := script.CheckStatus(impl, err, script.ErrorStatus(failing)); err != nil {
		t.Error(err)
	}

	// Bidi, with an empty message.
	ch, err := c.Chat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*testpb.Echo{{Seq: 1, Text: "x"}, {}} {
		if err := ch.Send(m); err != nil {
			t.Fatal(err)
		}
		recvAll(t, ch, m)
	}
	if err := ch.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if m, err := ch.Recv(); !isEOF(err) {
		t.Errorf("after CloseSend: got %v, %v; want io.EOF", m, err)
	}
}

func recvAll(t *testing.T, s recvStub, want ...*testpb.Echo) {
	t.Helper()
	for i, w := range want {
		got, err := s.Recv()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if err := script.CheckEcho(got, w); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
}

// Servers with the service registered by generated code.

func serveOurStubs(t *testing.T) string {
	s, err := ttrpc.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	ourstubs.RegisterInteropService(s, ourStubService{ours.Env(nil)})
	return serve(t, s)
}

func servePortedStubs(t *testing.T) string {
	s, err := ttrpc.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	portedstubs.RegisterInteropService(s, portedStubService{ours.Env(nil)})
	return serve(t, s)
}

func serveTheirStubs(t *testing.T) string {
	s, err := cttrpc.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	theirstubs.RegisterInteropService(s, theirStubService{theirs.Env(nil)})
	return serve(t, s)
}

// Generated clients.

func ourStubClient(t *testing.T, addr string) stubClient {
	c := ttrpc.NewClient(dialConn(t, addr))
	t.Cleanup(func() { c.Close() })
	return ourStubs{ourstubs.NewInteropClient(c)}
}

func portedStubClient(t *testing.T, addr string) stubClient {
	c := ttrpc.NewClient(dialConn(t, addr))
	t.Cleanup(func() { c.Close() })
	return portedStubs{portedstubs.NewInteropClient(c)}
}

func theirStubClient(t *testing.T, addr string) stubClient {
	c := cttrpc.NewClient(dialConn(t, addr))
	t.Cleanup(func() { c.Close() })
	return theirStubs{theirstubs.NewInteropClient(c)}
}

// The services behind the generated Register functions: the handlers of
// package testsvc, through each package's stream types.

type ourStubService struct{ env *testsvc.Env }

func (s ourStubService) Unary(ctx context.Context, req *testpb.Echo) (*testpb.Echo, error) {
	return s.env.Unary(ctx, req)
}

func (s ourStubService) Collect(ctx context.Context, ss ourstubs.Interop_CollectServer) (*testpb.Echo, error) {
	return s.env.Collect(ctx, ss.Recv)
}

func (s ourStubService) Generate(ctx context.Context, req *testpb.Echo, ss ourstubs.Interop_GenerateServer) error {
	return s.env.Generate(ctx, req, ss.Send)
}

func (s ourStubService) Chat(ctx context.Context, ss ourstubs.Interop_ChatServer) error {
	return s.env.Chat(ctx, ss.Recv, ss.Send)
}

type portedStubService struct{ env *testsvc.Env }

func (s portedStubService) Unary(ctx context.Context, req *testpb.Echo) (*testpb.Echo, error) {
	return s.env.Unary(ctx, req)
}

func (s portedStubService) Collect(ctx context.Context, ss portedstubs.Interop_CollectServer) (*testpb.Echo, error) {
	return s.env.Collect(ctx, ss.Recv)
}

func (s portedStubService) Generate(ctx context.Context, req *testpb.Echo, ss portedstubs.Interop_GenerateServer) error {
	return s.env.Generate(ctx, req, ss.Send)
}

func (s portedStubService) Chat(ctx context.Context, ss portedstubs.Interop_ChatServer) error {
	return s.env.Chat(ctx, ss.Recv, ss.Send)
}

type theirStubService struct{ env *testsvc.Env }

func (s theirStubService) Unary(ctx context.Context, req *testpb.Echo) (*testpb.Echo, error) {
	return s.env.Unary(ctx, req)
}

func (s theirStubService) Collect(ctx context.Context, ss theirstubs.Interop_CollectServer) (*testpb.Echo, error) {
	return s.env.Collect(ctx, ss.Recv)
}

func (s theirStubService) Generate(ctx context.Context, req *testpb.Echo, ss theirstubs.Interop_GenerateServer) error {
	return s.env.Generate(ctx, req, ss.Send)
}

func (s theirStubService) Chat(ctx context.Context, ss theirstubs.Interop_ChatServer) error {
	return s.env.Chat(ctx, ss.Recv, ss.Send)
}

// The generated clients as stubClient.

type ourStubs struct{ c ourstubs.InteropClient }

func (a ourStubs) Unary(ctx context.Context, req *testpb.Echo) (*testpb.Echo, error) {
	return a.c.Unary(ctx, req)
}

func (a ourStubs) Collect(ctx context.Context) (collectStub, error) {
	s, err := a.c.Collect(ctx)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (a ourStubs) Generate(ctx context.Context, req *testpb.Echo) (recvStub, error) {
	s, err := a.c.Generate(ctx, req)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (a ourStubs) Chat(ctx context.Context) (chatStub, error) {
	s, err := a.c.Chat(ctx)
	if err != nil {
		return nil, err
	}
	return s, nil
}

type portedStubs struct{ c portedstubs.InteropClient }

func (a portedStubs) Unary(ctx context.Context, req *testpb.Echo) (*testpb.Echo, error) {
	return a.c.Unary(ctx, req)
}

func (a portedStubs) Collect(ctx context.Context) (collectStub, error) {
	s, err := a.c.Collect(ctx)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (a portedStubs) Generate(ctx context.Context, req *testpb.Echo) (recvStub, error) {
	s, err := a.c.Generate(ctx, req)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (a portedStubs) Chat(ctx context.Context) (chatStub, error) {
	s, err := a.c.Chat(ctx)
	if err != nil {
		return nil, err
	}
	return s, nil
}

type theirStubs struct{ c theirstubs.InteropClient }

func (a theirStubs) Unary(ctx context.Context, req *testpb.Echo) (*testpb.Echo, error) {
	return a.c.Unary(ctx, req)
}

func (a theirStubs) Collect(ctx context.Context) (collectStub, error) {
	s, err := a.c.Collect(ctx)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (a theirStubs) Generate(ctx context.Context, req *testpb.Echo) (recvStub, error) {
	s, err := a.c.Generate(ctx, req)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (a theirStubs) Chat(ctx context.Context) (chatStub, error) {
	s, err := a.c.Chat(ctx)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// TestGeneratedShapes: code generated by our plugin has the shape of the
// code containerd's plugin generates, so that code written against one
// compiles against the other: the same exported types, with the same
// methods and signatures, and the same functions.
func TestGeneratedShapes(t *testing.T) {
	theirTypes := []reflect.Type{
		reflect.TypeFor[theirstubs.InteropService](),
		reflect.TypeFor[theirstubs.InteropClient](),
		reflect.TypeFor[theirstubs.Interop_CollectServer](),
		reflect.TypeFor[theirstubs.Interop_GenerateServer](),
		reflect.TypeFor[theirstubs.Interop_ChatServer](),
		reflect.TypeFor[theirstubs.Interop_CollectClient](),
		reflect.TypeFor[theirstubs.Interop_GenerateClient](),
		reflect.TypeFor[theirstubs.Interop_ChatClient](),
		reflect.TypeOf(theirstubs.RegisterInteropService),
		reflect.TypeOf(theirstubs.NewInteropClient),
	}
	ourTypes := []reflect.Type{
		reflect.TypeFor[ourstubs.InteropService](),
		reflect.TypeFor[ourstubs.InteropClient](),
		reflect.TypeFor[ourstubs.Interop_CollectServer](),
		reflect.TypeFor[ourstubs.Interop_GenerateServer](),
		reflect.TypeFor[ourstubs.Interop_ChatServer](),
		reflect.TypeFor[ourstubs.Interop_CollectClient](),
		reflect.TypeFor[ourstubs.Interop_GenerateClient](),
		reflect.TypeFor[ourstubs.Interop_ChatClient](),
		reflect.TypeOf(ourstubs.RegisterInteropService),
		reflect.TypeOf(ourstubs.NewInteropClient),
	}
	for i := range theirTypes {
		theirShape := shape(theirTypes[i], "theirstubs.")
		ourShape := shape(ourTypes[i], "ourstubs.")
		if theirShape != ourShape {
			t.Errorf("generated shapes differ:\ncontainerd's: %s\nours:         %s", theirShape, ourShape)
		}
	}
}

// shape describes t, with the stub package's qualifier removed: its name
// and, for an interface, every method with its signature.
func shape(t reflect.Type, pkg string) string {
	s := t.Name() + " " + t.String()
	if t.Kind() == reflect.Interface {
		for i := range t.NumMethod() {
			m := t.Method(i)
			s += "; " + m.Name + " " + m.Type.String()
		}
	}
	return strings.ReplaceAll(s, pkg, "")
}
