// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Command metrics runs the example Greeter service on a Unix socket with a
// client in the same process, both observed by the Prometheus StatsHandler
// of module github.com/featherrpc/ttrpc/prometheus, makes a few calls,
// shuts the server down and prints the final figures in Prometheus' text
// format:
//
//	go run ./cmd # from example/metrics
//
// A long-running program serves the same registry over HTTP instead:
//
//	http.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/example/greeter"
	ttrpcprom "github.com/featherrpc/ttrpc/prometheus"
	"github.com/featherrpc/ttrpc/status"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "metrics:", err)
		os.Exit(1)
	}
}

// run starts the server and the client, makes the calls, shuts the server
// down and prints the metrics to w.
func run(ctx context.Context, w io.Writer) error {
	dir, err := os.MkdirTemp("", "ttrpc-metrics")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// One StatsHandler observes both sides; its "side" label tells them
	// apart. The collectors read the current counts at every scrape.
	stats := ttrpcprom.NewStatsHandler()
	server, err := ttrpc.NewServer(ttrpc.WithServerStatsHandler(stats))
	if err != nil {
		return err
	}
	greeter.RegisterGreeterService(server, greeterServer{})
	l, err := net.Listen("unix", filepath.Join(dir, "greeter.sock"))
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	// Owner: run. Serve returns after Shutdown, below or deferred.
	go func() { served <- server.Serve(context.Background(), l) }()
	defer func() {
		server.Close()
		<-served
	}()

	conn, err := net.Dial("unix", l.Addr().String())
	if err != nil {
		return err
	}
	client := ttrpc.NewClient(conn, ttrpc.WithClientStatsHandler(stats))
	defer client.Close()

	registry := prometheus.NewRegistry()
	registry.MustRegister(stats, ttrpcprom.NewServerCollector(server, nil), ttrpcprom.NewClientCollector(client, nil))

	if err := makeCalls(ctx, greeter.NewGreeterClient(client)); err != nil {
		return err
	}
	// The server reports the end of a call just after sending its response.
	// Shutdown waits for the handlers, so once it returns every report is
	// in, and the server has closed the connection.
	if err := server.Shutdown(ctx); err != nil {
		return err
	}
	return printMetrics(w, registry)
}

// makeCalls greets three people, one nobody (which fails), and then the
// world three times on a stream.
func makeCalls(ctx context.Context, c greeter.GreeterClient) error {
	for _, name := range []string{"ada", "grace", "barbara", ""} {
		_, err := c.Greet(ctx, &greeter.GreetRequest{Name: name})
		if name == "" {
			if status.Code(err) != codes.InvalidArgument {
				return fmt.Errorf("greeting nobody: got %v, want InvalidArgument", err)
			}
			continue
		}
		if err != nil {
			return err
		}
	}
	stream, err := c.GreetMany(ctx, &greeter.GreetManyRequest{Name: "world", Count: 3})
	if err != nil {
		return err
	}
	for {
		if _, err := stream.Recv(); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// printMetrics writes every metric of g in Prometheus' text format.
func printMetrics(w io.Writer, g prometheus.Gatherer) error {
	families, err := g.Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return nil
}

// greeterServer implements the example Greeter service.
type greeterServer struct{}

func (greeterServer) Greet(_ context.Context, req *greeter.GreetRequest) (*greeter.GreetReply, error) {
	if req.Name == "" {
		return nil, status.Error(codes.InvalidArgument, "name must not be empty")
	}
	return &greeter.GreetReply{Message: "hello, " + req.Name}, nil
}

func (greeterServer) GreetMany(_ context.Context, req *greeter.GreetManyRequest, stream greeter.Greeter_GreetManyServer) error {
	for range req.Count {
		if err := stream.Send(&greeter.GreetReply{Message: "hello, " + req.Name}); err != nil {
			return err
		}
	}
	return nil
}

func (greeterServer) GreetAll(context.Context, greeter.Greeter_GreetAllServer) (*greeter.GreetReply, error) {
	return nil, status.Error(codes.Unimplemented, "not in this example")
}

func (greeterServer) Chat(context.Context, greeter.Greeter_ChatServer) error {
	return status.Error(codes.Unimplemented, "not in this example")
}
