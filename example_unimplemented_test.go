// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc_test

import (
	"context"
	"fmt"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/example/greeter"
	"github.com/featherrpc/ttrpc/status"
)

// greetOnly implements only Greet; the embedded
// UnimplementedGreeterService answers the other methods of the service,
// and those that later versions of the .proto add.
type greetOnly struct {
	greeter.UnimplementedGreeterService
}

func (greetOnly) Greet(_ context.Context, req *greeter.GreetRequest) (*greeter.GreetReply, error) {
	return &greeter.GreetReply{Message: "hello, " + req.Name}, nil
}

// protoc-gen-go-ttrpc generates, for each service, a struct whose methods
// answer UNIMPLEMENTED. Embedded in an implementation, it keeps the
// implementation compiling when the service gains methods.
func Example_unimplemented() {
	server, err := ttrpc.NewServer()
	if err != nil {
		panic(err)
	}
	greeter.RegisterGreeterService(server, greetOnly{})
	client, closeAll := serve(server)
	defer closeAll()

	g := greeter.NewGreeterClient(client)
	reply, err := g.Greet(context.Background(), &greeter.GreetRequest{Name: "world"})
	fmt.Println(reply.GetMessage(), err)

	stream, err := g.GreetMany(context.Background(), &greeter.GreetManyRequest{})
	if err != nil {
		panic(err)
	}
	_, err = stream.Recv()
	fmt.Println(status.Code(err), err)
	// Output:
	// hello, world <nil>
	// Unimplemented rpc error: code = Unimplemented desc = method GreetMany not implemented
}
