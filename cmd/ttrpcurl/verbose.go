// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// trace writes what -v shows, on stderr: "*" lines about the call, ">"
// lines for what is sent, "<" for what comes back. Without -v it writes
// nothing.
type trace struct {
	start time.Time
	mu    sync.Mutex // guards w: both halves of a bidi stream write
	w     io.Writer  // nil without -v
}

func newTrace(w io.Writer, verbose bool) *trace {
	t := &trace{start: time.Now()}
	if verbose {
		t.w = w
	}
	return t
}

func (t *trace) printf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.w != nil {
		fmt.Fprintf(t.w, format+"\n", args...)
	}
}

// since is the time since the trace started, rounded for reading.
func (t *trace) since() time.Duration { return roundDuration(time.Since(t.start)) }

func roundDuration(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}

// call writes the method, the metadata and the timeout that go with it.
func (t *trace) call(address string, m protoreflect.MethodDescriptor, md ttrpc.MD, timeout time.Duration) {
	t.printf("* method %s/%s (%s): %s -> %s", m.Parent().FullName(), m.Name(), methodKind(m), m.Input().FullName(), m.Output().FullName())
	t.printf("* address %s", address)
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range md[k] {
			t.printf("> metadata %s: %s", k, v)
		}
	}
	if timeout > 0 {
		t.printf("> timeout %s", timeout)
	}
}

func (t *trace) connected() { t.printf("* connected after %s", t.since()) }

func (t *trace) sent(n int) { t.printf("> request %d sent after %s", n, t.since()) }

func (t *trace) received(n int) { t.printf("< response %d received after %s", n, t.since()) }

// done writes the outcome, with the counts of messages each way.
func (t *trace) done(err error, sent, received int) {
	code := status.Code(err)
	t.printf("* %s after %s: %d request(s) sent, %d response(s) received", code, t.since(), sent, received)
}

// methodKind names how a method streams.
func methodKind(m protoreflect.MethodDescriptor) string {
	switch {
	case m.IsStreamingClient() && m.IsStreamingServer():
		return "bidi stream"
	case m.IsStreamingClient():
		return "client stream"
	case m.IsStreamingServer():
		return "server stream"
	}
	return "unary"
}
