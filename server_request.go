// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"io"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

// The calls of a server connection: each runs on a request goroutine
// (server_workers.go), which sends its answer directly when no other unary
// call is in flight and the writer is idle, else through the writer's
// queue, where the writer gathers the answers of concurrent calls into few
// writes.

// startCall registers a call and runs it on its own goroutine. For a
// stream, the request's message is the first message the handler receives
// when the method's client side does not stream. A call that admitCall
// refuses is answered and its frame released.
func (sc *serverConn) startCall(h frameHeader, cl *serverCall) {
	if st := sc.admitCall(cl); st != nil {
		sc.releaseFrame(cl)
		sc.sendStatus(cl.id, st)
		return
	}
	sc.initContext(cl)
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
		cl.recv.budget = &sc.budget
		if payload := cl.env.payload; !stream.StreamingClient || len(payload) > 0 {
			msg := getBufferLen(len(payload))
			copy(*msg, payload)
			cl.recv.push(msg)
		}
		if h.Flags&flagRemoteOpen == 0 {
			cl.recv.end(io.EOF)
		}
		// The frame is not kept for a stream (see connBudget): its names are
		// copied, its payload is in the queue, its metadata was copied.
		names := make([]byte, len(cl.env.service)+len(cl.env.method))
		n := copy(names, cl.env.service)
		copy(names[n:], cl.env.method)
		cl.env.service, cl.env.method = names[:n], names[n:]
		sc.releaseFrame(cl)
	}
	if stream == nil {
		sc.unaryInFlight.Add(1)
	}
	sc.mu.Lock()
	sc.calls[cl.id] = cl
	if isDone(sc.ctx.Done()) {
		// The connection's context ended before the call was in sc.calls,
		// so cancelCalls did not see it.
		cl.ctx.cancel(sc.ctx.Err())
	}
	sc.mu.Unlock()
	if ctx := &cl.ctx; ctx.hasDeadline {
		cl.expiry = time.AfterFunc(time.Until(ctx.deadline), func() { sc.failCall(cl, deadlineStatus) })
	}
	sc.dispatch(cl)
}

// deadlineStatus answers a call whose handler has not answered by the
// call's deadline: what a handler that returns ctx.Err() answers.
var deadlineStatus = status.FromContextError(context.DeadlineExceeded)

// releaseFrame frees a call's request frame, if it still has one, and
// takes it off the connection's budget.
func (sc *serverConn) releaseFrame(cl *serverCall) {
	if cl.frame != nil {
		sc.budget.release(cap(*cl.frame))
		releaseBuffer(cl.frame)
		cl.frame = nil
	}
}

// initContext sets up the handler's context: the connection's, with the
// request's metadata and deadline (the earlier of the request's and the
// connection's).
func (sc *serverConn) initContext(cl *serverCall) {
	ctx := &cl.ctx
	ctx.parent = sc.callParent
	ctx.md = cl.env.metadata
	ctx.deadline, ctx.hasDeadline = sc.callDeadline, sc.hasCallDeadline
	if timeout := cl.env.timeoutNano; timeout != 0 {
		// A negative timeout (a peer whose deadline had passed when it sent
		// the request) gives an expired context, as in containerd's ttrpc.
		deadline := time.Now().Add(time.Duration(timeout))
		if !ctx.hasDeadline || deadline.Before(ctx.deadline) {
			ctx.deadline, ctx.hasDeadline = deadline, true
		}
	}
}

// runCall runs the handler of a call and sends its answer. unmarshal
// decodes the request of a unary call (see runUnary).
func (sc *serverConn) runCall(cl *serverCall, unmarshal func(interface{}) error) {
	defer sc.releaseFrame(cl) // the request's payload aliases it
	defer cl.cancel()
	var resp interface{}
	var st *status.Status
	if cl.stream != nil {
		ss := &serverStream{conn: sc, call: cl, ctx: &cl.ctx, streamingServer: cl.stream.StreamingServer}
		resp, st = sc.server.runStream(cl, ss)
	} else {
		resp, st = sc.server.runUnary(cl, unmarshal)
	}
	if cl.expiry != nil {
		cl.expiry.Stop()
	}
	if cl.recv != nil {
		cl.recv.drop() // no one takes its messages now
	}
	if !cl.answered.CompareAndSwap(false, true) {
		// Answered already (failCall: by the reader, at the deadline):
		// the answer is dropped.
		sc.abandoned.Add(-1)
		sc.server.counts.abandoned.Add(-1)
		return
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
		if data, err = sc.server.config.codec.encode(resp, sc.server.config.maxSend); err != nil {
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
	// The handler still runs; runCall counts it off when it returns.
	sc.abandoned.Add(1)
	sc.server.counts.abandoned.Add(1)
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
	if cl.stream == nil {
		sc.unaryInFlight.Add(-1)
	}
	sc.mu.Lock()
	delete(sc.calls, cl.id)
	sc.drainIfIdleLocked()
	sc.mu.Unlock()
	sc.releaseServerSlot()
	// Last, so that a zero count also means the calls have left the
	// connection (and no longer count against its limit).
	sc.server.counts.add(cl.recv != nil, -1)
}

func (sc *serverConn) lookupCall(id uint32) *serverCall {
	sc.mu.Lock()
	cl := sc.calls[id]
	sc.mu.Unlock()
	return cl
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
	prepared, err := sc.server.config.codec.prepare(msg)
	var data *[]byte
	if err == nil {
		data, err = encodeResponse(st, prepared)
	}
	switch {
	case err != nil && msg != nil:
		st = status.Newf(codes.Internal, "ttrpc: error marshaling payload: %v", err)
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
	return sc.sendFrame(nil, f, true) == nil
}

// busy reports whether more than one unary call is in flight: then
// answers are left to the writer, which yields once before it flushes so
// that answers ready at about the same time leave in one write.
func (sc *serverConn) busy() bool {
	return sc.unaryInFlight.Load() > 1
}

// sendFrame writes f directly when it is a call's answer (last is set),
// no other unary call is in flight and the writer is idle; else it queues
// f for the writer (a stream's messages always: more follow, and the writer
// sends them together). It gives up (dropping f) when the connection ends,
// or when done (the caller's context, may be nil) ends first, with
// ErrStreamClosed or errContextDone.
func (sc *serverConn) sendFrame(done <-chan struct{}, f outFrame, last bool) error {
	if isDone(sc.done) {
		releaseBuffer(f.data)
		return ErrStreamClosed
	}
	if last && !sc.busy() {
		if handled, err := sc.out.tryDirect(f); handled {
			if err != nil {
				sc.terminate(err)
				return ErrStreamClosed
			}
			return nil
		}
	}
	sc.out.pending.Add(1)
	sendq := sc.writerQueue()
	select {
	case sendq <- f: // the common case, without the cost of a full select
		return nil
	default:
	}
	// While it waits for room, the frame counts against the budget.
	held := 0
	if f.data != nil {
		held = cap(*f.data)
	}
	sc.budget.hold(held)
	err := errContextDone
	select {
	case sendq <- f:
		err = nil
	case <-sc.done:
		err = ErrStreamClosed
	case <-done:
	}
	sc.budget.release(held)
	if err != nil {
		sc.out.pending.Add(-1)
		releaseBuffer(f.data)
	}
	return err
}
