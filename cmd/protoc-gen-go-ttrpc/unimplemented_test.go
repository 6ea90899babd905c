// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"testing"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/cmd/protoc-gen-go-ttrpc/internal/testprotos/prefix"
	"github.com/featherrpc/ttrpc/cmd/protoc-gen-go-ttrpc/internal/testprotos/streams"
	"github.com/featherrpc/ttrpc/cmd/protoc-gen-go-ttrpc/internal/testprotos/unary"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/status"
)

// echoOnly implements only Echo of the Streamer service; the embedded
// Unimplemented type answers the three streaming methods.
type echoOnly struct {
	streams.UnimplementedStreamerService
}

func (echoOnly) Echo(_ context.Context, m *streams.Message) (*streams.Message, error) {
	return m, nil
}

// nothing implements no method of the Counter service.
type nothing struct {
	unary.UnimplementedCounterService
}

// prefixed implements no method of the TTRPCGreeter service (prefix=TTRPC).
type prefixed struct {
	prefix.UnimplementedTTRPCGreeterService
}

// startUnimplemented serves the three partial implementations and returns
// a client connected to them.
func startUnimplemented(t *testing.T) *ttrpc.Client {
	t.Helper()
	server, err := ttrpc.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	streams.RegisterStreamerService(server, echoOnly{})
	unary.RegisterCounterService(server, nothing{})
	prefix.RegisterTTRPCGreeterService(server, &prefixed{}) // embedded in a pointer too
	return serveInMemory(t, server)
}

// wantUnimplemented fails the test unless err is the status the
// Unimplemented types answer for the method with the given proto name.
func wantUnimplemented(t *testing.T, call string, err error, method string) {
	t.Helper()
	s, ok := status.FromError(err)
	if !ok || s.Code() != codes.Unimplemented || s.Message() != "method "+method+" not implemented" {
		t.Errorf("%s: %v, want UNIMPLEMENTED with message %q", call, err, "method "+method+" not implemented")
	}
}

// TestUnimplementedAnswers registers implementations that embed the
// generated Unimplemented types and calls every kind of method over the
// wire: the methods they do not implement answer UNIMPLEMENTED, the one
// they implement answers normally.
func TestUnimplementedAnswers(t *testing.T) {
	leakcheck.Check(t)
	client := startUnimplemented(t)
	ctx := testContext(t)

	c := streams.NewStreamerClient(client)
	if m, err := c.Echo(ctx, &streams.Message{Text: "hi"}); err != nil || m.Text != "hi" {
		t.Errorf("Echo (implemented) = %v, %v; want hi", m, err)
	}

	count, err := c.Count(ctx, &streams.CountRequest{Count: 3})
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	_, err = count.Recv()
	wantUnimplemented(t, "Count (server stream) Recv", err, "Count")

	sum, err := c.Sum(ctx)
	if err != nil {
		t.Fatalf("Sum: %v", err)
	}
	_, err = sum.CloseAndRecv()
	wantUnimplemented(t, "Sum (client stream) CloseAndRecv", err, "Sum")

	bidi, err := c.EchoStream(ctx)
	if err != nil {
		t.Fatalf("EchoStream: %v", err)
	}
	_, err = bidi.Recv()
	wantUnimplemented(t, "EchoStream (bidi) Recv", err, "echo_stream") // the wire name

	_, err = unary.NewCounterClient(client).Add(ctx, &unary.AddRequest{Name: "x", Delta: 1})
	wantUnimplemented(t, "Counter.Add (unary)", err, "Add")

	g := prefix.NewTTRPCGreeterClient(client)
	_, err = g.Greet(ctx, &prefix.Hello{Name: "x"})
	wantUnimplemented(t, "TTRPCGreeter.Greet (unary, prefix=TTRPC)", err, "Greet")
	watch, err := g.Watch(ctx, &prefix.Hello{Name: "x"})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	_, err = watch.Recv()
	wantUnimplemented(t, "TTRPCGreeter.Watch (server stream, prefix=TTRPC) Recv", err, "Watch")
}

// TestUnimplementedDirect calls the Unimplemented methods without a
// server: each returns a status error and, where it has one, a nil
// response.
func TestUnimplementedDirect(t *testing.T) {
	var u streams.UnimplementedStreamerService
	resp, err := u.Echo(context.Background(), &streams.Message{})
	if resp != nil {
		t.Errorf("Echo returned a response %v", resp)
	}
	wantUnimplemented(t, "Echo", err, "Echo")
	total, err := u.Sum(context.Background(), nil)
	if total != nil {
		t.Errorf("Sum returned a response %v", total)
	}
	wantUnimplemented(t, "Sum", err, "Sum")
	wantUnimplemented(t, "Count", u.Count(context.Background(), nil, nil), "Count")
	wantUnimplemented(t, "EchoStream", u.EchoStream(context.Background(), nil), "echo_stream")
}
