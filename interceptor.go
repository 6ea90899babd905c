// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import "context"

// UnaryServerInfo describes the call a UnaryServerInterceptor intercepts.
type UnaryServerInfo struct {
	// FullMethod is "/" + service + "/" + method.
	FullMethod string
}

// UnaryClientInfo describes the call a UnaryClientInterceptor intercepts.
type UnaryClientInfo struct {
	// FullMethod is "/" + service + "/" + method.
	FullMethod string
}

// Unmarshaler decodes the request of a call into its argument.
type Unmarshaler func(interface{}) error

// Invoker sends a request and fills in its response. It returns an error
// only when no response came back; a response with an error status is a
// successful invocation whose status the Client turns into the call's error.
type Invoker func(context.Context, *Request, *Response) error

// UnaryServerInterceptor wraps the handling of a unary call on the server.
// It calls method to run the handler (or the next interceptor).
type UnaryServerInterceptor func(context.Context, Unmarshaler, *UnaryServerInfo, Method) (interface{}, error)

// UnaryClientInterceptor wraps a unary call on the client. It calls the
// Invoker to send the request (or to run the next interceptor).
type UnaryClientInterceptor func(context.Context, *Request, *Response, *UnaryClientInfo, Invoker) error

// StreamClientInfo describes the stream a ClientStreamInterceptor intercepts.
type StreamClientInfo struct {
	// FullMethod is "/" + service + "/" + method.
	FullMethod      string
	StreamingClient bool
	StreamingServer bool
}

// Streamer opens a stream with an already built request envelope: the end
// of a chain of ClientStreamInterceptors.
type Streamer func(ctx context.Context, desc *StreamDesc, req *Request) (ClientStream, error)

// ClientStreamInterceptor wraps the opening of a stream on the client. It
// may change the request (its metadata, say) before calling streamer, and
// may wrap the ClientStream it returns to see every message. (containerd's
// ttrpc declares StreamClientInterceptor only as a placeholder; this is the
// working type.)
type ClientStreamInterceptor func(ctx context.Context, desc *StreamDesc, req *Request, info *StreamClientInfo, streamer Streamer) (ClientStream, error)

// chainInterceptors composes interceptors into one, the first outermost,
// with compose(outer, inner) building an interceptor that runs outer with
// inner as its next step. It is built once, when a Client or Server is made,
// and returns false when there is nothing to chain.
func chainInterceptors[I any](list []I, compose func(outer, inner I) I) (I, bool) {
	var zero I
	if len(list) == 0 {
		return zero, false
	}
	chained := list[len(list)-1]
	for i := len(list) - 2; i >= 0; i-- {
		chained = compose(list[i], chained)
	}
	return chained, true
}

// composeUnaryServer runs outer, whose next step runs inner.
func composeUnaryServer(outer, inner UnaryServerInterceptor) UnaryServerInterceptor {
	return func(ctx context.Context, unmarshal Unmarshaler, info *UnaryServerInfo, method Method) (interface{}, error) {
		next := func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			return inner(ctx, unmarshal, info, method)
		}
		return outer(ctx, unmarshal, info, next)
	}
}

// composeUnaryClient runs outer, whose next step runs inner.
func composeUnaryClient(outer, inner UnaryClientInterceptor) UnaryClientInterceptor {
	return func(ctx context.Context, req *Request, resp *Response, info *UnaryClientInfo, invoker Invoker) error {
		next := func(ctx context.Context, req *Request, resp *Response) error {
			return inner(ctx, req, resp, info, invoker)
		}
		return outer(ctx, req, resp, info, next)
	}
}

// fullMethod is the name interceptors see: "/" + service + "/" + method.
func fullMethod(service, method string) string {
	return "/" + service + "/" + method
}

// composeClientStream runs outer, whose next step runs inner.
func composeClientStream(outer, inner ClientStreamInterceptor) ClientStreamInterceptor {
	return func(ctx context.Context, desc *StreamDesc, req *Request, info *StreamClientInfo, streamer Streamer) (ClientStream, error) {
		next := func(ctx context.Context, desc *StreamDesc, req *Request) (ClientStream, error) {
			return inner(ctx, desc, req, info, streamer)
		}
		return outer(ctx, desc, req, info, next)
	}
}

// composeStreamServer runs outer, whose next step runs inner.
func composeStreamServer(outer, inner StreamServerInterceptor) StreamServerInterceptor {
	return func(ctx context.Context, ss StreamServer, info *StreamServerInfo, handler StreamHandler) (interface{}, error) {
		next := func(ctx context.Context, ss StreamServer) (interface{}, error) {
			return inner(ctx, ss, info, handler)
		}
		return outer(ctx, ss, info, next)
	}
}
