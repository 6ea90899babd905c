// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package prometheus

import (
	prom "github.com/prometheus/client_golang/prometheus"

	"github.com/featherrpc/ttrpc"
)

// StatsHandler is a ttrpc.StatsHandler that records Prometheus metrics, and
// the prometheus.Collector that exports them. One StatsHandler may serve any
// number of servers and clients; its methods are safe for concurrent use
// and cheap enough to run on the library's goroutines.
type StatsHandler struct {
	connsOpened *prom.CounterVec
	connsClosed *prom.CounterVec
	started     *prom.CounterVec
	handled     *prom.CounterVec
	duration    *prom.HistogramVec
	received    *prom.CounterVec
	sent        *prom.CounterVec
}

// NewStatsHandler returns a StatsHandler with no metrics recorded yet.
// Register it with a prometheus.Registerer to export them.
func NewStatsHandler(opts ...Option) *StatsHandler {
	cfg := newConfig(opts)
	callLabels := []string{"side", "service", "method", "type"}
	counter := func(name, help string, labels []string) *prom.CounterVec {
		return prom.NewCounterVec(prom.CounterOpts{Name: name, Help: help, ConstLabels: cfg.constLabels}, labels)
	}
	return &StatsHandler{
		connsOpened: counter("ttrpc_connections_opened_total",
			"Connections opened (on a server: accepted).", []string{"side"}),
		connsClosed: counter("ttrpc_connections_closed_total",
			"Connections closed.", []string{"side"}),
		started: counter("ttrpc_calls_started_total",
			"Unary calls and streams started.", callLabels),
		handled: counter("ttrpc_calls_handled_total",
			"Unary calls and streams ended, by status code.", append(callLabels, "code")),
		duration: prom.NewHistogramVec(prom.HistogramOpts{
			Name:        "ttrpc_call_duration_seconds",
			Help:        "Duration of unary calls and streams, from start to end.",
			ConstLabels: cfg.constLabels,
			Buckets:     cfg.buckets,
		}, callLabels),
		received: counter("ttrpc_call_received_bytes_total",
			"Bytes of frame data received by calls and streams, envelopes included.", callLabels),
		sent: counter("ttrpc_call_sent_bytes_total",
			"Bytes of frame data sent by calls and streams, envelopes included.", callLabels),
	}
}

// HandleConn counts a connection that opened or closed.
func (h *StatsHandler) HandleConn(s ttrpc.ConnStats) {
	if s.Closed {
		h.connsClosed.WithLabelValues(s.Side.String()).Inc()
	} else {
		h.connsOpened.WithLabelValues(s.Side.String()).Inc()
	}
}

// HandleCall counts a call that started, or records the outcome, size and
// duration of one that ended.
func (h *StatsHandler) HandleCall(s ttrpc.CallStats) {
	service, method := splitMethod(s.FullMethod)
	labels := []string{s.Side.String(), service, method, callType(s.StreamingClient, s.StreamingServer)}
	if !s.Ended {
		h.started.WithLabelValues(labels...).Inc()
		return
	}
	h.handled.WithLabelValues(append(labels, s.Code.String())...).Inc()
	h.duration.WithLabelValues(labels...).Observe(s.Duration.Seconds())
	h.received.WithLabelValues(labels...).Add(float64(s.BytesIn))
	h.sent.WithLabelValues(labels...).Add(float64(s.BytesOut))
}

// collectors lists the metric vectors, for Describe and Collect.
func (h *StatsHandler) collectors() []prom.Collector {
	return []prom.Collector{h.connsOpened, h.connsClosed, h.started, h.handled, h.duration, h.received, h.sent}
}

// Describe implements prometheus.Collector.
func (h *StatsHandler) Describe(ch chan<- *prom.Desc) {
	for _, c := range h.collectors() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (h *StatsHandler) Collect(ch chan<- prom.Metric) {
	for _, c := range h.collectors() {
		c.Collect(ch)
	}
}
