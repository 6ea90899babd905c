// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"testing"
	"time"
)

// The time limits' options: their defaults, a value that sets, 0 that
// keeps the default, and < 0 that turns the limit off.
func TestServerTimeLimitOptions(t *testing.T) {
	limits := func(opts ...ServerOpt) serverLimits {
		t.Helper()
		s, err := NewServer(opts...)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		return s.config.limits
	}
	if l := limits(); l.frameTimeout != 30*time.Second || l.writeStallTimeout != 30*time.Second || l.idleTimeout != 0 || l.startIdle != nil {
		t.Errorf("defaults: frame %v, write stall %v, idle %v (checks linked: %v); want 30s, 30s, none", l.frameTimeout, l.writeStallTimeout, l.idleTimeout, l.startIdle != nil)
	}
	set := limits(WithServerFrameTimeout(time.Second), WithServerWriteStallTimeout(2*time.Second), WithServerIdleTimeout(3*time.Second))
	if set.frameTimeout != time.Second || set.writeStallTimeout != 2*time.Second || set.idleTimeout != 3*time.Second || set.startIdle == nil {
		t.Errorf("set: frame %v, write stall %v, idle %v; want 1s, 2s, 3s", set.frameTimeout, set.writeStallTimeout, set.idleTimeout)
	}
	kept := limits(WithServerFrameTimeout(0), WithServerWriteStallTimeout(0), WithServerIdleTimeout(0))
	if kept.frameTimeout != 30*time.Second || kept.writeStallTimeout != 30*time.Second || kept.idleTimeout != 0 {
		t.Errorf("0: frame %v, write stall %v, idle %v; want the defaults", kept.frameTimeout, kept.writeStallTimeout, kept.idleTimeout)
	}
	off := limits(WithServerFrameTimeout(-1), WithServerWriteStallTimeout(-1), WithServerIdleTimeout(3*time.Second), WithServerIdleTimeout(-1))
	if off.frameTimeout != 0 || off.writeStallTimeout != 0 || off.idleTimeout != 0 {
		t.Errorf("< 0: frame %v, write stall %v, idle %v; want none", off.frameTimeout, off.writeStallTimeout, off.idleTimeout)
	}
}
