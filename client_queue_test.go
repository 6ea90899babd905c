// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"google.golang.org/protobuf/types/known/wrapperspb"
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
	gated := &gatedWriteConn{gate: make(chan struct{}), writing: make(chan struct{})}
	// The raw server reads nothing, answers nothing and stays open.
	c, _ := newRawServerClientOver(t, func(conn net.Conn) net.Conn { gated.Conn = conn; return gated })
	cc := c.source.(fixedSource).cc

	first := goEcho(context.Background(), c, "first")
	<-gated.writing
	const queued = 5 // unary calls; then a stream
	var calls []<-chan callResult
	for range queued {
		calls = append(calls, goEcho(context.Background(), c, "queued"))
	}
	eventually(t, "the calls are queued", func() bool { return len(cc.sendq) == queued })
	// A stream opened now is queued too; its context never ends.
	stream, err := c.NewStream(context.Background(), echoDesc, streamService, "Echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	close(gated.gate)

	for i, call := range calls {
		if r := waitCall(t, call); !errors.Is(r.err, ErrClosed) || !errors.Is(r.err, errFault) {
			t.Errorf("queued call %d = %v; want ErrClosed wrapping the write error", i, r.err)
		}
	}
	if err := stream.RecvMsg(&wrapperspb.BytesValue{}); !errors.Is(err, ErrClosed) {
		t.Errorf("RecvMsg on a queued stream = %v; want ErrClosed", err)
	}
	if n := c.Counts().Streams; n != 0 {
		t.Errorf("%d streams counted after the queued stream failed", n)
	}
	if isDone(cc.done) {
		t.Error("the connection ended before the queued calls failed: they waited for it")
	}
	c.Close()
	if r := waitCall(t, first); !errors.Is(r.err, ErrClosed) {
		t.Errorf("call being written = %v; want ErrClosed", r.err)
	}
}

// failingWriteConn fails every Write with errFault once gate is closed,
// and holds it until then.
type failingWriteConn struct {
	net.Conn
	gate chan struct{}
}

func (c *failingWriteConn) Write([]byte) (int, error) {
	<-c.gate
	return 0, errFault
}

// A call whose request goes into the send queue just as a write fails is
// abandoned by its caller, and must not go back to the call pool: the queue
// still holds its frame, and the connection completes calls it finds there.
// A recycled call would be completed while another caller uses it (seen as
// a nil response and a crash). Each round, callers race a failing write;
// once all have returned but those whose requests were written (they wait
// for answers), no frame left in the queue may hold a call that was
// recycled (recycled calls are back in their initial state).
func TestClientCallQueuedAsWriteFailsIsNotRecycled(t *testing.T) {
	leakcheck.Check(t)
	const callers = 16
	for round := range 200 {
		server, client := net.Pipe()
		go io.Copy(io.Discard, server) // returns when server closes
		conn := &failingWriteConn{Conn: client, gate: make(chan struct{})}
		c := NewClient(conn, WithClientLogger(quietLogger))
		cc := c.source.(fixedSource).cc
		var running sync.WaitGroup
		var returned atomic.Int32
		for range callers {
			running.Add(1)
			go func() {
				defer running.Done()
				defer returned.Add(1)
				for {
					if _, err := echo(context.Background(), c, "x"); err != nil {
						return
					}
				}
			}()
		}
		runtime.Gosched()
		close(conn.gate)
		eventually(t, "callers return", func() bool {
			return isDone(cc.writeFailed) && int(returned.Load())+cc.calls.len() == callers
		})
		recycled := 0
		for range len(cc.sendq) {
			f := <-cc.sendq
			cc.calls.mu.Lock()
			if f.call != nil && f.call.state == callQueued {
				recycled++
			}
			cc.calls.mu.Unlock()
			cc.sendq <- f
		}
		c.Close()
		running.Wait()
		server.Close()
		if recycled > 0 {
			t.Fatalf("round %d: %d frames in the send queue hold calls that went back to the pool", round, recycled)
		}
	}
}
