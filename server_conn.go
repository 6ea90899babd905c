// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

// serverConn is one accepted connection. Its serve goroutine runs the
// handshake and then reads frames; it starts a writer goroutine and one
// goroutine per request, and waits for all of them before it returns.
type serverConn struct {
	server *Server
	raw    net.Conn // as accepted; closed by terminate

	ctx    context.Context    // parent of every handler's context; gains the handshake info before the read loop
	cancel context.CancelFunc // cancels ctx; called by terminate

	sendq     chan outFrame // responses for the writer
	closeOnce sync.Once
	done      chan struct{} // closed by terminate
	drained   chan struct{} // closed when shutting down and idle: the writer flushes and closes

	handlers    sync.WaitGroup   // the request goroutines
	idle        chan *serverCall // idle request goroutines wait here for a call
	idleWorkers atomic.Int32     // request goroutines waiting on idle

	mu sync.Mutex
	// guarded by mu:
	conn         net.Conn               // after the handshake; nil before
	calls        map[uint32]*serverCall // streams open on this connection
	shuttingDown bool
	drainClosed  bool

	reported atomic.Bool // the connection's opening went to the StatsHandler

	out sharedChannel // the write side: the writer goroutine and direct writers

	// owned by the serve goroutine (the reader):
	channel      *channel
	lastStreamID uint32
}

// serverCall is one request in flight on a server connection.
type serverCall struct {
	id     uint32
	cancel context.CancelFunc // cancels the handler's context
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
	ctx    context.Context // the handler's context
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
		sendq:   make(chan outFrame, sendQueueLength),
		idle:    make(chan *serverCall),
		done:    make(chan struct{}),
		drained: make(chan struct{}),
		calls:   make(map[uint32]*serverCall),
	}
}

// serve is the connection's goroutine: handshake, then the read loop, then
// teardown. It returns when every goroutine of the connection has returned.
func (sc *serverConn) serve() {
	defer sc.server.forgetConn(sc)
	conn, info, err := sc.handshake()
	if err == nil && conn == nil {
		err = errNilHandshakeConn
	}
	if err != nil {
		sc.server.config.logger.Warn("ttrpc: handshake failed", "error", err)
		sc.terminate(err)
		return
	}
	if !sc.setConn(conn) {
		return
	}
	reportConn(sc.server.config.stats, ServerSide, conn, false, nil)
	sc.reported.Store(true)
	sc.ctx = withHandshakeInfo(sc.ctx, info)
	sc.channel = newChannel(conn, sc.server.config.maxRecv, sc.server.config.maxSend)
	sc.out.ch = sc.channel

	writerDone := make(chan struct{})
	// Owner: sc. writeLoop exits when sc.done closes, a write fails, or the
	// connection has drained during shutdown; serve waits for it below.
	go sc.writeLoop(writerDone)
	err = sc.readLoop()
	sc.terminate(err)
	sc.handlers.Wait()
	<-writerDone
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
	defer sc.mu.Unlock()
	select {
	case <-sc.done:
		conn.Close()
		return false
	default:
	}
	sc.conn = conn
	return true
}

// writeLoop is the writer goroutine.
func (sc *serverConn) writeLoop(writerDone chan<- struct{}) {
	defer close(writerDone)
	err := writeFrames(&sc.out, sc.sendq, sc.done, sc.drained, nil)
	if err == nil {
		err = ErrServerClosed // drained during shutdown, or already terminated
	}
	sc.terminate(err)
}

// readLoop reads frames until the connection fails or closes.
func (sc *serverConn) readLoop() error {
	for {
		h, data, err := sc.channel.recv()
		if err != nil {
			if tooLarge := asFrameTooLarge(err); tooLarge != nil {
				sc.onOversized(h, tooLarge)
				continue
			}
			return err
		}
		switch h.Type {
		case frameTypeRequest:
			sc.onRequest(h, data)
		case frameTypeData:
			sc.onData(h, data)
		default:
			releaseBuffer(data) // frames of other types are skipped
		}
	}
}

// onRequest opens a call for a request frame (whose buffer it owns), or
// answers it with an error status when the stream id, the envelope, the
// method or the server's state is wrong.
func (sc *serverConn) onRequest(h frameHeader, data *[]byte) {
	st, call := sc.admit(h, *data)
	if st != nil || call == nil {
		releaseBuffer(data)
		if st != nil {
			sc.sendStatus(h.StreamID, st)
		}
		return
	}
	call.frame = data
	sc.startCall(h, call)
}

// admit decodes and checks a request: it returns the call to start, or the
// status to answer with (neither when the bad stream id has been answered
// already).
func (sc *serverConn) admit(h frameHeader, data []byte) (*status.Status, *serverCall) {
	if !sc.openStreamID(h.StreamID) {
		return nil, nil
	}
	env, err := decodeRequest(data)
	switch {
	case err != nil:
		return status.Newf(codes.InvalidArgument, "ttrpc: malformed request: %v", err), nil
	case sc.isShuttingDown():
		return status.New(codes.Unavailable, "ttrpc: server shutting down"), nil
	case sc.inFlight() >= sc.server.config.maxRequests:
		return status.Newf(codes.ResourceExhausted,
			"ttrpc: too many requests in flight on this connection (limit %d)", sc.server.config.maxRequests), nil
	}
	method, stream, st := sc.server.services.lookup(env.service, env.method)
	if st == nil && stream != nil && stream.StreamingServer && h.Flags == 0 {
		st = status.Newf(codes.Unimplemented, "ttrpc: %s streams responses; open it as a stream",
			fullMethod(string(env.service), string(env.method)))
	}
	if st != nil {
		return st, nil
	}
	return nil, &serverCall{id: h.StreamID, env: env, method: method, stream: stream}
}

// openStreamID checks the id of a new stream: odd and above every id seen
// so far. A bad id is answered with INVALID_ARGUMENT (a call still in flight
// with a reused id fails too) and false is returned.
func (sc *serverConn) openStreamID(id uint32) bool {
	if id%2 == 1 && id > sc.lastStreamID {
		sc.lastStreamID = id
		return true
	}
	st := status.Newf(codes.InvalidArgument, "ttrpc: invalid stream id %d for a new stream", id)
	if cl := sc.lookupCall(id); cl != nil && sc.failCall(cl, st) {
		return false
	}
	// No call in flight (or one already answered, whose entry is about to
	// go): the bad request still gets its answer.
	sc.sendStatus(id, st)
	return false
}

// onData hands a data frame to its stream. A data frame on a unary call,
// or on a stream whose client side has already closed, fails that call with
// INVALID_ARGUMENT; one on an id never opened gets INVALID_ARGUMENT; one on
// a finished stream (a late frame) is dropped.
func (sc *serverConn) onData(h frameHeader, data *[]byte) {
	id := h.StreamID
	cl := sc.lookupCall(id)
	if cl == nil || cl.recv == nil || cl.recv.ended() || h.Flags&flagNoData != 0 {
		releaseBuffer(data) // only a message for an open stream is kept
		data = nil
	}
	switch {
	case cl == nil && (id%2 == 0 || id > sc.lastStreamID):
		sc.sendStatus(id, status.Newf(codes.InvalidArgument, "ttrpc: data frame on unknown stream %d", id))
		return
	case cl == nil:
		return
	case cl.recv == nil:
		sc.failCall(cl, status.Newf(codes.InvalidArgument, "ttrpc: data frame on unary stream %d", id))
		return
	case cl.recv.ended():
		sc.failCall(cl, status.Newf(codes.InvalidArgument, "ttrpc: data frame on stream %d after the client closed it", id))
		return
	}
	if data != nil {
		cl.stats.received(len(*data))
		if err := cl.recv.push(data); err != nil {
			sc.failCall(cl, status.New(codes.ResourceExhausted, err.Error()))
			return
		}
	}
	if h.Flags&flagRemoteClosed != 0 {
		cl.recv.end(io.EOF)
	}
}

// onOversized answers a frame whose data was over the limit and dropped.
func (sc *serverConn) onOversized(h frameHeader, tooLarge *frameTooLargeError) {
	st := oversizedStatus(int(tooLarge.Length), tooLarge.Limit)
	switch h.Type {
	case frameTypeRequest:
		if sc.openStreamID(h.StreamID) {
			sc.sendStatus(h.StreamID, st)
		}
	case frameTypeData:
		switch cl := sc.lookupCall(h.StreamID); {
		case cl != nil:
			sc.failCall(cl, st)
		case h.StreamID%2 == 0 || h.StreamID > sc.lastStreamID:
			sc.sendStatus(h.StreamID, status.Newf(codes.InvalidArgument, "ttrpc: data frame on unknown stream %d", h.StreamID))
		}
		// An oversized late frame on a finished stream is dropped, like any
		// late frame.
	}
}

// startCall registers a call and runs it on its own goroutine. For a
// stream, the request's message is the first message the handler receives
// when the method's client side does not stream.
func (sc *serverConn) startCall(h frameHeader, cl *serverCall) {
	cl.ctx, cl.cancel = sc.requestContext(&cl.env)
	stream := cl.stream
	sc.server.counts.add(stream != nil, 1)
	if handler := sc.server.config.stats; handler != nil {
		var streamingClient, streamingServer bool
		if stream != nil {
			streamingClient, streamingServer = stream.StreamingClient, stream.StreamingServer
		}
		cl.stats = beginCallStats(handler, ServerSide, cl.fullMethod(), streamingClient, streamingServer)
		cl.stats.received(int(h.Length))
	}
	if stream != nil {
		config := &sc.server.config
		cl.recv = newRecvQueue(config.streamBufferSize, config.streamFullWait, func() {
			sc.failCall(cl, status.New(codes.ResourceExhausted, ErrStreamFull.Error()))
		})
		if payload := cl.env.payload; !stream.StreamingClient || len(payload) > 0 {
			msg := getBufferLen(len(payload))
			copy(*msg, payload)
			cl.recv.push(msg)
		}
		if h.Flags&flagRemoteOpen == 0 {
			cl.recv.end(io.EOF)
		}
	}
	sc.mu.Lock()
	sc.calls[cl.id] = cl
	sc.mu.Unlock()
	sc.dispatch(cl)
}

// maxIdleWorkers is how many request goroutines of a connection may wait
// for another request once their handler has returned; the others exit.
// Enough to serve a steady stream of concurrent calls without starting a
// goroutine each time, few enough that an idle connection keeps little.
const maxIdleWorkers = 8

// dispatch runs a call on a goroutine of its own: an idle one that ran an
// earlier request of this connection, or a new one. Reusing goroutines
// keeps their grown stacks: a new goroutine's stack grows (and is copied)
// while the handler decodes its request, which costs more than the rest of
// a small call.
func (sc *serverConn) dispatch(cl *serverCall) {
	select {
	case sc.idle <- cl:
	default:
		sc.handlers.Add(1)
		// Owner: sc.handlers, waited for by serve. worker exits when its
		// call is done and maxIdleWorkers others are idle, or when the
		// connection ends.
		go sc.worker(cl)
	}
}

// worker is a request goroutine: it runs its call, then any call that
// dispatch hands it while it is idle.
func (sc *serverConn) worker(cl *serverCall) {
	defer sc.handlers.Done()
	for {
		sc.runCall(cl)
		if sc.idleWorkers.Add(1) > maxIdleWorkers {
			sc.idleWorkers.Add(-1)
			return
		}
		select {
		case cl = <-sc.idle:
			sc.idleWorkers.Add(-1)
		case <-sc.done:
			sc.idleWorkers.Add(-1)
			return
		}
	}
}

// requestContext is the handler's context: the connection's, with the
// request's metadata and deadline.
func (sc *serverConn) requestContext(env *requestEnvelope) (context.Context, context.CancelFunc) {
	ctx := sc.ctx
	if env.metadata != nil {
		ctx = WithMetadata(ctx, env.metadata)
	}
	if env.timeoutNano != 0 {
		// A negative timeout (a peer whose deadline had passed when it sent
		// the request) gives an expired context, as in containerd's ttrpc.
		return context.WithTimeout(ctx, time.Duration(env.timeoutNano))
	}
	return context.WithCancel(ctx)
}

// runCall runs the handler of a call and sends its answer.
func (sc *serverConn) runCall(cl *serverCall) {
	defer releaseBuffer(cl.frame) // the request's payload aliases it
	defer cl.cancel()
	var resp interface{}
	var st *status.Status
	if cl.stream != nil {
		ss := &serverStream{conn: sc, call: cl, ctx: cl.ctx, streamingServer: cl.stream.StreamingServer}
		resp, st = sc.server.runStream(cl, ss)
	} else {
		resp, st = sc.server.runUnary(cl)
	}
	if !cl.answered.CompareAndSwap(false, true) {
		return // failed early by the reader, which has answered already
	}
	st = sc.answer(cl, cl.stream != nil && cl.stream.StreamingServer, resp, st)
	sc.endCall(cl, st)
}

// answer sends the final frame of a call and returns the status it
// carried (nil for OK): a Response with the status for a failure or for a
// method whose server side does not stream (with the response message), and
// a closing Data frame for a successful stream of responses.
func (sc *serverConn) answer(cl *serverCall, streamingServer bool, resp interface{}, st *status.Status) *status.Status {
	if st != nil || !streamingServer {
		return sc.sendResponse(cl.id, cl.stats, resp, st)
	}
	flags := flagRemoteClosed
	data := getBuffer()
	if resp == nil {
		flags |= flagNoData
	} else {
		var err error
		if data, err = encodeMessage(resp, sc.server.config.maxSend); err != nil {
			return sc.sendResponse(cl.id, cl.stats, nil, statusOf(err))
		}
	}
	cl.stats.sent(len(*data))
	sc.enqueue(outFrame{streamID: cl.id, typ: frameTypeData, flags: flags, data: data})
	return nil
}

// failCall answers a call in flight with st and cancels its handler, whose
// own answer is then dropped. It returns false, doing nothing, when the call
// has been answered already.
func (sc *serverConn) failCall(cl *serverCall, st *status.Status) bool {
	if !cl.answered.CompareAndSwap(false, true) {
		return false
	}
	cl.cancel()
	if cl.recv != nil {
		cl.recv.fail(ErrStreamClosed)
	}
	sc.endCall(cl, sc.sendResponse(cl.id, cl.stats, nil, st))
	return true
}

// endCall forgets an answered call, whose final status was st; during
// shutdown the last one lets the connection drain and close.
func (sc *serverConn) endCall(cl *serverCall, st *status.Status) {
	if cl.recv != nil {
		cl.recv.fail(ErrStreamClosed) // frees what the client still sends
	}
	cl.stats.end(st.Err()) // before the counts drop, so a zero count means every end was reported
	sc.server.counts.add(cl.recv != nil, -1)
	sc.mu.Lock()
	defer sc.mu.Unlock()
	delete(sc.calls, cl.id)
	sc.drainIfIdleLocked()
}

func (sc *serverConn) lookupCall(id uint32) *serverCall {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.calls[id]
}

// sendStatus answers stream id, which has no call in flight, with a
// Response carrying only st.
func (sc *serverConn) sendStatus(id uint32, st *status.Status) {
	sc.sendResponse(id, nil, nil, st)
}

// sendResponse queues the Response frame of stream id, with msg encoded in
// place as its payload, and returns the status it carries (nil for OK). A
// response over the size limit is replaced by a RESOURCE_EXHAUSTED status,
// one whose message does not encode by an INTERNAL one.
func (sc *serverConn) sendResponse(id uint32, stats *callStats, msg interface{}, st *status.Status) *status.Status {
	if st != nil && st.Code() == codes.OK {
		st = nil
	}
	data, err := encodeResponse(st, msg)
	switch {
	case err != nil && msg != nil:
		st = status.Newf(codes.Internal, "ttrpc: marshal response: %v", err)
		data, err = encodeResponse(st, nil)
	case err == nil && len(*data) > sc.server.config.maxSend:
		st = oversizedStatus(len(*data), sc.server.config.maxSend)
		releaseBuffer(data)
		data, err = encodeResponse(st, nil)
	}
	if err != nil {
		// Only a status whose details do not encode gets here.
		return sc.sendResponse(id, stats, nil, status.Newf(codes.Internal, "ttrpc: encode response: %v", err))
	}
	encoded := *data
	stats.sent(len(encoded))
	sc.enqueue(outFrame{streamID: id, typ: frameTypeResponse, data: data})
	return st
}

// enqueue hands a frame to the writer; it is dropped if the connection
// ends first.
func (sc *serverConn) enqueue(f outFrame) bool {
	return sc.sendFrame(nil, f) == nil
}

// sendFrame writes f directly when the writer is idle, or queues it for the
// writer; it gives up (dropping f) when the connection ends, or when done
// (the caller's context, may be nil) ends first, with errStreamGone or that
// context's error.
func (sc *serverConn) sendFrame(done <-chan struct{}, f outFrame) error {
	if isDone(sc.done) {
		releaseBuffer(f.data)
		return ErrStreamClosed
	}
	if handled, err := sc.out.tryDirect(f); handled {
		if err != nil {
			sc.terminate(err)
			return ErrStreamClosed
		}
		return nil
	}
	sc.out.pending.Add(1)
	select {
	case sc.sendq <- f:
		return nil
	case <-sc.done:
		sc.out.pending.Add(-1)
		releaseBuffer(f.data)
		return ErrStreamClosed
	case <-done:
		sc.out.pending.Add(-1)
		releaseBuffer(f.data)
		return errContextDone
	}
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
	}
}

// inFlight returns the number of calls and streams open on the connection.
func (sc *serverConn) inFlight() int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return len(sc.calls)
}

func (sc *serverConn) isShuttingDown() bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.shuttingDown
}

// terminate is the one place where a server connection ends: it records the
// cause once, wakes everything waiting on done, cancels the handlers'
// contexts and closes the connection.
func (sc *serverConn) terminate(cause error) {
	sc.closeOnce.Do(func() {
		close(sc.done)
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
