// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

// The options of the server's limits on metadata, connections and calls in
// flight server-wide (server_limits.go has their fields and defaults).

// WithServerMaxMetadata limits the metadata of each request: at most
// entries key-value pairs (one per value of each key), and at most bytes of
// keys and values together. A request over either limit is answered
// RESOURCE_EXHAUSTED with a message naming the limit, and the connection
// goes on. The metadata is decoded only once the request has been admitted
// (WithServerMaxConcurrentRequests, WithServerMaxInFlight), so a refused
// request costs one pass over its fields, and the entries are counted
// before any is decoded. Values <= 0 keep the default. Default: 1024
// entries and 256 KiB, orders of magnitude above what containerd, its
// shims, NRI and otelttrpc send (a namespace, a traceparent, a tracestate:
// a few entries, under a kilobyte).
func WithServerMaxMetadata(entries, bytes int) ServerOpt {
	return func(c *serverConfig) error {
		if entries > 0 {
			c.limits.maxMetadataEntries = entries
		}
		if bytes > 0 {
			c.limits.maxMetadataBytes = bytes
		}
		return nil
	}
}

// WithServerMaxConnections limits the connections the server serves at
// once, over all its listeners (those still in their handshake count). A
// connection accepted over the limit is closed at once, before its
// handshake, and logged at warning level: at most one line every 10
// seconds, with the number closed since the line before, so that a flood
// of connections cannot flood the log. A value <= 0 means no limit.
// Default: no limit (a shim or an agent serves a handful of connections;
// the limit is for servers that many peers may reach).
func WithServerMaxConnections(n int) ServerOpt {
	return func(c *serverConfig) error {
		c.limits.maxConns = max(n, 0)
		return nil
	}
}

// WithServerMaxInFlight limits the calls and streams in flight over all
// the server's connections, and so the handler goroutines all its peers
// together can make it start; handlers still running after their call was
// answered without them (ServerCounts.Abandoned) count until they return.
// A request over the limit is answered at once with RESOURCE_EXHAUSTED, as
// one over WithServerMaxConcurrentRequests is; the connection goes on. A
// value <= 0 means no limit. Default: no limit (each connection has its
// own limit of 4096).
func WithServerMaxInFlight(n int) ServerOpt {
	return func(c *serverConfig) error {
		c.limits.maxInFlight = max(n, 0)
		return nil
	}
}
