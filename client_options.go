// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"time"
)

// ClientOpts configures a Client; pass them to NewClient.
type ClientOpts func(c *Client)

// clientConfig is what the options set. NewClient resolves it once.
type clientConfig struct {
	onClose           func()
	unaryInterceptor  UnaryClientInterceptor   // set by WithUnaryClientInterceptor
	unaryChain        []UnaryClientInterceptor // set by WithChainUnaryClientInterceptor
	streamInterceptor ClientStreamInterceptor
	streamChain       []ClientStreamInterceptor
	logger            Logger
	maxRecv, maxSend  int
	streamBufferSize  int
	streamFullWait    time.Duration
	stats             statsReporter
	convertError      func(error) error // set by WithErrorConverter, or nil
	dial              dialConfig        // NewClientWithDialer only
}

func defaultClientConfig() clientConfig {
	return clientConfig{
		onClose: func() {},
		logger:  &stdLogger{},
		maxRecv: frameLengthMax,
		maxSend: frameLengthMax,

		streamBufferSize: defaultStreamBufferSize,
		streamFullWait:   defaultStreamFullWait,
		dial:             defaultDialConfig(),
	}
}

// WithOnClose sets a function that runs once, after the client's connection
// has closed (by Close or because the peer went away) and both of the
// client's goroutines have exited. For a client made by
// NewClientWithDialer it runs only on Close, after every connection has
// closed: a lost connection is dialed again, not the end of the client
// (WithOnConnectionLost reports those). UserOnCloseWait waits for it to
// return. Default: none.
func WithOnClose(onClose func()) ClientOpts {
	return func(c *Client) {
		if onClose != nil {
			c.config.onClose = onClose
		}
	}
}

// WithUnaryClientInterceptor sets the interceptor that runs first around
// every unary call; a later use replaces an earlier one. Default: none.
func WithUnaryClientInterceptor(i UnaryClientInterceptor) ClientOpts {
	return func(c *Client) {
		c.config.unaryInterceptor = i
	}
}

// WithChainUnaryClientInterceptor adds interceptors that run, in order,
// around every unary call, inside the one set by WithUnaryClientInterceptor.
// Uses accumulate. Default: none.
func WithChainUnaryClientInterceptor(interceptors ...UnaryClientInterceptor) ClientOpts {
	return func(c *Client) {
		c.config.unaryChain = append(c.config.unaryChain, interceptors...)
	}
}

// WithClientLogger sets the logger (a *slog.Logger, say) for the client's
// connection events. Expected events (the server going away) are logged at
// debug level. Default (also for nil): warnings and errors to the standard
// log package (which follows slog.SetDefault), debug messages dropped.
func WithClientLogger(logger Logger) ClientOpts {
	return func(c *Client) {
		if !isNilLogger(logger) {
			c.config.logger = logger
		}
	}
}

// unaryInterceptor resolves the interceptor options into one interceptor,
// or false when there are none.
func (cfg *clientConfig) unaryInterceptorChain() (UnaryClientInterceptor, bool) {
	list := cfg.unaryChain
	if cfg.unaryInterceptor != nil {
		list = append([]UnaryClientInterceptor{cfg.unaryInterceptor}, list...)
	}
	return chainInterceptors(list, composeUnaryClient)
}

// WithClientStreamInterceptor sets the interceptor that runs first around
// the opening of every stream; a later use replaces an earlier one. To see
// every message, it may wrap the ClientStream it returns. Default: none.
func WithClientStreamInterceptor(i ClientStreamInterceptor) ClientOpts {
	return func(c *Client) {
		c.config.streamInterceptor = i
	}
}

// WithChainClientStreamInterceptor adds interceptors that run, in order,
// around the opening of every stream, inside the one set by
// WithClientStreamInterceptor. Uses accumulate. Default: none.
func WithChainClientStreamInterceptor(interceptors ...ClientStreamInterceptor) ClientOpts {
	return func(c *Client) {
		c.config.streamChain = append(c.config.streamChain, interceptors...)
	}
}

// WithClientStreamBuffer sets the flow policy of the client's streams: a
// stream buffers up to size messages that its reader has not taken freely;
// past that, its reader must keep taking them, and when it takes none for
// wait the stream fails with ErrStreamFull. There is no cap in messages
// beyond that, but whatever the reader does a stream never buffers more
// than 16 MiB: a reader that falls that far behind fails it at once. A
// stream that failed so takes no more messages; its reader gets those it
// had buffered, then ErrStreamFull. The connection never waits for a slow
// stream. Values <= 0 keep the default. Default: 64 messages, 1 second.
func WithClientStreamBuffer(size int, wait time.Duration) ClientOpts {
	return func(c *Client) {
		if size > 0 {
			c.config.streamBufferSize = size
		}
		if wait > 0 {
			c.config.streamFullWait = wait
		}
	}
}

// streamInterceptorChain resolves the stream interceptor options into one
// interceptor, or false when there are none.
func (cfg *clientConfig) streamInterceptorChain() (ClientStreamInterceptor, bool) {
	list := cfg.streamChain
	if cfg.streamInterceptor != nil {
		list = append([]ClientStreamInterceptor{cfg.streamInterceptor}, list...)
	}
	return chainInterceptors(list, composeClientStream)
}

// WithClientMaxMessageSize sets the largest message the client receives
// and sends, in bytes of frame data. A larger request is refused before
// anything is sent (*OversizedMessageErr); a larger response is discarded
// and fails only its call with RESOURCE_EXHAUSTED. Values <= 0 keep the
// default; values above the protocol's hard cap of 16 MiB are capped at
// 16 MiB, the same rule as WithServerMaxMessageSize. Peers other than this
// library refuse messages over 4 MiB. Default: 4 MiB both.
func WithClientMaxMessageSize(recv, send int) ClientOpts {
	return func(c *Client) {
		c.config.maxRecv = messageSizeLimit(recv)
		c.config.maxSend = messageSizeLimit(send)
	}
}

// messageSizeLimit resolves a message size option.
func messageSizeLimit(n int) int {
	switch {
	case n <= 0:
		return frameLengthMax
	case n > frameLengthHardMax:
		return frameLengthHardMax
	}
	return n
}

// WithClientStatsHandler sets a StatsHandler that observes the client's
// connection and calls. Default: none (and no cost).
func WithClientStatsHandler(h StatsHandler) ClientOpts {
	return func(c *Client) {
		c.config.stats = newStatsReporter(h)
	}
}

// WithDialBackoff sets the backoff between failed dials of a client made by
// NewClientWithDialer: min after the first failure, doubling with each
// failure in a row up to max, each spread by ±20% of jitter. Backoff is per
// pool slot: each of the WithConnections(n) slots dials and backs off on
// its own, so against a dead server n calls in a row make a dial each, and
// the calls after them fail at once (8 calls with WithConnections(4) make
// 4 dials; with 1 connection, 1) until a slot's backoff ends. Values <= 0
// keep the default. NewClient ignores it, with a warning. Default: 50 ms
// to 5 s.
func WithDialBackoff(min, max time.Duration) ClientOpts {
	return func(c *Client) {
		c.config.dial.given("WithDialBackoff")
		if min > 0 {
			c.config.dial.backoffMin = min
		}
		if max > 0 {
			c.config.dial.backoffMax = max
		}
		c.config.dial.backoffMax = maxDuration(c.config.dial.backoffMax, c.config.dial.backoffMin)
	}
}

func maxDuration(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}

// WithConnections makes a client made by NewClientWithDialer keep up to n
// connections, each with its own sender and receiver, and spread calls and
// streams over them by the pool policy (WithPoolPolicy). Each connection
// dials and backs off on its own (see WithDialBackoff). Values < 1 keep the
// default. NewClient ignores it, with a warning. Default: 1.
func WithConnections(n int) ClientOpts {
	return func(c *Client) {
		c.config.dial.given("WithConnections")
		if n >= 1 {
			c.config.dial.connections = n
		}
	}
}

// WithPoolPolicy sets how a client made by NewClientWithDialer with
// several connections (WithConnections) picks one for each call or stream.
// NewClient ignores it, with a warning. Default: PoolLeastPending.
func WithPoolPolicy(p PoolPolicy) ClientOpts {
	return func(c *Client) {
		c.config.dial.given("WithPoolPolicy")
		c.config.dial.policy = p
	}
}

// WithOnConnectionLost sets a function that a client made by
// NewClientWithDialer runs, on the lost connection's receiver goroutine,
// each time one of its connections closes other than by Close, with the
// cause. It must not block. NewClient ignores it, with a warning (its
// client's one connection ends with the client: WithOnClose). Default:
// none.
func WithOnConnectionLost(lost func(error)) ClientOpts {
	return func(c *Client) {
		c.config.dial.given("WithOnConnectionLost")
		if lost != nil {
			c.config.dial.onConnectionLost = lost
		}
	}
}

// WithWaitForConnection makes the calls and streams of a client made by
// NewClientWithDialer wait for a connection while the server is down,
// instead of failing at once: a call that finds no connection dials, and
// when that fails, waits out the backoff (WithDialBackoff) and dials again,
// until a dial succeeds, the client closes (ErrClosed) or the call's
// context ends. The context's error then says how the last dial failed.
// This is what a client of a VM's agent needs while the VM boots; to keep
// trying for 30 s, give the call a context with a 30 s timeout. This is
// grpc's wait-for-ready. NewClient ignores it, with a warning. Default: off
// (a call made while the client backs off fails at once).
func WithWaitForConnection() ClientOpts {
	return func(c *Client) {
		c.config.dial.given("WithWaitForConnection")
		c.config.dial.waitForConn = true
	}
}
