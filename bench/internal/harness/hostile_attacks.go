// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"encoding/binary"
	"fmt"
	"net"
	"time"

	"github.com/featherrpc/ttrpc/bench/internal/rpc"
)

// attack is one hostile peer's script: it sets the attack up and keeps it
// going until a.ctx is done, then returns.
type attack struct {
	name   string
	script func(a *attacker)
}

// hostileAttacks returns the attacks, with their full counts multiplied by
// scale (at least one of each).
func hostileAttacks(scale float64) []attack {
	n := func(full int) int { return max(1, int(float64(full)*scale)) }
	big, small := n(128), n(1024)
	headers, mdRequests, mdKeys := n(200), n(50), n(50_000)
	silent, streamConns, streams := n(2000), n(4), n(2000)
	deadlines, slow := n(500), n(50)
	return []attack{
		{fmt.Sprintf("%d requests of 1 MiB on one connection, handler blocked, answers never read", big),
			func(a *attacker) { flood(a, big, 1<<20) }},
		{fmt.Sprintf("%d requests of 64 KiB on one connection, handler blocked, answers never read", small),
			func(a *attacker) { flood(a, small, 64<<10) }},
		{fmt.Sprintf("%d connections each send a header announcing 4 MiB, then nothing", headers),
			func(a *attacker) { announce(a, headers) }},
		{fmt.Sprintf("%d requests with %d metadata keys each, to a blocked handler", mdRequests, mdKeys),
			func(a *attacker) { send(a, 1, mdRequests, request{method: rpc.HoldMethod, metadata: mdKeys}, 0) }},
		{fmt.Sprintf("%d connections that send nothing (half of them half a header)", silent),
			func(a *attacker) { silence(a, silent) }},
		{fmt.Sprintf("%d connections × %d streams opened and never closed", streamConns, streams),
			func(a *attacker) {
				send(a, streamConns, streams, request{method: rpc.HoldStreamMethod}, flagRemoteOpen)
			}},
		{fmt.Sprintf("%d requests with a 50 ms timeout to a handler that ignores its context", deadlines),
			func(a *attacker) {
				send(a, 1, deadlines, request{method: rpc.HoldMethod, payload: 64, timeout: 50 * time.Millisecond}, 0)
			}},
		{fmt.Sprintf("%d connections trickle a request body a byte every 10 ms (slowloris)", slow),
			func(a *attacker) { trickle(a, slow, 10*time.Millisecond) }},
	}
}

// flood writes count requests of size bytes to Hold on one connection and
// never reads what the server sends.
func flood(a *attacker, count, size int) {
	c, err := a.dial()
	if err != nil {
		return
	}
	frame := request{method: rpc.HoldMethod, payload: size}.frame(1, 0)
	for i := range count {
		binary.BigEndian.PutUint32(frame[4:8], uint32(2*i+1))
		if !a.write(c, frame) {
			break
		}
	}
	a.wait()
}

// send opens conns connections, drains each, and writes perConn frames of
// req on each (in one write per connection).
func send(a *attacker, conns, perConn int, req request, flags byte) {
	one := req.frame(1, flags)
	batch := make([]byte, 0, perConn*len(one))
	for i := range perConn {
		batch = append(batch, one...)
		binary.BigEndian.PutUint32(batch[len(batch)-len(one)+4:], uint32(2*i+1))
	}
	for range conns {
		c, err := a.dial()
		if err != nil {
			break
		}
		a.drain(c)
		a.write(c, batch)
	}
	a.wait()
}

// announce opens conns connections, each of which sends the header of a
// request of the largest size and nothing more.
func announce(a *attacker, conns int) {
	h := header(maxFrameAnnounced, 1, frameRequest, 0)
	for range conns {
		c, err := a.dial()
		if err != nil {
			break
		}
		a.write(c, h)
	}
	a.wait()
}

// silence opens conns connections that send nothing, except that every
// other one sends the first half of a frame header.
func silence(a *attacker, conns int) {
	half := header(64, 1, frameRequest, 0)[:frameHeaderLen/2]
	for i := range conns {
		c, err := a.dial()
		if err != nil {
			break
		}
		if i%2 == 1 {
			a.write(c, half)
		}
	}
	a.wait()
}

// trickle opens conns connections, sends each the header of a 1 KiB request
// to Hold, then one byte of its body on each connection every period.
func trickle(a *attacker, conns int, period time.Duration) {
	frame := request{method: rpc.HoldMethod, payload: 1 << 10}.frame(1, 0)
	var live []net.Conn
	for range conns {
		c, err := a.dial()
		if err != nil {
			break
		}
		if a.write(c, frame[:frameHeaderLen]) {
			live = append(live, c)
		}
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for pos := frameHeaderLen; pos < len(frame) && len(live) > 0; pos++ {
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
		}
		kept := live[:0]
		for _, c := range live {
			if a.write(c, frame[pos:pos+1]) {
				kept = append(kept, c)
			}
		}
		live = kept
	}
	a.wait()
}
