// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package prometheus

import (
	prom "github.com/prometheus/client_golang/prometheus"

	"github.com/featherrpc/ttrpc"
)

// serverCollector exports a Server's counts as gauges.
type serverCollector struct {
	server                *ttrpc.Server
	conns, calls, streams *prom.Desc
}

// NewServerCollector returns a collector of s's current counts: open
// connections, and unary calls and streams in flight, read with one call to
// s.Counts at every scrape. constLabels, which may be nil, tell servers
// apart when a program has several.
func NewServerCollector(s *ttrpc.Server, constLabels prom.Labels) prom.Collector {
	return &serverCollector{
		server: s,
		conns: prom.NewDesc("ttrpc_server_connections",
			"Connections open on the server, handshaking or serving.", nil, constLabels),
		calls: prom.NewDesc("ttrpc_server_calls_in_flight",
			"Unary calls the server is handling.", nil, constLabels),
		streams: prom.NewDesc("ttrpc_server_streams_in_flight",
			"Streams open on the server.", nil, constLabels),
	}
}

// Describe implements prometheus.Collector.
func (c *serverCollector) Describe(ch chan<- *prom.Desc) {
	ch <- c.conns
	ch <- c.calls
	ch <- c.streams
}

// Collect implements prometheus.Collector.
func (c *serverCollector) Collect(ch chan<- prom.Metric) {
	n := c.server.Counts()
	ch <- prom.MustNewConstMetric(c.conns, prom.GaugeValue, float64(n.Connections))
	ch <- prom.MustNewConstMetric(c.calls, prom.GaugeValue, float64(n.Calls))
	ch <- prom.MustNewConstMetric(c.streams, prom.GaugeValue, float64(n.Streams))
}

// clientCollector exports a Client's counts as gauges.
type clientCollector struct {
	client         *ttrpc.Client
	calls, streams *prom.Desc
}

// NewClientCollector returns a collector of c's current counts: unary calls
// and streams in flight, read with one call to c.Counts at every scrape.
// constLabels, which may be nil, tell clients apart (the server each one
// talks to, say) when a program has several.
func NewClientCollector(c *ttrpc.Client, constLabels prom.Labels) prom.Collector {
	return &clientCollector{
		client: c,
		calls: prom.NewDesc("ttrpc_client_calls_in_flight",
			"Unary calls the client is waiting for.", nil, constLabels),
		streams: prom.NewDesc("ttrpc_client_streams_in_flight",
			"Streams open on the client.", nil, constLabels),
	}
}

// Describe implements prometheus.Collector.
func (c *clientCollector) Describe(ch chan<- *prom.Desc) {
	ch <- c.calls
	ch <- c.streams
}

// Collect implements prometheus.Collector.
func (c *clientCollector) Collect(ch chan<- prom.Metric) {
	n := c.client.Counts()
	ch <- prom.MustNewConstMetric(c.calls, prom.GaugeValue, float64(n.Calls))
	ch <- prom.MustNewConstMetric(c.streams, prom.GaugeValue, float64(n.Streams))
}
