// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"errors"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// The map counts its unary calls however they leave it: claimed by an
// answer, abandoned by their caller, or failed when the connection ends.
func TestCallMapCountsUnaryCalls(t *testing.T) {
	leakcheck.Check(t)
	m := newCallMap()
	register := func(c *call) uint32 {
		t.Helper()
		id, ok, err := m.register(c)
		if !ok || err != nil {
			t.Fatalf("register = %d, %v, %v", id, ok, err)
		}
		return id
	}
	stream := newStreamCall()
	stream.stream = newRecvQueue(1, time.Second, nil)
	register(stream)
	claimed, abandoned, failed := newCall(), newCall(), newCall()
	claimedID := register(claimed)
	register(abandoned)
	register(failed)
	if n := m.unaryCalls(); n != 3 {
		t.Fatalf("3 unary calls and a stream registered: unaryCalls() = %d", n)
	}
	if m.claim(claimedID) != claimed {
		t.Fatal("claim did not return the call")
	}
	if !m.abandon(abandoned) {
		t.Fatal("abandon of a registered call = false")
	}
	if n := m.unaryCalls(); n != 1 {
		t.Errorf("after a claim and an abandon: unaryCalls() = %d, want 1", n)
	}
	if got := m.closeAll(errors.New("gone")); len(got) != 2 {
		t.Errorf("closeAll returned %d calls, want the stream and the last unary call", len(got))
	}
	if n, all := m.unaryCalls(), m.len(); n != 0 || all != 0 {
		t.Errorf("after closeAll: unaryCalls() = %d, len() = %d, want 0, 0", n, all)
	}
}
