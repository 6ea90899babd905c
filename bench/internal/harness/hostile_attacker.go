// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"
)

// attacker is the hostile peer of one attack: it dials its own connections
// to the server's socket and writes raw frames on them, from as few
// goroutines as it can (they count in the process's goroutines): the
// script's own, plus one per connection whose answers it drains.
type attacker struct {
	ctx  context.Context // done when the attack ends
	path string

	mu    sync.Mutex
	conns []net.Conn
	dead  map[net.Conn]bool // connections a write or a drain saw the server end
	// drained are the connections whose answers a goroutine reads (and
	// which ended therefore does not probe: that read holds the socket).
	drained map[net.Conn]bool
	wg      sync.WaitGroup
}

// newAttacker returns the attacker of an attack that lasts as long as
// ctx, on the server's socket at path. When ctx ends, its writes stop.
func newAttacker(ctx context.Context, path string) *attacker {
	a := &attacker{ctx: ctx, path: path, dead: map[net.Conn]bool{}, drained: map[net.Conn]bool{}}
	context.AfterFunc(ctx, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		for _, c := range a.conns {
			c.SetWriteDeadline(time.Now())
		}
	})
	return a
}

// dial opens a new connection to the server, retrying while the listen
// backlog is full.
func (a *attacker) dial() (net.Conn, error) {
	for {
		if err := a.ctx.Err(); err != nil {
			return nil, err
		}
		c, err := net.Dial("unix", a.path)
		if err == nil {
			a.mu.Lock()
			a.conns = append(a.conns, c)
			a.mu.Unlock()
			return c, nil
		}
		if !errors.Is(err, syscall.EAGAIN) {
			return nil, err
		}
		time.Sleep(time.Millisecond)
	}
}

// write writes b on c until the attack ends; it reports whether all of b
// went out. A connection the server ended is marked dead.
func (a *attacker) write(c net.Conn, b []byte) bool {
	if a.ctx.Err() != nil {
		return false
	}
	deadline, _ := a.ctx.Deadline()
	c.SetWriteDeadline(deadline)
	_, err := c.Write(b)
	if err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
		a.markDead(c)
	}
	return err == nil
}

// isTimeout tells whether err is a deadline's timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// drain reads and discards what the server sends on c, in a goroutine of
// its own, until the connection ends; an end the attacker did not cause
// is marked dead.
func (a *attacker) drain(c net.Conn) {
	a.mu.Lock()
	a.drained[c] = true
	a.mu.Unlock()
	a.wg.Add(1)
	// Owner: a, through a.wg; the read ends when stop closes c.
	go func() {
		defer a.wg.Done()
		_, err := io.Copy(io.Discard, c)
		if a.ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
			a.markDead(c)
		}
	}()
}

// markDead records that the server ended c.
func (a *attacker) markDead(c net.Conn) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.dead[c] = true
}

// wait blocks until the attack ends.
func (a *attacker) wait() { <-a.ctx.Done() }

// ended counts the connections that the server has ended, without
// blocking: those a write or a drain saw end, and those not drained whose
// socket reads an end of file or an error now.
func (a *attacker) ended() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, c := range a.conns {
		if a.dead[c] || !a.drained[c] && peerEnded(c) {
			n++
		}
	}
	return n
}

// stop closes every connection and waits for the drains.
func (a *attacker) stop() {
	a.mu.Lock()
	for _, c := range a.conns {
		c.Close()
	}
	a.mu.Unlock()
	a.wg.Wait()
}
