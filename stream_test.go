// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const streamService = "ttrpc.test.v1.Streams"

var (
	sumDesc    = &StreamDesc{StreamingClient: true}
	divideDesc = &StreamDesc{StreamingServer: true}
	echoDesc   = &StreamDesc{StreamingClient: true, StreamingServer: true}
)

// streamTestService has one method of each stream kind:
//   - Sum (client streaming): adds the Int64Values it receives;
//   - Divide (server streaming): sends the request's bytes back in chunks of
//     at most 1 MiB... or, for an Int64Value request n, n messages 0..n-1;
//   - Echo (bidi): sends back every BytesValue it receives;
//   - FailAfter (server streaming): sends n messages, then fails NotFound.
func streamTestService() *ServiceDesc {
	return &ServiceDesc{Streams: map[string]Stream{
		"Sum": {StreamingClient: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
			var sum int64
			for {
				v := &wrapperspb.Int64Value{}
				if err := ss.RecvMsg(v); err == io.EOF {
					return wrapperspb.Int64(sum), nil
				} else if err != nil {
					return nil, err
				}
				sum += v.Value
			}
		}},
		"Divide": {StreamingServer: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
			n := &wrapperspb.Int64Value{}
			if err := ss.RecvMsg(n); err != nil {
				return nil, err
			}
			for i := range n.Value {
				if err := ss.SendMsg(wrapperspb.Int64(i)); err != nil {
					return nil, err
				}
			}
			return nil, nil
		}},
		"Echo": {StreamingClient: true, StreamingServer: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
			for {
				v := &wrapperspb.BytesValue{}
				if err := ss.RecvMsg(v); err == io.EOF {
					return nil, nil
				} else if err != nil {
					return nil, err
				}
				if err := ss.SendMsg(v); err != nil {
					return nil, err
				}
			}
		}},
		"FailAfter": {StreamingServer: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
			n := &wrapperspb.Int64Value{}
			if err := ss.RecvMsg(n); err != nil {
				return nil, err
			}
			for i := range n.Value {
				if err := ss.SendMsg(wrapperspb.Int64(i)); err != nil {
					return nil, err
				}
			}
			return nil, status.Errorf(codes.NotFound, "gone after %d", n.Value)
		}},
	}}
}

// streamSetup starts a server with the stream service and a client.
func streamSetup(t *testing.T, serverOpts ...ServerOpt) (*Server, *Client) {
	t.Helper()
	s, c := setup(t, serverOpts...)
	s.RegisterService(streamService, streamTestService())
	return s, c
}

func sum(t *testing.T, ctx context.Context, c *Client, values []int64) (int64, error) {
	t.Helper()
	cs, err := c.NewStream(ctx, sumDesc, streamService, "Sum", nil)
	if err != nil {
		return 0, err
	}
	for _, v := range values {
		if err := cs.SendMsg(wrapperspb.Int64(v)); err != nil {
			return 0, err
		}
	}
	if err := cs.CloseSend(); err != nil {
		return 0, err
	}
	resp := &wrapperspb.Int64Value{}
	if err := cs.RecvMsg(resp); err != nil {
		return 0, err
	}
	if err := cs.RecvMsg(resp); err != io.EOF {
		return 0, fmt.Errorf("RecvMsg after the response = %v, want io.EOF", err)
	}
	return resp.Value, nil
}

func divide(ctx context.Context, c *Client, n int64) ([]int64, error) {
	cs, err := c.NewStream(ctx, divideDesc, streamService, "Divide", wrapperspb.Int64(n))
	if err != nil {
		return nil, err
	}
	var got []int64
	for {
		v := &wrapperspb.Int64Value{}
		if err := cs.RecvMsg(v); err == io.EOF {
			return got, nil
		} else if err != nil {
			return got, err
		}
		got = append(got, v.Value)
	}
}

func TestClientStreamingSum(t *testing.T) {
	_, c := streamSetup(t)
	for _, n := range []int{0, 1, 1000} {
		values := make([]int64, n)
		var want int64
		for i := range values {
			values[i] = int64(i)
			want += int64(i)
		}
		got, err := sum(t, context.Background(), c, values)
		if err != nil || got != want {
			t.Fatalf("Sum of %d values = %d, %v; want %d", n, got, err, want)
		}
	}
	// Zero values encode as empty messages, which are real messages.
	if got, err := sum(t, context.Background(), c, []int64{0, 0, 5, 0}); err != nil || got != 5 {
		t.Fatalf("Sum of zeros = %d, %v", got, err)
	}
}

func TestServerStreamingDivide(t *testing.T) {
	_, c := streamSetup(t)
	for _, n := range []int64{0, 1, 1000} {
		got, err := divide(context.Background(), c, n)
		if err != nil || int64(len(got)) != n {
			t.Fatalf("Divide(%d) = %d messages, %v", n, len(got), err)
		}
		for i, v := range got {
			if v != int64(i) {
				t.Fatalf("message %d = %d", i, v) // includes empty messages (value 0)
			}
		}
	}
}

func TestBidiEchoManyEmptyAndLargeMessages(t *testing.T) {
	_, c := streamSetup(t)
	cs, err := c.NewStream(context.Background(), echoDesc, streamService, "Echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	sizes := []int{0, 1, 0, 100, frameLengthMax - 16, 0}
	for i := range 500 {
		sizes = append(sizes, i%7)
	}
	errs := make(chan error, 1)
	go func() {
		for _, n := range sizes {
			if err := cs.SendMsg(&wrapperspb.BytesValue{Value: make([]byte, n)}); err != nil {
				errs <- err
				return
			}
		}
		errs <- cs.CloseSend()
	}()
	for i, n := range sizes {
		v := &wrapperspb.BytesValue{}
		if err := cs.RecvMsg(v); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if len(v.Value) != n {
			t.Fatalf("message %d has %d bytes, want %d", i, len(v.Value), n)
		}
	}
	if err := cs.RecvMsg(&wrapperspb.BytesValue{}); err != io.EOF {
		t.Fatalf("end of stream = %v, want io.EOF", err)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if err := cs.SendMsg(&wrapperspb.BytesValue{}); !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("SendMsg after CloseSend = %v, want ErrStreamClosed", err)
	}
	waitFor(t, func() bool { return c.inMap() == 0 })
}

func TestStreamMessageOverLimit(t *testing.T) {
	_, c := streamSetup(t)
	cs, err := c.NewStream(context.Background(), echoDesc, streamService, "Echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = cs.SendMsg(&wrapperspb.BytesValue{Value: make([]byte, frameLengthMax)})
	var oversized *OversizedMessageErr
	if !errors.As(err, &oversized) {
		t.Fatalf("SendMsg over the limit = %v, want *OversizedMessageErr", err)
	}
	// The stream goes on.
	if err := cs.SendMsg(wrapperspb.Bytes([]byte("ok"))); err != nil {
		t.Fatal(err)
	}
	v := &wrapperspb.BytesValue{}
	if err := cs.RecvMsg(v); err != nil || string(v.Value) != "ok" {
		t.Fatalf("RecvMsg = %q, %v", v.Value, err)
	}
	cs.CloseSend()
	if err := cs.RecvMsg(v); err != io.EOF {
		t.Fatalf("end = %v", err)
	}
}

func TestHundredStreamsMixedWithUnaryCalls(t *testing.T) {
	_, c := streamSetup(t)
	var wg sync.WaitGroup
	errs := make(chan error, 300)
	for i := range 100 {
		wg.Add(3)
		go func() {
			defer wg.Done()
			got, err := divide(context.Background(), c, int64(i))
			if err == nil && len(got) != i {
				err = fmt.Errorf("Divide(%d) gave %d messages", i, len(got))
			}
			if err != nil {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			if got, err := sum(t, context.Background(), c, []int64{int64(i), 1}); err != nil || got != int64(i)+1 {
				errs <- fmt.Errorf("Sum(%d, 1) = %d, %v", i, got, err)
			}
		}()
		go func() {
			defer wg.Done()
			want := fmt.Sprint(i)
			if got, err := echo(context.Background(), c, want); err != nil || got != want {
				errs <- fmt.Errorf("Echo(%s) = %s, %v", want, got, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestStreamHandlerSeesMetadataAndDeadline(t *testing.T) {
	type seen struct {
		lang string
		left time.Duration
	}
	got := make(chan seen, 1)
	s, c := streamSetup(t)
	s.RegisterService("meta.Streams", &ServiceDesc{Streams: map[string]Stream{
		"Watch": {StreamingServer: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
			lang, _ := GetMetadataValue(ctx, "lang")
			deadline, ok := ctx.Deadline()
			left := time.Duration(-1)
			if ok {
				left = time.Until(deadline)
			}
			got <- seen{lang, left}
			return nil, nil
		}},
	}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ctx = WithMetadata(ctx, MD{"lang": {"en"}})
	cs, err := c.NewStream(ctx, &StreamDesc{StreamingServer: true}, "meta.Streams", "Watch", &wrapperspb.StringValue{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.RecvMsg(&wrapperspb.StringValue{}); err != io.EOF {
		t.Fatalf("RecvMsg = %v, want io.EOF", err)
	}
	g := <-got
	if g.lang != "en" || g.left < 50*time.Second || g.left > time.Minute {
		t.Fatalf("handler saw lang %q and %v left; want en and just under a minute", g.lang, g.left)
	}
}

func TestClientCancelMidStream(t *testing.T) {
	entered := make(chan struct{})
	s, c := streamSetup(t)
	handlerDone := make(chan error, 1)
	s.RegisterService("cancel.Streams", &ServiceDesc{Streams: map[string]Stream{
		"Forever": {StreamingServer: true, StreamingClient: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
			if err := ss.SendMsg(wrapperspb.String("first")); err != nil {
				return nil, err
			}
			close(entered)
			err := ss.RecvMsg(&wrapperspb.StringValue{}) // the client never sends or closes
			handlerDone <- err
			return nil, err
		}},
	}})
	ctx, cancel := context.WithCancel(context.Background())
	cs, err := c.NewStream(ctx, &StreamDesc{StreamingServer: true, StreamingClient: true}, "cancel.Streams", "Forever", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.RecvMsg(&wrapperspb.StringValue{}); err != nil {
		t.Fatal(err)
	}
	<-entered
	recvErr := make(chan error, 1)
	go func() { recvErr <- cs.RecvMsg(&wrapperspb.StringValue{}) }()
	cancel()
	err = <-recvErr
	wantCode(t, err, codes.Canceled)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("RecvMsg after cancel = %v, want context.Canceled", err)
	}
	if err := cs.SendMsg(wrapperspb.String("late")); status.Code(err) != codes.Canceled {
		t.Fatalf("SendMsg after cancel = %v, want CANCELED", err)
	}
	waitFor(t, func() bool { return c.inMap() == 0 })
	// The server's handler is still blocked (there is no cancel frame);
	// closing the client ends it.
	c.Close()
	if err := <-handlerDone; err == nil {
		t.Fatal("handler's RecvMsg returned nil after the client went away")
	}
}

func TestServerErrorMidStream(t *testing.T) {
	_, c := streamSetup(t)
	cs, err := c.NewStream(context.Background(), divideDesc, streamService, "FailAfter", wrapperspb.Int64(3))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		v := &wrapperspb.Int64Value{}
		if err := cs.RecvMsg(v); err != nil || v.Value != int64(i) {
			t.Fatalf("message %d = %d, %v", i, v.Value, err)
		}
	}
	err = cs.RecvMsg(&wrapperspb.Int64Value{})
	wantCode(t, err, codes.NotFound)
	if st, _ := status.FromError(err); st.Message() != "gone after 3" {
		t.Fatalf("message = %q", st.Message())
	}
}

func TestHandlerReturnsWhileClientStillSends(t *testing.T) {
	s, c := streamSetup(t)
	s.RegisterService("early.Streams", &ServiceDesc{Streams: map[string]Stream{
		"Early": {StreamingClient: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
			v := &wrapperspb.Int64Value{}
			if err := ss.RecvMsg(v); err != nil {
				return nil, err
			}
			return wrapperspb.Int64(v.Value * 10), nil
		}},
	}})
	cs, err := c.NewStream(context.Background(), sumDesc, "early.Streams", "Early", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.SendMsg(wrapperspb.Int64(4)); err != nil {
		t.Fatal(err)
	}
	resp := &wrapperspb.Int64Value{}
	if err := cs.RecvMsg(resp); err != nil || resp.Value != 40 {
		t.Fatalf("response = %d, %v", resp.Value, err)
	}
	// The server has finished: sending tells so with io.EOF, never a hang.
	if err := cs.SendMsg(wrapperspb.Int64(1)); err != io.EOF {
		t.Fatalf("SendMsg after the server finished = %v, want io.EOF", err)
	}
	if err := cs.CloseSend(); err != nil {
		t.Fatal(err)
	}
	mustEcho(t, c)
}

func TestUnreadStreamDoesNotBlockConnection(t *testing.T) {
	leakcheck.Check(t)
	s, path := newTestServer(t)
	s.RegisterService("unread.Streams", &ServiceDesc{Streams: map[string]Stream{
		// Burst sends 1000 messages and then waits (without ending the
		// stream) until the connection goes away.
		"Burst": {StreamingServer: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
			for i := range int64(1000) {
				if err := ss.SendMsg(wrapperspb.Int64(i)); err != nil {
					return nil, err
				}
			}
			<-ctx.Done()
			return nil, ctx.Err()
		}},
	}})
	c := dialClient(t, path, WithClientStreamBuffer(8, 200*time.Millisecond))
	// A stream that never ends, and that nobody reads.
	cs, err := c.NewStream(context.Background(), divideDesc, "unread.Streams", "Burst", &wrapperspb.StringValue{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for i := range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := fmt.Sprint(i)
			if got, err := echo(context.Background(), c, want); err != nil || got != want {
				errs <- fmt.Errorf("Echo(%s) = %s, %v", want, got, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Nobody read the stream for 200ms: it has failed with ErrStreamFull
	// and left the call map; what it had buffered (more than its 8) still
	// comes, in order, before ErrStreamFull.
	waitFor(t, func() bool { return c.inMap() == 0 })
	n, err := drainInts(cs)
	if !errors.Is(err, ErrStreamFull) || n <= 8 {
		t.Fatalf("unread stream gave %d messages, then %v; want more than 8, then ErrStreamFull", n, err)
	}
}

func TestServerStreamFullWhenHandlerDoesNotRead(t *testing.T) {
	handlerErr := make(chan error, 1)
	s, c := streamSetup(t, WithServerStreamBuffer(4, 50*time.Millisecond))
	release := make(chan struct{})
	s.RegisterService("slow.Streams", &ServiceDesc{Streams: map[string]Stream{
		"Slow": {StreamingClient: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
			<-release
			var err error
			for err == nil {
				err = ss.RecvMsg(&wrapperspb.Int64Value{})
			}
			handlerErr <- err
			return nil, err
		}},
	}})
	cs, err := c.NewStream(context.Background(), sumDesc, "slow.Streams", "Slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		if err := cs.SendMsg(wrapperspb.Int64(int64(i))); err != nil {
			t.Fatal(err)
		}
	}
	err = cs.RecvMsg(&wrapperspb.Int64Value{})
	wantCode(t, err, codes.ResourceExhausted)
	close(release)
	if err := <-handlerErr; !errors.Is(err, ErrStreamFull) {
		t.Fatalf("handler's RecvMsg = %v, want ErrStreamFull", err)
	}
	mustEcho(t, c)
}

func TestStreamInterceptorsSeeEveryStream(t *testing.T) {
	var mu sync.Mutex
	var trace []string
	record := func(s string) { mu.Lock(); trace = append(trace, s); mu.Unlock() }
	serverI := func(name string) StreamServerInterceptor {
		return func(ctx context.Context, ss StreamServer, info *StreamServerInfo, h StreamHandler) (interface{}, error) {
			record(fmt.Sprintf("server %s %s %v %v", name, info.FullMethod, info.StreamingClient, info.StreamingServer))
			return h(ctx, ss)
		}
	}
	clientI := func(name string) ClientStreamInterceptor {
		return func(ctx context.Context, desc *StreamDesc, req *Request, info *StreamClientInfo, streamer Streamer) (ClientStream, error) {
			record(fmt.Sprintf("client %s %s", name, info.FullMethod))
			req.Metadata = append(req.Metadata, &KeyValue{Key: "via", Value: name})
			return streamer(ctx, desc, req)
		}
	}
	leakcheck.Check(t)
	s, path := newTestServer(t,
		WithStreamServerInterceptor(serverI("a")),
		WithChainStreamServerInterceptor(serverI("b")),
	)
	s.RegisterService(streamService, streamTestService())
	c := dialClient(t, path, WithClientStreamInterceptor(clientI("1")), WithChainClientStreamInterceptor(clientI("2")))
	if _, err := divide(context.Background(), c, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := sum(t, context.Background(), c, []int64{1}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"client 1 /" + streamService + "/Divide", "client 2 /" + streamService + "/Divide",
		"server a /" + streamService + "/Divide false true", "server b /" + streamService + "/Divide false true",
		"client 1 /" + streamService + "/Sum", "client 2 /" + streamService + "/Sum",
		"server a /" + streamService + "/Sum true false", "server b /" + streamService + "/Sum true false",
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(trace) != fmt.Sprint(want) {
		t.Fatalf("trace = %q\nwant    %q", trace, want)
	}
	mustEcho(t, c) // unary calls do not go through stream interceptors
	if len(trace) != len(want) {
		t.Fatalf("a unary call went through a stream interceptor: %q", trace)
	}
}

func TestStreamHandlerPanicIsInternal(t *testing.T) {
	s, c := streamSetup(t)
	s.RegisterService("panic.Streams", &ServiceDesc{Streams: map[string]Stream{
		"Panic": {StreamingServer: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
			panic("stream boom")
		}},
	}})
	cs, err := c.NewStream(context.Background(), divideDesc, "panic.Streams", "Panic", &wrapperspb.StringValue{})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, cs.RecvMsg(&wrapperspb.StringValue{}), codes.Internal)
	mustEcho(t, c)
}

func TestStreamToUnknownMethod(t *testing.T) {
	_, c := streamSetup(t)
	cs, err := c.NewStream(context.Background(), echoDesc, streamService, "Nope", nil)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, cs.RecvMsg(&wrapperspb.StringValue{}), codes.Unimplemented)
}

func TestStreamFailsWhenConnectionCloses(t *testing.T) {
	s, c := streamSetup(t)
	cs, err := c.NewStream(context.Background(), echoDesc, streamService, "Echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.SendMsg(wrapperspb.Bytes([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	if err := cs.RecvMsg(&wrapperspb.BytesValue{}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := cs.RecvMsg(&wrapperspb.BytesValue{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("RecvMsg after the server closed = %v, want ErrClosed", err)
	}
	if err := cs.SendMsg(wrapperspb.Bytes(nil)); !errors.Is(err, ErrClosed) && err != io.EOF {
		t.Fatalf("SendMsg after the server closed = %v, want ErrClosed or io.EOF", err)
	}
}
