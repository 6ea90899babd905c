// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Command fakeshim serves containerd's shim API, the service
// containerd.task.v2.Task of containerd's runtime/task/v2/shim.proto, with
// one made-up running container, so that ttrpcurl has a shim to call:
//
//	go run ./example/fakeshim /tmp/shim.sock &
//	ttrpcurl -protoset example/fakeshim/shim.protoset /tmp/shim.sock \
//	  containerd.task.v2.Task/State '{"id":"web"}'
//
// It answers State and Connect; State of another id answers NotFound, and
// every other method of the service Unimplemented. The messages are
// dynamic, from the descriptor set shim.protoset (made from containerd's
// protos by ../../testdata/generate.sh), so it needs none of containerd's
// Go code. It serves until interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/featherrpc/ttrpc"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: fakeshim SOCKET-PATH")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	l, err := net.Listen("unix", os.Args[1])
	if err == nil {
		err = serve(ctx, l)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakeshim:", err)
		os.Exit(1)
	}
}

// serve serves the shim on l until ctx ends, and closes l.
func serve(ctx context.Context, l net.Listener) error {
	task, err := newTaskService()
	if err != nil {
		l.Close()
		return err
	}
	server, err := ttrpc.NewServer()
	if err != nil {
		l.Close()
		return err
	}
	server.RegisterService("containerd.task.v2.Task", task.desc())
	served := make(chan error, 1)
	go func() { served <- server.Serve(ctx, l) }() // owner: serve; exits at Close
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	server.Close()
	if err := <-served; !errors.Is(err, ttrpc.ErrServerClosed) {
		return err
	}
	return nil
}
