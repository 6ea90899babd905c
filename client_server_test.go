// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestRoundTripUnixSocket(t *testing.T) {
	_, c := setup(t)
	for _, s := range []string{"hello", "", strings.Repeat("x", 100_000)} {
		got, err := echo(context.Background(), c, s)
		if err != nil || got != s {
			t.Fatalf("Echo(%d bytes) = %d bytes, %v", len(s), len(got), err)
		}
	}
}

func TestRoundTripPipe(t *testing.T) {
	leakcheck.Check(t)
	s, err := NewServer(WithServerLogger(quietLogger))
	if err != nil {
		t.Fatal(err)
	}
	s.Register(testService, testMethods())
	l := newPipeListener()
	served := make(chan error, 1)
	go func() { served <- s.Serve(context.Background(), l) }()
	conn, err := l.dial()
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(conn, WithClientLogger(quietLogger))
	mustEcho(t, c)
	c.Close()
	s.Close()
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
}

func TestThousandConcurrentCallsOneClient(t *testing.T) {
	_, c := setup(t)
	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := fmt.Sprintf("call-%d", i)
			got, err := echo(context.Background(), c, want)
			if err == nil && got != want {
				err = fmt.Errorf("call %d got answer %q", i, got)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestMetadataReachesHandler(t *testing.T) {
	seen := make(chan MD, 1)
	s, c := setup(t)
	s.Register("md.Service", map[string]Method{
		"Get": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			md, _ := GetMetadata(ctx)
			seen <- md
			v, _ := GetMetadataValue(ctx, "X-Single")
			return &wrapperspb.StringValue{Value: v}, nil
		},
	})
	md := MD{}
	md.Set("X-Single", "one")
	md.Append("multi", "a", "b")
	md.Append("Multi", "c")
	resp := &wrapperspb.StringValue{}
	if err := c.Call(WithMetadata(context.Background(), md), "md.Service", "Get", &wrapperspb.StringValue{}, resp); err != nil {
		t.Fatal(err)
	}
	if resp.Value != "one" {
		t.Errorf("GetMetadataValue(x-single) = %q, want one", resp.Value)
	}
	got := <-seen
	if v, _ := got.Get("MULTI"); strings.Join(v, ",") != "a,b,c" {
		t.Errorf("multi = %v, want [a b c] in order", v)
	}
	if v, _ := got.Get("x-single"); strings.Join(v, ",") != "one" {
		t.Errorf("x-single = %v", v)
	}
	// Without metadata the handler sees none.
	if err := c.Call(context.Background(), "md.Service", "Get", &wrapperspb.StringValue{}, resp); err != nil {
		t.Fatal(err)
	}
	if got := <-seen; got != nil {
		t.Errorf("metadata without WithMetadata = %v, want none", got)
	}
}

func TestDeadlineReachesHandler(t *testing.T) {
	left := make(chan time.Duration, 1)
	s, c := setup(t)
	s.Register("deadline.Service", map[string]Method{
		"Get": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			deadline, ok := ctx.Deadline()
			if !ok {
				left <- -1
			} else {
				left <- time.Until(deadline)
			}
			return nil, nil
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Call(ctx, "deadline.Service", "Get", &wrapperspb.StringValue{}, nil); err != nil {
		t.Fatal(err)
	}
	if d := <-left; d <= 50*time.Second || d > time.Minute {
		t.Errorf("handler's time left = %v, want just under a minute", d)
	}
	if err := c.Call(context.Background(), "deadline.Service", "Get", &wrapperspb.StringValue{}, nil); err != nil {
		t.Fatal(err)
	}
	if d := <-left; d != -1 {
		t.Errorf("handler saw a deadline (%v) for a call without one", d)
	}
}

func TestDeadlineExceededWhileHandlerHangs(t *testing.T) {
	release := make(chan struct{})
	s, c := setup(t)
	s.Register("hang.Service", map[string]Method{
		"Hang": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			<-release // ignores its context: the client must not wait for it
			return nil, nil
		},
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := c.Call(ctx, "hang.Service", "Hang", &wrapperspb.StringValue{}, nil)
	wantCode(t, err, codes.DeadlineExceeded)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v, context.DeadlineExceeded) = false", err)
	}
	if n := c.inMap(); n != 0 {
		t.Errorf("%d calls left in the call map", n)
	}
	mustEcho(t, c)
}

func TestDeadlineAlreadyPassed(t *testing.T) {
	_, c := setup(t)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err := echo(ctx, c, "late")
	wantCode(t, err, codes.DeadlineExceeded)
}

func TestCancelWhileWaiting(t *testing.T) {
	_, c := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Call(ctx, testService, "Block", &wrapperspb.StringValue{}, nil) }()
	waitFor(t, func() bool { return c.inMap() == 1 })
	cancel()
	err := <-done
	wantCode(t, err, codes.Canceled)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("errors.Is(%v, context.Canceled) = false", err)
	}
	if n := c.inMap(); n != 0 {
		t.Errorf("%d calls left in the call map", n)
	}
	mustEcho(t, c)
}

func TestHandlerContextErrorsMapToCodes(t *testing.T) {
	s, c := setup(t)
	s.Register("ctxerr.Service", map[string]Method{
		"Canceled": func(context.Context, func(interface{}) error) (interface{}, error) {
			return nil, fmt.Errorf("stopped: %w", context.Canceled)
		},
		"Deadline": func(context.Context, func(interface{}) error) (interface{}, error) {
			return nil, context.DeadlineExceeded
		},
		"Plain": func(context.Context, func(interface{}) error) (interface{}, error) {
			return nil, errors.New("plain failure")
		},
	})
	for method, want := range map[string]codes.Code{
		"Canceled": codes.Canceled, "Deadline": codes.DeadlineExceeded, "Plain": codes.Unknown,
	} {
		err := c.Call(context.Background(), "ctxerr.Service", method, &wrapperspb.StringValue{}, nil)
		wantCode(t, err, want)
	}
	err := c.Call(context.Background(), "ctxerr.Service", "Plain", &wrapperspb.StringValue{}, nil)
	if st, _ := status.FromError(err); st.Message() != "plain failure" {
		t.Errorf("message = %q, want the handler's error text", st.Message())
	}
}

func TestStatusFromHandlerKeepsCodeMessageDetails(t *testing.T) {
	s, c := setup(t)
	st, err := status.New(codes.NotFound, "no such thing").WithDetails(durationpb.New(3 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	s.Register("details.Service", map[string]Method{
		"Get": func(context.Context, func(interface{}) error) (interface{}, error) {
			return nil, fmt.Errorf("wrapped: %w", st.Err())
		},
	})
	err = c.Call(context.Background(), "details.Service", "Get", &wrapperspb.StringValue{}, nil)
	got, ok := status.FromError(err)
	if !ok || got.Code() != codes.NotFound || got.Message() != "wrapped: rpc error: code = NotFound desc = no such thing" {
		t.Fatalf("FromError = %v, %v", got, ok)
	}
	details := got.Details()
	if len(details) != 1 || !proto.Equal(details[0].(proto.Message), durationpb.New(3*time.Second)) {
		t.Fatalf("details = %v", details)
	}
	for code := codes.Canceled; code <= codes.Unauthenticated; code++ {
		err := c.Call(context.Background(), testService, "Fail", wrapperspb.UInt32(uint32(code)), nil)
		wantCode(t, err, code)
	}
}

func TestUnknownServiceAndMethod(t *testing.T) {
	_, c := setup(t)
	err := c.Call(context.Background(), "no.Such", "Echo", &wrapperspb.StringValue{}, nil)
	wantCode(t, err, codes.Unimplemented)
	if st, _ := status.FromError(err); st.Message() != "service no.Such" {
		t.Errorf("message = %q, want %q", st.Message(), "service no.Such")
	}
	err = c.Call(context.Background(), testService, "Nope", &wrapperspb.StringValue{}, nil)
	wantCode(t, err, codes.Unimplemented)
	if st, _ := status.FromError(err); st.Message() != "method Nope" {
		t.Errorf("message = %q, want %q", st.Message(), "method Nope")
	}
}

func TestBadPayloadIsInvalidArgument(t *testing.T) {
	leakcheck.Check(t)
	_, path := newTestServer(t)
	corrupt := func(ctx context.Context, req *Request, resp *Response, info *UnaryClientInfo, invoke Invoker) error {
		req.Payload = []byte{0xff, 0xff, 0xff}
		return invoke(ctx, req, resp)
	}
	c := dialClient(t, path, WithUnaryClientInterceptor(corrupt))
	_, err := echo(context.Background(), c, "x")
	wantCode(t, err, codes.InvalidArgument)
}

func TestOversizedRequestIsRefusedBeforeSending(t *testing.T) {
	_, c := setup(t)
	big := &wrapperspb.BytesValue{Value: make([]byte, frameLengthMax)}
	err := c.Call(context.Background(), testService, "Echo", big, &wrapperspb.BytesValue{})
	var oversized *OversizedMessageErr
	if !errors.As(err, &oversized) {
		t.Fatalf("err = %v, want *OversizedMessageErr", err)
	}
	if oversized.MaximumLength() != frameLengthMax || oversized.RejectedLength() <= frameLengthMax {
		t.Errorf("lengths = %d rejected, %d max", oversized.RejectedLength(), oversized.MaximumLength())
	}
	wantCode(t, err, codes.ResourceExhausted)
	mustEcho(t, c)
}

func TestOversizedResponseFailsOnlyThatCall(t *testing.T) {
	_, c := setup(t)
	err := c.Call(context.Background(), testService, "Bytes", wrapperspb.Int64(frameLengthMax), &wrapperspb.BytesValue{})
	wantCode(t, err, codes.ResourceExhausted)
	// Just under the limit passes.
	resp := &wrapperspb.BytesValue{}
	if err := c.Call(context.Background(), testService, "Bytes", wrapperspb.Int64(frameLengthMax-64), resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Value) != frameLengthMax-64 {
		t.Fatalf("got %d bytes", len(resp.Value))
	}
	mustEcho(t, c)
}

func TestHandlerPanicIsInternal(t *testing.T) {
	s, c := setup(t)
	s.Register("panic.Service", map[string]Method{
		"Panic": func(context.Context, func(interface{}) error) (interface{}, error) {
			panic("boom")
		},
	})
	err := c.Call(context.Background(), "panic.Service", "Panic", &wrapperspb.StringValue{}, nil)
	wantCode(t, err, codes.Internal)
	if !strings.Contains(err.Error(), "boom") {
		t.Errorf("error %q does not name the panic", err)
	}
	mustEcho(t, c)
}

func TestHandlerReturningNilNil(t *testing.T) {
	s, c := setup(t)
	s.Register("nil.Service", map[string]Method{
		"Nil": func(context.Context, func(interface{}) error) (interface{}, error) { return nil, nil },
	})
	resp := &wrapperspb.StringValue{Value: "untouched?"}
	if err := c.Call(context.Background(), "nil.Service", "Nil", &wrapperspb.StringValue{}, resp); err != nil {
		t.Fatal(err)
	}
	if resp.Value != "" {
		t.Errorf("response = %q, want the empty message", resp.Value)
	}
}

func TestRegisterWhileServing(t *testing.T) {
	s, c := setup(t)
	mustEcho(t, c)
	s.Register("late.Service", map[string]Method{
		"Get": func(context.Context, func(interface{}) error) (interface{}, error) {
			return wrapperspb.String("late"), nil
		},
	})
	resp := &wrapperspb.StringValue{}
	if err := c.Call(context.Background(), "late.Service", "Get", &wrapperspb.StringValue{}, resp); err != nil || resp.Value != "late" {
		t.Fatalf("late service = %q, %v", resp.Value, err)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a service twice did not panic")
		}
	}()
	s.Register("late.Service", map[string]Method{})
}

func TestClientCloseIsIdempotentAndRunsOnCloseOnce(t *testing.T) {
	leakcheck.Check(t)
	_, path := newTestServer(t)
	var mu sync.Mutex
	runs := 0
	c := dialClient(t, path, WithOnClose(func() {
		mu.Lock()
		runs++
		mu.Unlock()
	}))
	mustEcho(t, c)
	for range 3 {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.UserOnCloseWait(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if runs != 1 {
		t.Errorf("onClose ran %d times", runs)
	}
	mu.Unlock()
	if _, err := echo(context.Background(), c, "after"); !errors.Is(err, ErrClosed) {
		t.Errorf("call after Close = %v, want ErrClosed", err)
	}
}

func TestUserOnCloseWaitHonoursContext(t *testing.T) {
	_, c := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := c.UserOnCloseWait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("UserOnCloseWait on an open client = %v, want DeadlineExceeded", err)
	}
}

func TestClientCloseFailsPendingCalls(t *testing.T) {
	_, c := setup(t)
	done := make(chan error, 1)
	go func() { done <- c.Call(context.Background(), testService, "Block", &wrapperspb.StringValue{}, nil) }()
	waitFor(t, func() bool { return c.inMap() == 1 })
	c.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("pending call = %v, want ErrClosed", err)
	}
}

func TestServerCloseFailsPendingCallsAndCancelsHandlers(t *testing.T) {
	s, c := setup(t)
	done := make(chan error, 1)
	go func() { done <- c.Call(context.Background(), testService, "Block", &wrapperspb.StringValue{}, nil) }()
	waitFor(t, func() bool { return c.inMap() == 1 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("pending call = %v, want ErrClosed", err)
	}
}

func TestShutdownLetsCallInFlightFinish(t *testing.T) {
	leakcheck.Check(t)
	entered, release := make(chan struct{}), make(chan struct{})
	s, path := newTestServer(t)
	s.Register("slow.Service", map[string]Method{
		"Slow": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			close(entered)
			<-release
			return wrapperspb.String("finished"), nil
		},
	})
	c := dialClient(t, path)
	idle := dialClient(t, path)
	mustEcho(t, idle)
	result := make(chan error, 1)
	resp := &wrapperspb.StringValue{}
	go func() {
		result <- c.Call(context.Background(), "slow.Service", "Slow", &wrapperspb.StringValue{}, resp)
	}()
	<-entered
	shutdown := make(chan error, 1)
	go func() { shutdown <- s.Shutdown(context.Background()) }()

	// The idle connection closes; new connections are refused.
	waitFor(t, func() bool { _, err := echo(context.Background(), idle, "x"); return errors.Is(err, ErrClosed) })
	waitFor(t, func() bool {
		conn, err := net.Dial("unix", path)
		if err == nil {
			conn.Close()
		}
		return err != nil
	})
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned %v with a call in flight", err)
	default:
	}
	close(release)
	if err := <-result; err != nil || resp.Value != "finished" {
		t.Fatalf("call in flight = %q, %v; want finished, nil", resp.Value, err)
	}
	if err := <-shutdown; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
}

func TestShutdownHonoursContext(t *testing.T) {
	s, c := setup(t)
	done := make(chan error, 1)
	go func() { done <- c.Call(context.Background(), testService, "Block", &wrapperspb.StringValue{}, nil) }()
	waitFor(t, func() bool { return c.inMap() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
	}
	s.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("pending call = %v, want ErrClosed", err)
	}
}

func TestServeAfterCloseReturnsErrServerClosed(t *testing.T) {
	leakcheck.Check(t)
	s, err := NewServer()
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	l := newPipeListener()
	defer l.Close()
	if err := s.Serve(context.Background(), l); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Close = %v", err)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown after Close = %v", err)
	}
}

func TestInterceptorsRunInOrder(t *testing.T) {
	var mu sync.Mutex
	var trace []string
	record := func(s string) {
		mu.Lock()
		trace = append(trace, s)
		mu.Unlock()
	}
	serverI := func(name string) UnaryServerInterceptor {
		return func(ctx context.Context, u Unmarshaler, info *UnaryServerInfo, m Method) (interface{}, error) {
			record("server " + name + " " + info.FullMethod)
			return m(ctx, u)
		}
	}
	clientI := func(name string) UnaryClientInterceptor {
		return func(ctx context.Context, req *Request, resp *Response, info *UnaryClientInfo, inv Invoker) error {
			record("client " + name + " " + info.FullMethod)
			return inv(ctx, req, resp)
		}
	}
	leakcheck.Check(t)
	_, path := newTestServer(t,
		WithChainUnaryServerInterceptor(serverI("b"), serverI("c")),
		WithUnaryServerInterceptor(serverI("a")),
	)
	c := dialClient(t, path,
		WithChainUnaryClientInterceptor(clientI("2"), clientI("3")),
		WithUnaryClientInterceptor(clientI("1")),
	)
	mustEcho(t, c)
	m := "/" + testService + "/Echo"
	want := []string{"client 1 " + m, "client 2 " + m, "client 3 " + m, "server a " + m, "server b " + m, "server c " + m}
	if strings.Join(trace, "|") != strings.Join(want, "|") {
		t.Fatalf("trace = %q\nwant    %q", trace, want)
	}
}

func TestNewServerRejectsDuplicateOptions(t *testing.T) {
	noop := func(ctx context.Context, u Unmarshaler, info *UnaryServerInfo, m Method) (interface{}, error) {
		return m(ctx, u)
	}
	if _, err := NewServer(WithUnaryServerInterceptor(noop), WithUnaryServerInterceptor(noop)); !errors.Is(err, errOptionTwice) {
		t.Errorf("two unary interceptors: %v", err)
	}
	h := handshakerFunc(noHandshake)
	if _, err := NewServer(WithServerHandshaker(h), WithServerHandshaker(h)); !errors.Is(err, errOptionTwice) {
		t.Errorf("two handshakers: %v", err)
	}
}

// waitFor polls cond until it holds, failing the test after five seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
