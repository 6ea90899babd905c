// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package interop

import (
	"context"
	"errors"
	"net"
	"testing"

	cttrpc "github.com/containerd/ttrpc"
	gcodes "google.golang.org/grpc/codes"
	gstatus "google.golang.org/grpc/status"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

// acceptAll is a handshaker for both libraries that accepts every
// connection. (Their handshakers that check the peer exist on Linux only.)
type acceptAll struct{}

func (acceptAll) Handshake(_ context.Context, conn net.Conn) (net.Conn, interface{}, error) {
	return conn, nil, nil
}

// TestErrorTextsMatchContainerd: the errors that both libraries return for
// the same thing have the same text, so that code which matches on a text
// (logs, tests, a strings.Contains) sees no change after the swap.
func TestErrorTextsMatchContainerd(t *testing.T) {
	_, ourHandshakers := ttrpc.NewServer(
		ttrpc.WithServerHandshaker(acceptAll{}), ttrpc.WithServerHandshaker(acceptAll{}))
	_, theirHandshakers := cttrpc.NewServer(
		cttrpc.WithServerHandshaker(acceptAll{}), cttrpc.WithServerHandshaker(acceptAll{}))
	ourInterceptor := func(ctx context.Context, u ttrpc.Unmarshaler, _ *ttrpc.UnaryServerInfo, m ttrpc.Method) (interface{}, error) {
		return m(ctx, u)
	}
	theirInterceptor := func(ctx context.Context, u cttrpc.Unmarshaler, _ *cttrpc.UnaryServerInfo, m cttrpc.Method) (interface{}, error) {
		return m(ctx, u)
	}
	_, ourInterceptors := ttrpc.NewServer(ttrpc.WithUnaryServerInterceptor(ourInterceptor), ttrpc.WithUnaryServerInterceptor(ourInterceptor))
	_, theirInterceptors := cttrpc.NewServer(cttrpc.WithUnaryServerInterceptor(theirInterceptor), cttrpc.WithUnaryServerInterceptor(theirInterceptor))

	for _, c := range []struct {
		what         string
		ours, theirs error
	}{
		{"ErrProtocol", ttrpc.ErrProtocol, cttrpc.ErrProtocol},
		{"ErrClosed", ttrpc.ErrClosed, cttrpc.ErrClosed},
		{"ErrServerClosed", ttrpc.ErrServerClosed, cttrpc.ErrServerClosed},
		{"ErrStreamClosed", ttrpc.ErrStreamClosed, cttrpc.ErrStreamClosed},
		// containerd's ttrpc has ErrStreamFull since v1.2.9; the v1.2.8 run
		// of this suite (go.v1.2.8.mod) cannot name it, so its text is
		// written out.
		{"ErrStreamFull", ttrpc.ErrStreamFull, errors.New("ttrpc: stream buffer full")},
		{"OversizedMessageError", ttrpc.OversizedMessageError(4<<20 + 1), cttrpc.OversizedMessageError(4<<20 + 1)},
		{"two handshakers", ourHandshakers, theirHandshakers},
		{"two unchained interceptors", ourInterceptors, theirInterceptors},
		{"a status error", status.Error(codes.NotFound, "no such container"), gstatus.Error(gcodes.NotFound, "no such container")},
	} {
		if c.ours == nil || c.theirs == nil {
			t.Errorf("%s: ours %v, containerd's %v; want both", c.what, c.ours, c.theirs)
			continue
		}
		if c.ours.Error() != c.theirs.Error() {
			t.Errorf("%s: ours says %q, containerd's %q", c.what, c.ours, c.theirs)
		}
	}
}
