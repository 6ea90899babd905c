// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package prometheus_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/memconn"
	ttrpcprom "github.com/featherrpc/ttrpc/prometheus"
	"github.com/featherrpc/ttrpc/status"
)

const service = "metrics.test.v1.Test"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testService: Echo echoes, Fail fails with NOT_FOUND, Wait and the bidi
// stream Hold wait until release closes, and the server stream Count sends
// as many messages as the request says.
func testService(release <-chan struct{}) *ttrpc.ServiceDesc {
	return &ttrpc.ServiceDesc{
		Methods: map[string]ttrpc.Method{
			"Echo": func(_ context.Context, unmarshal func(interface{}) error) (interface{}, error) {
				req := &wrapperspb.StringValue{}
				return req, unmarshal(req)
			},
			"Fail": func(context.Context, func(interface{}) error) (interface{}, error) {
				return nil, status.Error(codes.NotFound, "no such thing")
			},
			"Wait": func(context.Context, func(interface{}) error) (interface{}, error) {
				<-release
				return &wrapperspb.StringValue{}, nil
			},
		},
		Streams: map[string]ttrpc.Stream{
			"Count": {StreamingServer: true, Handler: func(_ context.Context, ss ttrpc.StreamServer) (interface{}, error) {
				req := &wrapperspb.UInt32Value{}
				if err := ss.RecvMsg(req); err != nil {
					return nil, err
				}
				for i := range req.Value {
					if err := ss.SendMsg(wrapperspb.UInt32(i)); err != nil {
						return nil, err
					}
				}
				return nil, nil
			}},
			"Hold": {StreamingClient: true, StreamingServer: true, Handler: func(context.Context, ttrpc.StreamServer) (interface{}, error) {
				<-release
				return nil, nil
			}},
		},
	}
}

func TestMetricsOfServerAndClient(t *testing.T) {
	leakcheck.Check(t)
	stats := ttrpcprom.NewStatsHandler()
	release := make(chan struct{})
	server, client, stop := observedPair(t, stats, release)
	defer stop()

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(stats,
		ttrpcprom.NewServerCollector(server, prometheus.Labels{"server": "test"}),
		ttrpcprom.NewClientCollector(client, nil))

	ctx := context.Background()
	for range 3 {
		if err := client.Call(ctx, service, "Echo", wrapperspb.String("hi"), &wrapperspb.StringValue{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := client.Call(ctx, service, "Fail", wrapperspb.String(""), nil); status.Code(err) != codes.NotFound {
		t.Fatalf("Fail = %v", err)
	}
	count, err := client.NewStream(ctx, &ttrpc.StreamDesc{StreamingServer: true}, service, "Count", wrapperspb.UInt32(3))
	if err != nil {
		t.Fatal(err)
	}
	drain(t, count)

	// One call and one stream in flight: the gauges show them.
	waited := make(chan error, 1)
	go func() { waited <- client.Call(ctx, service, "Wait", wrapperspb.String(""), &wrapperspb.StringValue{}) }()
	hold, err := client.NewStream(ctx, &ttrpc.StreamDesc{StreamingClient: true, StreamingServer: true}, service, "Hold", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { n := server.Counts(); return n.Calls == 1 && n.Streams == 1 })
	const gauges = `
# HELP ttrpc_client_calls_in_flight Unary calls the client is waiting for.
# TYPE ttrpc_client_calls_in_flight gauge
ttrpc_client_calls_in_flight 1
# HELP ttrpc_client_streams_in_flight Streams open on the client.
# TYPE ttrpc_client_streams_in_flight gauge
ttrpc_client_streams_in_flight 1
# HELP ttrpc_server_calls_in_flight Unary calls the server is handling.
# TYPE ttrpc_server_calls_in_flight gauge
ttrpc_server_calls_in_flight{server="test"} 1
# HELP ttrpc_server_connections Connections open on the server, handshaking or serving.
# TYPE ttrpc_server_connections gauge
ttrpc_server_connections{server="test"} 1
# HELP ttrpc_server_streams_in_flight Streams open on the server.
# TYPE ttrpc_server_streams_in_flight gauge
ttrpc_server_streams_in_flight{server="test"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(gauges),
		"ttrpc_client_calls_in_flight", "ttrpc_client_streams_in_flight",
		"ttrpc_server_calls_in_flight", "ttrpc_server_connections", "ttrpc_server_streams_in_flight"); err != nil {
		t.Fatal(err)
	}

	close(release)
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	drain(t, hold)
	// The server reports a call's end before its counts drop (but after it
	// has sent the answer): every end is reported once they are zero.
	waitFor(t, func() bool { n := server.Counts(); return n.Calls == 0 && n.Streams == 0 })

	const calls = `
# HELP ttrpc_calls_handled_total Unary calls and streams ended, by status code.
# TYPE ttrpc_calls_handled_total counter
ttrpc_calls_handled_total{code="NotFound",method="Fail",service="metrics.test.v1.Test",side="client",type="unary"} 1
ttrpc_calls_handled_total{code="NotFound",method="Fail",service="metrics.test.v1.Test",side="server",type="unary"} 1
ttrpc_calls_handled_total{code="OK",method="Count",service="metrics.test.v1.Test",side="client",type="server_stream"} 1
ttrpc_calls_handled_total{code="OK",method="Count",service="metrics.test.v1.Test",side="server",type="server_stream"} 1
ttrpc_calls_handled_total{code="OK",method="Echo",service="metrics.test.v1.Test",side="client",type="unary"} 3
ttrpc_calls_handled_total{code="OK",method="Echo",service="metrics.test.v1.Test",side="server",type="unary"} 3
ttrpc_calls_handled_total{code="OK",method="Hold",service="metrics.test.v1.Test",side="client",type="bidi_stream"} 1
ttrpc_calls_handled_total{code="OK",method="Hold",service="metrics.test.v1.Test",side="server",type="bidi_stream"} 1
ttrpc_calls_handled_total{code="OK",method="Wait",service="metrics.test.v1.Test",side="client",type="unary"} 1
ttrpc_calls_handled_total{code="OK",method="Wait",service="metrics.test.v1.Test",side="server",type="unary"} 1
# HELP ttrpc_calls_started_total Unary calls and streams started.
# TYPE ttrpc_calls_started_total counter
ttrpc_calls_started_total{method="Count",service="metrics.test.v1.Test",side="client",type="server_stream"} 1
ttrpc_calls_started_total{method="Count",service="metrics.test.v1.Test",side="server",type="server_stream"} 1
ttrpc_calls_started_total{method="Echo",service="metrics.test.v1.Test",side="client",type="unary"} 3
ttrpc_calls_started_total{method="Echo",service="metrics.test.v1.Test",side="server",type="unary"} 3
ttrpc_calls_started_total{method="Fail",service="metrics.test.v1.Test",side="client",type="unary"} 1
ttrpc_calls_started_total{method="Fail",service="metrics.test.v1.Test",side="server",type="unary"} 1
ttrpc_calls_started_total{method="Hold",service="metrics.test.v1.Test",side="client",type="bidi_stream"} 1
ttrpc_calls_started_total{method="Hold",service="metrics.test.v1.Test",side="server",type="bidi_stream"} 1
ttrpc_calls_started_total{method="Wait",service="metrics.test.v1.Test",side="client",type="unary"} 1
ttrpc_calls_started_total{method="Wait",service="metrics.test.v1.Test",side="server",type="unary"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(calls), "ttrpc_calls_started_total", "ttrpc_calls_handled_total"); err != nil {
		t.Fatal(err)
	}

	for _, side := range []string{"client", "server"} {
		h := histogram(t, reg, "ttrpc_call_duration_seconds", "side", side, "method", "Echo")
		if h.GetSampleCount() != 3 || h.GetSampleSum() <= 0 {
			t.Errorf("%s Echo durations: %d samples, sum %v", side, h.GetSampleCount(), h.GetSampleSum())
		}
		// The client sends requests and the server responses; the
		// responses of Count are three data frames and a final response.
		for _, m := range []string{"ttrpc_call_received_bytes_total", "ttrpc_call_sent_bytes_total"} {
			if v := value(t, reg, m, "side", side, "method", "Count"); v <= 0 {
				t.Errorf("%s{side=%q,method=Count} = %v", m, side, v)
			}
		}
	}
	in := value(t, reg, "ttrpc_call_received_bytes_total", "side", "client", "method", "Count")
	out := value(t, reg, "ttrpc_call_sent_bytes_total", "side", "server", "method", "Count")
	if in != out {
		t.Errorf("the client received %v bytes of Count, the server sent %v", in, out)
	}

	client.Close()
	waitFor(t, func() bool { return value(t, reg, "ttrpc_connections_closed_total", "side", "server") == 1 })
	for _, side := range []string{"client", "server"} {
		if v := value(t, reg, "ttrpc_connections_opened_total", "side", side); v != 1 {
			t.Errorf("%s connections opened = %v, want 1", side, v)
		}
	}
	waitFor(t, func() bool { return value(t, reg, "ttrpc_server_connections") == 0 })
}

// drain reads s until it ends, which must be with io.EOF.
func drain(t *testing.T, s ttrpc.ClientStream) {
	t.Helper()
	for {
		err := s.RecvMsg(&wrapperspb.UInt32Value{})
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// find gathers reg and returns the sample of family name whose labels
// include the given name-value pairs, or nil.
func find(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) *dto.Metric {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue metrics
				}
			}
			return m
		}
	}
	return nil
}

// value returns the value of a counter or gauge sample, 0 when missing.
func value(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	m := find(t, reg, name, labels...)
	switch {
	case m == nil:
		return 0
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	t.Fatalf("%s is neither a counter nor a gauge", name)
	return 0
}

// histogram returns a histogram sample, failing the test when it is missing.
func histogram(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) *dto.Histogram {
	t.Helper()
	m := find(t, reg, name, labels...)
	if m == nil || m.Histogram == nil {
		t.Fatalf("no histogram %s%v", name, labels)
	}
	return m.Histogram
}

// waitFor polls cond until it holds, failing the test after 5 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// observedPair serves testService(release) over memconn with a server and
// a client that both report to stats. stop closes the client and the
// server and waits for Serve; it runs at the test's end if not before.
func observedPair(t *testing.T, stats ttrpc.StatsHandler, release <-chan struct{}) (server *ttrpc.Server, client *ttrpc.Client, stop func()) {
	t.Helper()
	server, err := ttrpc.NewServer(ttrpc.WithServerStatsHandler(stats), ttrpc.WithServerLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	server.RegisterService(service, testService(release))
	l := memconn.Listen()
	served := make(chan error, 1)
	// Owner: stop; Serve returns when stop closes the server.
	go func() { served <- server.Serve(context.Background(), l) }()
	conn, err := l.Dial()
	if err != nil {
		server.Close()
		<-served
		t.Fatal(err)
	}
	client = ttrpc.NewClient(conn, ttrpc.WithClientStatsHandler(stats), ttrpc.WithClientLogger(quiet))
	stop = sync.OnceFunc(func() {
		client.Close()
		server.Close()
		<-served
	})
	t.Cleanup(stop)
	return server, client, stop
}
