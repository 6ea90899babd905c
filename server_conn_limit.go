// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import "time"

// connRefusalLogEvery is the least time between two log lines about
// connections closed over WithServerMaxConnections.
const connRefusalLogEvery = 10 * time.Second

// logRefusedConn counts a connection closed over the limit and logs a
// warning with the count since the previous one, at most once every
// connRefusalLogEvery: a flood of connections cannot flood the log. Safe
// for concurrent use (one accept loop per listener).
func (s *Server) logRefusedConn() {
	s.refusedConns.Add(1)
	now := time.Now().UnixNano()
	last := s.refusalLogged.Load()
	if last != 0 && now-last < int64(connRefusalLogEvery) || !s.refusalLogged.CompareAndSwap(last, now) {
		return
	}
	s.config.logger.Warn("ttrpc: too many connections: closed the excess at once",
		"limit", s.config.limits.maxConns, "closed", s.refusedConns.Swap(0))
}
