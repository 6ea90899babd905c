// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"net"
	"sync"
	"testing"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// wantConnections fails the test unless c counts want open connections.
func wantConnections(t *testing.T, c *Client, when string, want int) {
	t.Helper()
	if got := c.Counts().Connections; got != want {
		t.Fatalf("%s: Counts().Connections = %d, want %d", when, got, want)
	}
}

// A client made by NewClient counts its one connection until it ends,
// whether the server goes away or Close closes it.
func TestClientCountsFixedConnection(t *testing.T) {
	leakcheck.Check(t)
	s, path := newTestServer(t)
	c := dialClient(t, path)
	wantConnections(t, c, "after NewClient", 1)
	mustEcho(t, c)
	s.Close() // the connection is lost
	if err := c.UserOnCloseWait(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantConnections(t, c, "after the server closed", 0)

	_, path = newTestServer(t)
	c = dialClient(t, path)
	c.Close()
	wantConnections(t, c, "after Close", 0)
}

// recordingDialer dials path and keeps the client's ends, so that a test
// can break them.
type recordingDialer struct {
	path  string
	mu    sync.Mutex
	conns []net.Conn // guarded by mu
}

func (d *recordingDialer) dial(ctx context.Context) (net.Conn, error) {
	var nd net.Dialer
	conn, err := nd.DialContext(ctx, "unix", d.path)
	if err == nil {
		d.mu.Lock()
		d.conns = append(d.conns, conn)
		d.mu.Unlock()
	}
	return conn, err
}

// breakAll closes every connection dialed so far.
func (d *recordingDialer) breakAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, conn := range d.conns {
		conn.Close()
	}
}

// A dialing client counts the connections that are up: none before the
// first call, one per slot dialed, none once they are lost, again after
// the redial, and none after Close.
func TestClientCountsDialedConnections(t *testing.T) {
	leakcheck.Check(t)
	_, path := newTestServer(t)
	d := &recordingDialer{path: path}
	lost := make(chan error, 2)
	c := NewClientWithDialer(d.dial, WithClientLogger(quietLogger), WithConnections(2),
		WithOnConnectionLost(func(err error) { lost <- err }))
	defer c.Close()
	wantConnections(t, c, "before the first call", 0)
	mustEcho(t, c)
	wantConnections(t, c, "after the first call", 1)
	mustEcho(t, c) // the second slot dials before an open connection is reused
	wantConnections(t, c, "after the second call", 2)

	d.breakAll()
	<-lost
	<-lost
	wantConnections(t, c, "after both connections were lost", 0)
	mustEcho(t, c)
	wantConnections(t, c, "after the redial", 1)

	c.Close()
	wantConnections(t, c, "after Close", 0)
}
