// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestMessageSizeLimitsUpToHardCap(t *testing.T) {
	leakcheck.Check(t)
	const limit = 12 << 20
	_, path := newTestServer(t, WithServerMaxMessageSize(limit, limit))
	c := dialClient(t, path, WithClientMaxMessageSize(limit, limit))
	resp := &wrapperspb.BytesValue{}
	if err := c.Call(context.Background(), testService, "Bytes", wrapperspb.Int64(10<<20), resp); err != nil {
		t.Fatalf("10 MiB response under a 12 MiB limit: %v", err)
	}
	if len(resp.Value) != 10<<20 {
		t.Fatalf("got %d bytes", len(resp.Value))
	}
	big := &wrapperspb.BytesValue{Value: make([]byte, 10<<20)}
	if err := c.Call(context.Background(), testService, "Echo", big, &wrapperspb.BytesValue{}); err != nil {
		t.Fatalf("10 MiB request under a 12 MiB limit: %v", err)
	}
	err := c.Call(context.Background(), testService, "Bytes", wrapperspb.Int64(limit), resp)
	wantCode(t, err, codes.ResourceExhausted)
	mustEcho(t, c)
}

func TestClientSmallerLimitThanServer(t *testing.T) {
	leakcheck.Check(t)
	_, path := newTestServer(t)
	c := dialClient(t, path, WithClientMaxMessageSize(1024, 512))
	// The server's answer is over the client's receive limit: discarded,
	// and only that call fails.
	err := c.Call(context.Background(), testService, "Bytes", wrapperspb.Int64(2048), &wrapperspb.BytesValue{})
	var oversized *OversizedMessageErr
	if !errors.As(err, &oversized) || oversized.MaximumLength() != 1024 {
		t.Fatalf("response over the client's limit = %v, want *OversizedMessageErr with max 1024", err)
	}
	// A request over the send limit is refused before it is sent.
	err = c.Call(context.Background(), testService, "Echo", &wrapperspb.BytesValue{Value: make([]byte, 600)}, &wrapperspb.BytesValue{})
	if !errors.As(err, &oversized) || oversized.MaximumLength() != 512 {
		t.Fatalf("request over the client's send limit = %v, want *OversizedMessageErr with max 512", err)
	}
	mustEcho(t, c)
}

// Both sides resolve a message size limit by one rule: <= 0 is the
// default, above the 16 MiB hard cap is the cap.
func TestMessageSizeLimitsResolveAlike(t *testing.T) {
	s, err := NewServer(WithServerMaxMessageSize(frameLengthHardMax+1, -1))
	if err != nil {
		t.Fatalf("NewServer with a 16 MiB+1 limit = %v, want it capped", err)
	}
	c := &Client{config: defaultClientConfig()}
	WithClientMaxMessageSize(frameLengthHardMax+1, -1)(c)
	for side, got := range map[string][2]int{
		"server": {s.config.maxRecv, s.config.maxSend},
		"client": {c.config.maxRecv, c.config.maxSend},
	} {
		if got != [2]int{frameLengthHardMax, frameLengthMax} {
			t.Errorf("%s limits = %d/%d, want capped at %d and default %d", side, got[0], got[1], frameLengthHardMax, frameLengthMax)
		}
	}
}

func TestConcurrentRequestLimitRefusesExcess(t *testing.T) {
	leakcheck.Check(t)
	_, path := newTestServer(t, WithServerMaxConcurrentRequests(3))
	c := dialClient(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Call(ctx, testService, "Block", &wrapperspb.StringValue{}, nil)
		}()
	}
	waitFor(t, func() bool { return c.inMap() == 3 })
	// The three Block calls are in flight on the server once a fourth call
	// is refused; poll, since the client registers a call before the server
	// has read it.
	waitFor(t, func() bool {
		_, err := echo(context.Background(), c, "over")
		return err != nil
	})
	_, err := echo(context.Background(), c, "over")
	wantCode(t, err, codes.ResourceExhausted)
	cancel()
	wg.Wait()
	// Cancelling on the client does not end the handlers (there is no
	// cancel frame); their deadline-free contexts end when the connection
	// closes. A second connection has its own budget.
	other := dialClient(t, path)
	mustEcho(t, other)
}

func TestHandshakeTimeoutClosesConnection(t *testing.T) {
	leakcheck.Check(t)
	stuck := handshakerFunc(func(ctx context.Context, conn net.Conn) (net.Conn, interface{}, error) {
		buf := make([]byte, 1)
		_, err := conn.Read(buf) // never returns on its own: the client sends nothing
		return nil, nil, err
	})
	_, path := newTestServer(t, WithServerHandshaker(stuck), WithServerHandshakeTimeout(50*time.Millisecond))
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read from a connection whose handshake timed out = %v, want EOF", err)
	}
}
