// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/example/greeter"
	"github.com/featherrpc/ttrpc/memconn"
	"github.com/featherrpc/ttrpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The examples serve over memconn, an in-memory listener; a real program
// listens on a Unix socket instead:
//
//	l, err := net.Listen("unix", "/run/greeter.sock")
//	conn, err := net.Dial("unix", "/run/greeter.sock")

// serve starts server on an in-memory listener and returns a client
// connected to it, and a function that closes the client, shuts the server
// down and waits for it.
func serve(server *ttrpc.Server, opts ...ttrpc.ClientOpts) (*ttrpc.Client, func()) {
	l := memconn.Listen()
	served := make(chan struct{})
	go func() {
		defer close(served)
		server.Serve(context.Background(), l)
	}()
	conn, err := l.Dial()
	if err != nil {
		panic(err)
	}
	client := ttrpc.NewClient(conn, opts...)
	return client, func() {
		client.Close()
		server.Shutdown(context.Background())
		<-served
	}
}

// greet is a unary method: it answers "hello, <name>", and refuses an
// empty name with INVALID_ARGUMENT.
func greet(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
	req := &wrapperspb.StringValue{}
	if err := unmarshal(req); err != nil {
		return nil, err
	}
	if req.Value == "" {
		return nil, status.Error(codes.InvalidArgument, "name is empty")
	}
	return wrapperspb.String("hello, " + req.Value), nil
}

// A server with one method, and a client calling it. Services are usually
// registered by code that protoc-gen-go-ttrpc generates (see the
// GeneratedCode example); Register takes the methods directly.
func Example() {
	server, err := ttrpc.NewServer()
	if err != nil {
		panic(err)
	}
	server.Register("example.v1.Greeter", map[string]ttrpc.Method{"Greet": greet})
	client, closeAll := serve(server)
	defer closeAll()

	resp := &wrapperspb.StringValue{}
	err = client.Call(context.Background(), "example.v1.Greeter", "Greet", wrapperspb.String("world"), resp)
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Value)
	// Output: hello, world
}

// A call with a deadline, and an error status from the server.
func ExampleClient_Call() {
	server, _ := ttrpc.NewServer()
	server.Register("example.v1.Greeter", map[string]ttrpc.Method{"Greet": greet})
	client, closeAll := serve(server)
	defer closeAll()

	// The deadline travels with the call: the handler's context has it too.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	resp := &wrapperspb.StringValue{}
	err := client.Call(ctx, "example.v1.Greeter", "Greet", wrapperspb.String(""), resp)
	fmt.Println(status.Code(err), status.Convert(err).Message())

	err = client.Call(ctx, "example.v1.Greeter", "Wave", wrapperspb.String("x"), resp)
	fmt.Println(status.Code(err), status.Convert(err).Message())
	// Output:
	// InvalidArgument name is empty
	// Unimplemented method Wave
}

// Metadata set on the client's context reaches the handler's context.
func ExampleWithMetadata() {
	server, _ := ttrpc.NewServer()
	server.Register("example.v1.Greeter", map[string]ttrpc.Method{
		"Greet": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			lang, _ := ttrpc.GetMetadataValue(ctx, "Lang") // keys are case-insensitive
			md, _ := ttrpc.GetMetadata(ctx)
			fmt.Println("server: lang", lang, "tags", md["tag"])
			return &wrapperspb.StringValue{}, nil
		},
	})
	client, closeAll := serve(server)
	defer closeAll()

	ctx := ttrpc.WithMetadata(context.Background(), ttrpc.MD{
		"lang": {"fr"},
		"tag":  {"a", "b"},
	})
	if err := client.Call(ctx, "example.v1.Greeter", "Greet", &wrapperspb.StringValue{}, &wrapperspb.StringValue{}); err != nil {
		panic(err)
	}
	// Output: server: lang fr tags [a b]
}

// A server interceptor that sees every unary call, before and after its
// handler.
func ExampleWithUnaryServerInterceptor() {
	logCalls := func(ctx context.Context, unmarshal ttrpc.Unmarshaler, info *ttrpc.UnaryServerInfo, method ttrpc.Method) (interface{}, error) {
		resp, err := method(ctx, unmarshal)
		fmt.Printf("server: %s: %v\n", info.FullMethod, status.Code(err))
		return resp, err
	}
	server, _ := ttrpc.NewServer(ttrpc.WithUnaryServerInterceptor(logCalls))
	server.Register("example.v1.Greeter", map[string]ttrpc.Method{"Greet": greet})
	client, closeAll := serve(server)
	defer closeAll()

	for _, name := range []string{"world", ""} {
		client.Call(context.Background(), "example.v1.Greeter", "Greet", wrapperspb.String(name), &wrapperspb.StringValue{})
	}
	// Output:
	// server: /example.v1.Greeter/Greet: OK
	// server: /example.v1.Greeter/Greet: InvalidArgument
}

// Client interceptors, chained: the first adds metadata to every request,
// the second reports each call.
func ExampleWithChainUnaryClientInterceptor() {
	addCaller := func(ctx context.Context, req *ttrpc.Request, resp *ttrpc.Response, info *ttrpc.UnaryClientInfo, invoker ttrpc.Invoker) error {
		req.Metadata = append(req.Metadata, &ttrpc.KeyValue{Key: "caller", Value: "example"})
		return invoker(ctx, req, resp)
	}
	report := func(ctx context.Context, req *ttrpc.Request, resp *ttrpc.Response, info *ttrpc.UnaryClientInfo, invoker ttrpc.Invoker) error {
		err := invoker(ctx, req, resp)
		fmt.Printf("client: %s sent %d metadata value(s), got %v\n", info.FullMethod, len(req.Metadata), codes.Code(resp.GetStatus().GetCode()))
		return err
	}

	server, _ := ttrpc.NewServer()
	server.Register("example.v1.Greeter", map[string]ttrpc.Method{
		"Greet": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			caller, _ := ttrpc.GetMetadataValue(ctx, "caller")
			fmt.Println("server: called by", caller)
			return greet(ctx, unmarshal)
		},
	})
	client, closeAll := serve(server, ttrpc.WithChainUnaryClientInterceptor(addCaller, report))
	defer closeAll()

	client.Call(context.Background(), "example.v1.Greeter", "Greet", wrapperspb.String("world"), &wrapperspb.StringValue{})
	// Output:
	// server: called by example
	// client: /example.v1.Greeter/Greet sent 1 metadata value(s), got OK
}

// A server-streaming method described with a ServiceDesc, and a client
// reading the stream with NewStream. Generated code wraps both in typed
// methods.
func ExampleClient_NewStream() {
	server, _ := ttrpc.NewServer()
	server.RegisterService("example.v1.Counter", &ttrpc.ServiceDesc{
		Streams: map[string]ttrpc.Stream{
			"Count": {
				Handler: func(ctx context.Context, stream ttrpc.StreamServer) (interface{}, error) {
					// The request is the stream's first message.
					req := &wrapperspb.Int32Value{}
					if err := stream.RecvMsg(req); err != nil {
						return nil, err
					}
					for i := int32(1); i <= req.Value; i++ {
						if err := stream.SendMsg(wrapperspb.Int32(i)); err != nil {
							return nil, err
						}
					}
					return nil, nil
				},
				StreamingServer: true,
			},
		},
	})
	client, closeAll := serve(server)
	defer closeAll()

	desc := &ttrpc.StreamDesc{StreamingServer: true}
	stream, err := client.NewStream(context.Background(), desc, "example.v1.Counter", "Count", wrapperspb.Int32(3))
	if err != nil {
		panic(err)
	}
	for {
		n := &wrapperspb.Int32Value{}
		err := stream.RecvMsg(n)
		if errors.Is(err, io.EOF) {
			break // the server ended the stream successfully
		}
		if err != nil {
			panic(err)
		}
		fmt.Println(n.Value)
	}
	// Output:
	// 1
	// 2
	// 3
}

// A stream interceptor that counts the messages a handler receives, by
// wrapping its stream.
func ExampleWithStreamServerInterceptor() {
	countMessages := func(ctx context.Context, ss ttrpc.StreamServer, info *ttrpc.StreamServerInfo, handler ttrpc.StreamHandler) (interface{}, error) {
		counted := &countingStream{StreamServer: ss}
		resp, err := handler(ctx, counted)
		fmt.Printf("server: %s received %d message(s)\n", info.FullMethod, counted.received)
		return resp, err
	}
	server, _ := ttrpc.NewServer(ttrpc.WithStreamServerInterceptor(countMessages))
	greeter.RegisterGreeterService(server, greeterServer{})
	client, closeAll := serve(server)
	defer closeAll()

	stream, err := greeter.NewGreeterClient(client).GreetAll(context.Background())
	if err != nil {
		panic(err)
	}
	for _, name := range []string{"ann", "bob"} {
		stream.Send(&greeter.GreetRequest{Name: name})
	}
	reply, err := stream.CloseAndRecv()
	if err != nil {
		panic(err)
	}
	fmt.Println(reply.Message)
	// Output:
	// server: /featherrpc.example.v1.Greeter/GreetAll received 2 message(s)
	// hello, ann and bob
}

// countingStream counts the messages its handler receives.
type countingStream struct {
	ttrpc.StreamServer
	received int
}

func (s *countingStream) RecvMsg(m interface{}) error {
	err := s.StreamServer.RecvMsg(m)
	if err == nil {
		s.received++
	}
	return err
}

// greeterServer implements greeter.GreeterService, the interface that
// protoc-gen-go-ttrpc generated from example/greeter/greeter.proto.
type greeterServer struct{}

func (greeterServer) Greet(ctx context.Context, req *greeter.GreetRequest) (*greeter.GreetReply, error) {
	return &greeter.GreetReply{Message: "hello, " + req.Name}, nil
}

func (greeterServer) GreetMany(ctx context.Context, req *greeter.GreetManyRequest, stream greeter.Greeter_GreetManyServer) error {
	for i := uint32(0); i < req.Count; i++ {
		if err := stream.Send(&greeter.GreetReply{Message: "hello, " + req.Name}); err != nil {
			return err
		}
	}
	return nil
}

func (greeterServer) GreetAll(ctx context.Context, stream greeter.Greeter_GreetAllServer) (*greeter.GreetReply, error) {
	var names []string
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		names = append(names, req.Name)
	}
	all := strings.Join(names, ", ")
	if n := len(names); n > 1 {
		all = strings.Join(names[:n-1], ", ") + " and " + names[n-1]
	}
	return &greeter.GreetReply{Message: "hello, " + all}, nil
}

func (greeterServer) Chat(ctx context.Context, stream greeter.Greeter_ChatServer) error {
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&greeter.GreetReply{Message: "hello, " + req.Name}); err != nil {
			return err
		}
	}
}

// Code generated by protoc-gen-go-ttrpc: RegisterGreeterService serves an
// implementation of GreeterService, and NewGreeterClient returns a typed
// client. Here the client talks on a bidirectional stream.
func Example_generatedCode() {
	server, _ := ttrpc.NewServer()
	greeter.RegisterGreeterService(server, greeterServer{})
	client, closeAll := serve(server)
	defer closeAll()

	g := greeter.NewGreeterClient(client)
	reply, err := g.Greet(context.Background(), &greeter.GreetRequest{Name: "world"})
	if err != nil {
		panic(err)
	}
	fmt.Println(reply.Message)

	chat, err := g.Chat(context.Background())
	if err != nil {
		panic(err)
	}
	for _, name := range []string{"ann", "bob"} {
		if err := chat.Send(&greeter.GreetRequest{Name: name}); err != nil {
			panic(err)
		}
		reply, err := chat.Recv()
		if err != nil {
			panic(err)
		}
		fmt.Println(reply.Message)
	}
	chat.CloseSend()
	if _, err := chat.Recv(); errors.Is(err, io.EOF) {
		fmt.Println("chat ended")
	}
	// Output:
	// hello, world
	// hello, ann
	// hello, bob
	// chat ended
}
