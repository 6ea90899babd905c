// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Serve(ctx, nil), as after an ignored net.Listen error, returns an error
// instead of panicking.
func TestServeNilListener(t *testing.T) {
	leakcheck.Check(t)
	s, err := NewServer()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Serve(context.Background(), nil); !errors.Is(err, errNilListener) {
		t.Fatalf("Serve(nil) = %v, want errNilListener", err)
	}
}

// closeCountingListener records how often it was closed; its Accept fails
// with err, or waits for Close when err is nil.
type closeCountingListener struct {
	*pipeListener
	err    error
	closes atomic.Int32
}

func (l *closeCountingListener) Accept() (net.Conn, error) {
	if l.err != nil {
		return nil, l.err
	}
	return l.pipeListener.Accept()
}

func (l *closeCountingListener) Close() error {
	l.closes.Add(1)
	return l.pipeListener.Close()
}

// When Close or Shutdown runs before Serve has registered its listener,
// Serve closes the listener and returns ErrServerClosed: nothing is left
// listening on the socket.
func TestServeAfterStopClosesListener(t *testing.T) {
	for name, stop := range map[string]func(*Server){
		"Close":    func(s *Server) { s.Close() },
		"Shutdown": func(s *Server) { s.Shutdown(context.Background()) },
	} {
		t.Run(name, func(t *testing.T) {
			leakcheck.Check(t)
			s, err := NewServer(WithServerLogger(quietLogger))
			if err != nil {
				t.Fatal(err)
			}
			stop(s)
			l := &closeCountingListener{pipeListener: newPipeListener()}
			if err := s.Serve(context.Background(), l); !errors.Is(err, ErrServerClosed) {
				t.Fatalf("Serve after %s = %v, want ErrServerClosed", name, err)
			}
			if l.closes.Load() == 0 {
				t.Fatalf("Serve after %s left its listener open", name)
			}
		})
	}
}

// As in containerd's ttrpc, Serve closes its listener when an accept error
// that is not temporary ends it.
func TestServeClosesListenerOnAcceptError(t *testing.T) {
	leakcheck.Check(t)
	s, err := NewServer(WithServerLogger(quietLogger))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	broken := errors.New("accept broke")
	l := &closeCountingListener{pipeListener: newPipeListener(), err: broken}
	if err := s.Serve(context.Background(), l); !errors.Is(err, broken) {
		t.Fatalf("Serve = %v, want the accept error", err)
	}
	if l.closes.Load() == 0 {
		t.Fatal("Serve returned with its listener open")
	}
}

// A server limit above the 16 MiB hard cap is capped, as the client's is:
// NewServer accepts it, and a response over 16 MiB is refused with the
// cap as its limit.
func TestMessageSizeOverHardCapIsCapped(t *testing.T) {
	leakcheck.Check(t)
	_, path := newTestServer(t, WithServerMaxMessageSize(2*frameLengthHardMax, 2*frameLengthHardMax))
	c := dialClient(t, path, WithClientMaxMessageSize(2*frameLengthHardMax, 2*frameLengthHardMax))
	// A response of exactly 16 MiB of bytes is over the cap once it is
	// wrapped in its message and envelope.
	err := c.Call(context.Background(), testService, "Bytes", wrapperspb.Int64(frameLengthHardMax), &wrapperspb.BytesValue{})
	wantCode(t, err, codes.ResourceExhausted)
	if !strings.Contains(err.Error(), fmt.Sprint(frameLengthHardMax)) {
		t.Fatalf("response over 16 MiB = %v, want the cap %d as the limit", err, frameLengthHardMax)
	}
	// The client's send limit is capped too: the request is refused before
	// it is sent, with the cap as its limit.
	err = c.Call(context.Background(), testService, "Echo", &wrapperspb.BytesValue{Value: make([]byte, frameLengthHardMax)}, nil)
	var oversized *OversizedMessageErr
	if !errors.As(err, &oversized) || oversized.MaximumLength() != frameLengthHardMax {
		t.Fatalf("request over 16 MiB = %v, want *OversizedMessageErr with max %d", err, frameLengthHardMax)
	}
	// Under the cap, the raised limit holds: 5 MiB is over the default.
	resp := &wrapperspb.BytesValue{}
	if err := c.Call(context.Background(), testService, "Bytes", wrapperspb.Int64(5<<20), resp); err != nil || len(resp.Value) != 5<<20 {
		t.Fatalf("5 MiB response = %d bytes, %v", len(resp.Value), err)
	}
}
