// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// unix://@name calls a server on a Linux abstract socket.
func TestAbstractSocket(t *testing.T) {
	leakcheck.Check(t)
	server, err := ttrpc.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	server.RegisterService("ttrpcurl.test.v1.Echo", newEchoService(t).desc())
	name := fmt.Sprintf("@ttrpcurl-test-%d", os.Getpid())
	l, err := net.Listen("unix", name)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(context.Background(), l) }() // owner: the test; exits at Close
	defer func() {
		server.Close()
		if err := <-served; !errors.Is(err, ttrpc.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	}()
	r := ttrpcurl(t, "", "-protoset", "echo.protoset", "unix://"+name, "ttrpcurl.test.v1.Echo/Unary", `{"text":"hi","n":3}`)
	r.expect(t, 0)
	if r.stdout != unaryReply {
		t.Errorf("stdout %q, want %q", r.stdout, unaryReply)
	}
}
