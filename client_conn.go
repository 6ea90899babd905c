// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// clientConn is one connection of a Client: the framed channel, the table
// of calls in flight on it, and exactly two goroutines, a sender that
// writes queued frames in order and a receiver that hands each response to
// its call. A server that stops reading does not stop the receiver.
type clientConn struct {
	conn    net.Conn
	channel *channel
	config  *clientConfig
	calls   *callMap
	sendq   chan outFrame // frames for the sender, in the order callers queued them

	// onClosed runs once on the receiver goroutine, after both goroutines
	// have stopped: it tells the connection's owner.
	onClosed func(cc *clientConn, cause error)

	closeOnce sync.Once
	cause     error         // why the connection ended; written before done closes
	done      chan struct{} // closed by terminate

	// A failed write ends the sending side only: the receiver goes on
	// reading the answers already on their way (a server that closed after
	// answering everything it had read), for at most writeFailLinger.
	writeErr    error         // written before writeFailed closes
	writeFailed chan struct{} // closed when a write has failed
	senderDone  chan struct{} // closed when the sender has exited
	loopsDone   chan struct{} // closed when both goroutines have exited
}

// newClientConn starts the goroutines of a connection over conn.
func newClientConn(conn net.Conn, config *clientConfig, onClosed func(*clientConn, error)) *clientConn {
	cc := &clientConn{
		conn:        conn,
		channel:     newChannel(conn, config.maxRecv, config.maxSend),
		config:      config,
		calls:       newCallMap(),
		sendq:       make(chan outFrame, sendQueueLength),
		onClosed:    onClosed,
		done:        make(chan struct{}),
		writeFailed: make(chan struct{}),
		senderDone:  make(chan struct{}),
		loopsDone:   make(chan struct{}),
	}
	// Owner: cc. sendLoop exits when cc.done closes or a write fails;
	// receiveLoop exits when the connection fails or closes, then waits for
	// sendLoop. close waits for both through loopsDone.
	go cc.sendLoop()
	go cc.receiveLoop()
	reportConn(config.stats, ClientSide, conn, false, nil)
	return cc
}

// enqueue hands a frame to the sender, or gives up when the context or the
// connection ends first. inQueue reports whether the frame went into the
// queue: then its call must not be recycled even when err is not nil (the
// call was abandoned, but the queue still holds its frame).
func (cc *clientConn) enqueue(ctx context.Context, f outFrame) (inQueue bool, err error) {
	// A closed connection queues nothing, even with room in the queue.
	if err := cc.sendingError(); err != nil {
		releaseBuffer(f.data)
		return false, err
	}
	select {
	case cc.sendq <- f: // the common case, without the cost of a full select
		return true, cc.queued(f)
	default:
	}
	select {
	case cc.sendq <- f:
		return true, cc.queued(f)
	case <-ctx.Done():
		releaseBuffer(f.data)
		return false, contextError(ctx.Err())
	case <-cc.done:
		releaseBuffer(f.data)
		return false, closedError(cc.cause)
	case <-cc.writeFailed:
		releaseBuffer(f.data)
		return false, closedError(cc.writeErr)
	}
}

// sendingError returns why nothing more can be sent, or nil.
func (cc *clientConn) sendingError() error {
	switch {
	case isDone(cc.done):
		return closedError(cc.cause)
	case isDone(cc.writeFailed):
		return closedError(cc.writeErr)
	}
	return nil
}

// queued checks, for a request just queued (of a unary call or a stream),
// that the connection can still send it. Its caller waits for nothing but
// the call (see wait), so a call queued as the connection ends must fail:
// either failQueued, draining the queue after the sender stopped, finds
// it, or this check does (whichever claims the call first fails it).
func (cc *clientConn) queued(f outFrame) error {
	if !isRequest(f) {
		return nil
	}
	if err := cc.sendingError(); err != nil && cc.calls.takeQueued(f.call, callAbandoned) {
		return err
	}
	return nil
}

// isRequest reports whether f opens a call or a stream.
func isRequest(f outFrame) bool {
	return f.typ == frameTypeRequest && f.call != nil
}

// failQueued empties the send queue once the sender has stopped writing,
// failing with err every call and stream whose request it still held.
func (cc *clientConn) failQueued(err error) {
	for {
		select {
		case f := <-cc.sendq:
			if isRequest(f) && cc.calls.takeQueued(f.call, callClaimed) {
				f.call.complete(err)
			}
			releaseBuffer(f.data)
		default:
			return
		}
	}
}

// wait waits for the outcome of cl, or gives it up when the context ends
// first. A call ends with the connection too: terminate fails the calls
// registered, and failQueued or queued those still queued. completed is
// false when the call was given up: it must not be recycled then.
func (cc *clientConn) wait(ctx context.Context, cl *call) (err error, completed bool) {
	done := ctx.Done()
	if done == nil {
		<-cl.done
		return cl.err, true
	}
	select {
	case <-cl.done:
		return cl.err, true
	case <-done:
	}
	if cc.calls.abandon(cl) {
		return contextError(ctx.Err()), false
	}
	<-cl.done // claimed by the receiver or terminate: its outcome is imminent
	return cl.err, true
}

// sendLoop is the sender goroutine: it registers each request just before
// writing it, so stream ids reach the wire in increasing order.
func (cc *clientConn) sendLoop() {
	defer close(cc.senderDone)
	w := frameWriter{sink: cc.channel, queue: cc.sendq, done: cc.done, prepare: cc.registerRequest, busy: cc.busy}
	err := w.run()
	if err == nil {
		return
	}
	cc.writeErr = err
	close(cc.writeFailed)
	cc.failQueued(closedError(err))
	linger := time.NewTimer(writeFailLinger)
	defer linger.Stop()
	select {
	case <-cc.done: // the receiver has read to the end
	case <-linger.C:
		cc.terminate(err)
	}
}

// busy reports whether more than one unary call is in flight, so that
// more requests are likely on their way to the sender. Streams do not
// count: a long-lived one says nothing of what comes next.
func (cc *clientConn) busy() bool {
	return cc.calls.unaryCalls() > 1
}

// writeFailLinger bounds how long a connection whose writes fail goes on
// reading answers to requests it has sent.
const writeFailLinger = time.Second

// registerRequest gives a request frame its stream id (registering its
// call), and a data frame the id of its stream. Frames of abandoned calls,
// of streams that have ended, and of calls on a closed map are dropped.
func (cc *clientConn) registerRequest(f outFrame) (outFrame, bool) {
	if f.call == nil {
		return f, true
	}
	if f.typ == frameTypeData {
		id, ok := cc.calls.streamID(f.call)
		f.streamID = id
		return f, ok
	}
	id, ok, err := cc.calls.register(f.call)
	if err != nil {
		f.call.complete(closedError(err))
		if errors.Is(err, errStreamIDsExhausted) {
			cc.terminate(err)
		}
		return f, false
	}
	f.streamID = id
	return f, ok
}

// receiveLoop is the receiver goroutine: it reads frames until the
// connection fails, handing each to its call. On the way out it tears the
// connection down, waits for the sender, and tells the owner.
func (cc *clientConn) receiveLoop() {
	err := cc.receive()
	cc.terminate(err)
	<-cc.senderDone
	cc.failQueued(closedError(cc.cause))
	close(cc.loopsDone)
	cc.onClosed(cc, cc.cause)
}

func (cc *clientConn) receive() error {
	for {
		h, data, err := cc.channel.recv()
		if err != nil {
			if tooLarge := asFrameTooLarge(err); tooLarge != nil {
				cc.fail(h.StreamID, oversizedMessageError(int(tooLarge.Length), tooLarge.Limit))
				continue
			}
			return err
		}
		switch h.Type {
		case frameTypeResponse:
			cc.deliver(h.StreamID, data)
		case frameTypeData:
			cc.deliverData(h, data)
		default:
			releaseBuffer(data) // frames of other types are skipped
		}
	}
}

// deliver hands a response frame to the call waiting for it, which decodes
// it on its own goroutine. A response for a call nobody waits for any more
// is dropped.
func (cc *clientConn) deliver(id uint32, data *[]byte) {
	cl := cc.calls.claim(id)
	if cl == nil {
		releaseBuffer(data)
		cc.config.logger.Debug("ttrpc: response for no call in flight", "stream", id)
		return
	}
	if cl.stream != nil {
		cc.endStream(cl, data)
		return
	}
	cl.frame = data
	cl.complete(nil)
}

// fail ends the call with the given id with err, if it is still waited for.
func (cc *clientConn) fail(id uint32, err error) {
	if cl := cc.calls.claim(id); cl != nil {
		cl.complete(err)
	}
}

// terminate is the one place where a client connection ends: it records
// the first cause, wakes everything that waits on done, closes the
// connection and fails every call in flight with ErrClosed wrapping cause.
func (cc *clientConn) terminate(cause error) {
	cc.closeOnce.Do(func() {
		cc.cause = cause
		close(cc.done)
		cc.conn.Close()
		closed := closedError(cause)
		for _, cl := range cc.calls.closeAll(cause) {
			cl.complete(closed)
		}
		reportConn(cc.config.stats, ClientSide, cc.conn, true, cause)
		if !isExpectedClose(cause) {
			cc.config.logger.Warn("ttrpc: client connection failed", "error", cause)
		} else {
			cc.config.logger.Debug("ttrpc: client connection closed", "cause", cause)
		}
	})
}

// close ends the connection and waits for its goroutines.
func (cc *clientConn) close() {
	cc.terminate(ErrClosed)
	<-cc.loopsDone
}
