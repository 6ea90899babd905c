// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"fmt"
)

// serverStream is the server's side of a stream, handed to its handler.
// SendMsg may be called concurrently with RecvMsg, but neither concurrently
// with itself.
type serverStream struct {
	_               noCompare
	conn            *serverConn
	call            *serverCall
	ctx             context.Context // the handler's context
	streamingServer bool
}

// SendMsg sends m to the client. It returns ErrStreamClosed once the
// stream has been answered (failed early) or the connection has gone, and
// the context's error when the handler's context ends first.
func (ss *serverStream) SendMsg(m interface{}) error {
	if !ss.streamingServer {
		return fmt.Errorf("%w: the server side of this stream does not stream; return the response instead", ErrStreamClosed)
	}
	if ss.call.answered.Load() {
		return ErrStreamClosed
	}
	data, err := ss.conn.server.config.codec.encode(m, ss.conn.server.config.maxSend)
	if err != nil {
		return err
	}
	ss.call.stats.sent(len(*data))
	err = ss.conn.sendFrame(ss.ctx.Done(), outFrame{streamID: ss.call.id, typ: frameTypeData, data: data}, false)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errContextDone) && !ss.call.answered.Load():
		return ss.ctx.Err()
	}
	return ErrStreamClosed
}

// RecvMsg waits for the client's next message and decodes it into m. It
// returns io.EOF once the client has closed its side, ErrStreamFull when
// the handler fell too far behind, and the context's error when the
// handler's context ends first.
func (ss *serverStream) RecvMsg(m interface{}) error {
	data, err := ss.call.recv.pop(ss.ctx, ss.conn.done)
	if errors.Is(err, errQueueStopped) {
		return ErrStreamClosed
	}
	if err != nil {
		return err
	}
	defer releaseBuffer(data)
	return ss.conn.server.config.codec.unmarshal(*data, m)
}
