// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package metrics exports what a ttrpc Server or Client observes as
// Prometheus metrics: a ttrpc.StatsHandler that counts connections, calls,
// status codes, bytes and durations, and collectors that read the current
// counts (Server.Counts, Client.Counts) at every scrape.
//
//	stats := metrics.NewStatsHandler()
//	server, _ := ttrpc.NewServer(ttrpc.WithServerStatsHandler(stats))
//	prometheus.MustRegister(stats, metrics.NewServerCollector(server, nil))
//	// and the same StatsHandler for clients: ttrpc.WithClientStatsHandler(stats)
//
// Then serve prometheus.DefaultGatherer with promhttp.Handler(), as any Go
// program does. The metrics, each labelled with the side ("server" or
// "client") that saw it:
//
//	ttrpc_connections_opened_total{side}
//	ttrpc_connections_closed_total{side}
//	ttrpc_calls_started_total{side,service,method,type}
//	ttrpc_calls_handled_total{side,service,method,type,code}
//	ttrpc_call_duration_seconds{side,service,method,type}      (histogram)
//	ttrpc_call_received_bytes_total{side,service,method,type}
//	ttrpc_call_sent_bytes_total{side,service,method,type}
//	ttrpc_server_connections                                  (gauge, NewServerCollector)
//	ttrpc_server_calls_in_flight, ttrpc_server_streams_in_flight  (gauges)
//	ttrpc_client_calls_in_flight, ttrpc_client_streams_in_flight  (gauges, NewClientCollector)
//
// type is "unary", "client_stream", "server_stream" or "bidi_stream", and
// code the status code's name ("OK", "NotFound", ...), as grpc's
// Prometheus middleware names them. A server reports only the methods it
// has registered, so requests for unknown methods cannot blow up the
// number of label values; a client reports the methods it calls.
//
// This is an example, in a module of its own so that the ttrpc module does
// not depend on Prometheus; copy it and adapt names and buckets.
package metrics

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/featherrpc/ttrpc"
)

// DurationBuckets are the buckets of ttrpc_call_duration_seconds, in
// seconds: from 50µs, for calls between processes of one host, to 10s.
var DurationBuckets = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}

// StatsHandler is a ttrpc.StatsHandler that records Prometheus metrics, and
// the prometheus.Collector that exports them. One StatsHandler may serve any
// number of servers and clients; its methods are safe for concurrent use
// and cheap enough to run on the library's goroutines.
type StatsHandler struct {
	connsOpened *prometheus.CounterVec
	connsClosed *prometheus.CounterVec
	started     *prometheus.CounterVec
	handled     *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	received    *prometheus.CounterVec
	sent        *prometheus.CounterVec
}

// NewStatsHandler returns a StatsHandler with no metrics recorded yet.
// Register it with a prometheus.Registerer to export them.
func NewStatsHandler() *StatsHandler {
	callLabels := []string{"side", "service", "method", "type"}
	return &StatsHandler{
		connsOpened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ttrpc_connections_opened_total",
			Help: "Connections opened (on a server: accepted).",
		}, []string{"side"}),
		connsClosed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ttrpc_connections_closed_total",
			Help: "Connections closed.",
		}, []string{"side"}),
		started: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ttrpc_calls_started_total",
			Help: "Unary calls and streams started.",
		}, callLabels),
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ttrpc_calls_handled_total",
			Help: "Unary calls and streams ended, by status code.",
		}, append(callLabels, "code")),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ttrpc_call_duration_seconds",
			Help:    "Duration of unary calls and streams, from start to end.",
			Buckets: DurationBuckets,
		}, callLabels),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ttrpc_call_received_bytes_total",
			Help: "Bytes of frame data received by calls and streams, envelopes included.",
		}, callLabels),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ttrpc_call_sent_bytes_total",
			Help: "Bytes of frame data sent by calls and streams, envelopes included.",
		}, callLabels),
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
func (h *StatsHandler) collectors() []prometheus.Collector {
	return []prometheus.Collector{h.connsOpened, h.connsClosed, h.started, h.handled, h.duration, h.received, h.sent}
}

// Describe implements prometheus.Collector.
func (h *StatsHandler) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range h.collectors() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (h *StatsHandler) Collect(ch chan<- prometheus.Metric) {
	for _, c := range h.collectors() {
		c.Collect(ch)
	}
}

// splitMethod splits "/service/method" into its two names.
func splitMethod(full string) (service, method string) {
	service, method, _ = strings.Cut(strings.TrimPrefix(full, "/"), "/")
	return service, method
}

// callType names the kind of call, as grpc's Prometheus middleware does.
func callType(streamingClient, streamingServer bool) string {
	switch {
	case streamingClient && streamingServer:
		return "bidi_stream"
	case streamingClient:
		return "client_stream"
	case streamingServer:
		return "server_stream"
	}
	return "unary"
}

// serverCollector exports a Server's counts as gauges.
type serverCollector struct {
	server                *ttrpc.Server
	conns, calls, streams *prometheus.Desc
}

// NewServerCollector returns a collector of s's current counts: open
// connections, and unary calls and streams in flight, read with one call to
// s.Counts at every scrape. constLabels, which may be nil, tell servers
// apart when a program has several.
func NewServerCollector(s *ttrpc.Server, constLabels prometheus.Labels) prometheus.Collector {
	return &serverCollector{
		server: s,
		conns: prometheus.NewDesc("ttrpc_server_connections",
			"Connections open on the server, handshaking or serving.", nil, constLabels),
		calls: prometheus.NewDesc("ttrpc_server_calls_in_flight",
			"Unary calls the server is handling.", nil, constLabels),
		streams: prometheus.NewDesc("ttrpc_server_streams_in_flight",
			"Streams open on the server.", nil, constLabels),
	}
}

// Describe implements prometheus.Collector.
func (c *serverCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.conns
	ch <- c.calls
	ch <- c.streams
}

// Collect implements prometheus.Collector.
func (c *serverCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.server.Counts()
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(n.Connections))
	ch <- prometheus.MustNewConstMetric(c.calls, prometheus.GaugeValue, float64(n.Calls))
	ch <- prometheus.MustNewConstMetric(c.streams, prometheus.GaugeValue, float64(n.Streams))
}

// clientCollector exports a Client's counts as gauges.
type clientCollector struct {
	client         *ttrpc.Client
	calls, streams *prometheus.Desc
}

// NewClientCollector returns a collector of c's current counts: unary calls
// and streams in flight, read with one call to c.Counts at every scrape.
// constLabels, which may be nil, tell clients apart (the server each one
// talks to, say) when a program has several.
func NewClientCollector(c *ttrpc.Client, constLabels prometheus.Labels) prometheus.Collector {
	return &clientCollector{
		client: c,
		calls: prometheus.NewDesc("ttrpc_client_calls_in_flight",
			"Unary calls the client is waiting for.", nil, constLabels),
		streams: prometheus.NewDesc("ttrpc_client_streams_in_flight",
			"Streams open on the client.", nil, constLabels),
	}
}

// Describe implements prometheus.Collector.
func (c *clientCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.calls
	ch <- c.streams
}

// Collect implements prometheus.Collector.
func (c *clientCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.client.Counts()
	ch <- prometheus.MustNewConstMetric(c.calls, prometheus.GaugeValue, float64(n.Calls))
	ch <- prometheus.MustNewConstMetric(c.streams, prometheus.GaugeValue, float64(n.Streams))
}
