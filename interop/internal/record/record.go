// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package record records the frames of a script case between a client and
// a server over Unix sockets, through a wire.Tap.
package record

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/featherrpc/ttrpc/interop/internal/peer"
	"github.com/featherrpc/ttrpc/interop/internal/script"
	"github.com/featherrpc/ttrpc/interop/internal/wire"
)

// Record runs c with a client of clientImpl against a server of
// serverImpl, with a tap between them, and returns the frames that crossed
// the connection. Each case gets a connection, a server and sockets of its
// own.
func Record(ctx context.Context, clientImpl, serverImpl peer.Impl, c script.Case) (*wire.Recording, error) {
	dir, err := os.MkdirTemp("", "rec")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	server, err := serverImpl.NewServer(peer.ServerOptions{})
	if err != nil {
		return nil, err
	}
	serverLn, err := net.Listen("unix", filepath.Join(dir, "s"))
	if err != nil {
		return nil, err
	}
	served := make(chan error, 1)
	// Owner: Record. Serve returns when the server is closed below.
	go func() { served <- server.Serve(context.Background(), serverLn) }()
	defer func() {
		server.Close()
		<-served
	}()

	tapLn, err := net.Listen("unix", filepath.Join(dir, "t"))
	if err != nil {
		return nil, err
	}
	defer tapLn.Close()
	clientConn, err := net.Dial("unix", tapLn.Addr().String())
	if err != nil {
		return nil, err
	}
	tapConn, err := tapLn.Accept()
	if err != nil {
		clientConn.Close()
		return nil, err
	}
	serverConn, err := net.Dial("unix", serverLn.Addr().String())
	if err != nil {
		clientConn.Close()
		tapConn.Close()
		return nil, err
	}
	tap := wire.Splice(tapConn, serverConn)

	client := clientImpl.NewClient(clientConn, script.ClientOptions)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// The case runs without a deadline: a deadline would put a timeout in
	// each request, different at each run. ctx only bounds the wait.
	runErr := runBounded(ctx, func() error { return c.Run(context.Background(), clientImpl, client) })
	client.Close()
	events, tapErr := tap.Close()
	if err := errors.Join(runErr, tapErr); err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Name, err)
	}
	return &wire.Recording{Comments: comments(c, clientImpl, serverImpl), Events: events}, nil
}

// runBounded runs f, or gives up when ctx ends; f then goes on until the
// connection it uses is closed, which the caller does next.
func runBounded(ctx context.Context, f func() error) error {
	done := make(chan error, 1)
	// Owner: runBounded's caller. f returns when its client is closed.
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("timed out: %w", ctx.Err())
	}
}

func comments(c script.Case, client, server peer.Impl) []string {
	return []string{
		c.Name + ": " + c.Doc,
		"",
		fmt.Sprintf("Recorded by interop/cmd/record: the %s client (%s), through a relay that records", client.Name, Version(client)),
		fmt.Sprintf("each frame, to the %s server (%s). Regenerate with: go run ./cmd/record", server.Name, Version(server)),
		"Format (see internal/wire.Recording): one frame a line: direction (c: client to server,",
		"s: server to client), header (length, stream id, type, flags) and data, in hex.",
	}
}

// Version is the module path and version of impl's module in this binary.
func Version(impl peer.Impl) string {
	path := "github.com/featherrpc/ttrpc"
	if impl.Name == peer.Theirs {
		path = "github.com/containerd/ttrpc"
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return path
	}
	for _, dep := range info.Deps {
		if dep.Path == path {
			if dep.Replace != nil {
				return path + " (replaced by " + dep.Replace.Path + ")"
			}
			return path + " " + dep.Version
		}
	}
	return path
}
