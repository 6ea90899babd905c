// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/featherrpc/ttrpc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// call is one invocation of a method: its connection, its input and its
// output. Its methods run on the invocation's goroutine, but for the
// sending half of a bidi stream (see bidi).
type call struct {
	client  *ttrpc.Client
	method  protoreflect.MethodDescriptor
	service string
	name    string
	reqs    *requests
	out     *printer
	trace   *trace
	// Counts of messages, for the trace: received is used by the
	// invocation's goroutine only, sent by whichever goroutine sends.
	sent     atomic.Int64
	received int
}

// runCall calls the method of `ADDRESS METHOD [REQUEST]`.
func runCall(ctx context.Context, inv *invocation, env *environment, d *descriptors) error {
	if len(inv.args) < 2 || len(inv.args) > 3 {
		return fmt.Errorf("%w: want ADDRESS METHOD [REQUEST], list or describe", errUsage)
	}
	address := inv.args[0]
	if _, err := newDialer(address); err != nil {
		return err
	}
	method, err := d.findMethod(inv.args[1])
	if err != nil {
		return err
	}
	reqs, err := openRequests(inv, env, d, method.Input(), !method.IsStreamingClient())
	if err != nil {
		return err
	}
	defer reqs.close()
	var first *dynamicpb.Message
	if !method.IsStreamingClient() {
		// Read before dialing: bad input fails without a server.
		if first, err = reqs.single(); err != nil {
			return err
		}
	}
	c := &call{
		method:  method,
		service: string(method.Parent().FullName()),
		name:    string(method.Name()),
		reqs:    reqs,
		out:     newPrinter(env.stdout, d, &inv.opts),
		trace:   newTrace(env.stderr, inv.opts.verbose),
	}
	c.trace.call(address, method, inv.opts.md, inv.opts.maxTime)
	conn, err := dial(ctx, address)
	if err != nil {
		return err
	}
	c.trace.connected()
	c.client = ttrpc.NewClient(conn)
	defer c.client.Close()
	if len(inv.opts.md) > 0 {
		ctx = ttrpc.WithMetadata(ctx, inv.opts.md)
	}
	err = c.run(ctx, first)
	c.trace.done(err, int(c.sent.Load()), c.received)
	return err
}

// run makes the call the method's kind needs.
func (c *call) run(ctx context.Context, first *dynamicpb.Message) error {
	switch {
	case c.method.IsStreamingClient() && c.method.IsStreamingServer():
		return c.bidi(ctx)
	case c.method.IsStreamingClient():
		return c.clientStream(ctx)
	case c.method.IsStreamingServer():
		return c.serverStream(ctx, first)
	}
	return c.unary(ctx, first)
}

func (c *call) unary(ctx context.Context, req *dynamicpb.Message) error {
	resp := dynamicpb.NewMessage(c.method.Output())
	c.sent.Add(1)
	if err := c.client.Call(ctx, c.service, c.name, req, resp); err != nil {
		return err
	}
	c.received++
	c.trace.received(c.received)
	return c.out.print(resp, true)
}
