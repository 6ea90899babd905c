// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package grpcstatus_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	gcodes "google.golang.org/grpc/codes"
	gstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/grpcstatus"
	"github.com/featherrpc/ttrpc/memconn"
	"github.com/featherrpc/ttrpc/status"
)

// A containerd-style errdefs package, written here: error classes, and the
// mapping from a grpc status code to a class that containerd's errdefs
// (errgrpc.ToNative) applies to every error a client returns. It looks at
// the error through grpc's status package only.
var (
	errUnknown            = errors.New("unknown")
	errInvalidArgument    = errors.New("invalid argument")
	errNotFound           = errors.New("not found")
	errAlreadyExists      = errors.New("already exists")
	errPermissionDenied   = errors.New("permission denied")
	errResourceExhausted  = errors.New("resource exhausted")
	errFailedPrecondition = errors.New("failed precondition")
	errAborted            = errors.New("aborted")
	errOutOfRange         = errors.New("out of range")
	errNotImplemented     = errors.New("not implemented")
	errInternal           = errors.New("internal")
	errUnavailable        = errors.New("unavailable")
	errDataLoss           = errors.New("data loss")
	errUnauthenticated    = errors.New("unauthenticated")
	errCanceled           = errors.New("canceled")
	errDeadlineExceeded   = errors.New("deadline exceeded")
)

// errdefsClass maps grpc codes to classes, as containerd's errdefs does.
var errdefsClass = map[gcodes.Code]error{
	gcodes.Unknown:            errUnknown,
	gcodes.InvalidArgument:    errInvalidArgument,
	gcodes.NotFound:           errNotFound,
	gcodes.AlreadyExists:      errAlreadyExists,
	gcodes.PermissionDenied:   errPermissionDenied,
	gcodes.ResourceExhausted:  errResourceExhausted,
	gcodes.FailedPrecondition: errFailedPrecondition,
	gcodes.Aborted:            errAborted,
	gcodes.OutOfRange:         errOutOfRange,
	gcodes.Unimplemented:      errNotImplemented,
	gcodes.Internal:           errInternal,
	gcodes.Unavailable:        errUnavailable,
	gcodes.DataLoss:           errDataLoss,
	gcodes.Unauthenticated:    errUnauthenticated,
	gcodes.Canceled:           errCanceled,
	gcodes.DeadlineExceeded:   errDeadlineExceeded,
}

// toNative is containerd's errgrpc.ToNative in miniature: the class of the
// error's grpc code, with the status message in front.
func toNative(err error) error {
	if err == nil {
		return nil
	}
	cls, ok := errdefsClass[gstatus.Code(err)]
	if !ok {
		cls = errUnknown
	}
	return fmt.Errorf("%s: %w", gstatus.Convert(err).Message(), cls)
}

// The test service. Requests and responses are wrapperspb messages so that
// no generated code is needed.
const service = "grpcstatus.test.v1.Test"

// detailOf is the detail every failing method attaches to its status.
func detailOf(c codes.Code) *wrapperspb.StringValue {
	return wrapperspb.String(fmt.Sprintf("detail of %v", c))
}

// retryDelay is a second detail, of another type.
var retryDelay = durationpb.New(1500 * time.Millisecond)

// ourFailure is the error a handler returns for code c with this module's
// status package: message and two Any details.
func ourFailure(c codes.Code) error {
	st, err := status.New(c, fmt.Sprintf("ours failed with %v", c)).WithDetails(detailOf(c), retryDelay)
	if err != nil {
		panic(err)
	}
	return st.Err()
}

// grpcFailure is the same failure made with grpc's status package.
func grpcFailure(c codes.Code) error {
	st, err := gstatus.New(gcodes.Code(c), fmt.Sprintf("grpc failed with %v", c)).WithDetails(detailOf(c), retryDelay)
	if err != nil {
		panic(err)
	}
	return st.Err()
}

// unaryMethods: Fail and FailGRPC fail with the code in the request
// (FailGRPCWrapped with grpc's error wrapped by fmt.Errorf), Echo
// echoes, Block blocks.
func unaryMethods(stop <-chan struct{}) map[string]ttrpc.Method {
	code := func(unmarshal func(interface{}) error) (codes.Code, error) {
		req := &wrapperspb.UInt32Value{}
		err := unmarshal(req)
		return codes.Code(req.Value), err
	}
	return map[string]ttrpc.Method{
		"Fail": func(_ context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			c, err := code(unmarshal)
			if err != nil {
				return nil, err
			}
			return nil, ourFailure(c)
		},
		"FailGRPC": func(_ context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			c, err := code(unmarshal)
			if err != nil {
				return nil, err
			}
			return nil, grpcFailure(c)
		},
		"FailGRPCWrapped": func(_ context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			c, err := code(unmarshal)
			if err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("while failing: %w", grpcFailure(c))
		},
		"Echo": func(_ context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			req := &wrapperspb.StringValue{}
			if err := unmarshal(req); err != nil {
				return nil, err
			}
			return req, nil
		},
		"Block": func(ctx context.Context, _ func(interface{}) error) (interface{}, error) {
			return nil, block(ctx, stop)
		},
	}
}

// streams: Ticks sends two messages, then fails with the code in the
// request (through grpc's package when the code is odd, ours otherwise;
// OK ends the stream successfully);
// Collect reads until the client closes, then fails the same way with the
// code of the last message; Hang blocks.
func streams(stop <-chan struct{}) map[string]ttrpc.Stream {
	failure := func(c codes.Code) error {
		switch {
		case c == codes.OK:
			return nil
		case c%2 == 1:
			return grpcFailure(c)
		}
		return ourFailure(c)
	}
	return map[string]ttrpc.Stream{
		"Ticks": {StreamingServer: true, Handler: func(_ context.Context, ss ttrpc.StreamServer) (interface{}, error) {
			req := &wrapperspb.UInt32Value{}
			if err := ss.RecvMsg(req); err != nil {
				return nil, err
			}
			for i := range 2 {
				if err := ss.SendMsg(wrapperspb.Int32(int32(i))); err != nil {
					return nil, err
				}
			}
			return nil, failure(codes.Code(req.Value))
		}},
		"Collect": {StreamingClient: true, Handler: func(_ context.Context, ss ttrpc.StreamServer) (interface{}, error) {
			var last uint32
			for {
				req := &wrapperspb.UInt32Value{}
				err := ss.RecvMsg(req)
				if errors.Is(err, io.EOF) {
					return nil, failure(codes.Code(last))
				}
				if err != nil {
					return nil, err
				}
				last = req.Value
			}
		}},
		"Hang": {StreamingClient: true, StreamingServer: true, Handler: func(ctx context.Context, _ ttrpc.StreamServer) (interface{}, error) {
			return nil, block(ctx, stop)
		}},
	}
}

// block waits until ctx is cancelled (the connection closed) and returns
// its error. When ctx's deadline passes first, it waits on until stop
// closes: the deadline travels to the server with the call, and a handler
// that answered DEADLINE_EXCEEDED itself could beat the client's own
// context, whose end the tests check.
func block(ctx context.Context, stop <-chan struct{}) error {
	<-ctx.Done()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		<-stop
	}
	return ctx.Err()
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// transports are the two ways tests connect a client to the server.
var transports = []string{"memconn", "unix"}

// testServer is a running server and the way to dial it.
type testServer struct {
	server *ttrpc.Server
	dial   func() (net.Conn, error)
}

// startServer serves the test service over transport until the test ends.
func startServer(t *testing.T, transport string) *testServer {
	t.Helper()
	s, err := ttrpc.NewServer(ttrpc.WithServerLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	s.RegisterService(service, &ttrpc.ServiceDesc{Methods: unaryMethods(stop), Streams: streams(stop)})
	var l net.Listener
	ts := &testServer{server: s}
	switch transport {
	case "memconn":
		ml := memconn.Listen()
		l, ts.dial = ml, ml.Dial
	case "unix":
		dir, err := os.MkdirTemp("", "grpcstatus")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		path := filepath.Join(dir, "s.sock")
		if l, err = net.Listen("unix", path); err != nil {
			t.Fatal(err)
		}
		ts.dial = func() (net.Conn, error) { return net.Dial("unix", path) }
	default:
		t.Fatalf("unknown transport %q", transport)
	}
	served := make(chan error, 1)
	// Owner: the test. Serve returns when the cleanup closes the server.
	go func() { served <- s.Serve(context.Background(), l) }()
	t.Cleanup(func() {
		close(stop)
		s.Close()
		if err := <-served; !errors.Is(err, ttrpc.ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return ts
}

// client dials the server and returns a client made with opts, closed when
// the test ends.
func (ts *testServer) client(t *testing.T, opts ...ttrpc.ClientOpts) *ttrpc.Client {
	t.Helper()
	conn, err := ts.dial()
	if err != nil {
		t.Fatal(err)
	}
	c := ttrpc.NewClient(conn, append([]ttrpc.ClientOpts{ttrpc.WithClientLogger(quiet)}, opts...)...)
	t.Cleanup(func() { c.Close() })
	return c
}

// forEachTransport runs f as a subtest on each transport, each with its
// own server and a client with grpcstatus.ClientOption.
func forEachTransport(t *testing.T, f func(t *testing.T, ts *testServer, c *ttrpc.Client)) {
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			ts := startServer(t, transport)
			f(t, ts, ts.client(t, grpcstatus.ClientOption()))
		})
	}
}
