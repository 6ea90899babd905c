// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// warnings returns the WARN lines r recorded.
func (r *recordingLogger) warnings() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var warn []string
	for _, line := range r.lines {
		if strings.HasPrefix(line, "WARN ") {
			warn = append(warn, line)
		}
	}
	return warn
}

// NewClient ignores the options of a dialing client, and says so: one
// warning through the client's logger (given after them, even) naming each.
func TestNewClientWarnsAboutDialingOptions(t *testing.T) {
	leakcheck.Check(t)
	rec := &recordingLogger{}
	client, server := net.Pipe()
	defer server.Close()
	c := NewClient(client, WithConnections(4), WithPoolPolicy(PoolRoundRobin),
		WithDialBackoff(time.Second, time.Minute), WithOnConnectionLost(func(error) {}),
		WithWaitForConnection(), WithClientLogger(rec))
	defer c.Close()
	warn := rec.warnings()
	if len(warn) != 1 {
		t.Fatalf("warnings = %q, want one", warn)
	}
	for _, name := range []string{"NewClientWithDialer", "WithConnections", "WithPoolPolicy",
		"WithDialBackoff", "WithOnConnectionLost", "WithWaitForConnection"} {
		if !strings.Contains(warn[0], name) {
			t.Errorf("warning %q does not name %s", warn[0], name)
		}
	}
}

// Without them, and on a dialing client, there is nothing to warn about.
func TestNoWarningWhereDialingOptionsApply(t *testing.T) {
	leakcheck.Check(t)
	rec := &recordingLogger{}
	client, server := net.Pipe()
	defer server.Close()
	NewClient(client, WithClientLogger(rec), WithClientMaxMessageSize(1<<20, 1<<20)).Close()
	NewClientWithDialer(func(ctx context.Context) (net.Conn, error) { return nil, ctx.Err() },
		WithClientLogger(rec), WithConnections(4), WithWaitForConnection()).Close()
	if warn := rec.warnings(); len(warn) != 0 {
		t.Fatalf("warnings = %q, want none", warn)
	}
}
