// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

// WithErrorConverter sets a function that converts every non-nil error the
// client gives back to its caller: the errors of Call (and so of generated
// clients), of NewStream and of the methods of the streams it returns. It
// runs last, outside every interceptor and after the StatsHandler: they see
// each error, and each Response, exactly as without it. A second use
// converts after the first. Default: none.
//
// github.com/featherrpc/ttrpc/grpcstatus uses it so that grpc's status
// package reads this library's status errors, while interceptors (such as
// otelttrpc's) see what they see with containerd's ttrpc: a nil error and
// the status in Response.Status for an error the server answered.
func WithErrorConverter(convert func(error) error) ClientOpts {
	return func(c *Client) {
		switch inner := c.config.convertError; {
		case convert == nil:
		case inner == nil:
			c.config.convertError = convert
		default:
			c.config.convertError = func(err error) error { return convert(inner(err)) }
		}
	}
}

// convertingStream converts the errors of the stream it wraps, for
// WithErrorConverter. Its methods may be called concurrently as the
// wrapped stream's may.
type convertingStream struct {
	ClientStream
	convert func(error) error
}

// CloseSend closes the sending side, converting its error.
func (s *convertingStream) CloseSend() error { return s.converted(s.ClientStream.CloseSend()) }

// SendMsg sends m, converting the error.
func (s *convertingStream) SendMsg(m interface{}) error {
	return s.converted(s.ClientStream.SendMsg(m))
}

// RecvMsg receives into m, converting the error.
func (s *convertingStream) RecvMsg(m interface{}) error {
	return s.converted(s.ClientStream.RecvMsg(m))
}

func (s *convertingStream) converted(err error) error {
	if err == nil {
		return nil
	}
	return s.convert(err)
}
