// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// Shutdown and Close while 64 callers hammer a server with unary calls,
// server streams and bidi streams (the load service of load_test.go).

const (
	shutdownCallers = 64
	shutdownConns   = 4
	// shutdownWarmup is how many operations run before the server goes
	// away, and shutdownHeld how many handlers are held in flight then.
	shutdownWarmup = 300
	shutdownHeld   = 16
)

// outcomes collects the outcomes of a load run.
type outcomes struct {
	mu   sync.Mutex
	byID map[string]loadOutcome
}

func newOutcomes() *outcomes { return &outcomes{byID: map[string]loadOutcome{}} }

func (o *outcomes) record(r loadOutcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.byID[r.id] = r
}

func (o *outcomes) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.byID)
}

// hammerAndHold starts the callers, lets them make shutdownWarmup
// operations, then holds new handlers at the gate until shutdownHeld wait
// there.
func hammerAndHold(t *testing.T, h *loadHarness, out *outcomes) <-chan struct{} {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	done := h.run(ctx, shutdownCallers, 0, nil, out.record)
	eventually(t, "the callers are under way", func() bool { return out.count() >= shutdownWarmup })
	h.ls.holding.Store(true)
	eventually(t, "handlers are held in flight", func() bool { return h.ls.held.Load() >= shutdownHeld })
	return done
}

// TestShutdownUnderLoad shuts a server down while 64 callers hammer it on 4
// connections with 16 handlers in flight. Shutdown refuses new connections,
// does not return while handlers run, and lets every request it received
// finish: a call whose handler completed always gets its answer. Every other
// call fails with UNAVAILABLE (refused during shutdown) or ErrClosed, and
// then its handler never completed; no call gets an answer meant for another.
func TestShutdownUnderLoad(t *testing.T) {
	leakcheck.Check(t)
	h := newLoadHarness(t, shutdownConns, true)
	out := newOutcomes()
	done := hammerAndHold(t, h, out)

	shutdown := make(chan error, 1)
	// Owner: the test, which receives from shutdown.
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		shutdown <- h.server.Shutdown(ctx)
	}()
	eventually(t, "new connections are refused", func() bool {
		conn, err := net.Dial("unix", h.path)
		if err == nil {
			conn.Close()
		}
		return err != nil
	})
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned %v with handlers in flight", err)
	default:
	}
	held := h.ls.held.Load()
	close(h.ls.gate)
	waitDone(t, done, time.Minute, "the callers")
	select {
	case err := <-shutdown:
		if err != nil {
			t.Fatalf("Shutdown = %v", err)
		}
	case <-time.After(rawPeerTimeout):
		t.Fatal("Shutdown did not return once the handlers finished")
	}
	waitServerCounts(t, h.server, ServerCounts{})

	// Every outcome against what the server did.
	h.ls.mu.Lock()
	defer h.ls.mu.Unlock()
	out.mu.Lock()
	defer out.mu.Unlock()
	var ok, refused, closed int
	for id, o := range out.byID {
		var wrong *wrongAnswer
		switch {
		case errors.As(o.err, &wrong):
			t.Errorf("%s: %v", id, o.err)
		case o.err == nil:
			ok++
			if !h.ls.completed[id] {
				t.Errorf("%s (kind %d) succeeded, but its handler did not complete", id, o.kind)
			}
		case !errIsClosedOrUnavailable(o.err):
			t.Errorf("%s (kind %d) failed with %v, want UNAVAILABLE or ErrClosed", id, o.kind, o.err)
		case h.ls.completed[id]:
			t.Errorf("%s (kind %d) failed with %v, but its handler completed: an answer was lost", id, o.kind, o.err)
		case errors.Is(o.err, ErrClosed):
			closed++
		default:
			refused++
			if h.ls.started[id] {
				t.Errorf("%s (kind %d) was refused with %v, but its handler ran", id, o.kind, o.err)
			}
		}
	}
	for id := range h.ls.completed {
		if _, ok := out.byID[id]; !ok {
			t.Errorf("handler of %s completed, but no caller made that call", id)
		}
	}
	t.Logf("%d operations: %d succeeded (%d of them held over the start of Shutdown), %d refused with UNAVAILABLE, %d failed with ErrClosed",
		len(out.byID), ok, held, refused, closed)
}

// TestCloseUnderLoad closes a server, then (on another round) a client,
// while 64 callers hammer on 4 connections with 16 handlers in flight:
// every pending call fails with ErrClosed at once, nobody gets an answer
// meant for another, and everything is torn down.
func TestCloseUnderLoad(t *testing.T) {
	for _, side := range []string{"server", "client"} {
		t.Run(side, func(t *testing.T) {
			leakcheck.Check(t)
			conns := shutdownConns
			if side == "client" {
				conns = 1 // every caller on the client that closes
			}
			h := newLoadHarness(t, conns, true)
			out := newOutcomes()
			done := hammerAndHold(t, h, out)

			start := time.Now()
			if side == "server" {
				h.server.Close()
			} else {
				closeWithin(t, "Client.Close under load", h.clients[0].Close)
			}
			// At once: well within the bound, which only a busy machine
			// could approach.
			waitDone(t, done, rawPeerTimeout, "the callers")
			t.Logf("every caller returned %v after Close", time.Since(start).Round(time.Millisecond))
			out.mu.Lock()
			defer out.mu.Unlock()
			for id, o := range out.byID {
				var wrong *wrongAnswer
				switch {
				case errors.As(o.err, &wrong):
					t.Errorf("%s: %v", id, o.err)
				case o.err != nil && !errors.Is(o.err, ErrClosed):
					t.Errorf("%s (kind %d) failed with %v, want ErrClosed", id, o.kind, o.err)
				}
			}
			if side == "client" {
				if counts := h.clients[0].Counts(); counts != (ClientCounts{}) {
					t.Errorf("client counts %+v after Close", counts)
				}
				waitServerCounts(t, h.server, ServerCounts{})
				return
			}
			waitServerCounts(t, h.server, ServerCounts{})
		})
	}
}
