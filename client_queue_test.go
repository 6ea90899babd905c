// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// gatedWriteConn holds every Write at a gate, and fails it with
// errFault once the gate opens; reads go through.
type gatedWriteConn struct {
	net.Conn
	gate    chan struct{}
	writing chan struct{} // closed when the first Write is at the gate
	once    bool
}

func (c *gatedWriteConn) Write(p []byte) (int, error) {
	if !c.once {
		c.once = true // one writer goroutine: no lock needed
		close(c.writing)
	}
	<-c.gate
	return 0, errFault
}

// Calls whose requests are still queued when a write fails end at once with
// ErrClosed. Their callers wait on nothing but their call, so the sender
// must fail them itself; the connection stays open meanwhile (its receiver
// reads on for answers to requests already written).
func TestClientQueuedCallsFailWhenWriteFails(t *testing.T) {
	leakcheck.Check(t)
	l, err := net.Listen("unix", socketPath(t))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	conn, err := net.Dial("unix", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	gated := &gatedWriteConn{Conn: conn, gate: make(chan struct{}), writing: make(chan struct{})}
	c := NewClient(gated, WithClientLogger(quietLogger))
	defer c.Close()
	sconn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	newRawPeer(t, sconn) // reads nothing, answers nothing, stays open
	cc := c.source.(fixedSource).cc

	first := goEcho(context.Background(), c, "first")
	<-gated.writing
	const queued = 5
	var calls []<-chan callResult
	for range queued {
		calls = append(calls, goEcho(context.Background(), c, "queued"))
	}
	eventually(t, "the calls are queued", func() bool { return len(cc.sendq) == queued })
	close(gated.gate)

	for i, call := range calls {
		if r := waitCall(t, call); !errors.Is(r.err, ErrClosed) || !errors.Is(r.err, errFault) {
			t.Errorf("queued call %d = %v; want ErrClosed wrapping the write error", i, r.err)
		}
	}
	if isDone(cc.done) {
		t.Error("the connection ended before the queued calls failed: they waited for it")
	}
	c.Close()
	if r := waitCall(t, first); !errors.Is(r.err, ErrClosed) {
		t.Errorf("call being written = %v; want ErrClosed", r.err)
	}
}
