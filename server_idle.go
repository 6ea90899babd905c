// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"time"
)

// The idle timeout (WithServerIdleTimeout): a timer per connection checks,
// every timeout, whether the connection had no call in flight at the
// previous check and has none now, and no frame came from its peer in
// between; if so, it closes the connection. So a connection is closed
// between one and two timeouts after its last call ended or its last frame
// arrived. Off, it costs nothing (only WithServerIdleTimeout links this);
// on, an atomic store per frame and a timer per connection.

// errIdleTimeout ends a connection that stayed idle for the idle timeout.
var errIdleTimeout = errors.New("ttrpc: connection closed after the idle timeout with no call or stream in flight")

// startIdleChecks starts the idle checks of a connection, if the server
// has an idle timeout; serve calls it before the read loop. The checks
// stop when the connection's context ends.
func (sc *serverConn) startIdleChecks() {
	d := sc.server.config.limits.idleTimeout
	if d <= 0 {
		return
	}
	wasIdle := false // the previous check found no call in flight; the checks' own
	var t *time.Timer
	t = time.AfterFunc(1<<62, func() {
		framed := sc.framed.Swap(false)
		sc.mu.Lock()
		noCalls := len(sc.calls) == 0
		sc.mu.Unlock()
		switch {
		case noCalls && wasIdle && !framed:
			sc.terminate(errIdleTimeout)
		case !isDone(sc.done):
			wasIdle = noCalls
			t.Reset(d)
		}
	})
	t.Reset(d) // orders t before the checks that read it
	context.AfterFunc(sc.ctx, func() { t.Stop() })
}
