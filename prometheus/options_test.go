// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package prometheus_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	ttrpcprom "github.com/featherrpc/ttrpc/prometheus"
)

// echoOnce serves the test service with stats on an in-memory pipe, makes
// one Echo call through a client observed by the same stats, and closes
// both.
func echoOnce(t *testing.T, stats ttrpc.StatsHandler) {
	t.Helper()
	_, client, stop := observedPair(t, stats, nil)
	defer stop()
	if err := client.Call(context.Background(), service, "Echo", wrapperspb.String("hi"), &wrapperspb.StringValue{}); err != nil {
		t.Fatal(err)
	}
}

func TestWithDurationBuckets(t *testing.T) {
	leakcheck.Check(t)
	stats := ttrpcprom.NewStatsHandler(ttrpcprom.WithDurationBuckets(0.5, 60))
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(stats)
	echoOnce(t, stats)
	h := histogram(t, reg, "ttrpc_call_duration_seconds", "side", "client", "method", "Echo")
	var bounds []float64
	for _, b := range h.GetBucket() {
		bounds = append(bounds, b.GetUpperBound())
	}
	if len(bounds) != 2 || bounds[0] != 0.5 || bounds[1] != 60 {
		t.Errorf("buckets %v, want [0.5 60]", bounds)
	}
	if h.GetBucket()[1].GetCumulativeCount() != 1 {
		t.Errorf("the 60s bucket counts %d calls, want 1", h.GetBucket()[1].GetCumulativeCount())
	}
}

func TestDefaultDurationBuckets(t *testing.T) {
	stats := ttrpcprom.NewStatsHandler()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(stats)
	echoOnce(t, stats)
	h := histogram(t, reg, "ttrpc_call_duration_seconds", "side", "server", "method", "Echo")
	want := ttrpcprom.DefaultDurationBuckets()
	if len(h.GetBucket()) != len(want) || h.GetBucket()[0].GetUpperBound() != 0.00005 || h.GetBucket()[len(want)-1].GetUpperBound() != 10 {
		t.Errorf("%d buckets from %v, want the %d default ones, 50µs to 10s", len(h.GetBucket()), h.GetBucket()[0].GetUpperBound(), len(want))
	}
	// The slice is the caller's: changing it changes no later handler.
	want[0] = 42
	if ttrpcprom.DefaultDurationBuckets()[0] != 0.00005 {
		t.Error("DefaultDurationBuckets returned a shared slice")
	}
}

// Two StatsHandlers with different constant labels share a registry.
func TestWithConstLabels(t *testing.T) {
	leakcheck.Check(t)
	a := ttrpcprom.NewStatsHandler(ttrpcprom.WithConstLabels(prometheus.Labels{"shim": "a"}))
	b := ttrpcprom.NewStatsHandler(ttrpcprom.WithConstLabels(prometheus.Labels{"shim": "b"}))
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(a, b)
	echoOnce(t, a)
	echoOnce(t, a)
	echoOnce(t, b)
	for shim, want := range map[string]float64{"a": 2, "b": 1} {
		if v := value(t, reg, "ttrpc_calls_handled_total", "shim", shim, "side", "server", "method", "Echo"); v != want {
			t.Errorf("shim %s: %v calls handled, want %v", shim, v, want)
		}
		if v := value(t, reg, "ttrpc_connections_opened_total", "shim", shim, "side", "client"); v != want {
			t.Errorf("shim %s: %v connections opened, want %v", shim, v, want)
		}
	}
}
