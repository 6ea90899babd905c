// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"io"

	"github.com/featherrpc/ttrpc"
	"google.golang.org/protobuf/types/dynamicpb"
)

// serverStream sends req and prints every message of the answer, one JSON
// message a line, until the server ends the stream.
func (c *call) serverStream(ctx context.Context, req *dynamicpb.Message) error {
	stream, err := c.client.NewStream(ctx, &ttrpc.StreamDesc{StreamingServer: true}, c.service, c.name, req)
	if err != nil {
		return err
	}
	c.sent.Add(1)
	return c.receiveAll(stream)
}

// clientStream sends every request of the input, then prints the one
// response.
func (c *call) clientStream(ctx context.Context) error {
	stream, err := c.client.NewStream(ctx, &ttrpc.StreamDesc{StreamingClient: true}, c.service, c.name, nil)
	if err != nil {
		return err
	}
	if err := c.sendAll(stream); err != nil {
		return err
	}
	resp := dynamicpb.NewMessage(c.method.Output())
	if err := stream.RecvMsg(resp); err != nil {
		return err
	}
	c.received++
	c.trace.received(c.received)
	return c.out.print(resp, true)
}

// bidi sends the input's requests while it prints the responses, one JSON
// message a line, until the server ends the stream.
//
// The sending runs on a goroutine owned by bidi: it exits at the end of the
// input, at the first send that fails, or at bad input, which it reports on
// sendErr and which cancels the stream. bidi does not wait for it once the
// stream has ended: then it can only be blocked reading the input (stdin,
// whose read cannot be interrupted) or about to fail on the ended stream,
// and the command exits right after.
func (c *call) bidi(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.client.NewStream(ctx, &ttrpc.StreamDesc{StreamingClient: true, StreamingServer: true}, c.service, c.name, nil)
	if err != nil {
		return err
	}
	sendErr := make(chan error, 1)
	go func() { // owner: bidi; loop: sendAll; exit: input end or error
		err := c.sendAll(stream)
		sendErr <- err
		if err != nil {
			cancel()
		}
	}()
	recvErr := c.receiveAll(stream)
	if recvErr == nil {
		return nil
	}
	select {
	case err := <-sendErr:
		if err != nil {
			return err // the input was bad: that cancelled the stream
		}
	default:
	}
	return recvErr
}

// sendAll sends every request of the input and closes the sending side.
// It stops early, without error, when the server has ended the stream
// (receiving tells how).
func (c *call) sendAll(stream ttrpc.ClientStream) error {
	for {
		req, err := c.reqs.next()
		if errors.Is(err, io.EOF) {
			return stream.CloseSend()
		}
		if err != nil {
			return err
		}
		if err := stream.SendMsg(req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		c.trace.sent(int(c.sent.Add(1)))
	}
}

// receiveAll prints every message of the stream until it ends.
func (c *call) receiveAll(stream ttrpc.ClientStream) error {
	for {
		resp := dynamicpb.NewMessage(c.method.Output())
		err := stream.RecvMsg(resp)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		c.received++
		c.trace.received(c.received)
		if err := c.out.print(resp, false); err != nil {
			return err
		}
	}
}
