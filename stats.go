// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

// Side tells which end of a connection an event comes from.
type Side uint8

const (
	// ClientSide events come from a Client.
	ClientSide Side = iota + 1
	// ServerSide events come from a Server.
	ServerSide
)

// String returns "client" or "server".
func (s Side) String() string {
	switch s {
	case ClientSide:
		return "client"
	case ServerSide:
		return "server"
	}
	return "unknown"
}

// ConnStats describes a connection that opened or closed.
type ConnStats struct {
	_          noCompare
	Side       Side
	Closed     bool // false when the connection opened
	LocalAddr  net.Addr
	RemoteAddr net.Addr
	// Err is why the connection closed (nil when it opened). A Client
	// closed by Close reports ErrClosed; a Server's connection closed by
	// Shutdown or Close reports ErrServerClosed.
	Err error
}

// CallStats describes a unary call or a stream that started or ended.
type CallStats struct {
	_          noCompare
	Side       Side
	FullMethod string // "/" + service + "/" + method
	// StreamingClient and StreamingServer are both false for a unary call.
	StreamingClient bool
	StreamingServer bool
	Ended           bool // false when the call started

	// Set when Ended:

	// Code is the call's outcome: OK, the status code of its error,
	// CANCELED or DEADLINE_EXCEEDED when its context ended, UNAVAILABLE when
	// its connection closed, UNKNOWN for other errors.
	Code codes.Code
	// BytesIn and BytesOut count the frame data received and sent for the
	// call (envelopes included, frame headers not).
	BytesIn, BytesOut int64
	Duration          time.Duration
}

// StatsHandler observes the connections and calls of a Client or Server
// (WithClientStatsHandler, WithServerStatsHandler). Its methods run
// synchronously on the library's goroutines, possibly concurrently: they
// must be quick and must not block. A call's start and end are reported
// from the goroutines that see them, so a handler correlating the two
// should key on something of its own (the counts need no correlation).
type StatsHandler interface {
	HandleConn(ConnStats)
	HandleCall(CallStats)
}

// statsReporter is what a client or server reports its calls and
// connections through; nil without a StatsHandler. Its one implementation,
// handlerStats, is made only by WithServerStatsHandler and
// WithClientStatsHandler, so that a program that sets no handler links
// none of the reporting code.
type statsReporter interface {
	beginCall(side Side, full string, streamingClient, streamingServer bool) *callStats
	endCall(cs *callStats, err error)
	conn(side Side, conn net.Conn, closed bool, err error)
}

// newStatsReporter reports to h; nil for a nil h.
func newStatsReporter(h StatsHandler) statsReporter {
	if h == nil {
		return nil
	}
	return &handlerStats{h: h}
}

// handlerStats reports to a StatsHandler.
type handlerStats struct{ h StatsHandler }

func (r *handlerStats) beginCall(side Side, full string, streamingClient, streamingServer bool) *callStats {
	cs := &callStats{reporter: r, start: time.Now(), info: CallStats{
		Side:            side,
		FullMethod:      full,
		StreamingClient: streamingClient,
		StreamingServer: streamingServer,
	}}
	r.h.HandleCall(cs.info)
	return cs
}

func (r *handlerStats) endCall(cs *callStats, err error) {
	info := cs.info
	info.Ended = true
	info.Code = statsCode(err)
	info.BytesIn = cs.bytesIn.Load()
	info.BytesOut = cs.bytesOut.Load()
	info.Duration = time.Since(cs.start)
	r.h.HandleCall(info)
}

func (r *handlerStats) conn(side Side, conn net.Conn, closed bool, err error) {
	r.h.HandleConn(ConnStats{
		Side: side, Closed: closed, Err: err,
		LocalAddr: conn.LocalAddr(), RemoteAddr: conn.RemoteAddr(),
	})
}

// callStats accumulates the figures of one call for its StatsHandler. A nil
// *callStats (no handler) records nothing, so the hot path pays a nil check.
type callStats struct {
	_        noCompare
	reporter statsReporter
	info     CallStats
	start    time.Time
	bytesIn  atomic.Int64
	bytesOut atomic.Int64
	ended    atomic.Bool
}

// beginCallStats reports a call's start through r and returns its
// accumulator, or nil when r is nil.
func beginCallStats(r statsReporter, side Side, full string, streamingClient, streamingServer bool) *callStats {
	if r == nil {
		return nil
	}
	return r.beginCall(side, full, streamingClient, streamingServer)
}

func (cs *callStats) received(n int) {
	if cs != nil {
		cs.bytesIn.Add(int64(n))
	}
}

func (cs *callStats) sent(n int) {
	if cs != nil {
		cs.bytesOut.Add(int64(n))
	}
}

// end reports the call's end once, with the code of err.
func (cs *callStats) end(err error) {
	if cs != nil && cs.ended.CompareAndSwap(false, true) {
		cs.reporter.endCall(cs, err)
	}
}

// statsCode classifies a call's outcome for CallStats.Code.
func statsCode(err error) codes.Code {
	switch {
	case err == nil || err == io.EOF:
		return codes.OK
	case errors.Is(err, ErrClosed), errors.Is(err, ErrServerClosed):
		return codes.Unavailable
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return status.FromContextError(err).Code()
	}
	return status.Code(err)
}

// reportConn reports a connection event through r, if set.
func reportConn(r statsReporter, side Side, conn net.Conn, closed bool, err error) {
	if r != nil {
		r.conn(side, conn, closed, err)
	}
}

// ClientCounts are a Client's current figures.
type ClientCounts struct {
	// Connections counts the connections that are up: 1 or 0 for a client
	// made by NewClient, up to WithConnections for one made by
	// NewClientWithDialer.
	Connections int
	Calls       int // unary calls in flight
	Streams     int // streams open
}

// ServerCounts are a Server's current figures.
type ServerCounts struct {
	Connections int // connections open (handshaking or serving)
	Calls       int // unary calls in flight, over all connections
	Streams     int // streams open, over all connections
	// Abandoned counts the handlers still running after the server
	// answered their calls without them: their deadline passed, or the
	// call failed (its stream overflowed, its id was reused). A goroutine
	// cannot be stopped from outside; these are the handlers that ignore
	// their context. Each still counts against its connection's
	// WithServerMaxConcurrentRequests until it returns.
	Abandoned int
}

// inFlightCounts counts calls and streams in flight; safe for concurrent
// use.
type inFlightCounts struct {
	_              noCompare
	calls, streams atomic.Int64
	abandoned      atomic.Int64 // see ServerCounts.Abandoned
}

func (c *inFlightCounts) add(stream bool, delta int64) {
	if stream {
		c.streams.Add(delta)
	} else {
		c.calls.Add(delta)
	}
}
