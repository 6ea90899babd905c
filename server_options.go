// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"fmt"
	"net"
	"time"
)

// ServerOpt configures a Server; pass them to NewServer.
type ServerOpt func(*serverConfig) error

// serverConfig is what the options set. NewServer resolves it once.
type serverConfig struct {
	handshaker Handshaker
	// handshake runs handshaker on a new connection; nil without one (the
	// connection is served as it is). Set by WithServerHandshaker, so that
	// a program that uses none links none of the handshake code.
	handshake         func(*serverConn) (net.Conn, interface{}, error)
	unaryInterceptor  UnaryServerInterceptor
	unaryChain        []UnaryServerInterceptor
	streamInterceptor StreamServerInterceptor
	streamChain       []StreamServerInterceptor
	// interceptors resolves the four interceptor options for NewServer;
	// set by them, so that a program that uses none links none of it.
	interceptors     func(*Server)
	logger           Logger
	maxRecv, maxSend int
	streamBufferSize int
	streamFullWait   time.Duration
	stats            statsReporter
	maxRequests      int           // calls and streams in flight per connection
	handshakeTimeout time.Duration // 0: none
	codec            codec         // set by WithServerProtoCodec
	noRecover        bool          // set by WithServerPanicRecovery(false)
	limits           serverLimits  // server_limits.go
}

// Defaults of the server's limits.
const (
	// defaultMaxRequestsPerConn bounds the handler goroutines one connection
	// can start; it is far above what a well-behaved client keeps in flight.
	defaultMaxRequestsPerConn = 4096
	// defaultHandshakeTimeout bounds how long an accepted connection may
	// take to complete the handshake.
	defaultHandshakeTimeout = 10 * time.Second
)

func defaultServerConfig() serverConfig {
	return serverConfig{
		logger:  &stdLogger{},
		maxRecv: frameLengthMax,
		maxSend: frameLengthMax,

		streamBufferSize: defaultStreamBufferSize,
		streamFullWait:   defaultStreamFullWait,
		maxRequests:      defaultMaxRequestsPerConn,
		handshakeTimeout: defaultHandshakeTimeout,
		limits:           defaultServerLimits(),
	}
}

// WithServerHandshaker sets the Handshaker that runs on every accepted
// connection before it is served, for example a UnixCredentialsFunc. Only
// one may be given; a second makes NewServer fail. Default: none (every
// connection is accepted as it is).
func WithServerHandshaker(handshaker Handshaker) ServerOpt {
	return func(c *serverConfig) error {
		if c.handshaker != nil {
			return errHandshakerTwice
		}
		c.handshaker = handshaker
		if handshaker != nil {
			c.handshake = (*serverConn).handshake
		}
		return nil
	}
}

// WithUnaryServerInterceptor sets the interceptor that runs first around
// every unary call. Only one may be given; a second makes NewServer fail
// (use WithChainUnaryServerInterceptor for more). Default: none.
func WithUnaryServerInterceptor(i UnaryServerInterceptor) ServerOpt {
	return func(c *serverConfig) error {
		if c.unaryInterceptor != nil {
			return errUnaryInterceptorTwice
		}
		c.unaryInterceptor = i
		c.interceptors = installInterceptors
		return nil
	}
}

// WithChainUnaryServerInterceptor adds interceptors that run, in order,
// around every unary call, inside the one set by WithUnaryServerInterceptor.
// Uses accumulate. Default: none.
func WithChainUnaryServerInterceptor(interceptors ...UnaryServerInterceptor) ServerOpt {
	return func(c *serverConfig) error {
		c.unaryChain = append(c.unaryChain, interceptors...)
		c.interceptors = installInterceptors
		return nil
	}
}

// WithServerLogger sets the logger (a *slog.Logger, say) for the server's
// events: handler panics at error level, failed handshakes and broken
// connections at warning level, clients going away at debug level.
// Default (also for nil): warnings and errors to the standard log package
// (which follows slog.SetDefault), debug messages dropped.
func WithServerLogger(logger Logger) ServerOpt {
	return func(c *serverConfig) error {
		if !isNilLogger(logger) {
			c.logger = logger
		}
		return nil
	}
}

// installInterceptors gives s the chains of its interceptor options.
func installInterceptors(s *Server) {
	if chain, ok := s.config.unaryInterceptorChain(); ok {
		s.unary = chain
	}
	if chain, ok := s.config.streamInterceptorChain(); ok {
		s.stream = chain
	}
}

// unaryInterceptorChain resolves the interceptor options into one
// interceptor, or false when there are none.
func (c *serverConfig) unaryInterceptorChain() (UnaryServerInterceptor, bool) {
	list := c.unaryChain
	if c.unaryInterceptor != nil {
		list = append([]UnaryServerInterceptor{c.unaryInterceptor}, list...)
	}
	return chainInterceptors(list, composeUnaryServer)
}

// WithStreamServerInterceptor sets the interceptor that runs first around
// every stream handler. Only one may be given; a second makes NewServer
// fail (use WithChainStreamServerInterceptor for more). Default: none.
func WithStreamServerInterceptor(i StreamServerInterceptor) ServerOpt {
	return func(c *serverConfig) error {
		if c.streamInterceptor != nil {
			return fmt.Errorf("%w: WithStreamServerInterceptor", errOptionTwice)
		}
		c.streamInterceptor = i
		c.interceptors = installInterceptors
		return nil
	}
}

// WithChainStreamServerInterceptor adds interceptors that run, in order,
// around every stream handler, inside the one set by
// WithStreamServerInterceptor. Uses accumulate. Default: none.
func WithChainStreamServerInterceptor(interceptors ...StreamServerInterceptor) ServerOpt {
	return func(c *serverConfig) error {
		c.streamChain = append(c.streamChain, interceptors...)
		c.interceptors = installInterceptors
		return nil
	}
}

// WithServerStreamBuffer sets the flow policy of the server's streams: a
// stream buffers up to size messages that its handler has not taken
// freely; past that, the handler must keep taking them, and when it takes
// none for wait the stream fails with ErrStreamFull. There is no cap in
// messages beyond that, but whatever the handler does a stream never
// buffers more than 16 MiB: a handler that falls that far behind fails it
// at once. The client then gets RESOURCE_EXHAUSTED, the handler's context
// is cancelled, and its RecvMsg returns the messages it had buffered, then
// ErrStreamFull. The connection never waits for a slow stream. Values <= 0
// keep the default. Default: 64 messages, 1 second.
func WithServerStreamBuffer(size int, wait time.Duration) ServerOpt {
	return func(c *serverConfig) error {
		if size > 0 {
			c.streamBufferSize = size
		}
		if wait > 0 {
			c.streamFullWait = wait
		}
		return nil
	}
}

// streamInterceptorChain resolves the stream interceptor options into one
// interceptor, or false when there are none.
func (c *serverConfig) streamInterceptorChain() (StreamServerInterceptor, bool) {
	list := c.streamChain
	if c.streamInterceptor != nil {
		list = append([]StreamServerInterceptor{c.streamInterceptor}, list...)
	}
	return chainInterceptors(list, composeStreamServer)
}

// WithServerMaxMessageSize sets the largest message the server receives
// and sends, in bytes of frame data. A larger request is discarded and
// answered with RESOURCE_EXHAUSTED (the connection goes on); a larger
// response is replaced by a RESOURCE_EXHAUSTED status. Values <= 0 keep the
// default; values above the protocol's hard cap of 16 MiB are capped at
// 16 MiB, the same rule as WithClientMaxMessageSize (whose NewClient cannot
// fail). Peers other than this library refuse messages over 4 MiB.
// Default: 4 MiB both.
func WithServerMaxMessageSize(recv, send int) ServerOpt {
	return func(c *serverConfig) error {
		c.maxRecv = messageSizeLimit(recv)
		c.maxSend = messageSizeLimit(send)
		return nil
	}
}

// WithServerMaxConcurrentRequests limits the calls and streams one
// connection may have in flight, and so the handler goroutines a client can
// make the server start. A request over the limit is answered at once with
// RESOURCE_EXHAUSTED; the connection goes on (waiting instead could
// deadlock streams that need the connection's reader to make progress). A
// value <= 0 keeps the default. Default: 4096.
func WithServerMaxConcurrentRequests(n int) ServerOpt {
	return func(c *serverConfig) error {
		if n > 0 {
			c.maxRequests = n
		}
		return nil
	}
}

// WithServerHandshakeTimeout bounds the handshake of each accepted
// connection: when it has not completed in time, its context ends and the
// connection is closed. A value < 0 means no limit; 0 keeps the default.
// Default: 10 seconds.
func WithServerHandshakeTimeout(d time.Duration) ServerOpt {
	return func(c *serverConfig) error {
		switch {
		case d < 0:
			c.handshakeTimeout = 0
		case d > 0:
			c.handshakeTimeout = d
		}
		return nil
	}
}

// WithServerStatsHandler sets a StatsHandler that observes the server's
// connections and calls. Default: none (and no cost).
func WithServerStatsHandler(h StatsHandler) ServerOpt {
	return func(c *serverConfig) error {
		c.stats = newStatsReporter(h)
		return nil
	}
}

// WithServerPanicRecovery sets whether the server recovers from a panic in a
// handler or interceptor. With recovery, the panic is logged at error level
// and fails only its own call, with INTERNAL; the server and the connection
// go on. WithServerPanicRecovery(false) lets the panic crash the process, as
// in containerd's ttrpc, for programs that rely on that to be restarted
// (a shim under a supervisor, say). Default: true.
func WithServerPanicRecovery(enabled bool) ServerOpt {
	return func(c *serverConfig) error {
		c.noRecover = !enabled
		return nil
	}
}

// ChainServerOpts combines several options into one, applied in order: a
// package that configures a server in several ways (interceptors and a
// stats handler, say) can offer a single option.
func ChainServerOpts(opts ...ServerOpt) ServerOpt {
	return func(c *serverConfig) error {
		for _, opt := range opts {
			if err := opt(c); err != nil {
				return err
			}
		}
		return nil
	}
}
