// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/featherrpc/ttrpc/status"
	"github.com/featherrpc/ttrpc/status/statuspb"
	"google.golang.org/protobuf/proto"
)

// Client calls methods on a ttrpc server.
//
// All methods are safe for concurrent use; calls share the connection and
// are answered independently. A Client made by NewClient uses one
// connection and runs exactly two goroutines for it: a sender that writes
// queued requests in order, and a receiver that hands each response to its
// call. A server that stops reading does not stop the receiver, and a
// caller whose context ends returns at once. A Client made by
// NewClientWithDialer dials its connections itself, again after one is
// lost, and may keep several (each with its own two goroutines).
type Client struct {
	config clientConfig
	codec  codec
	source connSource // where calls get their connection

	// The interceptor chains, or nil; built once in the constructor.
	unary  UnaryClientInterceptor
	stream ClientStreamInterceptor

	counts inFlightCounts // calls and streams in flight

	closing       atomic.Bool   // Close has begun
	closed        chan struct{} // closed when Close has closed every connection
	userCloseOnce atomic.Bool   // the WithOnClose function has started
	userCloseDone chan struct{} // closed when the WithOnClose function has returned
}

// connSource gives calls their connection.
type connSource interface {
	// get returns a connection to send a call on, or an error (wrapping
	// ErrClosed, or the context's) when there is none.
	get(ctx context.Context) (*clientConn, error)
	// close closes every connection and waits for their goroutines.
	close()
	// conns returns the open connections.
	conns() []*clientConn
	// open counts the connections that are up: established and not ended.
	open() int
}

// NewClient returns a client that calls over conn, and starts its sender and
// receiver goroutines. The client owns conn from then on: Close closes it.
// When the connection ends, for whatever reason, calls fail with ErrClosed
// and the WithOnClose function runs.
//
// The options that only a dialing client uses (WithConnections,
// WithPoolPolicy, WithDialBackoff, WithOnConnectionLost,
// WithWaitForConnection) have no effect here, and NewClient logs a warning
// naming them through the client's logger. It neither fails (its signature
// is containerd's, without an error) nor panics: a panic would take down
// a shim or an agent over an option that changes nothing, where the
// warning shows the mistake in the log that is read anyway.
func NewClient(conn net.Conn, opts ...ClientOpts) *Client {
	c := newClient(opts)
	if names := c.config.dial.options; len(names) > 0 {
		c.config.logger.Warn("ttrpc: options of NewClientWithDialer have no effect on a client made by NewClient",
			"options", strings.Join(names, ", "))
	}
	cc := newClientConn(conn, &c.config, func(*clientConn, error) { c.runOnClose() })
	c.source = fixedSource{cc}
	return c
}

// newClient applies the options and builds the interceptor chains.
func newClient(opts []ClientOpts) *Client {
	c := &Client{
		config:        defaultClientConfig(),
		closed:        make(chan struct{}),
		userCloseDone: make(chan struct{}),
	}
	for _, opt := range opts {
		opt(c)
	}
	if chain, ok := c.config.unaryInterceptorChain(); ok {
		c.unary = chain
	}
	if chain, ok := c.config.streamInterceptorChain(); ok {
		c.stream = chain
	}
	return c
}

// fixedSource is the one connection of a Client made by NewClient.
type fixedSource struct{ cc *clientConn }

func (f fixedSource) get(context.Context) (*clientConn, error) { return f.cc, nil }
func (f fixedSource) close()                                   { f.cc.close() }
func (f fixedSource) conns() []*clientConn                     { return []*clientConn{f.cc} }

func (f fixedSource) open() int {
	if isDone(f.cc.done) {
		return 0
	}
	return 1
}

// Counts returns the client's current figures: open connections, and
// calls and streams in flight. A call or stream leaves them only after its
// end has gone to the StatsHandler, and a stream by the time RecvMsg
// returns its end. A connection counts from when it is established (for
// NewClient, from the start) until it ends (lost, or closed by Close).
func (c *Client) Counts() ClientCounts {
	return ClientCounts{
		Connections: c.source.open(),
		Calls:       int(c.counts.calls.Load()),
		Streams:     int(c.counts.streams.Load()),
	}
}

// Call sends req to service.method and decodes the answer into resp. The
// context's deadline goes to the server as the call's timeout and its
// metadata (WithMetadata) as the call's metadata. When the context ends
// first, Call returns at once with a CANCELED or DEADLINE_EXCEEDED status
// error that also matches the context's error with errors.Is. An error
// status from the server is returned as a status error; a lost connection
// as an error wrapping ErrClosed.
func (c *Client) Call(ctx context.Context, service, method string, req, resp interface{}) error {
	c.counts.add(false, 1)
	defer c.counts.add(false, -1)
	var err error
	if c.unary == nil && c.config.stats == nil {
		err = c.call(ctx, service, method, req, resp)
	} else {
		err = c.callIntercepted(ctx, service, method, req, resp)
	}
	if err != nil && c.config.convertError != nil {
		return c.config.convertError(err)
	}
	return err
}

// call is the direct path of a call (no interceptors, no stats): the
// request is encoded straight into its frame and the response decoded
// straight from its frame.
func (c *Client) call(ctx context.Context, service, method string, req, resp interface{}) error {
	data, err := c.encodeRequestFrame(ctx, service, method, req)
	if err != nil {
		return err
	}
	frame, err := c.roundTrip(ctx, data)
	if err != nil {
		return err
	}
	defer releaseBuffer(frame)
	st, payload, err := decodeResponse(*frame)
	switch {
	case err != nil:
		return errors.Join(ErrProtocol, err)
	case st.GetCode() != 0:
		return serverError(ctx, st)
	case resp == nil:
		return nil
	}
	return c.codec.unmarshal(payload, resp)
}

// encodeRequestFrame encodes the request of a call or stream that no
// interceptor sees straight into its frame: the message with the
// context's deadline and metadata. It fails when the context has ended or
// the frame is over the send limit.
func (c *Client) encodeRequestFrame(ctx context.Context, service, method string, req interface{}) (*[]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, contextError(err)
	}
	req, err := c.codec.prepare(req)
	if err != nil {
		return nil, err
	}
	timeoutNano, md := requestValues(ctx)
	data, err := encodeRequest(service, method, req, timeoutNano, md)
	if err != nil {
		return nil, err
	}
	if n := len(*data); n > c.config.maxSend {
		releaseBuffer(data)
		return nil, oversizedMessageError(n, c.config.maxSend)
	}
	return data, nil
}

// serverError is the error of a call the server failed with st.
func serverError(ctx context.Context, st *statuspb.Status) error {
	return asContextError(ctx, status.ErrorProto(st))
}

// asContextError returns err, except when it is a CANCELED or
// DEADLINE_EXCEEDED (from the server, or the context itself) and the
// caller's context has ended that way too: then the call fails as if the
// client had noticed first (both race to end the call), so that
// errors.Is(err, context.DeadlineExceeded) holds either way.
func asContextError(ctx context.Context, err error) error {
	ctxErr := ctx.Err()
	if ctxErr == nil {
		// The server answers DEADLINE_EXCEEDED at the deadline it was
		// sent, which may come before the context's own timer has fired.
		if deadline, ok := ctx.Deadline(); ok && !time.Now().Before(deadline) {
			ctxErr = context.DeadlineExceeded
		} else {
			return err
		}
	}
	if errors.Is(err, ctxErr) || status.Code(err) == status.FromContextError(ctxErr).Code() {
		return contextError(ctxErr)
	}
	return err
}

// callIntercepted is the path of a call through the interceptors, which
// see the Request and Response envelopes, and the StatsHandler.
func (c *Client) callIntercepted(ctx context.Context, service, method string, req, resp interface{}) (err error) {
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
		return serverError(ctx, st)
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
	timeoutNano, md := requestValues(ctx)
	return &Request{
		Service:     service,
		Method:      method,
		Payload:     payload,
		TimeoutNano: timeoutNano,
		Metadata:    md.toKeyValues(),
	}
}

// requestValues returns what a request carries from its context: the time
// left until its deadline (0 for none) and its metadata.
func requestValues(ctx context.Context) (timeoutNano int64, md MD) {
	if deadline, ok := ctx.Deadline(); ok {
		// A deadline already past still sends a positive timeout so that
		// the server never reads it as "none"; the call fails before it is
		// sent anyway.
		timeoutNano = max(time.Until(deadline).Nanoseconds(), 1)
	}
	md, _ = GetMetadata(ctx)
	return timeoutNano, md
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
	frame, err := c.roundTrip(ctx, data)
	if err != nil {
		return err
	}
	defer releaseBuffer(frame)
	if err := proto.Unmarshal(*frame, resp); err != nil {
		return errors.Join(ErrProtocol, err)
	}
	return nil
}

// roundTrip sends a request frame and returns the response frame, which
// the caller then owns.
func (c *Client) roundTrip(ctx context.Context, data *[]byte) (*[]byte, error) {
	cc, err := c.source.get(ctx)
	if err != nil {
		releaseBuffer(data)
		return nil, err
	}
	cl := newCall()
	if inQueue, err := cc.enqueue(ctx, outFrame{typ: frameTypeRequest, data: data, call: cl}); err != nil {
		if !inQueue {
			cl.recycle() // nobody else has seen it
		}
		return nil, err
	}
	err, completed := cc.wait(ctx, cl)
	if !completed {
		return nil, err
	}
	frame := cl.frame
	cl.recycle()
	return frame, err
}

// encode marshals msg into a pooled buffer, refusing messages over the
// send limit with an *OversizedMessageErr.
func (c *Client) encode(msg proto.Message) (*[]byte, error) {
	return envelopeCodec.encode(msg, c.config.maxSend)
}

// Close closes the client's connections, fails the calls in flight with
// ErrClosed and waits for the client's goroutines to exit. It is idempotent
// and returns nil. For a Client made by NewClient, the WithOnClose function
// runs after, on the receiver goroutine; for one made by
// NewClientWithDialer, Close runs it before returning. UserOnCloseWait
// waits for it either way.
func (c *Client) Close() error {
	if !c.closing.CompareAndSwap(false, true) {
		<-c.closed
		return nil
	}
	c.source.close()
	close(c.closed)
	if _, dialing := c.source.(*dialSource); dialing {
		c.runOnClose()
	}
	return nil
}

// runOnClose runs the WithOnClose function, once.
func (c *Client) runOnClose() {
	if c.userCloseOnce.CompareAndSwap(false, true) {
		c.config.onClose()
		close(c.userCloseDone)
	}
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
