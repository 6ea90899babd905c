// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// recordingStats is a StatsHandler that keeps every event.
type recordingStats struct {
	mu    sync.Mutex
	conns []ConnStats
	calls []CallStats
}

func (r *recordingStats) HandleConn(s ConnStats) {
	r.mu.Lock()
	r.conns = append(r.conns, s)
	r.mu.Unlock()
}
func (r *recordingStats) HandleCall(s CallStats) {
	r.mu.Lock()
	r.calls = append(r.calls, s)
	r.mu.Unlock()
}

// ended returns the end events of calls to full.
func (r *recordingStats) ended(full string) []CallStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []CallStats
	for _, c := range r.calls {
		if c.Ended && c.FullMethod == full {
			out = append(out, c)
		}
	}
	return out
}

func (r *recordingStats) connEvents() []ConnStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ConnStats(nil), r.conns...)
}

func TestStatsHandlerSeesUnaryCallsOnBothSides(t *testing.T) {
	leakcheck.Check(t)
	serverStats, clientStats := &recordingStats{}, &recordingStats{}
	_, path := newTestServer(t, WithServerStatsHandler(serverStats))
	c := dialClient(t, path, WithClientStatsHandler(clientStats))
	mustEcho(t, c)
	err := c.Call(context.Background(), testService, "Fail", wrapperspb.UInt32(uint32(codes.NotFound)), nil)
	wantCode(t, err, codes.NotFound)

	for _, r := range []*recordingStats{clientStats, serverStats} {
		// A server reports a call's end after sending its answer: wait for both.
		waitFor(t, func() bool {
			return len(r.ended("/"+testService+"/Fail")) == 1 && len(r.ended("/"+testService+"/Echo")) == 1
		})
		echoes := r.ended("/" + testService + "/Echo")
		if len(echoes) != 1 || echoes[0].Code != codes.OK || echoes[0].BytesIn == 0 || echoes[0].BytesOut == 0 ||
			echoes[0].Duration <= 0 || echoes[0].StreamingClient || echoes[0].StreamingServer {
			t.Fatalf("Echo end events = %+v", echoes)
		}
		if fail := r.ended("/" + testService + "/Fail"); fail[0].Code != codes.NotFound {
			t.Fatalf("Fail ended with %v, want NotFound", fail[0].Code)
		}
	}
	if s := serverStats.ended("/" + testService + "/Echo")[0].Side; s != ServerSide {
		t.Errorf("server event side = %v", s)
	}
	c.Close()
	waitFor(t, func() bool { return len(serverStats.connEvents()) == 2 })
	for _, r := range []*recordingStats{clientStats, serverStats} {
		events := r.connEvents()
		if len(events) != 2 || events[0].Closed || !events[1].Closed || events[1].Err == nil {
			t.Fatalf("connection events = %+v, want open then closed with a cause", events)
		}
	}
	if err := clientStats.connEvents()[1].Err; !errors.Is(err, ErrClosed) {
		t.Errorf("client close cause = %v, want ErrClosed", err)
	}
}

func TestStatsHandlerSeesStreams(t *testing.T) {
	leakcheck.Check(t)
	serverStats, clientStats := &recordingStats{}, &recordingStats{}
	s, path := newTestServer(t, WithServerStatsHandler(serverStats))
	s.RegisterService(streamService, streamTestService())
	c := dialClient(t, path, WithClientStatsHandler(clientStats))
	if got, err := divide(context.Background(), c, 5); err != nil || len(got) != 5 {
		t.Fatalf("Divide = %v, %v", got, err)
	}
	cs, err := c.NewStream(context.Background(), divideDesc, streamService, "FailAfter", wrapperspb.Int64(1))
	if err != nil {
		t.Fatal(err)
	}
	for err == nil {
		err = cs.RecvMsg(&wrapperspb.Int64Value{})
	}
	for _, r := range []*recordingStats{clientStats, serverStats} {
		full := "/" + streamService + "/Divide"
		waitFor(t, func() bool { return len(r.ended(full)) == 1 })
		e := r.ended(full)[0]
		if e.Code != codes.OK || !e.StreamingServer || e.StreamingClient || e.BytesIn == 0 || e.BytesOut == 0 {
			t.Fatalf("Divide end = %+v", e)
		}
		waitFor(t, func() bool { return len(r.ended("/"+streamService+"/FailAfter")) == 1 })
		if e := r.ended("/" + streamService + "/FailAfter")[0]; e.Code != codes.NotFound {
			t.Fatalf("FailAfter ended with %v, want NotFound", e.Code)
		}
	}
}

func TestCountsReportCallsAndStreamsInFlight(t *testing.T) {
	s, c := streamSetup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Call(ctx, testService, "Block", &wrapperspb.StringValue{}, nil) }()
	cs, err := c.NewStream(ctx, echoDesc, streamService, "Echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		sc, cc := s.Counts(), c.Counts()
		return sc == ServerCounts{Connections: 1, Calls: 1, Streams: 1} && cc == ClientCounts{Connections: 1, Calls: 1, Streams: 1}
	})
	cs.CloseSend()
	if err := cs.RecvMsg(&wrapperspb.BytesValue{}); err != io.EOF {
		t.Fatalf("RecvMsg = %v", err)
	}
	cancel()
	<-done
	waitFor(t, func() bool { return c.Counts() == ClientCounts{Connections: 1} })
	c.Close()
	if got := c.Counts(); got != (ClientCounts{}) {
		t.Fatalf("Counts after Close = %+v, want zero", got)
	}
	waitFor(t, func() bool { return s.Counts() == ServerCounts{} })
}

// By the time RecvMsg returns a stream's end, the client has reported that
// end and no longer counts the stream, so that a program reading its
// metrics after a stream has ended finds it there. The end used to be
// reported after the stream's queue had ended, on the receiver goroutine,
// while the reader could already be looking.
func TestClientStreamEndReportedBeforeRecvMsgReturnsIt(t *testing.T) {
	leakcheck.Check(t)
	clientStats := &recordingStats{}
	s, path := newTestServer(t)
	s.RegisterService(streamService, streamTestService())
	c := dialClient(t, path, WithClientStatsHandler(clientStats))
	full := "/" + streamService + "/Divide"
	for i := range 300 {
		if got, err := divide(context.Background(), c, 1); err != nil || len(got) != 1 {
			t.Fatalf("Divide = %v, %v", got, err)
		}
		if n := len(clientStats.ended(full)); n != i+1 {
			t.Fatalf("stream %d: %d ends reported once RecvMsg returned the end, want %d", i, n, i+1)
		}
		if n := c.Counts().Streams; n != 0 {
			t.Fatalf("stream %d: still counted (%d) once RecvMsg returned the end", i, n)
		}
	}
}
