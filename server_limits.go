// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import "time"

// serverLimits are the bounds on what a peer can make the server hold
// (bytes, goroutines, call slots, time), beyond the message size and the
// calls in flight per connection. NewServer resolves them once; the README's
// limits table lists each with its default and option.
type serverLimits struct {
	connBudget         int           // bytes one connection may hold for its peer; over it, reading pauses
	frameTimeout       time.Duration // a frame begun must be read whole within this; 0: none
	writeStallTimeout  time.Duration // a peer that reads none of our queued bytes for this long is cut off; 0: none
	idleTimeout        time.Duration // a connection with nothing in flight for this long is closed; 0: none
	maxMetadataEntries int           // metadata entries per request
	maxMetadataBytes   int           // bytes of metadata keys and values per request
	maxConns           int           // connections served at once, server-wide; 0: no limit
	maxInFlight        int           // calls and streams in flight, server-wide; 0: no limit

	// startIdle, set by WithServerIdleTimeout, starts a connection's idle
	// checks: only programs that use the option link them.
	startIdle func(*serverConn)
}

// Defaults of serverLimits: far above what containerd, its shims, NRI
// plugins and otelttrpc ever use, so that only a broken or hostile peer
// meets them.
const (
	// defaultConnBudget is 16 messages of the protocol's 4 MiB limit.
	defaultConnBudget = 64 << 20
	// defaultFrameTimeout: a 16 MiB frame crosses a Unix socket in
	// milliseconds, even on a loaded host.
	defaultFrameTimeout = 30 * time.Second
	// defaultWriteStallTimeout: a healthy client reads its answers as
	// they come.
	defaultWriteStallTimeout = 30 * time.Second
	// defaultMaxMetadataEntries: containerd, otelttrpc and NRI send a
	// handful of entries (a namespace, a traceparent, a tracestate).
	defaultMaxMetadataEntries = 1024
	// defaultMaxMetadataBytes, like grpc-go's header-list limit, bounds the
	// keys and values together.
	defaultMaxMetadataBytes = 256 << 10
)

func defaultServerLimits() serverLimits {
	return serverLimits{
		connBudget:         defaultConnBudget,
		frameTimeout:       defaultFrameTimeout,
		writeStallTimeout:  defaultWriteStallTimeout,
		maxMetadataEntries: defaultMaxMetadataEntries,
		maxMetadataBytes:   defaultMaxMetadataBytes,
	}
}
