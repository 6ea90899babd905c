// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package grpcstatus_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"testing"
	"time"

	gcodes "google.golang.org/grpc/codes"
	gstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/grpcstatus"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/status"
)

// errorCodes are the codes a status error can have.
func errorCodes() []codes.Code {
	var out []codes.Code
	for c := codes.Canceled; c <= codes.Unauthenticated; c++ {
		out = append(out, c)
	}
	return out
}

// checkStatus checks what code reading err through grpc's status package
// sees: code c, message msg, and (when details) the two details every
// failure carries; that the errdefs mapping gives c's class; and that this
// module's status package reads the same code, message and details.
func checkStatus(t *testing.T, err error, c codes.Code, msg string, details bool) {
	t.Helper()
	gs, ok := gstatus.FromError(err)
	if !ok || gs.Code() != gcodes.Code(c) || gs.Message() != msg {
		t.Fatalf("grpc FromError(%v) = (%v, %q, %v), want (%v, %q, true)", err, gs.Code(), gs.Message(), ok, c, msg)
	}
	if got := gstatus.Code(err); got != gcodes.Code(c) {
		t.Errorf("grpc Code = %v, want %v", got, c)
	}
	if native := toNative(err); !errors.Is(native, errdefsClass[gcodes.Code(c)]) {
		t.Errorf("errdefs maps %v to %v, want class %v", err, native, errdefsClass[gcodes.Code(c)])
	}
	checkDetails(t, "grpc", gs.Details(), c, details)

	ours, ok := status.FromError(err)
	if !ok || ours.Code() != c || ours.Message() != msg {
		t.Errorf("our FromError = (%v, %q, %v), want (%v, %q, true)", ours.Code(), ours.Message(), ok, c, msg)
	}
	checkDetails(t, "ours", ours.Details(), c, details)
}

// checkDetails checks the details of a failure with code c: detailOf(c)
// and retryDelay when want, none otherwise.
func checkDetails(t *testing.T, who string, got []any, c codes.Code, want bool) {
	t.Helper()
	if !want {
		if len(got) != 0 {
			t.Errorf("%s details = %v, want none", who, got)
		}
		return
	}
	if len(got) != 2 {
		t.Fatalf("%s details = %v, want 2", who, got)
	}
	if d, ok := got[0].(*wrapperspb.StringValue); !ok || !proto.Equal(d, detailOf(c)) {
		t.Errorf("%s detail 0 = %v, want %v", who, got[0], detailOf(c))
	}
	if d, ok := got[1].(*durationpb.Duration); !ok || !proto.Equal(d, retryDelay) {
		t.Errorf("%s detail 1 = %v, want %v", who, got[1], retryDelay)
	}
}

func TestUnaryErrorsReadByGRPC(t *testing.T) {
	leakcheck.Check(t)
	forEachTransport(t, func(t *testing.T, ts *testServer, c *ttrpc.Client) {
		plain := ts.client(t) // without the option, for comparison
		ctx := context.Background()
		for _, code := range errorCodes() {
			req := wrapperspb.UInt32(uint32(code))
			for _, method := range []string{"Fail", "FailGRPC"} {
				err := c.Call(ctx, service, method, req, nil)
				msg := fmt.Sprintf("ours failed with %v", code)
				if method == "FailGRPC" {
					msg = fmt.Sprintf("grpc failed with %v", code)
				}
				checkStatus(t, err, code, msg, true)
				if !errors.Is(err, ourFailure(code)) && method == "Fail" {
					t.Errorf("errors.Is(%v, the handler's error) = false", err)
				}

				// The option changes nothing but grpc's view.
				perr := plain.Call(ctx, service, method, req, nil)
				if perr.Error() != err.Error() {
					t.Errorf("text %q, without the option %q", err, perr)
				}
				if !proto.Equal(status.Convert(perr).Proto(), status.Convert(err).Proto()) {
					t.Errorf("our status %v, without the option %v", status.Convert(err), status.Convert(perr))
				}
				if gstatus.Code(perr) != gcodes.Unknown {
					t.Errorf("without the option grpc sees %v; the option would be pointless", gstatus.Code(perr))
				}
			}
		}
		resp := &wrapperspb.StringValue{}
		if err := c.Call(ctx, service, "Echo", wrapperspb.String("hi"), resp); err != nil || resp.Value != "hi" {
			t.Fatalf("Echo = (%q, %v)", resp.Value, err)
		}
	})
}

func TestUnknownMethodsReadByGRPC(t *testing.T) {
	leakcheck.Check(t)
	forEachTransport(t, func(t *testing.T, _ *testServer, c *ttrpc.Client) {
		ctx := context.Background()
		err := c.Call(ctx, service, "Nope", wrapperspb.String(""), nil)
		checkStatus(t, err, codes.Unimplemented, "method Nope", false)
		err = c.Call(ctx, "no.Such", "Nope", wrapperspb.String(""), nil)
		checkStatus(t, err, codes.Unimplemented, "service no.Such", false)

		s, err := c.NewStream(ctx, &ttrpc.StreamDesc{StreamingServer: true}, service, "Nope", wrapperspb.String(""))
		if err != nil {
			t.Fatal(err)
		}
		checkStatus(t, s.RecvMsg(&wrapperspb.Int32Value{}), codes.Unimplemented, "method Nope", false)
	})
}

func TestStreamErrorsReadByGRPC(t *testing.T) {
	leakcheck.Check(t)
	forEachTransport(t, func(t *testing.T, _ *testServer, c *ttrpc.Client) {
		ctx := context.Background()
		for _, code := range errorCodes() {
			msg := fmt.Sprintf("ours failed with %v", code)
			if code%2 == 1 {
				msg = fmt.Sprintf("grpc failed with %v", code)
			}

			// A server stream: two messages, then the status.
			s, err := c.NewStream(ctx, &ttrpc.StreamDesc{StreamingServer: true}, service, "Ticks", wrapperspb.UInt32(uint32(code)))
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				m := &wrapperspb.Int32Value{}
				if err := s.RecvMsg(m); err != nil || m.Value != int32(i) {
					t.Fatalf("RecvMsg %d = (%v, %v)", i, m.Value, err)
				}
			}
			checkStatus(t, s.RecvMsg(&wrapperspb.Int32Value{}), code, msg, true)

			// A client stream: CloseSend, then the status.
			s, err = c.NewStream(ctx, &ttrpc.StreamDesc{StreamingClient: true}, service, "Collect", nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range []uint32{0, uint32(code)} {
				if err := s.SendMsg(wrapperspb.UInt32(v)); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.CloseSend(); err != nil {
				t.Fatal(err)
			}
			err = s.RecvMsg(&wrapperspb.Int32Value{})
			checkStatus(t, err, code, msg, true)
			// Sending after the server has ended still says io.EOF, bare.
			if err := s.SendMsg(wrapperspb.UInt32(0)); err != io.EOF && !errors.Is(err, ttrpc.ErrStreamClosed) {
				t.Errorf("SendMsg after the end = %v, want io.EOF or ErrStreamClosed", err)
			}
		}
	})
}

func TestStreamEndIsPlainEOF(t *testing.T) {
	leakcheck.Check(t)
	forEachTransport(t, func(t *testing.T, _ *testServer, c *ttrpc.Client) {
		ctx := context.Background()
		s, err := c.NewStream(ctx, &ttrpc.StreamDesc{StreamingServer: true}, service, "Ticks", wrapperspb.UInt32(0))
		if err != nil {
			t.Fatal(err)
		}
		for {
			if err = s.RecvMsg(&wrapperspb.Int32Value{}); err != nil {
				break
			}
		}
		// Code OK ends the stream successfully: RecvMsg returns io.EOF
		// itself, which generated code compares with ==.
		if err != io.EOF {
			t.Fatalf("RecvMsg at the end = %v, want io.EOF", err)
		}
	})
}

func TestContextEndReadByGRPC(t *testing.T) {
	leakcheck.Check(t)
	forEachTransport(t, func(t *testing.T, _ *testServer, c *ttrpc.Client) {
		tests := []struct {
			name  string
			ctx   func() (context.Context, context.CancelFunc)
			code  codes.Code
			cause error
		}{
			{"deadline", func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 20*time.Millisecond)
			}, codes.DeadlineExceeded, context.DeadlineExceeded},
			{"cancel", func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(20*time.Millisecond, cancel)
				return ctx, cancel
			}, codes.Canceled, context.Canceled},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				check := func(what string, err error) {
					t.Helper()
					checkStatus(t, err, tc.code, tc.cause.Error(), false)
					if !errors.Is(err, tc.cause) {
						t.Errorf("%s: errors.Is(%v, %v) = false", what, err, tc.cause)
					}
				}
				ctx, cancel := tc.ctx()
				defer cancel()
				check("Call", c.Call(ctx, service, "Block", wrapperspb.String(""), nil))

				ctx, cancel = tc.ctx()
				defer cancel()
				s, err := c.NewStream(ctx, &ttrpc.StreamDesc{StreamingClient: true, StreamingServer: true}, service, "Hang", nil)
				if err != nil {
					t.Fatal(err)
				}
				check("RecvMsg", s.RecvMsg(&wrapperspb.Int32Value{}))
				check("SendMsg", s.SendMsg(wrapperspb.UInt32(1)))
				// An ended context fails the opening too.
				_, err = c.NewStream(ctx, &ttrpc.StreamDesc{StreamingClient: true, StreamingServer: true}, service, "Hang", nil)
				check("NewStream", err)
			})
		}
	})
}

func TestClosedConnectionKeepsErrClosed(t *testing.T) {
	leakcheck.Check(t)
	forEachTransport(t, func(t *testing.T, ts *testServer, c *ttrpc.Client) {
		ctx := context.Background()
		s, err := c.NewStream(ctx, &ttrpc.StreamDesc{StreamingClient: true, StreamingServer: true}, service, "Hang", nil)
		if err != nil {
			t.Fatal(err)
		}
		callErr := make(chan error, 1)
		go func() { callErr <- c.Call(ctx, service, "Block", wrapperspb.String(""), nil) }()
		waitFor(t, func() bool { n := ts.server.Counts(); return n.Calls == 1 && n.Streams == 1 })

		ts.server.Close() // the connection dies under the call and the stream
		check := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, ttrpc.ErrClosed) {
				t.Errorf("%s: %v does not match ttrpc.ErrClosed", what, err)
			}
			// No status, so grpc sees UNKNOWN, as with containerd's ttrpc;
			// errdefs code tests errors.Is(err, ttrpc.ErrClosed) first.
			if gs, ok := gstatus.FromError(err); ok || gs.Code() != gcodes.Unknown {
				t.Errorf("%s: grpc FromError = (%v, %v), want (Unknown, false)", what, gs.Code(), ok)
			}
		}
		check("Call", <-callErr)
		check("RecvMsg", s.RecvMsg(&wrapperspb.Int32Value{}))
		check("Call after", c.Call(ctx, service, "Echo", wrapperspb.String(""), nil))
		_, err = c.NewStream(ctx, &ttrpc.StreamDesc{StreamingServer: true}, service, "Ticks", wrapperspb.UInt32(0))
		check("NewStream after", err)
	})
}

func TestOversizedRequestReadByGRPC(t *testing.T) {
	leakcheck.Check(t)
	forEachTransport(t, func(t *testing.T, _ *testServer, c *ttrpc.Client) {
		err := c.Call(context.Background(), service, "Echo", wrapperspb.Bytes(make([]byte, 5<<20)), nil)
		var oversized *ttrpc.OversizedMessageErr
		if !errors.As(err, &oversized) {
			t.Fatalf("errors.As(%v, *OversizedMessageErr) = false", err)
		}
		checkStatus(t, err, codes.ResourceExhausted, err.Error(), false)
	})
}

// TestGRPCErrorsFromHandlersOnTheWire checks, with a client that has no
// grpc option at all, that a handler's error made with grpc's status
// package reaches the client with its code, message and details: the core
// recognises grpc's errors without linking grpc.
func TestGRPCErrorsFromHandlersOnTheWire(t *testing.T) {
	leakcheck.Check(t)
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			c := startServer(t, transport).client(t)
			ctx := context.Background()
			for _, code := range errorCodes() {
				err := c.Call(ctx, service, "FailGRPC", wrapperspb.UInt32(uint32(code)), nil)
				st, ok := status.FromError(err)
				if !ok || st.Code() != code || st.Message() != fmt.Sprintf("grpc failed with %v", code) {
					t.Fatalf("FromError(%v) = (%v, %q, %v)", err, st.Code(), st.Message(), ok)
				}
				checkDetails(t, "ours", st.Details(), code, true)
				// The wire form is grpc's own, byte for byte.
				want := gstatus.Convert(grpcFailure(code)).Proto()
				opts := proto.MarshalOptions{Deterministic: true}
				wb, _ := opts.Marshal(want)
				gb, _ := opts.Marshal(st.Proto())
				if string(wb) != string(gb) {
					t.Errorf("status bytes %x, grpc's %x", gb, wb)
				}

				// Wrapped, grpc's rule applies: the code and details stay,
				// the message is the whole text.
				err = c.Call(ctx, service, "FailGRPCWrapped", wrapperspb.UInt32(uint32(code)), nil)
				st = status.Convert(err)
				wantMsg := "while failing: " + grpcFailure(code).Error()
				if st.Code() != code || st.Message() != wantMsg {
					t.Errorf("wrapped: status (%v, %q), want (%v, %q)", st.Code(), st.Message(), code, wantMsg)
				}
				checkDetails(t, "ours", st.Details(), code, true)
			}
		})
	}
}

// observed is what a client's interceptors and StatsHandler saw of one
// failing unary call and one failing stream.
type observed struct {
	unaryErr      error      // what the unary interceptor's invoker returned
	unaryStatus   codes.Code // the Response's status code it saw
	streamRecvErr gcodes.Code
	statsCodes    []codes.Code // the codes the StatsHandler saw end, in order
}

// codeRecorder is a StatsHandler that keeps the code of every call's end.
type codeRecorder struct {
	mu sync.Mutex
	// guarded by mu:
	codes []codes.Code
}

func (r *codeRecorder) HandleConn(ttrpc.ConnStats) {}
func (r *codeRecorder) HandleCall(s ttrpc.CallStats) {
	if s.Ended {
		r.mu.Lock()
		r.codes = append(r.codes, s.Code)
		r.mu.Unlock()
	}
}

// observe makes a unary call that fails with NotFound and a stream whose
// RecvMsg fails with Aborted, through a unary and a stream interceptor and a
// StatsHandler, with opts added; it returns what those saw and the errors
// the caller got.
func observe(t *testing.T, ts *testServer, opts ...ttrpc.ClientOpts) (seen observed, callErr, recvErr error) {
	stats := &codeRecorder{}
	opts = append([]ttrpc.ClientOpts{
		ttrpc.WithUnaryClientInterceptor(func(ctx context.Context, req *ttrpc.Request, resp *ttrpc.Response, _ *ttrpc.UnaryClientInfo, invoker ttrpc.Invoker) error {
			seen.unaryErr = invoker(ctx, req, resp)
			seen.unaryStatus = codes.Code(resp.GetStatus().GetCode())
			return seen.unaryErr
		}),
		ttrpc.WithClientStreamInterceptor(func(ctx context.Context, desc *ttrpc.StreamDesc, req *ttrpc.Request, _ *ttrpc.StreamClientInfo, streamer ttrpc.Streamer) (ttrpc.ClientStream, error) {
			s, err := streamer(ctx, desc, req)
			if err != nil {
				return nil, err
			}
			return &recvRecorder{ClientStream: s, code: &seen.streamRecvErr}, nil
		}),
		ttrpc.WithClientStatsHandler(stats),
	}, opts...)
	c := ts.client(t, opts...)
	callErr = c.Call(context.Background(), service, "Fail", wrapperspb.UInt32(uint32(codes.NotFound)), nil)
	s, err := c.NewStream(context.Background(), &ttrpc.StreamDesc{StreamingServer: true}, service, "Ticks", wrapperspb.UInt32(uint32(codes.Aborted)))
	if err != nil {
		t.Fatal(err)
	}
	for recvErr == nil {
		recvErr = s.RecvMsg(&wrapperspb.Int32Value{})
	}
	c.Close()
	stats.mu.Lock()
	seen.statsCodes = append(seen.statsCodes, stats.codes...)
	stats.mu.Unlock()
	return seen, callErr, recvErr
}

// recvRecorder keeps the grpc code of the last error its stream's RecvMsg
// returned, as an interceptor would see it.
type recvRecorder struct {
	ttrpc.ClientStream
	code *gcodes.Code
}

func (r *recvRecorder) RecvMsg(m interface{}) error {
	err := r.ClientStream.RecvMsg(m)
	if err != nil {
		*r.code = gstatus.Code(err)
	}
	return err
}

// TestOptionChangesOnlyReturnedErrors checks that interceptors and the
// StatsHandler see the same with and without ClientOption, as with
// containerd's ttrpc: the unary invoker returns nil and the status sits in
// the Response; only the caller's errors become readable by grpc.
func TestOptionChangesOnlyReturnedErrors(t *testing.T) {
	leakcheck.Check(t)
	ts := startServer(t, "memconn")
	without, callPlain, recvPlain := observe(t, ts)
	with, callErr, recvErr := observe(t, ts, grpcstatus.ClientOption())

	if with.unaryErr != nil || with.unaryStatus != codes.NotFound {
		t.Errorf("with the option, the unary interceptor saw (%v, %v), want (nil, NotFound)", with.unaryErr, with.unaryStatus)
	}
	if without.unaryErr != nil || without.unaryStatus != codes.NotFound {
		t.Errorf("without the option, the unary interceptor saw (%v, %v), want (nil, NotFound)", without.unaryErr, without.unaryStatus)
	}
	if !reflect.DeepEqual(with, without) {
		t.Errorf("interceptors and stats saw %+v with the option, %+v without", with, without)
	}
	if want := []codes.Code{codes.NotFound, codes.Aborted}; !reflect.DeepEqual(with.statsCodes, want) {
		t.Errorf("stats saw %v, want %v", with.statsCodes, want)
	}
	if with.streamRecvErr != gcodes.Unknown {
		t.Errorf("the stream interceptor saw %v from RecvMsg, want Unknown (grpc cannot read it unconverted)", with.streamRecvErr)
	}
	if gstatus.Code(callErr) != gcodes.NotFound || gstatus.Code(recvErr) != gcodes.Aborted {
		t.Errorf("with the option the caller got (%v, %v), want (NotFound, Aborted) in grpc's view", gstatus.Code(callErr), gstatus.Code(recvErr))
	}
	if gstatus.Code(callPlain) != gcodes.Unknown || callErr.Error() != callPlain.Error() || recvErr.Error() != recvPlain.Error() {
		t.Errorf("without the option the caller got %q (%v), with it %q: only grpc's view may differ", callPlain, gstatus.Code(callPlain), callErr)
	}
}

// TestInterceptorsConvertForOuterInterceptors checks UnaryClientInterceptor
// and StreamClientInterceptor: chained explicitly, the interceptors
// installed before them see the errors as grpc reads them.
func TestInterceptorsConvertForOuterInterceptors(t *testing.T) {
	leakcheck.Check(t)
	ts := startServer(t, "memconn")
	var unaryCode, streamCode gcodes.Code
	c := ts.client(t,
		ttrpc.WithUnaryClientInterceptor(func(ctx context.Context, req *ttrpc.Request, resp *ttrpc.Response, _ *ttrpc.UnaryClientInfo, invoker ttrpc.Invoker) error {
			err := invoker(ctx, req, resp)
			unaryCode = gstatus.Code(err)
			return err
		}),
		ttrpc.WithClientStreamInterceptor(func(ctx context.Context, desc *ttrpc.StreamDesc, req *ttrpc.Request, _ *ttrpc.StreamClientInfo, streamer ttrpc.Streamer) (ttrpc.ClientStream, error) {
			_, err := streamer(ctx, desc, req)
			streamCode = gstatus.Code(err)
			return nil, err
		}),
		ttrpc.WithChainUnaryClientInterceptor(grpcstatus.UnaryClientInterceptor()),
		ttrpc.WithChainClientStreamInterceptor(grpcstatus.StreamClientInterceptor()),
	)
	c.Call(context.Background(), service, "Fail", wrapperspb.UInt32(uint32(codes.NotFound)), nil)
	if unaryCode != gcodes.NotFound {
		t.Errorf("outer unary interceptor saw %v, want NotFound", unaryCode)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c.NewStream(ctx, &ttrpc.StreamDesc{StreamingServer: true}, service, "Ticks", wrapperspb.UInt32(0))
	if streamCode != gcodes.Canceled {
		t.Errorf("outer stream interceptor saw %v, want Canceled", streamCode)
	}
}

// waitFor polls cond until it holds, failing the test after 5 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}
