// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc_test

import (
	"context"
	"net"
	"testing"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/status/statuspb"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// These assignments pin the drop-in contract of ../shared/API.md: every
// name exists with the signature containerd's ttrpc v1.2 has, so this file
// stops compiling if one changes. The Linux-only names are pinned in
// api_linux_test.go.
var (
	_ error                                                                                                            = ttrpc.ErrProtocol
	_ error                                                                                                            = ttrpc.ErrClosed
	_ error                                                                                                            = ttrpc.ErrServerClosed
	_ error                                                                                                            = ttrpc.ErrStreamClosed
	_ error                                                                                                            = ttrpc.ErrStreamFull
	_ protoreflect.FileDescriptor                                                                                      = ttrpc.File_request_proto
	_ func(context.Context, string) (string, bool)                                                                     = ttrpc.GetMetadataValue
	_ func(int) error                                                                                                  = ttrpc.OversizedMessageError
	_ func(context.Context, ttrpc.MD) context.Context                                                                  = ttrpc.WithMetadata
	_ func(net.Conn, ...ttrpc.ClientOpts) *ttrpc.Client                                                                = ttrpc.NewClient
	_ func(*ttrpc.Client, context.Context, string, string, interface{}, interface{}) error                             = (*ttrpc.Client).Call
	_ func(*ttrpc.Client) error                                                                                        = (*ttrpc.Client).Close
	_ func(*ttrpc.Client, context.Context, *ttrpc.StreamDesc, string, string, interface{}) (ttrpc.ClientStream, error) = (*ttrpc.Client).NewStream
	_ func(*ttrpc.Client, context.Context) error                                                                       = (*ttrpc.Client).UserOnCloseWait
	_ func(...ttrpc.UnaryClientInterceptor) ttrpc.ClientOpts                                                           = ttrpc.WithChainUnaryClientInterceptor
	_ func(func()) ttrpc.ClientOpts                                                                                    = ttrpc.WithOnClose
	_ func(ttrpc.UnaryClientInterceptor) ttrpc.ClientOpts                                                              = ttrpc.WithUnaryClientInterceptor
	_ func(*ttrpc.Client)                                                                                              = ttrpc.ClientOpts(nil)
	_ func(context.Context, *ttrpc.Request, *ttrpc.Response) error                                                     = ttrpc.Invoker(nil)
	_ func(context.Context) (ttrpc.MD, bool)                                                                           = ttrpc.GetMetadata
	_ func(ttrpc.MD, string, ...string)                                                                                = ttrpc.MD.Append
	_ func(ttrpc.MD) ttrpc.MD                                                                                          = ttrpc.MD.Clone
	_ func(ttrpc.MD, string) ([]string, bool)                                                                          = ttrpc.MD.Get
	_ func(ttrpc.MD, string, ...string)                                                                                = ttrpc.MD.Set
	_ func(context.Context, func(interface{}) error) (interface{}, error)                                              = ttrpc.Method(nil)
	_ func(*ttrpc.OversizedMessageErr) string                                                                          = (*ttrpc.OversizedMessageErr).Error
	_ func(*ttrpc.OversizedMessageErr) int                                                                             = (*ttrpc.OversizedMessageErr).MaximumLength
	_ func(*ttrpc.OversizedMessageErr) int                                                                             = (*ttrpc.OversizedMessageErr).RejectedLength
	_ func(*ttrpc.OversizedMessageErr) error                                                                           = (*ttrpc.OversizedMessageErr).Unwrap
	_ func(...ttrpc.ServerOpt) (*ttrpc.Server, error)                                                                  = ttrpc.NewServer
	_ func(*ttrpc.Server) error                                                                                        = (*ttrpc.Server).Close
	_ func(*ttrpc.Server, string, map[string]ttrpc.Method)                                                             = (*ttrpc.Server).Register
	_ func(*ttrpc.Server, string, *ttrpc.ServiceDesc)                                                                  = (*ttrpc.Server).RegisterService
	_ func(*ttrpc.Server, context.Context, net.Listener) error                                                         = (*ttrpc.Server).Serve
	_ func(*ttrpc.Server, context.Context) error                                                                       = (*ttrpc.Server).Shutdown
	_ func(...ttrpc.UnaryServerInterceptor) ttrpc.ServerOpt                                                            = ttrpc.WithChainUnaryServerInterceptor
	_ func(ttrpc.Handshaker) ttrpc.ServerOpt                                                                           = ttrpc.WithServerHandshaker
	_ func(ttrpc.UnaryServerInterceptor) ttrpc.ServerOpt                                                               = ttrpc.WithUnaryServerInterceptor
	_ func(context.Context, ttrpc.StreamServer) (interface{}, error)                                                   = ttrpc.StreamHandler(nil)
	_ func(context.Context, ttrpc.StreamServer, *ttrpc.StreamServerInfo, ttrpc.StreamHandler) (interface{}, error)     = ttrpc.StreamServerInterceptor(nil)
	_ func(context.Context)                                                                                            = ttrpc.StreamClientInterceptor(nil)
	_ func(context.Context, *ttrpc.Request, *ttrpc.Response, *ttrpc.UnaryClientInfo, ttrpc.Invoker) error              = ttrpc.UnaryClientInterceptor(nil)
	_ func(context.Context, ttrpc.Unmarshaler, *ttrpc.UnaryServerInfo, ttrpc.Method) (interface{}, error)              = ttrpc.UnaryServerInterceptor(nil)
	_ func(interface{}) error                                                                                          = ttrpc.Unmarshaler(nil)
)

// The types with fields and interfaces, as API.md lists them.
var (
	_                    = ttrpc.Request{Service: "", Method: "", Payload: nil, TimeoutNano: 0, Metadata: []*ttrpc.KeyValue{{Key: "", Value: ""}}}
	_                    = ttrpc.Response{Status: (*statuspb.Status)(nil), Payload: nil}
	_                    = ttrpc.StringList{List: nil}
	_                    = ttrpc.ServiceDesc{Methods: map[string]ttrpc.Method{}, Streams: map[string]ttrpc.Stream{}}
	_                    = ttrpc.Stream{Handler: nil, StreamingClient: false, StreamingServer: false}
	_                    = ttrpc.StreamDesc{StreamingClient: false, StreamingServer: false}
	_                    = ttrpc.StreamServerInfo{FullMethod: "", StreamingClient: false, StreamingServer: false}
	_                    = ttrpc.UnaryClientInfo{FullMethod: ""}
	_                    = ttrpc.UnaryServerInfo{FullMethod: ""}
	_ ttrpc.ClientStream = interface {
		CloseSend() error
		SendMsg(m interface{}) error
		RecvMsg(m interface{}) error
	}(nil)
	_ ttrpc.StreamServer = interface {
		SendMsg(m interface{}) error
		RecvMsg(m interface{}) error
	}(nil)
	_ ttrpc.Handshaker = interface {
		Handshake(ctx context.Context, conn net.Conn) (net.Conn, interface{}, error)
	}(nil)
)

// TestAPIErrorTexts checks the sentinel errors' texts, which users of
// containerd's ttrpc may compare.
func TestAPIErrorTexts(t *testing.T) {
	for err, want := range map[error]string{
		ttrpc.ErrProtocol:     "protocol error",
		ttrpc.ErrClosed:       "ttrpc: closed",
		ttrpc.ErrServerClosed: "ttrpc: server closed",
		ttrpc.ErrStreamClosed: "ttrpc: stream closed",
		ttrpc.ErrStreamFull:   "ttrpc: stream buffer full",
	} {
		if err.Error() != want {
			t.Errorf("error text %q, want %q", err.Error(), want)
		}
	}
}
