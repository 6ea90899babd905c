// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Command example runs the Greeter service of package
// github.com/featherrpc/ttrpc/example/greeter, whose code protoc-gen-go-ttrpc
// generated from greeter.proto.
//
// By default it starts the server on a Unix socket in a new temporary
// directory, makes a few calls (unary and streaming, with metadata and a
// deadline), prints the results and exits:
//
//	go run ./example/cmd
//	go run ./example/cmd -inmemory                 # the same, over memconn instead of a socket
//	go run ./example/cmd -server -socket /tmp/g.sock # only the server, until interrupted
//	go run ./example/cmd -client -socket /tmp/g.sock # only the client, against that server
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/example/greeter"
	"github.com/featherrpc/ttrpc/memconn"
)

// options are the command's flags.
type options struct {
	socket   string
	server   bool
	client   bool
	inMemory bool
}

func main() {
	var opts options
	flag.StringVar(&opts.socket, "socket", "", "Unix socket `path` (default: greeter.sock in a new temporary directory)")
	flag.BoolVar(&opts.server, "server", false, "run only the server, until interrupted")
	flag.BoolVar(&opts.client, "client", false, "run only the client, against the server at -socket")
	flag.BoolVar(&opts.inMemory, "inmemory", false, "connect server and client in memory (package memconn), without a socket")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "example: unexpected argument %q\n", flag.Arg(0))
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
}

// dialer connects a client to the server.
type dialer func(ctx context.Context) (net.Conn, error)

// run does what opts ask, printing to out. A server run with -server
// stops when ctx ends.
func run(ctx context.Context, opts options, out io.Writer) error {
	switch {
	case opts.server && opts.client:
		return errors.New("-server and -client exclude each other; give neither to run both")
	case opts.inMemory && (opts.server || opts.client || opts.socket != ""):
		return errors.New("-inmemory runs server and client in one process; it takes no other flag")
	case opts.client && opts.socket == "":
		return errors.New("-client needs the -socket of a running server")
	case opts.client:
		return runClient(ctx, unixDialer(opts.socket), out)
	}

	var (
		l    net.Listener
		dial dialer
	)
	if opts.inMemory {
		ml := memconn.Listen()
		l, dial = ml, ml.DialContext
		fmt.Fprintln(out, "server listening in memory")
	} else {
		socket := opts.socket
		if socket == "" {
			dir, err := os.MkdirTemp("", "ttrpc-example-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			socket = filepath.Join(dir, "greeter.sock")
		}
		var err error
		// The listener removes the socket file when it closes.
		if l, err = net.Listen("unix", socket); err != nil {
			return err
		}
		dial = unixDialer(socket)
		fmt.Fprintln(out, "server listening on", socket)
	}

	server, err := ttrpc.NewServer()
	if err != nil {
		l.Close()
		return err
	}
	greeter.RegisterGreeterService(server, greeterServer{})
	served := make(chan error, 1)
	// Owner: run. Serve returns ErrServerClosed once shutdown has begun.
	go func() { served <- server.Serve(context.Background(), l) }()

	var clientErr error
	if opts.server {
		<-ctx.Done()
		fmt.Fprintln(out, "server shutting down")
	} else {
		clientErr = runClient(ctx, dial, out)
	}
	return errors.Join(clientErr, shutdown(server, served))
}

// shutdown lets the calls in flight finish, for at most five seconds, and
// waits for Serve to return.
func shutdown(server *ttrpc.Server, served <-chan error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := server.Shutdown(ctx)
	if err != nil {
		server.Close()
	}
	if serveErr := <-served; !errors.Is(serveErr, ttrpc.ErrServerClosed) {
		return serveErr
	}
	return err
}

func unixDialer(socket string) dialer {
	return func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", socket)
	}
}
