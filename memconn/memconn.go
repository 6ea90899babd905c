// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package memconn is an in-memory transport: a net.Listener whose Dial
// returns one end of an in-memory connection and whose Accept returns the
// other end, like gRPC's bufconn. Use it to run a ttrpc server and its
// clients in one process without a socket file, in tests and in programs:
//
//	l := memconn.Listen()
//	go server.Serve(ctx, l)
//	conn, err := l.Dial()
//	client := ttrpc.NewClient(conn)
//
// Connections are net.Pipe connections: synchronous (a Write returns once
// the peer has read all of it; there is no buffer), full duplex, with
// deadlines. Closing one end makes reads at the other end return io.EOF.
package memconn

import (
	"context"
	"net"
	"sync"
)

// Network is the network name of a Listener's address.
const Network = "memconn"

// Listener is an in-memory net.Listener. Accept, Dial, DialContext and Close
// may be called concurrently.
type Listener struct {
	conns     chan net.Conn // server ends, from Dial to Accept
	closeOnce sync.Once
	done      chan struct{} // closed by Close
}

// Listen returns a new Listener, ready to Accept and Dial.
func Listen() *Listener {
	return &Listener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept waits for a Dial and returns the server end of the new connection.
// After Close it returns an error matching net.ErrClosed.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case conn := <-l.conns:
		return conn, nil
	case <-l.done:
		return nil, l.opError("accept")
	}
}

// Close stops the listener: Accept and Dial, pending or later, fail with an
// error matching net.ErrClosed. Connections already made stay open. Close is
// idempotent and returns nil.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

// Addr returns the listener's address, whose network is "memconn".
func (l *Listener) Addr() net.Addr { return Addr{} }

// Dial connects to the listener and returns the client end of the new
// connection. It waits until Accept takes the connection, like a listen
// backlog of zero; use DialContext to bound the wait.
func (l *Listener) Dial() (net.Conn, error) {
	return l.DialContext(context.Background())
}

// DialContext is Dial that gives up when ctx ends, returning ctx's error.
func (l *Listener) DialContext(ctx context.Context) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		err := l.opError("dial")
		client.Close()
		server.Close()
		return nil, err
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
}

func (l *Listener) opError(op string) error {
	return &net.OpError{Op: op, Net: Network, Addr: Addr{}, Err: net.ErrClosed}
}

// Addr is the address of every Listener.
type Addr struct{}

// Network returns "memconn".
func (Addr) Network() string { return Network }

// String returns "memconn".
func (Addr) String() string { return Network }
