// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// credsService is registered by tests that look at what a handler sees of
// the handshake.
const credsService = "ttrpc.test.v1.Creds"

// handshakeSeen is what a handler of credsService found in its context.
// Peer credentials exist on Linux only; elsewhere cred is never set.
type handshakeSeen struct {
	cred   *testPeerCred
	credOK bool
	info   interface{}
	infoOK bool
}

// registerCredsService registers credsService/Who, which reports what its
// context holds on the returned channel.
func registerCredsService(s *Server) <-chan handshakeSeen {
	seen := make(chan handshakeSeen, 1)
	s.Register(credsService, map[string]Method{
		"Who": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			var h handshakeSeen
			h.cred, h.credOK = testPeerCredentials(ctx)
			h.info, h.infoOK = HandshakeInfo(ctx)
			seen <- h
			return &wrapperspb.StringValue{}, nil
		},
	})
	return seen
}

func TestHandshakeNoHandshakerNoInfo(t *testing.T) {
	s, c := setup(t)
	seen := registerCredsService(s)

	if err := c.Call(boundedCtx(t), credsService, "Who", &wrapperspb.StringValue{}, &wrapperspb.StringValue{}); err != nil {
		t.Fatal(err)
	}
	if h := <-seen; h.credOK || h.infoOK {
		t.Errorf("without a handshaker the handler found credentials %v (%v) and info %v (%v); want none",
			h.cred, h.credOK, h.info, h.infoOK)
	}
}

// TestHandshakeHungDoesNotBlockAccept checks that the handshake runs on the
// connection's goroutine: a first connection whose handshake hangs does not
// keep a second one from being served, and closing the server ends the hung
// handshake whether it waits on its context or on the connection.
func TestHandshakeHungDoesNotBlockAccept(t *testing.T) {
	for _, tc := range []struct {
		name string
		hang func(ctx context.Context, conn net.Conn) error
	}{
		{"on its context", func(ctx context.Context, conn net.Conn) error {
			<-ctx.Done()
			return ctx.Err()
		}},
		{"reading the connection", func(ctx context.Context, conn net.Conn) error {
			buf := make([]byte, 512)
			for {
				if _, err := conn.Read(buf); err != nil {
					return err
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakcheck.Check(t)
			started := make(chan struct{})
			var n atomic.Int32
			hs := handshakerFunc(func(ctx context.Context, conn net.Conn) (net.Conn, interface{}, error) {
				if n.Add(1) == 1 {
					close(started)
					return nil, nil, tc.hang(ctx, conn)
				}
				return conn, nil, nil
			})
			s, path := newTestServer(t, WithServerHandshaker(hs))

			// The first client writes its request, which is never read.
			hung := dialClient(t, path)
			hungCall := goEcho(context.Background(), hung, "hung")
			select {
			case <-started:
			case <-time.After(rawPeerTimeout):
				t.Fatal("the first handshake did not start")
			}

			// With a deadline: if the hung handshake blocked the accept
			// loop, this call would wait forever.
			ctx, cancel := context.WithTimeout(context.Background(), rawPeerTimeout)
			defer cancel()
			if got, err := echo(ctx, dialClient(t, path), "second"); err != nil || got != "second" {
				t.Fatalf("call on a second connection while the first hangs in its handshake = %q, %v; want second, nil", got, err)
			}
			wantPending(t, hungCall, "the call on the connection in its handshake")

			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if r := waitCall(t, hungCall); !errors.Is(r.err, ErrClosed) {
				t.Errorf("call on the connection in its handshake = %v after server Close, want ErrClosed", r.err)
			}
			eventually(t, "the server forgot every connection", func() bool {
				return serverConnCount(s) == 0
			})
		})
	}
}

func TestHandshakeHungDoesNotBlockShutdown(t *testing.T) {
	leakcheck.Check(t)
	started := make(chan struct{})
	hs := handshakerFunc(func(ctx context.Context, conn net.Conn) (net.Conn, interface{}, error) {
		close(started)
		<-ctx.Done()
		return nil, nil, ctx.Err()
	})
	s, path := newTestServer(t, WithServerHandshaker(hs))
	c := dialClient(t, path)
	call := goEcho(context.Background(), c, "hung")
	select {
	case <-started:
	case <-time.After(rawPeerTimeout):
		t.Fatal("the handshake did not start")
	}

	ctx, cancel := context.WithTimeout(context.Background(), rawPeerTimeout)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with a connection in its handshake = %v, want nil", err)
	}
	if r := waitCall(t, call); !errors.Is(r.err, ErrClosed) {
		t.Errorf("call on the connection in its handshake = %v after Shutdown, want ErrClosed", r.err)
	}
}

// countingConn is a connection replaced by a handshaker.
type countingConn struct {
	net.Conn
	reads  atomic.Int64
	closes atomic.Int32
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.reads.Add(int64(n))
	return n, err
}

func (c *countingConn) Close() error {
	c.closes.Add(1)
	return c.Conn.Close()
}

func TestHandshakeReplacesConn(t *testing.T) {
	leakcheck.Check(t)
	wrapped := make(chan *countingConn, 1)
	hs := handshakerFunc(func(ctx context.Context, conn net.Conn) (net.Conn, interface{}, error) {
		cc := &countingConn{Conn: conn}
		wrapped <- cc
		return cc, "info", nil
	})
	s, path := newTestServer(t, WithServerHandshaker(hs))
	seen := registerCredsService(s)
	c := dialClient(t, path)

	mustEcho(t, c)
	if err := c.Call(boundedCtx(t), credsService, "Who", &wrapperspb.StringValue{}, &wrapperspb.StringValue{}); err != nil {
		t.Fatal(err)
	}
	if h := <-seen; h.info != "info" || h.credOK {
		t.Errorf("handler saw HandshakeInfo %v and credentials %v (%v); want \"info\" and none", h.info, h.cred, h.credOK)
	}
	cc := <-wrapped
	if cc.reads.Load() == 0 {
		t.Error("the server did not read through the connection the handshaker returned")
	}
	c.Close()
	eventually(t, "the server closed the connection the handshaker returned", func() bool {
		return cc.closes.Load() > 0
	})
}

func TestNewServerRejectsRepeatedOptions(t *testing.T) {
	noop := func(ctx context.Context, unmarshal Unmarshaler, info *UnaryServerInfo, method Method) (interface{}, error) {
		return method(ctx, unmarshal)
	}
	for _, tc := range []struct {
		name string
		opts []ServerOpt
	}{
		{"handshaker", []ServerOpt{
			WithServerHandshaker(handshakerFunc(noHandshake)),
			WithServerHandshaker(handshakerFunc(noHandshake)),
		}},
		{"unary interceptor", []ServerOpt{
			WithUnaryServerInterceptor(noop),
			WithUnaryServerInterceptor(noop),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewServer(tc.opts...)
			if err == nil || s != nil {
				t.Fatalf("NewServer with a repeated %s option = %v, %v; want an error", tc.name, s, err)
			}
			if !errors.Is(err, errOptionTwice) {
				t.Errorf("NewServer error %v, want errOptionTwice", err)
			}
		})
	}

	// Chained interceptors accumulate.
	if _, err := NewServer(WithChainUnaryServerInterceptor(noop), WithChainUnaryServerInterceptor(noop)); err != nil {
		t.Errorf("NewServer with two chain interceptor options = %v, want nil", err)
	}
}
