// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// wantOutput is what the client prints, line by line, after the server's
// first line.
var wantOutput = []string{
	"Greet(world): hello, world (lang=en, deadline in 5s)",
	"Greet(le monde), lang=fr: bonjour, le monde (lang=fr, deadline in 5s)",
	`Greet(""): error InvalidArgument: name is empty`,
	"GreetMany(ttrpc, 3): hello, ttrpc (1 of 3)",
	"GreetMany(ttrpc, 3): hello, ttrpc (2 of 3)",
	"GreetMany(ttrpc, 3): hello, ttrpc (3 of 3)",
	"GreetAll(ann, bob, cy): hello, ann, bob and cy (lang=en, deadline in 5s)",
	"Chat(ann): hello, ann",
	"Chat(bob): hello, bob",
}

// slowDeadline matches the time left of a call that a very slow machine
// made a bit late.
var slowDeadline = regexp.MustCompile(`deadline in [34]s`)

// checkClientOutput compares the client's lines with wantOutput.
func checkClientOutput(t *testing.T, lines []string) {
	t.Helper()
	got := slowDeadline.ReplaceAllString(strings.Join(lines, "\n"), "deadline in 5s")
	if want := strings.Join(wantOutput, "\n"); got != want {
		t.Errorf("client printed:\n%s\nwant:\n%s", got, want)
	}
}

func outputLines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func TestDefault(t *testing.T) {
	leakcheck.Check(t)
	var out bytes.Buffer
	if err := run(context.Background(), options{}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	lines := outputLines(out.String())
	socket, ok := strings.CutPrefix(lines[0], "server listening on ")
	if !ok {
		t.Fatalf("first line %q does not name the socket", lines[0])
	}
	checkClientOutput(t, lines[1:])
	if _, err := os.Stat(filepath.Dir(socket)); !os.IsNotExist(err) {
		t.Errorf("the temporary directory %s is still there: %v", filepath.Dir(socket), err)
	}
}

func TestInMemory(t *testing.T) {
	leakcheck.Check(t)
	var out bytes.Buffer
	if err := run(context.Background(), options{inMemory: true}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	lines := outputLines(out.String())
	if lines[0] != "server listening in memory" {
		t.Errorf("first line %q", lines[0])
	}
	checkClientOutput(t, lines[1:])
}

// syncBuffer is a bytes.Buffer that a running server may write while the
// test reads it; written signals each write.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{}
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.written <- struct{}{}:
	default:
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestServerAndClient(t *testing.T) {
	socket := filepath.Join(t.TempDir(), "greeter.sock")
	serveAndCall(t, socket, socket)
	if _, err := os.Stat(socket); !os.IsNotExist(err) {
		t.Errorf("the socket file is still there: %v", err)
	}
}

// TestServerAndClientAtAddresses runs -server and -client at addresses of
// other transports: an abstract Unix socket and TCP on 127.0.0.1.
func TestServerAndClientAtAddresses(t *testing.T) {
	name := fmt.Sprintf("@featherrpc-example-%d", os.Getpid())
	serveAndCall(t, "unix://"+name, name)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().String()
	l.Close()
	serveAndCall(t, "tcp://"+port, port)
}

// serveAndCall runs the command with -server at address, waits until it
// prints that it listens on listening, runs it with -client against
// address, checks what the client printed and stops the server.
func serveAndCall(t *testing.T, address, listening string) {
	t.Helper()
	leakcheck.Check(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	serverOut := &syncBuffer{written: make(chan struct{}, 1)}
	served := make(chan error, 1)
	go func() { served <- run(ctx, options{server: true, address: address}, serverOut) }()

	timeout := time.After(10 * time.Second)
	for !strings.Contains(serverOut.String(), "server listening on "+listening) {
		select {
		case <-serverOut.written:
		case err := <-served:
			t.Fatalf("the server stopped: %v", err)
		case <-timeout:
			t.Fatalf("the server did not start; it printed %q", serverOut.String())
		}
	}

	var clientOut bytes.Buffer
	if err := run(context.Background(), options{client: true, address: address}, &clientOut); err != nil {
		t.Fatalf("client: %v\n%s", err, clientOut.String())
	}
	checkClientOutput(t, outputLines(clientOut.String()))

	stop() // as an interrupt does
	if err := <-served; err != nil {
		t.Errorf("server: %v", err)
	}
	if !strings.HasSuffix(serverOut.String(), "server shutting down\n") {
		t.Errorf("server printed %q", serverOut.String())
	}
}

func TestBadFlags(t *testing.T) {
	for _, opts := range []options{
		{server: true, client: true},
		{inMemory: true, server: true},
		{inMemory: true, address: "x"},
		{client: true},
		{client: true, address: "bogus://x"},
		{server: true, address: "vsock://1:x"},
	} {
		if err := run(context.Background(), opts, &bytes.Buffer{}); err == nil {
			t.Errorf("run(%+v) succeeded", opts)
		}
	}
}
