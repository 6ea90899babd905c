// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package prometheus exports what a ttrpc Server or Client observes as
// Prometheus metrics: a ttrpc.StatsHandler that counts connections, calls,
// status codes, bytes and durations, and collectors that read the current
// counts (Server.Counts, Client.Counts) at every scrape. Import it under a
// name of its own, as it shares its name with Prometheus' package:
//
//	import ttrpcprom "github.com/featherrpc/ttrpc/prometheus"
//
//	stats := ttrpcprom.NewStatsHandler()
//	server, _ := ttrpc.NewServer(ttrpc.WithServerStatsHandler(stats))
//	prometheus.MustRegister(stats, ttrpcprom.NewServerCollector(server, nil))
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
// The names, labels and buckets are this module's API: they change only
// with its major version. WithDurationBuckets and WithConstLabels adapt
// them.
package prometheus
