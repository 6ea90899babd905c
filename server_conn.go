// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

// serverConn is one accepted connection. Its serve goroutine runs the
// handshake and then reads frames; it starts a writer goroutine and runs
// each request on a goroutine of its own (a new one, or one idle after an
// earlier request: server_workers.go), and waits for all of them before it
// returns.
type serverConn struct {
	server *Server
	raw    net.Conn // as accepted; closed by terminate

	ctx    context.Context    // the connection's context; gains the handshake info before the read loop
	cancel context.CancelFunc // cancels ctx; called by terminate
	// callParent is the parent of every handler's context: ctx without its
	// cancellation, so that a call's context is not registered with (and
	// removed from) a context shared by every call of the connection.
	// cancelCalls cancels the calls in flight when ctx ends, and startCall
	// a call that starts after; ctx's deadline, if any, is each call's
	// latest.
	callParent      context.Context
	callDeadline    time.Time     // ctx's deadline, if hasCallDeadline
	hasCallDeadline bool          // ctx has a deadline
	stopWatch       func() bool   // stops the watch of ctx that runs cancelCalls
	watchDone       chan struct{} // closed when that watch has run

	// sendq is the writer's queue, made when the writer starts
	// (server_writer_start.go): set before writerUp, read after it.
	sendq    chan outFrame
	writerUp atomic.Bool
	// framed is set by the reader on each frame when the server has an
	// idle timeout, and cleared by the idle checks (server_idle.go).
	framed    atomic.Bool
	closeOnce sync.Once
	done      chan struct{} // closed by terminate
	drained   chan struct{} // closed when shutting down and idle: the writer flushes and closes

	handlers sync.WaitGroup // the request goroutines, and the writer
	workers  workerPool     // the idle ones
	// unaryInFlight counts the unary calls started and not yet ended. With
	// more than one, answers are likely to come close together: they go
	// through the writer, which gathers them into one write. Streams do not
	// count: a long-lived one says nothing of what comes next.
	unaryInFlight atomic.Int32
	// abandoned counts the handlers still running whose calls were answered
	// without them (failCall): they hold a goroutine, so they count against
	// the limit of requests in flight (admissionStatus) until they return.
	abandoned atomic.Int32

	mu sync.Mutex
	// guarded by mu:
	conn         net.Conn               // after the handshake; nil before
	calls        map[uint32]*serverCall // streams open on this connection
	shuttingDown bool
	drainClosed  bool
	writerOff    bool // the connection has ended: no writer may start

	reported atomic.Bool // the connection's opening went to the StatsHandler

	out sharedChannel // the write side: the writer goroutine and direct writers

	budget connBudget // the bytes held for the peer; the reader waits when over

	// owned by the serve goroutine (the reader):
	channel      *channel
	lastStreamID uint32
}

// serverCall is one request in flight on a server connection.
type serverCall struct {
	id uint32
	// answered is set by whoever sends the call's final frame, so that it
	// is sent once: the handler's goroutine, or the reader when it fails
	// the call early.
	answered atomic.Bool
	recv     *recvQueue // streams only: the client's messages
	stats    *callStats // nil without a StatsHandler

	env    requestEnvelope // the request; its slices alias frame
	frame  *[]byte         // the request frame, released when the handler returns
	method Method          // a unary call's handler
	stream *Stream         // a stream's description
	ctx    callContext     // the handler's context
	// expiry answers DEADLINE_EXCEEDED for a handler that has not answered
	// by the call's deadline; nil without one. Set before the call is
	// dispatched, stopped when the handler returns.
	expiry *time.Timer
}

// cancel ends the handler's context, if it has not ended.
func (cl *serverCall) cancel() {
	cl.ctx.cancel(context.Canceled)
}

// fullMethod is "/" + service + "/" + method, made when needed: for
// interceptors, stats and errors.
func (cl *serverCall) fullMethod() string {
	return fullMethod(string(cl.env.service), string(cl.env.method))
}

func newServerConn(ctx context.Context, s *Server, conn net.Conn) *serverConn {
	ctx, cancel := context.WithCancel(ctx)
	return &serverConn{
		server:  s,
		raw:     conn,
		ctx:     ctx,
		cancel:  cancel,
		done:    make(chan struct{}),
		drained: make(chan struct{}),
		calls:   make(map[uint32]*serverCall),
		budget:  newConnBudget(s.config.limits.connBudget),
	}
}

// serve is the connection's goroutine: handshake, then the read loop, then
// teardown. It returns when every goroutine of the connection has returned.
func (sc *serverConn) serve() {
	defer sc.server.forgetConn(sc)
	conn, info, err := sc.raw, interface{}(nil), error(nil)
	if handshake := sc.server.config.handshake; handshake != nil {
		conn, info, err = handshake(sc)
	}
	if err == nil && conn == nil {
		err = errNilHandshakeConn
	}
	if err != nil {
		sc.server.config.logger.Warn("ttrpc: handshake failed", "error", err)
		sc.terminate(err)
		return
	}
	// The channel is ready before setConn publishes conn: the writer may
	// start from then on (startWriterLocked).
	sc.channel = newChannel(conn, sc.server.config.maxRecv, sc.server.config.maxSend)
	sc.out.ch = sc.channel
	limits := &sc.server.config.limits
	sc.channel.setTimeouts(conn, limits.frameTimeout, limits.writeStallTimeout)
	if !sc.setConn(conn) {
		return
	}
	reportConn(sc.server.config.stats, ServerSide, conn, false, nil)
	sc.reported.Store(true)
	sc.ctx = withConnPeer(sc.ctx, info, conn)
	sc.watchCancel()
	if limits.startIdle != nil {
		limits.startIdle(sc)
	}

	err = sc.readLoop()
	sc.terminate(err)
	// No writer starts from now on, so that none joins handlers after
	// the Wait begins; one that started is waited for with the handlers.
	sc.mu.Lock()
	sc.writerOff = true
	sc.mu.Unlock()
	sc.handlers.Wait()
	if sc.stopWatch != nil && !sc.stopWatch() {
		<-sc.watchDone
	}
}

// watchCancel sets callParent and the calls' deadline, and has the calls
// in flight cancelled when the connection's context ends.
func (sc *serverConn) watchCancel() {
	sc.callDeadline, sc.hasCallDeadline = sc.ctx.Deadline()
	sc.callParent = context.WithoutCancel(sc.ctx)
	sc.watchDone = make(chan struct{})
	// Owner: serve, which stops the watch, or waits for watchDone when
	// it has started.
	sc.stopWatch = context.AfterFunc(sc.ctx, func() {
		defer close(sc.watchDone)
		sc.cancelCalls()
	})
}

// cancelCalls ends the context of every call in flight as the
// connection's context ended.
func (sc *serverConn) cancelCalls() {
	err := sc.ctx.Err()
	sc.mu.Lock()
	for _, cl := range sc.calls {
		cl.ctx.cancel(err)
	}
	sc.mu.Unlock()
}

// handshake runs the server's Handshaker under the handshake timeout: its
// context ends and the connection is closed when the time is up, so even a
// handshaker that ignores its context returns.
func (sc *serverConn) handshake() (net.Conn, interface{}, error) {
	timeout := sc.server.config.handshakeTimeout
	if timeout <= 0 {
		return sc.server.config.handshaker.Handshake(sc.ctx, sc.raw)
	}
	ctx, cancel := context.WithTimeout(sc.ctx, timeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			sc.terminate(errHandshakeTimeout)
		}
	})
	defer stop()
	conn, info, err := sc.server.config.handshaker.Handshake(ctx, sc.raw)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("%w: %w", errHandshakeTimeout, err)
	}
	return conn, info, err
}

// setConn records the connection returned by the handshake, unless the
// connection was terminated meanwhile (then it closes it and returns false).
func (sc *serverConn) setConn(conn net.Conn) bool {
	sc.mu.Lock()
	ok := !isDone(sc.done)
	if ok {
		sc.conn = conn
	}
	sc.mu.Unlock()
	if !ok {
		conn.Close()
	}
	return ok
}

// writeLoop is the writer goroutine.
func (sc *serverConn) writeLoop() {
	defer sc.handlers.Done()
	w := frameWriter{sink: &sc.out, queue: sc.sendq, done: sc.done, drained: sc.drained, busy: sc.busy}
	err := w.run()
	if err == nil {
		err = ErrServerClosed // drained during shutdown, or already terminated
	}
	sc.terminate(err)
}

// beginShutdown refuses new requests from now on and lets the connection
// close once it is idle; a connection still in its handshake closes now.
func (sc *serverConn) beginShutdown() {
	sc.mu.Lock()
	sc.shuttingDown = true
	handshaken := sc.conn != nil
	sc.drainIfIdleLocked()
	sc.mu.Unlock()
	if !handshaken {
		sc.terminate(ErrServerClosed)
	}
}

// drainIfIdleLocked tells the writer to flush and close once the connection
// is shutting down with no call in flight.
func (sc *serverConn) drainIfIdleLocked() {
	if sc.shuttingDown && len(sc.calls) == 0 && !sc.drainClosed {
		sc.drainClosed = true
		close(sc.drained)
		sc.startWriterLocked() // it closes the connection once drained
	}
}

// admissionStatus refuses a new request while the connection shuts down or
// has its limit of calls in flight; nil admits it. Only the reader adds
// calls, so the count cannot grow between this check and startCall.
func (sc *serverConn) admissionStatus() *status.Status {
	sc.mu.Lock()
	shuttingDown, inFlight := sc.shuttingDown, len(sc.calls)+int(sc.abandoned.Load())
	sc.mu.Unlock()
	switch limit := sc.server.config.maxRequests; {
	case shuttingDown:
		return status.New(codes.Unavailable, "ttrpc: server shutting down")
	case inFlight >= limit:
		return status.Newf(codes.ResourceExhausted, "ttrpc: too many requests in flight on this connection (limit %d)", limit)
	}
	return nil
}

// terminate is the one place where a server connection ends: it records the
// cause once, wakes everything waiting on done, cancels the handlers'
// contexts and closes the connection.
func (sc *serverConn) terminate(cause error) {
	sc.closeOnce.Do(func() {
		close(sc.done)
		sc.workers.close()
		sc.cancel()
		sc.mu.Lock()
		conn := sc.conn
		for _, cl := range sc.calls {
			if cl.recv != nil {
				cl.recv.fail(ErrStreamClosed) // also frees a reader waiting for room
			}
		}
		sc.mu.Unlock()
		sc.raw.Close()
		if conn != nil {
			conn.Close()
		}
		if sc.reported.Load() {
			reportConn(sc.server.config.stats, ServerSide, conn, true, cause)
		}
		if isExpectedClose(cause) {
			sc.server.config.logger.Debug("ttrpc: connection closed", "cause", cause)
		} else {
			sc.server.config.logger.Warn("ttrpc: connection failed", "error", cause)
		}
	})
}
