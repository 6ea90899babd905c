// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package script is the fixed set of conversations that cmd/record records
// between containerd's client and server, and that the replay tests play
// back against ours. Each case runs on a connection of its own (stream ids
// start at 1), carries no deadline and only sorted metadata, so that its
// bytes are the same at every recording; and each checks what the client
// decoded, so the same case checks our client when it is fed the recorded
// server frames.
package script

import (
	"context"
	"fmt"

	"github.com/featherrpc/ttrpc/interop/internal/peer"
	"github.com/featherrpc/ttrpc/interop/internal/testpb"
	"github.com/featherrpc/ttrpc/interop/internal/testsvc"
)

// Case is one recorded conversation.
type Case struct {
	Name string // file name without .frames
	Doc  string // what it covers, written at the top of the file
	// Run drives the client through the conversation and checks every
	// answer. impl is the client's implementation (for metadata and
	// status decoding). The client's options are ClientOptions (sorted
	// metadata).
	Run func(ctx context.Context, impl peer.Impl, c peer.Client) error
}

// ClientOptions are the options of the client a case runs on.
var ClientOptions = peer.ClientOptions{SortMetadata: true}

var (
	collect  = peer.StreamDesc{StreamingClient: true}
	generate = peer.StreamDesc{StreamingServer: true}
	chat     = peer.StreamDesc{StreamingClient: true, StreamingServer: true}
)

// Cases is every recorded case, in file name order.
var Cases = []Case{
	{
		Name: "chat",
		Doc:  "Chat (bidi): three messages, the second empty, each echoed before the next is sent; then CloseSend, and the server's OK ending (data, remote closed + no data).",
		Run: func(ctx context.Context, impl peer.Impl, c peer.Client) error {
			s, err := c.NewStream(ctx, chat, testsvc.Service, testsvc.Chat, nil)
			if err != nil {
				return err
			}
			for _, m := range []*testpb.Echo{{Seq: 1, Text: "one"}, {}, {Seq: 3, Data: testsvc.Pattern(8)}} {
				if err := Send(s, m); err != nil {
					return err
				}
				if err := Recv(s, m); err != nil {
					return err
				}
			}
			if err := s.CloseSend(); err != nil {
				return err
			}
			return RecvEOF(s)
		},
	},
	{
		Name: "chat_error",
		Doc:  "Chat (bidi): one message echoed, then one that makes the handler fail: a Response frame with PERMISSION_DENIED and two details.",
		Run: func(ctx context.Context, impl peer.Impl, c peer.Client) error {
			s, err := c.NewStream(ctx, chat, testsvc.Service, testsvc.Chat, nil)
			if err != nil {
				return err
			}
			first := &testpb.Echo{Seq: 1, Text: "hello"}
			if err := Send(s, first); err != nil {
				return err
			}
			if err := Recv(s, first); err != nil {
				return err
			}
			fail := &testpb.Echo{Seq: 2, Action: testsvc.ActionError, Code: 7, Text: "denied"}
			if err := Send(s, fail); err != nil {
				return err
			}
			return CheckStatus(impl, s.RecvMsg(&testpb.Echo{}), ErrorStatus(fail))
		},
	},
	{
		Name: "chat_final",
		Doc:  "Chat (bidi) ending with a final message: the handler returns a message instead of nil, sent as a data frame with remote closed and the message.",
		Run: func(ctx context.Context, impl peer.Impl, c peer.Client) error {
			s, err := c.NewStream(ctx, chat, testsvc.Service, testsvc.Chat, nil)
			if err != nil {
				return err
			}
			m := &testpb.Echo{Seq: 1, Action: testsvc.ActionFinal}
			if err := Send(s, m); err != nil {
				return err
			}
			if err := Recv(s, m); err != nil {
				return err
			}
			if err := s.CloseSend(); err != nil {
				return err
			}
			if err := Recv(s, testsvc.Final()); err != nil {
				return err
			}
			return RecvEOF(s)
		},
	},
	{
		Name: "chat_stop",
		Doc:  "Chat (bidi) that the server ends first, before the client closes its side; then a unary call on the same connection (stream 3).",
		Run: func(ctx context.Context, impl peer.Impl, c peer.Client) error {
			s, err := c.NewStream(ctx, chat, testsvc.Service, testsvc.Chat, nil)
			if err != nil {
				return err
			}
			if err := Send(s, &testpb.Echo{Seq: 1, Action: testsvc.ActionStop}); err != nil {
				return err
			}
			if err := RecvEOF(s); err != nil {
				return err
			}
			return unary(ctx, c, &testpb.Echo{Seq: 2, Text: "after"}, &testpb.Echo{Seq: 2, Text: "after"})
		},
	},
	{
		Name: "collect",
		Doc:  "Collect (client streaming): three messages, the second empty, then CloseSend; the answer comes in a Response frame.",
		Run: func(ctx context.Context, impl peer.Impl, c peer.Client) error {
			s, err := c.NewStream(ctx, collect, testsvc.Service, testsvc.Collect, nil)
			if err != nil {
				return err
			}
			if err := Send(s, &testpb.Echo{Seq: 1, Text: "a", Data: []byte{1}}, &testpb.Echo{}, &testpb.Echo{Seq: 3, Text: "c", Data: []byte{3}}); err != nil {
				return err
			}
			if err := s.CloseSend(); err != nil {
				return err
			}
			return Recv(s, &testpb.Echo{Seq: 3, Text: "a||c", Data: []byte{1, 3}})
		},
	},
	{
		Name: "collect_empty",
		Doc:  "Collect (client streaming) with no message at all: CloseSend at once; the answer is an empty message (a Response with no payload).",
		Run: func(ctx context.Context, impl peer.Impl, c peer.Client) error {
			s, err := c.NewStream(ctx, collect, testsvc.Service, testsvc.Collect, nil)
			if err != nil {
				return err
			}
			if err := s.CloseSend(); err != nil {
				return err
			}
			return Recv(s, &testpb.Echo{})
		},
	},
	{
		Name: "collect_error",
		Doc:  "Collect (client streaming) whose handler fails after reading both messages: INVALID_ARGUMENT with details.",
		Run: func(ctx context.Context, impl peer.Impl, c peer.Client) error {
			s, err := c.NewStream(ctx, collect, testsvc.Service, testsvc.Collect, nil)
			if err != nil {
				return err
			}
			fail := &testpb.Echo{Seq: 2, Action: testsvc.ActionError, Code: 3, Text: "bad second message"}
			if err := Send(s, &testpb.Echo{Seq: 1}, fail); err != nil {
				return err
			}
			if err := s.CloseSend(); err != nil {
				return err
			}
			return CheckStatus(impl, s.RecvMsg(&testpb.Echo{}), ErrorStatus(fail))
		},
	},
	{
		Name: "generate",
		Doc:  "Generate (server streaming): three messages, then the OK ending (data, remote closed + no data).",
		Run: func(ctx context.Context, impl peer.Impl, c peer.Client) error {
			s, err := c.NewStream(ctx, generate, testsvc.Service, testsvc.Generate, &testpb.Echo{Count: 3, Text: "g"})
			if err != nil {
				return err
			}
			if err := Recv(s, &testpb.Echo{Seq: 1, Text: "g"}, &testpb.Echo{Seq: 2, Text: "g"}, &testpb.Echo{Seq: 3, Text: "g"}); err != nil {
				return err
			}
			return RecvEOF(s)
		},
	},
	{
		Name: "generate_empty",
		Doc:  "Generate (server streaming) of two empty messages: zero-length data frames without the no-data flag.",
		Run: func(ctx context.Context, impl peer.Impl, c peer.Client) error {
			s, err := c.NewStream(ctx, generate, testsvc.Service, testsvc.Generate, &testpb.Echo{Count: 2, Action: testsvc.ActionEmpty})
			if err != nil {
				return err
			}
			if err := Recv(s, &testpb.Echo{}, &testpb.Echo{}); err != nil {
				return err
			}
			return RecvEOF(s)
		},
	},
	{
		Name: "generate_error",
		Doc:  "Generate (server streaming): two messages, then the error ending (a Response frame with ABORTED and details).",
		Run: func(ctx context.Context, impl peer.Impl, c peer.Client) error {
			req := &testpb.Echo{Seq: 9, Count: 2, Action: testsvc.ActionError, Code: 10, Text: "aborted"}
			s, err := c.NewStream(ctx, generate, testsvc.Service, testsvc.Generate, req)
			if err != nil {
				return err
			}
			if err := Recv(s, &testpb.Echo{Seq: 1, Text: "aborted"}, &testpb.Echo{Seq: 2, Text: "aborted"}); err != nil {
				return err
			}
			return CheckStatus(impl, s.RecvMsg(&testpb.Echo{}), ErrorStatus(req))
		},
	},
	{
		Name: "generate_final",
		Doc:  "Generate (server streaming) ending with a final message: a data frame with remote closed that carries a message.",
		Run: func(ctx context.Context, impl peer.Impl, c peer.Client) error {
			s, err := c.NewStream(ctx, generate, testsvc.Service, testsvc.Generate, &testpb.Echo{Count: 1, Action: testsvc.ActionFinal, Text: "f"})
			if err != nil {
				return err
			}
			if err := Recv(s, &testpb.Echo{Seq: 1, Text: "f"}, testsvc.Final()); err != nil {
				return err
			}
			return RecvEOF(s)
		},
	},
	{
		Name: "generate_none",
		Doc:  "Generate (server streaming) of no message: the OK ending alone.",
		Run: func(ctx context.Context, impl peer.Impl, c peer.Client) error {
			s, err := c.NewStream(ctx, generate, testsvc.Service, testsvc.Generate, &testpb.Echo{Text: "nothing"})
			if err != nil {
				return err
			}
			return RecvEOF(s)
		},
	},
	{
		Name: "unary",
		Doc:  "Unary calls on one connection (streams 1, 3, 5): a small message echoed; an empty request echoed as an empty response; an answer that is an empty message.",
		Run: func(ctx context.Context, impl peer.Impl, c peer.Client) error {
			small := &testpb.Echo{Seq: 1, Text: "hello", Data: testsvc.Pattern(16)}
			if err := unary(ctx, c, small, small); err != nil {
				return err
			}
			if err := unary(ctx, c, &testpb.Echo{}, &testpb.Echo{}); err != nil {
				return err
			}
			return unary(ctx, c, &testpb.Echo{Seq: 3, Text: "x", Action: testsvc.ActionEmpty}, &testpb.Echo{})
		},
	},
	{
		Name: "unary_error",
		Doc:  "Unary calls that fail: a status with code, message and two Any details (NOT_FOUND); an error that is not a status (UNKNOWN).",
		Run: func(ctx context.Context, impl peer.Impl, c peer.Client) error {
			req := &testpb.Echo{Seq: 7, Action: testsvc.ActionError, Code: 5, Text: "no such thing"}
			err := c.Call(ctx, testsvc.Service, testsvc.Unary, req, &testpb.Echo{})
			if err := CheckStatus(impl, err, ErrorStatus(req)); err != nil {
				return err
			}
			err = c.Call(ctx, testsvc.Service, testsvc.Unary, &testpb.Echo{Action: testsvc.ActionPlainError, Text: "plain failure"}, &testpb.Echo{})
			return CheckStatus(impl, err, WantStatus{Code: 2, Message: "plain failure"})
		},
	},
	{
		Name: "unary_metadata",
		Doc:  "A unary call with metadata: three keys, several values for two of them; the handler answers with what it saw.",
		Run: func(ctx context.Context, impl peer.Impl, c peer.Client) error {
			ctx = impl.WithMetadata(ctx, map[string][]string{
				"beta":  {"b1"},
				"alpha": {"a1", "a2"},
				"gamma": {"g1", "g2", "g3"},
			})
			want := &testpb.Echo{Seq: 1, Metadata: []*testpb.Pair{
				{Key: "alpha", Value: "a1"}, {Key: "alpha", Value: "a2"}, {Key: "beta", Value: "b1"},
				{Key: "gamma", Value: "g1"}, {Key: "gamma", Value: "g2"}, {Key: "gamma", Value: "g3"},
			}}
			return unary(ctx, c, &testpb.Echo{Seq: 1}, want)
		},
	},
	{
		Name: "unary_unimplemented",
		Doc:  "Unary calls to an unknown service and to an unknown method: UNIMPLEMENTED, \"service X\" and \"method Y\".",
		Run: func(ctx context.Context, impl peer.Impl, c peer.Client) error {
			err := c.Call(ctx, "featherrpc.interop.v1.Nowhere", testsvc.Unary, &testpb.Echo{}, &testpb.Echo{})
			if err := CheckStatus(impl, err, WantStatus{Code: 12, Message: "service featherrpc.interop.v1.Nowhere"}); err != nil {
				return err
			}
			err = c.Call(ctx, testsvc.Service, "Nothing", &testpb.Echo{}, &testpb.Echo{})
			return CheckStatus(impl, err, WantStatus{Code: 12, Message: "method Nothing"})
		},
	},
}

// unary calls Unary with req and checks the answer.
func unary(ctx context.Context, c peer.Client, req, want *testpb.Echo) error {
	got := &testpb.Echo{}
	if err := c.Call(ctx, testsvc.Service, testsvc.Unary, req, got); err != nil {
		return fmt.Errorf("call %v: %w", req, err)
	}
	return CheckEcho(got, want)
}
