// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// serveWithContext serves testService (and a Deadline method that returns
// the time left until its context's deadline) with ctx as Serve's context,
// and connects a client.
func serveWithContext(t *testing.T, ctx context.Context) (*Server, *Client) {
	t.Helper()
	s, err := NewServer(WithServerLogger(quietLogger))
	if err != nil {
		t.Fatal(err)
	}
	s.Register(testService, testMethods())
	s.Register("ctx", map[string]Method{
		"Deadline": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			deadline, ok := ctx.Deadline()
			if !ok {
				return nil, status.Error(codes.NotFound, "no deadline")
			}
			return durationpb.New(time.Until(deadline)), nil
		},
	})
	l, err := net.Listen("unix", socketPath(t))
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve = %v", err)
		}
	})
	return s, dialClient(t, l.Addr().String())
}

// Ending Serve's context cancels the handlers in flight, and the handlers
// of calls that come after.
func TestServeContextEndCancelsHandlers(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, c := serveWithContext(t, ctx)
	blocked := make(chan error, 1)
	go func() {
		blocked <- c.Call(context.Background(), testService, "Block", &wrapperspb.StringValue{}, &wrapperspb.StringValue{})
	}()
	waitFor(t, func() bool { return s.Counts().Calls == 1 }) // in its handler
	cancel()
	select {
	case err := <-blocked:
		if status.Code(err) != codes.Canceled {
			t.Errorf("call in flight when Serve's context ended: %v, want CANCELED", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the handler in flight was not cancelled")
	}
	err := c.Call(context.Background(), testService, "Block", &wrapperspb.StringValue{}, &wrapperspb.StringValue{})
	if status.Code(err) != codes.Canceled {
		t.Errorf("call after Serve's context ended: %v, want CANCELED", err)
	}
}

// A deadline on Serve's context is every handler's deadline too.
func TestServeContextDeadlineReachesHandlers(t *testing.T) {
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	_, c := serveWithContext(t, ctx)
	left := &durationpb.Duration{}
	if err := c.Call(context.Background(), "ctx", "Deadline", &wrapperspb.StringValue{}, left); err != nil {
		t.Fatal(err)
	}
	if d := left.AsDuration(); d <= 59*time.Minute || d > time.Hour {
		t.Errorf("handler's deadline is %v away, want Serve's (an hour)", d)
	}
	// Without a deadline anywhere, a handler has none.
	_, c = serveWithContext(t, context.Background())
	err := c.Call(context.Background(), "ctx", "Deadline", &wrapperspb.StringValue{}, left)
	if status.Code(err) != codes.NotFound {
		t.Errorf("handler without a deadline: %v, want NOT_FOUND (none)", err)
	}
}
