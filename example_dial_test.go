// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/featherrpc/ttrpc"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// socketAddress returns the address of a Unix socket in a new temporary
// directory, and a function that removes the directory.
func socketAddress(name string) (string, func()) {
	dir, err := os.MkdirTemp("", "ttrpc-example")
	if err != nil {
		panic(err)
	}
	return "unix://" + filepath.Join(dir, name), func() { os.RemoveAll(dir) }
}

// serveGreeter serves the Greet method of example.v1.Greeter at address
// until the server is closed; Serve's error arrives on the channel.
func serveGreeter(address string, opts ...ttrpc.ServerOpt) (*ttrpc.Server, <-chan error) {
	server, err := ttrpc.NewServer(opts...)
	if err != nil {
		panic(err)
	}
	server.Register("example.v1.Greeter", map[string]ttrpc.Method{"Greet": greet})
	l, err := ttrpc.Listen(address)
	if err != nil {
		panic(err)
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(context.Background(), l) }() // ends when the server is closed
	return server, served
}

// callGreet calls Greet with name and returns the answer, or the error.
func callGreet(ctx context.Context, client *ttrpc.Client, name string) string {
	resp := &wrapperspb.StringValue{}
	if err := client.Call(ctx, "example.v1.Greeter", "Greet", wrapperspb.String(name), resp); err != nil {
		return err.Error()
	}
	return resp.Value
}

// A client that dials its own connections, keeps a pool of them and dials
// again after the server restarts. A call dials when the pool has room, so
// the first four calls open the four connections WithConnections allows;
// later calls share them. When the server goes away, every connection is
// lost, and the next call dials again.
func ExampleNewClientWithDialer() {
	address, cleanup := socketAddress("greeter.sock")
	defer cleanup()
	server, served := serveGreeter(address)

	dial, err := ttrpc.NewDialer(address)
	if err != nil {
		panic(err)
	}
	lost := make(chan error, 4)
	client := ttrpc.NewClientWithDialer(dial,
		ttrpc.WithConnections(4),
		ttrpc.WithOnConnectionLost(func(err error) { lost <- err }),
	)
	defer client.Close()

	ctx := context.Background()
	for i := range 4 {
		fmt.Println(callGreet(ctx, client, fmt.Sprint("caller ", i+1)))
	}
	fmt.Println("connections:", server.Counts().Connections)

	// The server restarts: the client loses its four connections...
	server.Close()
	<-served
	for range 4 {
		<-lost
	}
	fmt.Println("lost all four")
	server, served = serveGreeter(address)
	defer func() {
		server.Close()
		<-served
	}()
	// ...and the next call dials again.
	fmt.Println(callGreet(ctx, client, "again"))
	fmt.Println("connections:", server.Counts().Connections)
	// Output:
	// hello, caller 1
	// hello, caller 2
	// hello, caller 3
	// hello, caller 4
	// connections: 4
	// lost all four
	// hello, again
	// connections: 1
}

// Shutdown stops a server gracefully: it stops accepting at once, so Serve
// returns and new connections fail, but the call in flight finishes and
// gets its answer before Shutdown returns.
func ExampleServer_Shutdown() {
	address, cleanup := socketAddress("slow.sock")
	defer cleanup()
	server, err := ttrpc.NewServer()
	if err != nil {
		panic(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	server.Register("example.v1.Slow", map[string]ttrpc.Method{
		"Wait": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			close(started)
			<-release
			return wrapperspb.String("finished"), nil
		},
	})
	l, err := ttrpc.Listen(address)
	if err != nil {
		panic(err)
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(context.Background(), l) }() // ends when Shutdown begins

	conn, err := ttrpc.Dial(context.Background(), address)
	if err != nil {
		panic(err)
	}
	client := ttrpc.NewClient(conn)
	defer client.Close()
	answer := make(chan string, 1)
	go func() { // ends when the call does
		resp := &wrapperspb.StringValue{}
		err := client.Call(context.Background(), "example.v1.Slow", "Wait", wrapperspb.String(""), resp)
		answer <- fmt.Sprint(resp.Value, " ", err)
	}()
	<-started

	shutdown := make(chan error, 1)
	go func() { shutdown <- server.Shutdown(context.Background()) }() // ends when the call has finished
	fmt.Println("Serve:", <-served)
	_, err = ttrpc.Dial(context.Background(), address)
	fmt.Println("new connection refused:", err != nil)
	select {
	case err := <-shutdown:
		fmt.Println("Shutdown returned early:", err)
	default:
		fmt.Println("Shutdown waits for the call in flight")
	}

	close(release)
	fmt.Println("call:", <-answer)
	fmt.Println("Shutdown:", <-shutdown)
	// Output:
	// Serve: ttrpc: server closed
	// new connection refused: true
	// Shutdown waits for the call in flight
	// call: finished <nil>
	// Shutdown: <nil>
}
