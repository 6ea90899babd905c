// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package ttrpc is a small RPC library for processes on one host: container
// runtimes, shims, VM agents and other small daemons talking over Unix
// sockets or vsock. It is a drop-in, wire-compatible replacement for
// containerd's ttrpc ("gRPC for low-memory environments"): code written
// against containerd's ttrpc v1.2 compiles against this package after only
// its import paths change, and the two talk to each other in both
// directions.
//
// Messages are protobuf messages. Errors carry the status codes of the
// packages [github.com/featherrpc/ttrpc/status] and
// [github.com/featherrpc/ttrpc/codes], which mirror grpc's (handlers may
// return grpc's status errors too). Deadlines and metadata ([MD],
// [WithMetadata], [GetMetadata]) travel with every call and stream.
//
// # Serving
//
// Services are described in .proto files; protoc-gen-go-ttrpc
// (github.com/featherrpc/ttrpc/cmd/protoc-gen-go-ttrpc) generates, for a
// service Example, the interface ExampleService that an implementation
// satisfies, the struct UnimplementedExampleService to embed in it,
// RegisterExampleService and NewExampleClient. A server takes three calls,
// [NewServer], a Register function (or [Server.Register] and
// [Server.RegisterService] for hand-written methods) and [Server.Serve]:
//
//	server, err := ttrpc.NewServer()
//	examplepb.RegisterExampleService(server, impl)
//	l, err := ttrpc.Listen("unix:///run/example.sock")
//	err = server.Serve(ctx, l)
//
// [Server.Shutdown] stops accepting, lets every request already received
// finish, refuses new ones with UNAVAILABLE and returns when every
// connection has closed; [Server.Close] closes everything at once. Serve
// then returns [ErrServerClosed].
//
// # Calling
//
// Two constructors make the same *[Client]:
//
//   - [NewClient] calls over a connection you already have. The client is
//     that one connection, as in containerd's ttrpc: when it ends, calls fail
//     with [ErrClosed] and the client is done.
//   - [NewClientWithDialer] calls over connections it dials itself: the first
//     call dials, a lost connection is dialed again by the next call (with
//     backoff between failed dials, [WithDialBackoff]),
//     [WithConnections](n) keeps a pool of n connections, and
//     [WithWaitForConnection] makes calls wait for a connection while the
//     server is down instead of failing at once.
//
// A pooled client of a Unix socket:
//
//	dial, err := ttrpc.NewDialer("unix:///run/example.sock")
//	client := ttrpc.NewClientWithDialer(dial, ttrpc.WithConnections(4))
//	defer client.Close()
//	svc := examplepb.NewExampleClient(client)
//
// [Dial], [NewDialer] and [Listen] take addresses: a Unix socket's path or
// unix://PATH, unix://@NAME (an abstract socket, Linux), vsock://CID:PORT
// (Linux), hvsock://PATH:PORT (the hybrid vsock of a Firecracker or Cloud
// Hypervisor VM) and tcp://HOST:PORT. Serve and NewClient take any
// net.Listener and net.Conn: [github.com/featherrpc/ttrpc/memconn] has
// in-memory ones for tests.
//
// A server checks who connects with a [Handshaker], run on each accepted
// connection before any request: on Linux, [UnixSocketRequireSameUser] and
// its siblings check the peer process, and handlers read it with
// [PeerCredentials]. A [StatsHandler] ([WithServerStatsHandler],
// [WithClientStatsHandler]) observes connections, calls and streams.
//
// # Differences from containerd's ttrpc
//
// The API and the bytes on the wire are the same. The behaviour differs
// where containerd's ttrpc crashes, closes a connection or holds one up:
//
//   - A panic in a handler or an interceptor is recovered: it is logged and
//     fails only its own call, with INTERNAL, and the server and the
//     connection go on. containerd's ttrpc crashes the process, as this one
//     does with [WithServerPanicRecovery](false).
//   - Streams have a flow policy. The protocol has no flow control, so the
//     connection never waits for a stream's reader: each stream buffers the
//     messages its reader has not taken yet, a number of them freely; past
//     that, a reader that takes none for a while, or falls 16 MiB behind,
//     fails the stream with [ErrStreamFull] instead of holding up the
//     connection's other calls. The reader still gets the messages that
//     were buffered, then the error; when a server's stream fails, the
//     client gets RESOURCE_EXHAUSTED. [WithClientStreamBuffer] and
//     [WithServerStreamBuffer] set the number and the wait. containerd's
//     ttrpc has a fixed buffer, and when it is full holds up the
//     connection's reader, and so every call on the connection, for up to
//     a second before it fails the stream.
//   - A handler's answer over the message size limit fails only its own
//     call, with RESOURCE_EXHAUSTED; containerd's server closes the
//     connection. A request over the limit is refused by the client before
//     anything is sent ([OversizedMessageErr]).
//   - Context errors are status codes. A handler's error that is, or wraps
//     (errors.Is), context.Canceled or context.DeadlineExceeded answers
//     CANCELED or DEADLINE_EXCEEDED (containerd's ttrpc maps only the bare
//     values). A call or stream whose own context ends returns at once, even
//     when the server stopped reading, with a CANCELED or DEADLINE_EXCEEDED
//     status error that also matches the context's error with errors.Is.
//     Other errors get containerd's ttrpc's codes (io.EOF OUT_OF_RANGE,
//     fs.ErrNotExist NOT_FOUND, fs.ErrPermission PERMISSION_DENIED, ...),
//     also when wrapped, and UNKNOWN otherwise, with their text.
//   - Streams carry the caller's deadline and metadata, as unary calls do,
//     and go through interceptors on both sides.
//   - [Response].Status is this library's status message (the same
//     google.rpc.Status on the wire), and request.proto is registered as
//     github.com/featherrpc/ttrpc/request.proto ([File_request_proto]), so
//     that both libraries can be linked into one program.
//
// The README's migration guides (from containerd's ttrpc and from grpc-go)
// list the rest. ARCHITECTURE.md, beside the README, describes how the
// package is built, for contributors.
package ttrpc
