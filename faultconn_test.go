// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// errFault is what a faultConn returns once a fault has been injected.
var errFault = errors.New("injected connection fault")

// faultConn wraps a connection and misbehaves on command: it stops reading
// or writing (the caller blocks until resumed or closed), reads and writes in
// small pieces, and breaks (the underlying connection closes, so the peer
// sees the stream end, possibly inside a frame) after a number of bytes or
// at once. After a fault every Read and Write returns errFault, including
// one that was blocked when it happened.
//
// All methods are safe for concurrent use; the fault controls may be used
// while the connection is in use.
type faultConn struct {
	net.Conn

	closeOnce sync.Once
	closed    chan struct{} // closed by Close
	faulted   chan struct{} // closed by fault

	mu sync.Mutex
	// guarded by mu:
	readGate, writeGate     chan struct{} // non-nil: Read/Write wait until it is closed
	readChunk, writeChunk   int           // > 0: at most this many bytes per underlying Read/Write
	readBudget, writeBudget int64         // >= 0: bytes that pass before the fault; < 0: no limit
	isFaulted               bool

	reads, written atomic.Int64 // underlying Read calls that returned data, bytes written
	writers        atomic.Int32 // Writes under way (waiting at the gate or writing)
	readWaiters    atomic.Int32 // Reads waiting at the read gate
	writeErrors    atomic.Int32 // underlying Writes that failed
}

// readParked reports whether a Read waits at the read gate: the connection's
// reader takes in nothing until resumeReading.
func (c *faultConn) readParked() bool {
	return c.readWaiters.Load() > 0
}

// writeStuck reports whether a Write is under way: with writes stopped, the
// writer of the connection waits at the gate.
func (c *faultConn) writeStuck() bool {
	return c.writers.Load() > 0
}

// waitWriteBlocked polls until a Write of the connection is blocked: under
// way, and no byte has gone through for a while (the peer does not read).
func (c *faultConn) waitWriteBlocked(t *testing.T) {
	t.Helper()
	eventually(t, "a write is blocked", func() bool {
		before := c.written.Load()
		if !c.writeStuck() {
			return false
		}
		time.Sleep(20 * time.Millisecond)
		return c.writeStuck() && c.written.Load() == before
	})
}

func newFaultConn(conn net.Conn) *faultConn {
	return &faultConn{
		Conn:        conn,
		closed:      make(chan struct{}),
		faulted:     make(chan struct{}),
		readBudget:  -1,
		writeBudget: -1,
	}
}

// stopReading makes Read block until resumeReading, a fault or Close: the
// peer's writes block once the socket's buffers are full.
func (c *faultConn) stopReading() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.readGate == nil {
		c.readGate = make(chan struct{})
	}
}

func (c *faultConn) resumeReading() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.readGate != nil {
		close(c.readGate)
		c.readGate = nil
	}
}

// stopWriting makes Write block until resumeWriting, a fault or Close.
func (c *faultConn) stopWriting() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writeGate == nil {
		c.writeGate = make(chan struct{})
	}
}

func (c *faultConn) resumeWriting() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writeGate != nil {
		close(c.writeGate)
		c.writeGate = nil
	}
}

// setChunks limits each underlying Read and Write to n bytes (0: no
// limit). Small writes yield between pieces, so the peer sees them apart.
func (c *faultConn) setChunks(read, write int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readChunk, c.writeChunk = read, write
}

// failAfterRead lets n more bytes be read, then breaks the connection.
func (c *faultConn) failAfterRead(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readBudget = n
}

// failAfterWrite lets n more bytes be written, then breaks the connection
// in the middle of the write that goes over.
func (c *faultConn) failAfterWrite(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writeBudget = n
}

// fault breaks the connection now: the underlying connection closes and
// every Read and Write, blocked or not, returns errFault.
func (c *faultConn) fault() {
	c.mu.Lock()
	first := !c.isFaulted
	if first {
		c.isFaulted = true
		close(c.faulted)
	}
	c.mu.Unlock()
	if first {
		c.Conn.Close()
	}
}

// reset breaks a TCP connection with a reset: the peer's reads and writes
// fail with ECONNRESET.
func (c *faultConn) reset(t testing.TB) {
	t.Helper()
	tcp, ok := c.Conn.(*net.TCPConn)
	if !ok {
		t.Fatalf("reset needs a TCP connection, not %T", c.Conn)
	}
	if err := tcp.SetLinger(0); err != nil {
		t.Fatal(err)
	}
	c.fault()
}

func (c *faultConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// wait blocks while the read (or write) gate is shut.
func (c *faultConn) wait(read bool) error {
	for {
		c.mu.Lock()
		gate := c.writeGate
		if read {
			gate = c.readGate
		}
		faulted := c.isFaulted
		c.mu.Unlock()
		switch {
		case faulted:
			return errFault
		case gate == nil:
			return nil
		}
		if read {
			c.readWaiters.Add(1)
		}
		select {
		case <-gate:
		case <-c.faulted:
		case <-c.closed:
		}
		if read {
			c.readWaiters.Add(-1)
		}
		if isDone(c.closed) {
			return net.ErrClosed
		}
	}
}

// failed turns the error of an underlying Read or Write into errFault when
// a fault closed the connection.
func (c *faultConn) failed(err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil && c.isFaulted {
		return errFault
	}
	return err
}

func (c *faultConn) Read(b []byte) (int, error) {
	if err := c.wait(true); err != nil {
		return 0, err
	}
	c.mu.Lock()
	if c.readChunk > 0 && len(b) > c.readChunk {
		b = b[:c.readChunk]
	}
	budget := c.readBudget
	if budget >= 0 && int64(len(b)) > budget {
		b = b[:budget]
	}
	c.mu.Unlock()
	if budget == 0 {
		c.fault()
		return 0, errFault
	}
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.reads.Add(1)
	}
	c.mu.Lock()
	if c.readBudget >= 0 {
		c.readBudget -= int64(n)
	}
	c.mu.Unlock()
	return n, c.failed(err)
}

func (c *faultConn) Write(b []byte) (int, error) {
	c.writers.Add(1)
	defer c.writers.Add(-1)
	written := 0
	for len(b) > 0 {
		if err := c.wait(false); err != nil {
			return written, err
		}
		c.mu.Lock()
		chunk := len(b)
		if c.writeChunk > 0 {
			chunk = min(chunk, c.writeChunk)
		}
		cut := c.writeBudget >= 0 && int64(chunk) > c.writeBudget
		if cut {
			chunk = int(c.writeBudget)
		}
		small := c.writeChunk > 0
		c.mu.Unlock()
		if chunk > 0 {
			n, err := c.Conn.Write(b[:chunk])
			written += n
			c.written.Add(int64(n))
			c.mu.Lock()
			if c.writeBudget >= 0 {
				c.writeBudget -= int64(n)
			}
			c.mu.Unlock()
			if err != nil {
				c.writeErrors.Add(1)
				return written, c.failed(err)
			}
		}
		if cut {
			c.fault()
			return written, errFault
		}
		b = b[chunk:]
		if small {
			runtime.Gosched()
		}
	}
	return written, nil
}

// newFaultServer starts a test server (testService and the stream test
// service) on a Unix socket whose accepted connections are faultConns:
// setup, if not nil, configures each before the server uses it, and each is
// sent on the returned channel (which holds 64).
func newFaultServer(t *testing.T, setup func(*faultConn), opts ...ServerOpt) (*Server, string, <-chan *faultConn) {
	t.Helper()
	conns := make(chan *faultConn, 64)
	hs := handshakerFunc(func(ctx context.Context, conn net.Conn) (net.Conn, interface{}, error) {
		fc := newFaultConn(conn)
		if setup != nil {
			setup(fc)
		}
		select {
		case conns <- fc:
		default:
		}
		return fc, nil, nil
	})
	s, path := newTestServer(t, append([]ServerOpt{WithServerHandshaker(hs)}, opts...)...)
	s.RegisterService(streamService, streamTestService())
	return s, path, conns
}

// dialFaultClient connects a client whose connection is a faultConn to the
// socket at path; setup, if not nil, configures the faultConn before the
// client starts reading and writing. The client is closed when the test
// ends.
func dialFaultClient(t *testing.T, path string, setup func(*faultConn), opts ...ClientOpts) (*Client, *faultConn) {
	t.Helper()
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	fc := newFaultConn(conn)
	if setup != nil {
		setup(fc)
	}
	c := NewClient(fc, append([]ClientOpts{WithClientLogger(quietLogger)}, opts...)...)
	t.Cleanup(func() { c.Close() })
	return c, fc
}

// nextFaultConn returns the next connection the fault server accepted.
func nextFaultConn(t *testing.T, conns <-chan *faultConn) *faultConn {
	t.Helper()
	select {
	case fc := <-conns:
		return fc
	case <-boundedCtx(t).Done():
		t.Fatal("the server accepted no connection")
		return nil
	}
}
