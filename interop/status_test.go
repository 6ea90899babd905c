// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package interop

import (
	"context"
	"testing"

	cttrpc "github.com/containerd/ttrpc"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/interop/internal/ours"
	"github.com/featherrpc/ttrpc/interop/internal/peer"
	"github.com/featherrpc/ttrpc/interop/internal/script"
	"github.com/featherrpc/ttrpc/interop/internal/testpb"
	"github.com/featherrpc/ttrpc/interop/internal/testsvc"
	"github.com/featherrpc/ttrpc/interop/internal/theirs"
)

// TestForeignStatusErrors: handlers that return the other package's
// status errors. Code moved from containerd's ttrpc to ours keeps
// returning errors made with google.golang.org/grpc/status (containerd's
// errdefs do); our server keeps their code, message and details, so that
// every client decodes them. containerd's server does not recognise our
// status errors (its grpc status.FromError looks for grpc's own type) and
// answers UNKNOWN with the error's text; a limitation on their side, and
// a reason to use grpc's status package with their server.
func TestForeignStatusErrors(t *testing.T) {
	fail := &testpb.Echo{Seq: 4, Action: testsvc.ActionError, Code: 5, Text: "gone"}
	for _, client := range impls {
		t.Run(client.Name+"-client_featherrpc-server-with-grpc-status", func(t *testing.T) {
			leakcheck.Check(t)
			env := ours.Env(nil)
			env.Status = theirs.NewStatusError
			s, err := ttrpc.NewServer()
			if err != nil {
				t.Fatal(err)
			}
			ours.Register(s, env)
			c := dial(t, client, serve(t, s), peer.ClientOptions{})
			_, err = call(context.Background(), c, fail)
			if err := script.CheckStatus(client, err, script.ErrorStatus(fail)); err != nil {
				t.Error(err)
			}
		})
		t.Run(client.Name+"-client_containerd-server-with-featherrpc-status", func(t *testing.T) {
			leakcheck.Check(t)
			env := theirs.Env(nil)
			env.Status = ours.NewStatusError
			s, err := cttrpc.NewServer()
			if err != nil {
				t.Fatal(err)
			}
			theirs.Register(s, env)
			c := dial(t, client, serve(t, s), peer.ClientOptions{})
			_, err = call(context.Background(), c, fail)
			want := script.WantStatus{Code: 2, Message: "rpc error: code = NotFound desc = gone"}
			if err := script.CheckStatus(client, err, want); err != nil {
				t.Error(err)
			}
		})
	}
}
