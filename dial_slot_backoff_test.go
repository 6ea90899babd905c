// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// Backoff is per pool slot: against a dead server, each of the n slots of
// WithConnections(n) dials once and then backs off on its own, so 8 calls
// in a row make n dials (4 with 4 connections, 1 with 1) and the others
// fail at once; when the backoff ends, every slot may dial again.
func TestDialBackoffIsPerSlot(t *testing.T) {
	leakcheck.Check(t)
	for _, n := range []int{1, 4} {
		clock := &fakeClock{now: time.Unix(1000, 0)}
		var dials atomic.Int32
		refuse := func(ctx context.Context) (net.Conn, error) {
			dials.Add(1)
			return nil, syscall.ECONNREFUSED
		}
		c := NewClientWithDialer(refuse, WithClientLogger(quietLogger), WithConnections(n),
			WithDialBackoff(time.Second, time.Second))
		c.config.dial.now = clock.Now
		c.config.dial.random = func() float64 { return 0.5 } // no jitter
		for round := range 2 {
			dials.Store(0)
			for range 8 {
				if _, err := echo(context.Background(), c, "x"); !errors.Is(err, ErrClosed) {
					t.Fatalf("call with the server down = %v, want ErrClosed", err)
				}
			}
			if got := dials.Load(); got != int32(n) {
				t.Fatalf("WithConnections(%d), round %d: 8 calls made %d dials, want %d", n, round, got, n)
			}
			clock.advance(time.Second) // every slot's backoff ends
		}
		c.Close()
	}
}
