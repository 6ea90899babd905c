// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// whoami answers with the peer's process id and user id, which the
// server's handshaker read from the Unix socket (SO_PEERCRED).
func whoami(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
	if err := unmarshal(&wrapperspb.StringValue{}); err != nil {
		return nil, err
	}
	ucred, ok := ttrpc.PeerCredentials(ctx)
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "no peer credentials")
	}
	return wrapperspb.String(fmt.Sprintf("pid %d uid %d", ucred.Pid, ucred.Uid)), nil
}

// serveWhoami serves whoami at address with handshaker (and opts) until
// the returned function closes the server and waits for it.
func serveWhoami(address string, handshaker ttrpc.Handshaker, opts ...ttrpc.ServerOpt) func() {
	server, err := ttrpc.NewServer(append(opts, ttrpc.WithServerHandshaker(handshaker))...)
	if err != nil {
		panic(err)
	}
	server.Register("example.v1.Peer", map[string]ttrpc.Method{"Whoami": whoami})
	l, err := ttrpc.Listen(address)
	if err != nil {
		panic(err)
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(context.Background(), l) }() // ends when the server closes
	return func() {
		server.Close()
		<-served
	}
}

// A server that accepts only processes of its own user, and a handler that
// reads who called. The handshaker checks each connection once, before any
// request is read; the handlers of its requests find the peer's
// credentials in their context.
func ExamplePeerCredentials() {
	address, cleanup := socketAddress("peer.sock")
	defer cleanup()
	stop := serveWhoami(address, ttrpc.UnixSocketRequireSameUser())
	defer stop()

	conn, err := ttrpc.Dial(context.Background(), address)
	if err != nil {
		panic(err)
	}
	client := ttrpc.NewClient(conn)
	defer client.Close()
	resp := &wrapperspb.StringValue{}
	if err := client.Call(context.Background(), "example.v1.Peer", "Whoami", wrapperspb.String(""), resp); err != nil {
		panic(err)
	}
	// This process is the client, so the server saw our pid and uid.
	fmt.Println(resp.Value == fmt.Sprintf("pid %d uid %d", os.Getpid(), os.Getuid()))
	// Output: true
}

// A peer that the handshaker refuses never gets an answer: the server
// closes its connection, and its calls fail with ErrClosed.
func ExampleUnixSocketRequireUidGid() {
	address, cleanup := socketAddress("other.sock")
	defer cleanup()
	// Only processes of another user (and of any group) may call. The
	// server logs each refused handshake as a warning; this example
	// discards its log.
	quiet := ttrpc.WithServerLogger(slog.New(slog.DiscardHandler))
	stop := serveWhoami(address, ttrpc.UnixSocketRequireUidGid(os.Getuid()+1, -1), quiet)
	defer stop()

	conn, err := ttrpc.Dial(context.Background(), address)
	if err != nil {
		panic(err)
	}
	client := ttrpc.NewClient(conn)
	defer client.Close()
	err = client.Call(context.Background(), "example.v1.Peer", "Whoami", wrapperspb.String(""), &wrapperspb.StringValue{})
	fmt.Println("refused:", errors.Is(err, ttrpc.ErrClosed))
	// Output: refused: true
}
