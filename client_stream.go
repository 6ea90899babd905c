// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/featherrpc/ttrpc/status"
)

// NewStream opens a stream to service.method. desc says which sides stream;
// req is the request message of a method whose client side does not stream
// (nil otherwise). Like Call, the stream carries the context's deadline and
// metadata to the server, and goes through the client's stream
// interceptors. When ctx ends, the stream ends at once on the client:
// SendMsg and RecvMsg return a CANCELED or DEADLINE_EXCEEDED status error.
//
// RecvMsg returns io.EOF when the server ended the stream successfully, and
// the server's status error otherwise. SendMsg returns io.EOF once the
// server has ended the stream (RecvMsg tells how), and ErrStreamClosed
// after CloseSend.
func (c *Client) NewStream(ctx context.Context, desc *StreamDesc, service, method string, req interface{}) (ClientStream, error) {
	s, err := c.newStream(ctx, desc, service, method, req)
	if c.config.convertError == nil {
		return s, err
	}
	if err != nil {
		return nil, c.config.convertError(err)
	}
	return &convertingStream{ClientStream: s, convert: c.config.convertError}, nil
}

// newStream opens the stream NewStream returns, before any conversion of
// its errors (WithErrorConverter).
func (c *Client) newStream(ctx context.Context, desc *StreamDesc, service, method string, req interface{}) (ClientStream, error) {
	if c.stream == nil {
		// No interceptor sees the envelope: encode it straight into its frame.
		data, err := c.encodeRequestFrame(ctx, service, method, req)
		if err != nil {
			return nil, err
		}
		return c.open(ctx, desc, fullMethod(service, method), data)
	}
	payload, err := c.codec.marshal(req)
	if err != nil {
		return nil, err
	}
	info := &StreamClientInfo{
		FullMethod:      fullMethod(service, method),
		StreamingClient: desc.StreamingClient,
		StreamingServer: desc.StreamingServer,
	}
	return c.stream(ctx, desc, newRequest(ctx, service, method, payload), info, c.openStream)
}

// openStream is the Streamer at the end of the interceptor chain: it
// encodes the request that opens the stream and opens it.
func (c *Client) openStream(ctx context.Context, desc *StreamDesc, req *Request) (ClientStream, error) {
	if err := ctx.Err(); err != nil {
		return nil, contextError(err)
	}
	data, err := c.encode(req)
	if err != nil {
		return nil, err
	}
	return c.open(ctx, desc, fullMethod(req.Service, req.Method), data)
}

// open queues the encoded request that opens a stream and returns the
// stream.
func (c *Client) open(ctx context.Context, desc *StreamDesc, full string, data *[]byte) (ClientStream, error) {
	cc, err := c.source.get(ctx)
	if err != nil {
		releaseBuffer(data)
		return nil, err
	}
	flags := flagRemoteClosed
	if desc.StreamingClient {
		flags = flagRemoteOpen
	}
	s := &clientStream{client: c, conn: cc, ctx: ctx, desc: *desc}
	s.call = newStreamCall()
	s.call.streamingServer = desc.StreamingServer
	s.call.stream = newRecvQueue(c.config.streamBufferSize, c.config.streamFullWait, s.abandonFull)
	s.call.stats = beginCallStats(c.config.stats, ClientSide, full, desc.StreamingClient, desc.StreamingServer)
	s.call.stats.sent(len(*data))
	c.counts.add(true, 1)
	s.call.onFinish = func(err error) {
		// Reported first, so that a zero count means every end was.
		s.call.stats.end(err)
		c.counts.add(true, -1)
	}
	// The watch needs no goroutine until ctx ends; it frees the stream's
	// entry then, whether or not anybody reads or writes it. It waits until
	// stopWatch is set, which finish reads.
	armed := make(chan struct{})
	s.call.stopWatch = context.AfterFunc(ctx, func() {
		<-armed
		s.abandonCanceled()
	})
	close(armed)
	if _, err := cc.enqueue(ctx, outFrame{typ: frameTypeRequest, flags: flags, data: data, call: s.call}); err != nil {
		s.call.finish(err)
		return nil, err
	}
	return s, nil
}

// clientStream is the client's side of a stream. SendMsg and CloseSend may
// be called concurrently with RecvMsg, but neither concurrently with itself.
type clientStream struct {
	client *Client
	conn   *clientConn // the connection the stream lives on
	ctx    context.Context
	desc   StreamDesc
	call   *call

	mu sync.Mutex
	// guarded by mu:
	localClosed bool
}

// SendMsg sends m on the stream.
func (s *clientStream) SendMsg(m interface{}) error {
	if !s.desc.StreamingClient {
		return fmt.Errorf("%w: cannot send data from non-streaming client", ErrProtocol)
	}
	if err := s.sendable(); err != nil {
		return err
	}
	data, err := s.client.codec.encode(m, s.client.config.maxSend)
	if err != nil {
		return err
	}
	s.call.stats.sent(len(*data))
	_, err = s.conn.enqueue(s.ctx, outFrame{typ: frameTypeData, data: data, call: s.call})
	return err
}

// sendable tells whether a message may be sent now.
func (s *clientStream) sendable() error {
	s.mu.Lock()
	closed := s.localClosed
	s.mu.Unlock()
	switch {
	case closed:
		return ErrStreamClosed
	case s.ctx.Err() != nil:
		return contextError(s.ctx.Err())
	case s.call.stream.ended():
		return io.EOF // the server has finished; RecvMsg says how
	}
	return nil
}

// CloseSend tells the server that the client sends nothing more. It is
// idempotent, and does nothing on a stream whose client side does not
// stream.
func (s *clientStream) CloseSend() error {
	s.mu.Lock()
	closed := s.localClosed
	s.localClosed = true
	s.mu.Unlock()
	if closed || !s.desc.StreamingClient || s.call.stream.ended() {
		return nil
	}
	frame := outFrame{typ: frameTypeData, flags: flagRemoteClosed | flagNoData, data: getBuffer(), call: s.call}
	_, err := s.conn.enqueue(s.ctx, frame)
	if errors.Is(err, ErrClosed) {
		return nil // the stream is over anyway; RecvMsg reports why
	}
	return err
}

// RecvMsg waits for the next message and decodes it into m.
func (s *clientStream) RecvMsg(m interface{}) error {
	data, err := s.call.stream.pop(s.ctx, s.conn.done)
	switch {
	case errors.Is(err, errQueueStopped):
		return closedError(s.conn.cause)
	case err != nil:
		return asContextError(s.ctx, err)
	}
	defer releaseBuffer(data)
	return s.client.codec.unmarshal(*data, m)
}

// abandonCanceled runs when the stream's context ends: the stream ends on
// the client at once and leaves the call map.
func (s *clientStream) abandonCanceled() {
	s.conn.dropStream(s.call, contextError(s.ctx.Err()))
}

// abandonFull runs when the stream's receive queue overflowed: the stream
// has failed with ErrStreamFull and leaves the call map.
func (s *clientStream) abandonFull() {
	s.conn.dropStream(s.call, ErrStreamFull)
}

// dropStream ends a stream on the client alone (its context ended, or it
// fell too far behind): it leaves the call map, its end is reported, and
// then its queue fails with err. Nothing happens if the stream has ended
// already.
func (cc *clientConn) dropStream(cl *call, err error) {
	if cc.calls.abandon(cl) {
		cl.finish(err)
		cl.stream.fail(err)
	}
}

// deliverData hands a data frame (which it owns) to its stream. A data
// frame on a unary call fails that call; one for a call nobody waits for is
// dropped.
func (cc *clientConn) deliverData(h frameHeader, data *[]byte) {
	cl := cc.calls.lookup(h.StreamID)
	switch {
	case cl == nil:
		releaseBuffer(data)
		return
	case cl.stream == nil:
		releaseBuffer(data)
		cc.fail(h.StreamID, fmt.Errorf("unexpected %q message received: %w", "data", ErrProtocol))
		return
	}
	cl.stats.received(len(*data))
	if h.Flags&flagNoData != 0 {
		releaseBuffer(data)
	} else if err := cl.stream.push(data); err != nil {
		cc.dropStream(cl, err)
		return
	}
	if h.Flags&flagRemoteClosed != 0 {
		if cl := cc.calls.claim(h.StreamID); cl != nil {
			cl.complete(nil)
		}
	}
}

// endStream ends a stream with the Response frame (which it owns) the
// server sent: an error status, or (for a method whose server side does not
// stream) the single response message.
func (cc *clientConn) endStream(cl *call, data *[]byte) {
	defer releaseBuffer(data)
	cl.stats.received(len(*data))
	st, payload, err := decodeResponse(*data)
	switch {
	case err != nil:
		cl.complete(errors.Join(ErrProtocol, err))
		return
	case st.GetCode() != 0:
		cl.complete(status.ErrorProto(st))
		return
	}
	if !cl.streamingServer {
		msg := getBufferLen(len(payload))
		copy(*msg, payload)
		cl.stream.pushLast(msg)
	}
	cl.complete(nil)
}
