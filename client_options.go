// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import "log/slog"

// ClientOpts configures a Client; pass them to NewClient.
type ClientOpts func(c *Client)

// clientConfig is what the options set. NewClient resolves it once.
type clientConfig struct {
	onClose          func()
	unaryInterceptor UnaryClientInterceptor   // set by WithUnaryClientInterceptor
	unaryChain       []UnaryClientInterceptor // set by WithChainUnaryClientInterceptor
	logger           *slog.Logger
	maxRecv, maxSend int
}

func defaultClientConfig() clientConfig {
	return clientConfig{
		onClose: func() {},
		logger:  slog.Default(),
		maxRecv: frameLengthMax,
		maxSend: frameLengthMax,
	}
}

// WithOnClose sets a function that runs once, after the client's connection
// has closed (by Close or because the peer went away) and both of the
// client's goroutines have exited. UserOnCloseWait waits for it to return.
// Default: none.
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

// WithClientLogger sets the logger for the client's connection events.
// Expected events (the server going away) are logged at debug level.
// Default: slog.Default().
func WithClientLogger(logger *slog.Logger) ClientOpts {
	return func(c *Client) {
		if logger != nil {
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
