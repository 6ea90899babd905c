// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"fmt"
	"log/slog"
	"time"
)

// ServerOpt configures a Server; pass them to NewServer.
type ServerOpt func(*serverConfig) error

// serverConfig is what the options set. NewServer resolves it once.
type serverConfig struct {
	handshaker        Handshaker
	unaryInterceptor  UnaryServerInterceptor
	unaryChain        []UnaryServerInterceptor
	streamInterceptor StreamServerInterceptor
	streamChain       []StreamServerInterceptor
	logger            *slog.Logger
	maxRecv, maxSend  int
	streamBufferSize  int
	streamFullWait    time.Duration
}

func defaultServerConfig() serverConfig {
	return serverConfig{
		logger:  slog.Default(),
		maxRecv: frameLengthMax,
		maxSend: frameLengthMax,

		streamBufferSize: defaultStreamBufferSize,
		streamFullWait:   defaultStreamFullWait,
	}
}

// WithServerHandshaker sets the Handshaker that runs on every accepted
// connection before it is served, for example a UnixCredentialsFunc. Only
// one may be given; a second makes NewServer fail. Default: none (every
// connection is accepted as it is).
func WithServerHandshaker(handshaker Handshaker) ServerOpt {
	return func(c *serverConfig) error {
		if c.handshaker != nil {
			return fmt.Errorf("%w: WithServerHandshaker", errOptionTwice)
		}
		c.handshaker = handshaker
		return nil
	}
}

// WithUnaryServerInterceptor sets the interceptor that runs first around
// every unary call. Only one may be given; a second makes NewServer fail
// (use WithChainUnaryServerInterceptor for more). Default: none.
func WithUnaryServerInterceptor(i UnaryServerInterceptor) ServerOpt {
	return func(c *serverConfig) error {
		if c.unaryInterceptor != nil {
			return fmt.Errorf("%w: WithUnaryServerInterceptor", errOptionTwice)
		}
		c.unaryInterceptor = i
		return nil
	}
}

// WithChainUnaryServerInterceptor adds interceptors that run, in order,
// around every unary call, inside the one set by WithUnaryServerInterceptor.
// Uses accumulate. Default: none.
func WithChainUnaryServerInterceptor(interceptors ...UnaryServerInterceptor) ServerOpt {
	return func(c *serverConfig) error {
		c.unaryChain = append(c.unaryChain, interceptors...)
		return nil
	}
}

// WithServerLogger sets the logger for the server's events: handler panics
// at error level, failed handshakes and broken connections at warning
// level, clients going away at debug level. Default: slog.Default().
func WithServerLogger(logger *slog.Logger) ServerOpt {
	return func(c *serverConfig) error {
		if logger != nil {
			c.logger = logger
		}
		return nil
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
		return nil
	}
}

// WithChainStreamServerInterceptor adds interceptors that run, in order,
// around every stream handler, inside the one set by
// WithStreamServerInterceptor. Uses accumulate. Default: none.
func WithChainStreamServerInterceptor(interceptors ...StreamServerInterceptor) ServerOpt {
	return func(c *serverConfig) error {
		c.streamChain = append(c.streamChain, interceptors...)
		return nil
	}
}

// WithServerStreamBuffer sets the flow policy of the server's streams: a
// stream buffers up to size messages that its handler has not taken, and
// up to size more for at most wait; if the handler has not caught up by then
// (or the second size messages fill), its RecvMsg returns ErrStreamFull and
// the client gets RESOURCE_EXHAUSTED. The connection never waits for a slow
// stream. Values <= 0 keep the default. Default: 64 messages, 1 second.
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
