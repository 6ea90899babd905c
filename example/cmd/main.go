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
//	go run ./example/cmd -server -address /tmp/g.sock # only the server, until interrupted
//	go run ./example/cmd -client -address /tmp/g.sock # only the client, against that server
//
// -address takes every address of ttrpc.Listen and ttrpc.Dial: a socket
// path or unix:///path, unix://@name (abstract, Linux), tcp://127.0.0.1:7000,
// vsock://any:1024 to serve and vsock://CID:1024 to call (Linux), and, to
// call only, hvsock:///run/vm/vm.sock:1024 (a Firecracker or Cloud
// Hypervisor VM's socket). -socket is its old name.
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
	address  string // an address of ttrpc.Listen and ttrpc.Dial
	server   bool
	client   bool
	inMemory bool
}

func main() {
	var opts options
	flag.StringVar(&opts.address, "address", "", "the server's `address`: a Unix socket path, unix://, unix://@name, tcp://, vsock:// or (client only) hvsock:// (default: greeter.sock in a new temporary directory)")
	flag.StringVar(&opts.address, "socket", "", "the same as -address (its old name)")
	flag.BoolVar(&opts.server, "server", false, "run only the server, until interrupted")
	flag.BoolVar(&opts.client, "client", false, "run only the client, against the server at -address")
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

// run does what opts ask, printing to out. A server run with -server
// stops when ctx ends.
func run(ctx context.Context, opts options, out io.Writer) error {
	switch {
	case opts.server && opts.client:
		return errors.New("-server and -client exclude each other; give neither to run both")
	case opts.inMemory && (opts.server || opts.client || opts.address != ""):
		return errors.New("-inmemory runs server and client in one process; it takes no other flag")
	case opts.client && opts.address == "":
		return errors.New("-client needs the -address of a running server")
	case opts.client:
		dial, err := ttrpc.NewDialer(opts.address)
		if err != nil {
			return err
		}
		return runClient(ctx, dial, out)
	}

	var (
		l    net.Listener
		dial ttrpc.Dialer
	)
	if opts.inMemory {
		ml := memconn.Listen()
		l, dial = ml, ml.DialContext
		fmt.Fprintln(out, "server listening in memory")
	} else {
		var err error
		if l, dial, err = listen(opts.address); err != nil {
			return err
		}
		fmt.Fprintln(out, "server listening on", l.Addr())
		defer cleanUp(opts.address, l)
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

// listen listens at address, or on greeter.sock in a new temporary
// directory when address is empty, and returns a dialer for the clients.
func listen(address string) (net.Listener, ttrpc.Dialer, error) {
	if address == "" {
		dir, err := os.MkdirTemp("", "ttrpc-example-")
		if err != nil {
			return nil, nil, err
		}
		address = filepath.Join(dir, "greeter.sock")
	}
	// A Unix socket's listener removes its file when it closes.
	l, err := ttrpc.Listen(address)
	if err != nil {
		return nil, nil, err
	}
	dial, err := ttrpc.NewDialer(dialAddress(address, l))
	if err != nil {
		l.Close()
		return nil, nil, err
	}
	return l, dial, nil
}

// dialAddress is the address a client of l dials: address, but with the
// port the system chose for tcp://host:0, and CID 1 (this machine) for
// vsock://any.
func dialAddress(address string, l net.Listener) string {
	switch a := l.Addr().(type) {
	case *net.TCPAddr:
		return "tcp://" + a.String()
	case *ttrpc.VsockAddr:
		if a.CID == 1<<32-1 { // VMADDR_CID_ANY: call this machine, CID 1
			return (&ttrpc.VsockAddr{CID: 1, Port: a.Port}).String()
		}
		return a.String()
	}
	return address
}

// cleanUp removes the temporary directory listen made when address is
// empty, once Serve has closed l.
func cleanUp(address string, l net.Listener) {
	if address == "" {
		os.RemoveAll(filepath.Dir(l.Addr().String()))
	}
}
