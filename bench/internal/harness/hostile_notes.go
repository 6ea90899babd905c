// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import "fmt"

// hostileNotes say how the hostile-peer figures are measured, for cfg.
func hostileNotes(cfg Config) []string {
	return []string{
		fmt.Sprintf("Each attack runs once per library, one library at a time, against a server of that library in this "+
			"process with its default options, serving Echo and a Hold service whose handlers wait (ignoring their "+
			"context) until the attack is over, on a Unix socket in a temporary directory. An attack lasts %v; its "+
			"counts are in its name.", cfg.HostileTime),
		"The attacker writes raw ttrpc frames (the wire is the same for both libraries) on connections of its own, " +
			"from one goroutine, plus one per connection whose answers it reads and discards (at most four); it never " +
			"reads the answers of the first two attacks. Its own buffers (one frame of at most 1 MiB) count in the heap.",
		fmt.Sprintf("Peak heap and peak goroutines: runtime/metrics %s and %s, read every %v by a sampler goroutine "+
			"during the attack, minus their values after runtime.GC just before it. The heap counts live objects and dead "+
			"ones not yet swept, so garbage the attack makes counts too. An attack whose heap grows by more than %d MiB "+
			"is ended at once (its heap figure, marked ≥, is then a lower bound).",
			heapMetric, goroutinesMetric, samplePeriod, hostileHeapCap>>20),
		fmt.Sprintf("Well-behaved client: a client of the same library on a connection of its own makes a 64 B Echo call "+
			"every %v (or as soon as the previous one ends) throughout the attack, each with a timeout of %v; p50 and "+
			"p99 are of all its calls, failed ones counted with the time they took; \"calls failed\" counts those.",
			callPeriod, callTimeout),
		"Connections ended: how many of the attacker's connections the server had ended (its writes failed, its reads " +
			"came to an end) by the end of the attack.",
	}
}
