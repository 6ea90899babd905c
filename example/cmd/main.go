// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Command example runs a small ttrpc server and client. By default it starts
// the server on a Unix socket in a temporary directory, makes a few calls
// with metadata and a deadline, prints the results and exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const service = "featherrpc.example.v1.Greeter"

func main() {
	socket := flag.String("socket", "", "Unix socket path (default: a new temporary directory)")
	serverOnly := flag.Bool("server", false, "only run the server, until interrupted")
	clientOnly := flag.Bool("client", false, "only run the client against -socket")
	flag.Parse()
	if err := run(*socket, *serverOnly, *clientOnly); err != nil {
		log.Fatal(err)
	}
}

func run(socket string, serverOnly, clientOnly bool) error {
	if socket == "" {
		if clientOnly {
			return errors.New("-client needs -socket")
		}
		dir, err := os.MkdirTemp("", "ttrpc-example")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		socket = filepath.Join(dir, "greeter.sock")
	}
	if clientOnly {
		return runClient(socket)
	}
	server, err := ttrpc.NewServer()
	if err != nil {
		return err
	}
	server.Register(service, map[string]ttrpc.Method{"Greet": greet})
	l, err := net.Listen("unix", socket)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(context.Background(), l) }()
	fmt.Println("server listening on", socket)
	if serverOnly {
		return <-served
	}
	clientErr := runClient(socket)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := server.Shutdown(ctx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, ttrpc.ErrServerClosed) {
		return err
	}
	return clientErr
}

// greet answers "hello, <name>", naming the caller's "lang" metadata and
// how long the caller gave it.
func greet(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
	req := &wrapperspb.StringValue{}
	if err := unmarshal(req); err != nil {
		return nil, err
	}
	if req.Value == "" {
		return nil, status.Error(codes.InvalidArgument, "name is empty")
	}
	lang, _ := ttrpc.GetMetadataValue(ctx, "lang")
	left := "no deadline"
	if deadline, ok := ctx.Deadline(); ok {
		left = fmt.Sprintf("%.0fs left", time.Until(deadline).Round(time.Second).Seconds())
	}
	return wrapperspb.String(fmt.Sprintf("hello, %s (lang=%s, %s)", req.Value, lang, left)), nil
}

func runClient(socket string) error {
	conn, err := net.Dial("unix", socket)
	if err != nil {
		return err
	}
	client := ttrpc.NewClient(conn)
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx = ttrpc.WithMetadata(ctx, ttrpc.MD{"lang": {"en"}})
	for _, name := range []string{"world", "ttrpc", ""} {
		resp := &wrapperspb.StringValue{}
		err := client.Call(ctx, service, "Greet", wrapperspb.String(name), resp)
		if err != nil {
			fmt.Printf("Greet(%q): error %v (code %v)\n", name, err, status.Code(err))
			continue
		}
		fmt.Printf("Greet(%q): %s\n", name, resp.Value)
	}
	return nil
}
