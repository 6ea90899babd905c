// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

// A server connection's writer goroutine, and its queue, start when first
// needed: when a frame must be queued because another is being written or
// waits, or when the connection drains during shutdown. A connection whose
// answers all go out directly (one call at a time, as a shim's are) or
// that stays silent never has one, which saves its stack and queue.

// writerQueue returns the writer's queue, starting the writer if needed;
// nil (a channel no send completes on) once the connection has ended.
func (sc *serverConn) writerQueue() chan outFrame {
	if !sc.writerUp.Load() {
		sc.mu.Lock()
		sc.startWriterLocked()
		sc.mu.Unlock()
	}
	return sc.sendq
}

// startWriterLocked starts the writer unless it has started, or the
// connection is still in its handshake or has ended; mu must be held.
func (sc *serverConn) startWriterLocked() {
	if sc.sendq != nil || sc.writerOff || sc.conn == nil {
		return
	}
	sc.sendq = make(chan outFrame, sendQueueLength)
	sc.writerUp.Store(true)
	sc.handlers.Add(1)
	// Owner: sc.handlers, waited for by serve. writeLoop exits when sc.done
	// closes, a write fails, or the connection has drained during shutdown.
	go sc.writeLoop()
}
