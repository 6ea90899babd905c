// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/example/greeter"
	"github.com/featherrpc/ttrpc/status"
)

// runClient connects to the server and calls each of its methods, printing
// what comes back. Every call carries "lang" metadata and a deadline.
func runClient(ctx context.Context, dial ttrpc.Dialer, out io.Writer) error {
	conn, err := dial(ctx)
	if err != nil {
		return err
	}
	client := ttrpc.NewClient(conn)
	defer client.Close()
	g := greeter.NewGreeterClient(client)

	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ctx = ttrpc.WithMetadata(ctx, ttrpc.MD{"lang": {"en"}})

	for _, call := range []func(context.Context, greeter.GreeterClient, io.Writer) error{
		greet, greetMany, greetAll, chat,
	} {
		if err := call(ctx, g, out); err != nil {
			return err
		}
	}
	return nil
}

// greet makes unary calls: one that succeeds, one with other metadata, and
// one that the server refuses with a status error.
func greet(ctx context.Context, g greeter.GreeterClient, out io.Writer) error {
	reply, err := g.Greet(ctx, &greeter.GreetRequest{Name: "world"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Greet(world): %s\n", reply.Message)

	frCtx := ttrpc.WithMetadata(ctx, ttrpc.MD{"lang": {"fr"}})
	if reply, err = g.Greet(frCtx, &greeter.GreetRequest{Name: "le monde"}); err != nil {
		return err
	}
	fmt.Fprintf(out, "Greet(le monde), lang=fr: %s\n", reply.Message)

	_, err = g.Greet(ctx, &greeter.GreetRequest{})
	st := status.Convert(err)
	fmt.Fprintf(out, "Greet(\"\"): error %v: %s\n", st.Code(), st.Message())
	return nil
}

// greetMany reads a server stream to its end.
func greetMany(ctx context.Context, g greeter.GreeterClient, out io.Writer) error {
	stream, err := g.GreetMany(ctx, &greeter.GreetManyRequest{Name: "ttrpc", Count: 3})
	if err != nil {
		return err
	}
	for {
		reply, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil // the server has sent everything
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "GreetMany(ttrpc, 3): %s\n", reply.Message)
	}
}

// greetAll sends a client stream and reads the one reply.
func greetAll(ctx context.Context, g greeter.GreeterClient, out io.Writer) error {
	stream, err := g.GreetAll(ctx)
	if err != nil {
		return err
	}
	for _, name := range []string{"ann", "bob", "cy"} {
		if err := stream.Send(&greeter.GreetRequest{Name: name}); err != nil {
			return err
		}
	}
	reply, err := stream.CloseAndRecv()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "GreetAll(ann, bob, cy): %s\n", reply.Message)
	return nil
}

// chat talks on a bidirectional stream, one greeting at a time.
func chat(ctx context.Context, g greeter.GreeterClient, out io.Writer) error {
	stream, err := g.Chat(ctx)
	if err != nil {
		return err
	}
	for _, name := range []string{"ann", "bob"} {
		if err := stream.Send(&greeter.GreetRequest{Name: name}); err != nil {
			return err
		}
		reply, err := stream.Recv()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "Chat(%s): %s\n", name, reply.Message)
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("chat did not end: %v", err)
	}
	return nil
}
