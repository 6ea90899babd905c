// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/featherrpc/ttrpc/status"
	"google.golang.org/protobuf/proto"
)

// Client calls methods on a ttrpc server over one connection.
//
// All methods are safe for concurrent use; calls share the connection and
// are answered independently. A Client runs exactly two goroutines: a sender
// that writes queued requests in order, and a receiver that hands each
// response to its call. A server that stops reading does not stop the
// receiver, and a caller whose context ends returns at once.
type Client struct {
	conn    net.Conn
	channel *channel
	config  clientConfig
	codec   codec
	calls   *callMap

	// The interceptor chains, or nil; built once in NewClient.
	unary  UnaryClientInterceptor
	stream ClientStreamInterceptor

	sendq chan outFrame // requests for the sender, in the order callers queued them

	counts inFlightCounts // calls and streams in flight

	closeOnce     sync.Once
	cause         error         // why the connection ended; written before done closes
	done          chan struct{} // closed by terminate
	senderDone    chan struct{} // closed when the sender has exited
	loopsDone     chan struct{} // closed when both goroutines have exited
	userCloseDone chan struct{} // closed when the WithOnClose function has returned
}

// NewClient returns a client that calls over conn, and starts its sender and
// receiver goroutines. The client owns conn from then on: Close closes it.
func NewClient(conn net.Conn, opts ...ClientOpts) *Client {
	c := &Client{
		conn:          conn,
		config:        defaultClientConfig(),
		calls:         newCallMap(),
		sendq:         make(chan outFrame, sendQueueLength),
		done:          make(chan struct{}),
		senderDone:    make(chan struct{}),
		loopsDone:     make(chan struct{}),
		userCloseDone: make(chan struct{}),
	}
	for _, opt := range opts {
		opt(c)
	}
	c.channel = newChannel(conn, c.config.maxRecv, c.config.maxSend)
	if chain, ok := c.config.unaryInterceptorChain(); ok {
		c.unary = chain
	}
	if chain, ok := c.config.streamInterceptorChain(); ok {
		c.stream = chain
	}
	// Owner: c. sendLoop exits when c.done closes or a write fails;
	// receiveLoop exits when the connection fails or closes, then waits for
	// sendLoop. Close waits for both through loopsDone.
	go c.sendLoop()
	go c.receiveLoop()
	reportConn(c.config.stats, ClientSide, conn, false, nil)
	return c
}

// Counts returns the client's current figures: calls and streams in
// flight.
func (c *Client) Counts() ClientCounts {
	return ClientCounts{Calls: int(c.counts.calls.Load()), Streams: int(c.counts.streams.Load())}
}

// Call sends req to service.method and decodes the answer into resp. The
// context's deadline goes to the server as the call's timeout and its
// metadata (WithMetadata) as the call's metadata. When the context ends
// first, Call returns at once with a CANCELED or DEADLINE_EXCEEDED status
// error that also matches the context's error with errors.Is. An error
// status from the server is returned as a status error; a lost connection
// as an error wrapping ErrClosed.
func (c *Client) Call(ctx context.Context, service, method string, req, resp interface{}) (err error) {
	c.counts.add(false, 1)
	defer c.counts.add(false, -1)
	payload, err := c.codec.marshal(req)
	if err != nil {
		return err
	}
	creq := newRequest(ctx, service, method, payload)
	cresp := &Response{}
	if stats := beginCallStats(c.config.stats, ClientSide, fullMethod(service, method), false, false); stats != nil {
		defer func() {
			stats.sent(proto.Size(creq))
			stats.received(proto.Size(cresp))
			stats.end(err)
		}()
	}
	if c.unary != nil {
		info := &UnaryClientInfo{FullMethod: fullMethod(service, method)}
		err = c.unary(ctx, creq, cresp, info, c.dispatch)
	} else {
		err = c.dispatch(ctx, creq, cresp)
	}
	if err != nil {
		return err
	}
	if st := cresp.GetStatus(); st.GetCode() != 0 {
		return status.ErrorProto(st)
	}
	if resp == nil {
		return nil
	}
	return c.codec.unmarshal(cresp.Payload, resp)
}

// newRequest builds the request envelope of a call: the deadline of ctx as
// timeout_nano and its metadata as key-value pairs. Unary calls and streams
// share it.
func newRequest(ctx context.Context, service, method string, payload []byte) *Request {
	req := &Request{Service: service, Method: method, Payload: payload}
	if deadline, ok := ctx.Deadline(); ok {
		// A deadline already past still sends a positive timeout so that
		// the server never reads it as "none"; dispatch fails such a call
		// before it is sent anyway.
		req.TimeoutNano = max(time.Until(deadline).Nanoseconds(), 1)
	}
	if md, ok := GetMetadata(ctx); ok {
		req.Metadata = md.toKeyValues()
	}
	return req
}

// dispatch is the Invoker at the end of the interceptor chain: it sends req
// and waits for the response, the context, or the end of the connection.
func (c *Client) dispatch(ctx context.Context, req *Request, resp *Response) error {
	if err := ctx.Err(); err != nil {
		return contextError(err)
	}
	data, err := c.encode(req)
	if err != nil {
		return err
	}
	cl := newCall(resp)
	if err := c.enqueue(ctx, outFrame{typ: frameTypeRequest, data: data, call: cl}); err != nil {
		return err
	}
	return c.wait(ctx, cl)
}

// encode marshals msg into a pooled buffer, refusing messages over the
// send limit with an *OversizedMessageErr.
func (c *Client) encode(msg proto.Message) (*[]byte, error) {
	return encodeMessage(msg, c.config.maxSend)
}

// enqueue hands a frame to the sender, or gives up when the context or the
// connection ends first.
func (c *Client) enqueue(ctx context.Context, f outFrame) error {
	if isDone(c.done) { // a closed client queues nothing, even with room in the queue
		releaseBuffer(f.data)
		return closedError(c.cause)
	}
	select {
	case c.sendq <- f:
		return nil
	case <-ctx.Done():
		releaseBuffer(f.data)
		return contextError(ctx.Err())
	case <-c.done:
		releaseBuffer(f.data)
		return closedError(c.cause)
	}
}

// wait returns the outcome of cl, or gives it up when the context or the
// connection ends first.
func (c *Client) wait(ctx context.Context, cl *call) error {
	var giveUp error
	select {
	case <-cl.done:
		return cl.err
	case <-ctx.Done():
		giveUp = contextError(ctx.Err())
	case <-c.done:
		giveUp = closedError(c.cause)
	}
	if c.calls.abandon(cl) {
		return giveUp
	}
	<-cl.done // claimed by the receiver or terminate: its outcome is imminent
	return cl.err
}

// sendLoop is the sender goroutine: it registers each request just before
// writing it, so stream ids reach the wire in increasing order.
func (c *Client) sendLoop() {
	defer close(c.senderDone)
	err := writeFrames(c.channel, c.sendq, c.done, nil, c.registerRequest)
	if err != nil {
		c.terminate(err)
	}
}

// registerRequest gives a request frame its stream id (registering its
// call), and a data frame the id of its stream. Frames of abandoned calls,
// of streams that have ended, and of calls on a closed map are dropped.
func (c *Client) registerRequest(f *outFrame) bool {
	if f.call == nil {
		return true
	}
	if f.typ == frameTypeData {
		id, ok := c.calls.streamID(f.call)
		f.streamID = id
		return ok
	}
	id, ok, err := c.calls.register(f.call)
	if err != nil {
		f.call.complete(closedError(err))
		if errors.Is(err, errStreamIDsExhausted) {
			c.terminate(err)
		}
		return false
	}
	f.streamID = id
	return ok
}

// receiveLoop is the receiver goroutine: it reads frames until the
// connection fails, handing each response to its call. On the way out it
// tears the client down, waits for the sender, and runs the close callback.
func (c *Client) receiveLoop() {
	err := c.receive()
	c.terminate(err)
	<-c.senderDone
	close(c.loopsDone)
	c.config.onClose()
	close(c.userCloseDone)
}

func (c *Client) receive() error {
	for {
		h, data, err := c.channel.recv()
		var tooLarge *frameTooLargeError
		switch {
		case errors.As(err, &tooLarge):
			c.fail(h.StreamID, oversizedMessageError(int(tooLarge.Length), tooLarge.Limit))
			continue
		case err != nil:
			return err
		}
		switch h.Type {
		case frameTypeResponse:
			c.deliver(h.StreamID, data)
		case frameTypeData:
			c.deliverData(h, data)
		}
		// Frames of other types are skipped.
	}
}

// deliver decodes a response into the call waiting for it. A response for
// a call nobody waits for any more is dropped.
func (c *Client) deliver(id uint32, data []byte) {
	cl := c.calls.claim(id)
	if cl == nil {
		c.config.logger.Debug("ttrpc: response for no call in flight", "stream", id)
		return
	}
	if cl.stream != nil {
		c.endStream(cl, data)
		return
	}
	if err := proto.Unmarshal(data, cl.resp); err != nil {
		cl.complete(errors.Join(ErrProtocol, err))
		return
	}
	cl.complete(nil)
}

// fail ends the call with the given id with err, if it is still waited for.
func (c *Client) fail(id uint32, err error) {
	if cl := c.calls.claim(id); cl != nil {
		cl.complete(err)
	}
}

// terminate is the one place where the client's connection ends: it records
// the first cause, wakes everything that waits on done, closes the
// connection and fails every call in flight with ErrClosed wrapping cause.
func (c *Client) terminate(cause error) {
	c.closeOnce.Do(func() {
		c.cause = cause
		close(c.done)
		c.conn.Close()
		closed := closedError(cause)
		for _, cl := range c.calls.closeAll(cause) {
			cl.complete(closed)
		}
		reportConn(c.config.stats, ClientSide, c.conn, true, cause)
		if !isExpectedClose(cause) {
			c.config.logger.Warn("ttrpc: client connection failed", "error", cause)
		} else {
			c.config.logger.Debug("ttrpc: client connection closed", "cause", cause)
		}
	})
}

// Close closes the connection, fails the calls in flight with ErrClosed and
// waits for the client's goroutines to exit. It is idempotent and returns
// nil. The WithOnClose function runs after, on the receiver goroutine; use
// UserOnCloseWait to wait for it.
func (c *Client) Close() error {
	c.terminate(ErrClosed)
	<-c.loopsDone
	return nil
}

// UserOnCloseWait waits until the client has closed and its WithOnClose
// function has returned, or until ctx ends (returning its error).
func (c *Client) UserOnCloseWait(ctx context.Context) error {
	select {
	case <-c.userCloseDone:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// isExpectedClose reports whether a connection ended in an ordinary way:
// closed by us, or by the peer.
func isExpectedClose(err error) bool {
	return errors.Is(err, ErrClosed) || errors.Is(err, ErrServerClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, io.ErrUnexpectedEOF) || isConnReset(err)
}
