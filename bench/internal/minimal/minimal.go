// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package minimal holds the bodies of the minimal server and client
// programs (cmd/minimal/...), one pair per library. The programs are what
// the harness builds to measure binary size, runs as separate processes for
// the latency and memory figures, and starts afresh for the time to first
// call. Each links one RPC library only.
//
// The protocol between the harness and a program is one line on stdout:
// a server prints "ready" once it listens, a client prints "ok" after its
// first successful call. A server serves until its standard input reaches
// end of file, so it cannot outlive the harness that started it.
package minimal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/featherrpc/ttrpc/bench/internal/benchpb"
	"github.com/featherrpc/ttrpc/bench/internal/rpc"
)

// Ready and OK are the lines the programs print.
const (
	Ready = "ready"
	OK    = "ok"
)

// FirstCallSize is the payload size of a client's one call.
const FirstCallSize = 64

// ServerMain is the whole of a minimal server: it serves the Bench service on
// the Unix socket named by its only argument until stdin ends, then exits.
func ServerMain(newServer func() (rpc.Server, error)) {
	if err := serve(newServer, os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func serve(newServer func() (rpc.Server, error), args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: server SOCKET")
	}
	srv, err := newServer()
	if err != nil {
		return err
	}
	l, err := net.Listen("unix", args[0])
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	// Owner: serve. Serve returns when srv.Close closes the listener below.
	go func() { served <- srv.Serve(l) }()
	if _, err := fmt.Fprintln(stdout, Ready); err != nil {
		srv.Close()
		return err
	}
	io.Copy(io.Discard, stdin) // returns when the harness closes our stdin
	srv.Close()
	<-served
	return nil
}

// ClientMain is the whole of a minimal client: it connects to the Unix
// socket named by its only argument, makes one Echo call of FirstCallSize
// bytes, prints "ok" and exits.
func ClientMain(dial func(ctx context.Context, path string) (rpc.Client, error)) {
	if err := firstCall(dial, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

func firstCall(dial func(ctx context.Context, path string) (rpc.Client, error), args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: client SOCKET")
	}
	ctx := context.Background()
	c, err := dial(ctx, args[0])
	if err != nil {
		return err
	}
	defer c.Close()
	in, out := &benchpb.Payload{Data: rpc.Bytes(FirstCallSize)}, &benchpb.Payload{}
	if err := c.Echo(ctx, in, out); err != nil {
		return err
	}
	if len(out.Data) != FirstCallSize {
		return fmt.Errorf("echo returned %d bytes, want %d", len(out.Data), FirstCallSize)
	}
	_, err = fmt.Fprintln(stdout, OK)
	return err
}
