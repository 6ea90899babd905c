// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import "time"

// Options of the time limits for peers that stall (frame_timeouts.go has
// how they are enforced and what they cost). For each, a value < 0 means
// no limit and 0 keeps the default.

// WithServerFrameTimeout bounds how long a frame may take to arrive once
// its first byte has: a peer that sends part of a frame (a header, or a
// body a byte at a time) and then stalls has its connection closed, with a
// warning logged. It does not bound how long a connection may wait for a
// frame to begin. Default: 30 seconds; even a 16 MiB frame crosses a Unix
// socket in milliseconds on a loaded host, so only a stalled or hostile
// peer takes that long.
func WithServerFrameTimeout(d time.Duration) ServerOpt {
	return limitTimeout(d, func(l *serverLimits) *time.Duration { return &l.frameTimeout })
}

// WithServerWriteStallTimeout bounds how long a write to a peer may block,
// as it happens when the peer stops reading its answers: the connection is
// then closed, with a warning logged; its queued answers are freed and its
// handlers' contexts cancelled. A write may block for up to one and a half
// times the timeout before it fails. Default: 30 seconds; a healthy client
// reads its answers as they come, so the socket drains in microseconds.
func WithServerWriteStallTimeout(d time.Duration) ServerOpt {
	return limitTimeout(d, func(l *serverLimits) *time.Duration { return &l.writeStallTimeout })
}

// WithServerIdleTimeout closes a connection that has had no call or stream
// in flight, and no frame from its peer, for d: it is closed between d and
// 2d after its last call ended or its last frame arrived, whichever came
// later, with a warning logged. Default: none; containerd keeps the
// connections to its shims open, and idle, for days.
func WithServerIdleTimeout(d time.Duration) ServerOpt {
	set := limitTimeout(d, func(l *serverLimits) *time.Duration { return &l.idleTimeout })
	return func(c *serverConfig) error {
		c.limits.startIdle = (*serverConn).startIdleChecks
		return set(c)
	}
}

// limitTimeout is the option that sets the timeout field returns.
func limitTimeout(d time.Duration, field func(*serverLimits) *time.Duration) ServerOpt {
	return func(c *serverConfig) error {
		switch f := field(&c.limits); {
		case d < 0:
			*f = 0
		case d > 0:
			*f = d
		}
		return nil
	}
}
