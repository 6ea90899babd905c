// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package wire

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
)

// Tap relays frames between a client connection and a server connection,
// unchanged, and records every frame with its direction. A frame is
// recorded before it is forwarded, so a frame that answers another is
// always recorded after it.
type Tap struct {
	client, server net.Conn

	mu sync.Mutex
	// guarded by mu:
	events []Event
	err    error // first relay error other than the connections closing

	wg sync.WaitGroup // the two relay goroutines
}

// Splice starts relaying between client and server. The tap owns both
// connections: Close closes them.
func Splice(client, server net.Conn) *Tap {
	t := &Tap{client: client, server: server}
	t.wg.Add(2)
	// Owner: t. Each relay exits when its source fails or closes; Close
	// closes both connections and waits for both relays.
	go t.relay(client, server, ClientToServer)
	go t.relay(server, client, ServerToClient)
	return t
}

// relay is one direction's goroutine: it copies whole frames from src to
// dst. When src ends it closes both connections, so that the other
// direction ends too.
func (t *Tap) relay(src, dst net.Conn, dir Direction) {
	defer t.wg.Done()
	defer t.client.Close()
	defer t.server.Close()
	for {
		// Frames over the limit are relayed too: tests send them on purpose.
		f, err := ReadFrame(src, 64<<20)
		if err != nil {
			t.fail(err)
			return
		}
		t.mu.Lock()
		t.events = append(t.events, Event{Dir: dir, Frame: f})
		t.mu.Unlock()
		if err := WriteFrame(dst, f); err != nil {
			t.fail(err)
			return
		}
	}
}

func (t *Tap) fail(err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err == nil {
		t.err = err
	}
}

// Events returns a copy of the frames recorded so far.
func (t *Tap) Events() []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]Event(nil), t.events...)
}

// Close closes both connections, waits for the relays and returns every
// recorded frame, with the first relay error other than a closed
// connection.
func (t *Tap) Close() ([]Event, error) {
	t.client.Close()
	t.server.Close()
	t.wg.Wait()
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.events, t.err
}
