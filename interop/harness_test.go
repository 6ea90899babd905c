// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package interop

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/containerd/log"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/interop/internal/ours"
	"github.com/featherrpc/ttrpc/interop/internal/peer"
	"github.com/featherrpc/ttrpc/interop/internal/theirs"
)

func TestMain(m *testing.M) {
	// containerd's server logs every connection that ends with an error
	// through logrus; the tests end many on purpose.
	_ = log.SetLevel("fatal")
	os.Exit(m.Run())
}

// pair is a client implementation and a server implementation.
type pair struct {
	client, server peer.Impl
}

func (p pair) String() string {
	return p.client.Name + "-client_" + p.server.Name + "-server"
}

// cross reports whether the pair mixes the implementations.
func (p pair) cross() bool { return p.client.Name != p.server.Name }

// pairs is every combination: the two that the suite is for (ours against
// theirs, both ways) and the two controls (each against itself), which
// show whether a behaviour comes from the client or from the server.
var pairs = []pair{
	{client: ours.Impl, server: theirs.Impl},
	{client: theirs.Impl, server: ours.Impl},
	{client: ours.Impl, server: ours.Impl},
	{client: theirs.Impl, server: theirs.Impl},
}

// forEachPair runs f as a subtest for every pair, with a leak check.
func forEachPair(t *testing.T, f func(t *testing.T, p pair)) {
	for _, p := range pairs {
		t.Run(p.String(), func(t *testing.T) {
			leakcheck.Check(t)
			f(t, p)
		})
	}
}

// observation is what a handler that waited for its context saw.
type observation struct {
	seq int64
	err error
}

// server is a running server of one implementation.
type server struct {
	impl     peer.Impl
	addr     string
	observed chan observation // from handlers that waited (testsvc.ActionWait)
}

// startServer serves the interop service (registered by hand) with impl on
// a fresh Unix socket until the test ends.
func startServer(t *testing.T, impl peer.Impl) *server {
	t.Helper()
	s := &server{impl: impl, observed: make(chan observation, 16)}
	srv, err := impl.NewServer(peer.ServerOptions{Observe: func(seq int64, err error) {
		s.observed <- observation{seq, err}
	}})
	if err != nil {
		t.Fatal(err)
	}
	s.addr = serve(t, srv)
	return s
}

// serve runs srv on a fresh Unix socket until the test ends, and returns
// the socket's address.
func serve(t *testing.T, srv peer.Server) string {
	t.Helper()
	ln, err := net.Listen("unix", filepath.Join(tempDir(t), "s"))
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	// Owner: this test. Serve returns when the cleanup closes the server.
	go func() { served <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		srv.Close()
		select {
		case <-served:
		case <-time.After(5 * time.Second):
			t.Errorf("Serve did not return after Close")
		}
	})
	return ln.Addr().String()
}

// dial connects a client of impl to addr; the test's cleanup closes it.
func dial(t *testing.T, impl peer.Impl, addr string, opts peer.ClientOptions) peer.Client {
	t.Helper()
	conn := dialConn(t, addr)
	c := impl.NewClient(conn, opts)
	t.Cleanup(func() { c.Close() })
	return c
}

// dialConn connects to addr; the test's cleanup closes the connection.
func dialConn(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.Dial("unix", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// setup starts a server of p.server and connects a client of p.client.
func setup(t *testing.T, p pair, opts peer.ClientOptions) (peer.Client, *server) {
	t.Helper()
	s := startServer(t, p.server)
	return dial(t, p.client, s.addr, opts), s
}

// observe waits for the observation of a waiting handler.
func (s *server) observe(t *testing.T) observation {
	t.Helper()
	select {
	case o := <-s.observed:
		return o
	case <-time.After(5 * time.Second):
		t.Fatalf("the %s server's handler did not see its context end", s.impl.Name)
		return observation{}
	}
}

// tempDir is a short temporary directory: socket paths must stay under
// 108 bytes, which t.TempDir's may not.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "interop")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// isDeadline reports whether a client's error says that its deadline
// passed: a DEADLINE_EXCEEDED status (decoded with the client's own status
// package), or the context's error itself, which containerd's client
// returns as it is.
func isDeadline(impl peer.Impl, err error) bool {
	if st, ok := impl.FromError(err); ok && st.Code == 4 {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// isEOF reports whether a stream ended successfully.
func isEOF(err error) bool { return errors.Is(err, io.EOF) }
