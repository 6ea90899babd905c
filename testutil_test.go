// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// testService is the name of the service that newTestServer registers.
const testService = "ttrpc.test.v1.Test"

// quietLogger drops everything; tests that check logging use their own.
var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// testMethods are the methods of testService. Requests and responses are
// wrapperspb messages, so the core tests need no generated code.
func testMethods() map[string]Method {
	return map[string]Method{
		// Echo returns the request's string.
		"Echo": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			req := &wrapperspb.StringValue{}
			if err := unmarshal(req); err != nil {
				return nil, err
			}
			return &wrapperspb.StringValue{Value: req.Value}, nil
		},
		// Bytes returns as many bytes as the request's int64 asks for.
		"Bytes": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			req := &wrapperspb.Int64Value{}
			if err := unmarshal(req); err != nil {
				return nil, err
			}
			return &wrapperspb.BytesValue{Value: make([]byte, req.Value)}, nil
		},
		// Fail returns the status code given in the request.
		"Fail": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			req := &wrapperspb.UInt32Value{}
			if err := unmarshal(req); err != nil {
				return nil, err
			}
			return nil, status.Errorf(codes.Code(req.Value), "failed with %d", req.Value)
		},
		// Block waits for its context to end and returns its error.
		"Block": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		},
	}
}

// newTestServer starts a server with testService on a Unix socket in a
// fresh directory and returns it with the socket's path. The server is
// closed, and Serve checked to have returned, when the test ends.
func newTestServer(t *testing.T, opts ...ServerOpt) (*Server, string) {
	t.Helper()
	opts = append([]ServerOpt{WithServerLogger(quietLogger)}, opts...)
	s, err := NewServer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	s.Register(testService, testMethods())
	path := socketPath(t)
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(context.Background(), l) }()
	t.Cleanup(func() {
		s.Close()
		select {
		case err := <-served:
			if !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after Close")
		}
	})
	return s, path
}

// socketPath returns a path for a Unix socket in a new temporary directory
// (short enough for the 108-byte limit on socket paths).
func socketPath(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ttrpc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s")
}

// dialClient connects a client to the socket at path; it is closed when the
// test ends.
func dialClient(t *testing.T, path string, opts ...ClientOpts) *Client {
	t.Helper()
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]ClientOpts{WithClientLogger(quietLogger)}, opts...)
	c := NewClient(conn, opts...)
	t.Cleanup(func() { c.Close() })
	return c
}

// setup starts the leak check, a test server and a client connected to it.
func setup(t *testing.T, serverOpts ...ServerOpt) (*Server, *Client) {
	t.Helper()
	leakcheck.Check(t)
	s, path := newTestServer(t, serverOpts...)
	return s, dialClient(t, path)
}

// echo calls Echo with s and returns the answer.
func echo(ctx context.Context, c *Client, s string) (string, error) {
	resp := &wrapperspb.StringValue{}
	err := c.Call(ctx, testService, "Echo", &wrapperspb.StringValue{Value: s}, resp)
	return resp.Value, err
}

// mustEcho fails the test unless an Echo call succeeds.
func mustEcho(t *testing.T, c *Client) {
	t.Helper()
	got, err := echo(context.Background(), c, "ping")
	if err != nil || got != "ping" {
		t.Fatalf("Echo = %q, %v; want ping, nil", got, err)
	}
}

// wantCode fails the test unless err has status code want.
func wantCode(t *testing.T, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("status.Code(%v) = %v, want %v", err, got, want)
	}
}

// inMap returns the calls and streams registered in the client's call maps.
func (c *Client) inMap() int {
	n := 0
	for _, cc := range c.source.conns() {
		n += cc.calls.len()
	}
	return n
}

// handshakerFunc adapts a function to Handshaker.
type handshakerFunc func(ctx context.Context, conn net.Conn) (net.Conn, interface{}, error)

func (fn handshakerFunc) Handshake(ctx context.Context, conn net.Conn) (net.Conn, interface{}, error) {
	return fn(ctx, conn)
}

// noHandshake accepts every connection as it is.
func noHandshake(_ context.Context, conn net.Conn) (net.Conn, interface{}, error) {
	return conn, nil, nil
}
