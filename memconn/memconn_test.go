// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package memconn_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/memconn"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// dialAccept dials l and accepts the connection, returning both ends.
func dialAccept(t *testing.T, l *memconn.Listener) (client, server net.Conn) {
	t.Helper()
	accepted := make(chan net.Conn, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			t.Errorf("Accept: %v", err)
		}
		accepted <- conn
	}()
	client, err := l.Dial()
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	server = <-accepted
	t.Cleanup(func() {
		client.Close()
		server.Close()
	})
	return client, server
}

func TestDialAccept(t *testing.T) {
	leakcheck.Check(t)
	l := memconn.Listen()
	defer l.Close()
	if got := l.Addr().Network(); got != "memconn" {
		t.Errorf("Addr().Network() = %q, want memconn", got)
	}
	client, server := dialAccept(t, l)

	// Both directions at once: a pipe is full duplex.
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if _, err := client.Write([]byte("ping")); err != nil {
			t.Errorf("client Write: %v", err)
		}
	}()
	go func() {
		defer wg.Done()
		if _, err := server.Write([]byte("pong")); err != nil {
			t.Errorf("server Write: %v", err)
		}
	}()
	buf := make([]byte, 4)
	if _, err := io.ReadFull(server, buf); err != nil || string(buf) != "ping" {
		t.Errorf("server read %q, %v; want ping", buf, err)
	}
	if _, err := io.ReadFull(client, buf); err != nil || string(buf) != "pong" {
		t.Errorf("client read %q, %v; want pong", buf, err)
	}
	wg.Wait()

	client.Close()
	if n, err := server.Read(buf); n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("server Read after client Close = %d, %v; want 0, io.EOF", n, err)
	}
}

func TestCloseStopsAccept(t *testing.T) {
	leakcheck.Check(t)
	l := memconn.Listen()
	client, server := dialAccept(t, l)

	acceptErr := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		acceptErr <- err
	}()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := <-acceptErr; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v, want net.ErrClosed", err)
	}
	if _, err := l.Dial(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Dial after Close: %v, want net.ErrClosed", err)
	}

	// A connection made before Close still works.
	go client.Write([]byte("x"))
	buf := make([]byte, 1)
	if _, err := server.Read(buf); err != nil {
		t.Errorf("Read on a connection made before Close: %v", err)
	}
}

func TestCloseStopsDial(t *testing.T) {
	leakcheck.Check(t)
	l := memconn.Listen()
	dialErr := make(chan error, 1)
	go func() {
		// Nobody accepts: this Dial waits until Close.
		_, err := l.Dial()
		dialErr <- err
	}()
	l.Close()
	if err := <-dialErr; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Dial after Close: %v, want net.ErrClosed", err)
	}
}

func TestDialContextGivesUp(t *testing.T) {
	leakcheck.Check(t)
	l := memconn.Listen()
	defer l.Close()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if conn, err := l.DialContext(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("DialContext with a cancelled context = %v, %v; want context.Canceled", conn, err)
	}

	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := l.DialContext(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("DialContext without Accept: %v, want context.DeadlineExceeded", err)
	}
}

func TestManyDials(t *testing.T) {
	leakcheck.Check(t)
	l := memconn.Listen()
	defer l.Close()
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := l.Dial()
			if err != nil {
				t.Errorf("Dial: %v", err)
				return
			}
			defer conn.Close()
			if _, err := conn.Write([]byte{1}); err != nil {
				t.Errorf("Write: %v", err)
			}
		}()
	}
	for range n {
		conn, err := l.Accept()
		if err != nil {
			t.Fatalf("Accept: %v", err)
		}
		buf := make([]byte, 1)
		if _, err := conn.Read(buf); err != nil || buf[0] != 1 {
			t.Errorf("Read = %v, %v", buf, err)
		}
		conn.Close()
	}
	wg.Wait()
}

// TestTTRPC runs a ttrpc server and client over a Listener, and checks that
// everything is gone once both are closed.
func TestTTRPC(t *testing.T) {
	leakcheck.Check(t)
	l := memconn.Listen()
	server, err := ttrpc.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	server.Register("memconn.test.Echo", map[string]ttrpc.Method{
		"Echo": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			req := &wrapperspb.StringValue{}
			if err := unmarshal(req); err != nil {
				return nil, err
			}
			return req, nil
		},
	})
	served := make(chan error, 1)
	go func() { served <- server.Serve(context.Background(), l) }()

	conn, err := l.Dial()
	if err != nil {
		t.Fatal(err)
	}
	client := ttrpc.NewClient(conn)
	resp := &wrapperspb.StringValue{}
	if err := client.Call(context.Background(), "memconn.test.Echo", "Echo", wrapperspb.String("hi"), resp); err != nil {
		t.Fatalf("Call: %v", err)
	}
	if resp.Value != "hi" {
		t.Errorf("Call returned %q, want hi", resp.Value)
	}
	client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := server.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, ttrpc.ErrServerClosed) {
		t.Errorf("Serve returned %v, want ErrServerClosed", err)
	}
}
