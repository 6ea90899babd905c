// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// converted marks an error that went through a test's converter.
type converted struct {
	tag string
	err error
}

func (c *converted) Error() string { return c.tag + "(" + c.err.Error() + ")" }
func (c *converted) Unwrap() error { return c.err }

func tagWith(tag string) func(error) error {
	return func(err error) error { return &converted{tag: tag, err: err} }
}

// The converter sees every error Call returns, on the direct path and
// through interceptors, after the interceptors saw it unconverted; two
// converters apply in order; nil errors are not converted.
func TestErrorConverterConvertsWhatCallReturns(t *testing.T) {
	leakcheck.Check(t)
	_, path := newTestServer(t)
	for _, intercepted := range []bool{false, true} {
		t.Run(fmt.Sprintf("intercepted=%v", intercepted), func(t *testing.T) {
			var interceptorSaw []error
			opts := []ClientOpts{WithErrorConverter(tagWith("a")), WithErrorConverter(nil), WithErrorConverter(tagWith("b"))}
			if intercepted {
				opts = append(opts, WithUnaryClientInterceptor(func(ctx context.Context, req *Request, resp *Response, _ *UnaryClientInfo, invoke Invoker) error {
					err := invoke(ctx, req, resp)
					if err == nil && resp.GetStatus().GetCode() != 0 {
						interceptorSaw = append(interceptorSaw, fmt.Errorf("status %d", resp.GetStatus().GetCode()))
					}
					return err
				}))
			}
			c := dialClient(t, path, opts...)
			mustEcho(t, c)
			err := c.Call(context.Background(), testService, "Fail", wrapperspb.UInt32(uint32(codes.NotFound)), nil)
			var outer *converted
			if !errors.As(err, &outer) || outer.tag != "b" {
				t.Fatalf("Call returned %v, want it converted by b last", err)
			}
			var inner *converted
			if !errors.As(outer.err, &inner) || inner.tag != "a" {
				t.Fatalf("Call returned %v, want it converted by a first", err)
			}
			wantCode(t, err, codes.NotFound)
			if intercepted && len(interceptorSaw) != 1 {
				t.Fatalf("the interceptor saw %v, want a nil error and the status in the Response once", interceptorSaw)
			}
		})
	}
}

// The errors of NewStream and of the stream's methods are converted; io.EOF
// at a stream's end too (a converter decides what to keep); nil stays nil.
func TestErrorConverterConvertsStreamErrors(t *testing.T) {
	leakcheck.Check(t)
	s, path := newTestServer(t)
	s.RegisterService(streamService, streamTestService())
	c := dialClient(t, path, WithErrorConverter(tagWith("s")))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.NewStream(ctx, divideDesc, streamService, "FailAfter", wrapperspb.Int64(1)); !isTagged(err, "s") {
		t.Fatalf("NewStream with an ended context = %v, want a converted error", err)
	}

	cs, err := c.NewStream(context.Background(), divideDesc, streamService, "FailAfter", wrapperspb.Int64(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.SendMsg(wrapperspb.Int64(0)); !isTagged(err, "s") {
		t.Fatalf("SendMsg on a stream whose client side does not stream = %v, want a converted error", err)
	}
	if err := cs.RecvMsg(&wrapperspb.Int64Value{}); err != nil {
		t.Fatalf("first RecvMsg = %v", err)
	}
	err = cs.RecvMsg(&wrapperspb.Int64Value{})
	if !isTagged(err, "s") {
		t.Fatalf("RecvMsg at the server's error = %v, want a converted error", err)
	}
	wantCode(t, err, codes.NotFound)

	echo, err := c.NewStream(context.Background(), echoDesc, streamService, "Echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := echo.CloseSend(); err != nil {
		t.Fatalf("CloseSend = %v, want nil, unconverted", err)
	}
	if err := echo.RecvMsg(&wrapperspb.BytesValue{}); !isTagged(err, "s") || !errors.Is(err, io.EOF) {
		t.Fatalf("RecvMsg at the end = %v, want converted io.EOF", err)
	}
}

func isTagged(err error, tag string) bool {
	var c *converted
	return errors.As(err, &c) && c.tag == tag
}
