// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"io"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

// The reading side of a server connection: its serve goroutine reads
// frames, checks them, and opens calls or hands data to their streams.

// readLoop reads frames until the connection fails or closes.
func (sc *serverConn) readLoop() error {
	for {
		if err := sc.budget.wait(sc.done); err != nil {
			return err
		}
		h, data, err := sc.channel.recv()
		if err != nil {
			if tooLarge := asFrameTooLarge(err); tooLarge != nil {
				sc.onOversized(h, tooLarge)
				continue
			}
			return err
		}
		if sc.server.config.limits.startIdle != nil {
			sc.framed.Store(true)
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
	sc.budget.hold(cap(*data))
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
	if err != nil {
		return status.Newf(codes.InvalidArgument, "unmarshal request error: %v", err), nil
	}
	if st := sc.admissionStatus(); st != nil {
		return st, nil
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
	msg := "StreamID cannot be re-used and must increment"
	if id%2 == 0 {
		msg = "StreamID must be odd for client initiated streams"
	}
	st := status.New(codes.InvalidArgument, msg)
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
		sc.sendStatus(id, unknownStreamStatus(id))
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

// unknownStreamStatus is the answer to a data frame on a stream id that was
// never opened, in containerd's words.
func unknownStreamStatus(id uint32) *status.Status {
	msg := "StreamID is no longer active"
	if id%2 == 0 {
		msg = "StreamID must be odd for client initiated streams"
	}
	return status.New(codes.InvalidArgument, msg)
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
			sc.sendStatus(h.StreamID, unknownStreamStatus(h.StreamID))
		}
		// An oversized late frame on a finished stream is dropped, like any
		// late frame.
	}
}
