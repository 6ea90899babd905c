// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc_test

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/featherrpc/ttrpc"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// callTally is a StatsHandler that counts connections opened and calls
// ended, by side, method and status code. The library calls it from its
// own goroutines, concurrently, so it takes a lock, and it does nothing
// slow.
type callTally struct {
	mu sync.Mutex
	// guarded by mu:
	opened map[ttrpc.Side]int
	ended  map[string]int // "side method code" -> calls
}

func newCallTally() *callTally {
	return &callTally{opened: make(map[ttrpc.Side]int), ended: make(map[string]int)}
}

// HandleConn counts the connections that opened.
func (t *callTally) HandleConn(s ttrpc.ConnStats) {
	if s.Closed {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.opened[s.Side]++
}

// HandleCall counts the calls that ended; a call is reported once when it
// starts and once when it ends.
func (t *callTally) HandleCall(s ttrpc.CallStats) {
	if !s.Ended {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended[fmt.Sprintf("%s %s %s", s.Side, s.FullMethod, s.Code)]++
}

// print prints the tally, sorted.
func (t *callTally) print() {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Printf("connections opened: %d by clients, %d by the server\n", t.opened[ttrpc.ClientSide], t.opened[ttrpc.ServerSide])
	keys := make([]string, 0, len(t.ended))
	for k := range t.ended {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Printf("%s: %d\n", k, t.ended[k])
	}
}

// A StatsHandler sees every connection and call of the client or server it
// is given to, with the call's outcome. One handler may serve both sides:
// CallStats.Side tells them apart.
func ExampleStatsHandler() {
	tally := newCallTally()
	server, err := ttrpc.NewServer(ttrpc.WithServerStatsHandler(tally))
	if err != nil {
		panic(err)
	}
	server.Register("example.v1.Greeter", map[string]ttrpc.Method{"Greet": greet})
	client, closeAll := serve(server, ttrpc.WithClientStatsHandler(tally))

	ctx := context.Background()
	for _, name := range []string{"ann", "bob", ""} { // greet refuses an empty name
		_ = client.Call(ctx, "example.v1.Greeter", "Greet", wrapperspb.String(name), &wrapperspb.StringValue{})
	}
	_ = client.Call(ctx, "example.v1.Greeter", "Wave", wrapperspb.String("ann"), &wrapperspb.StringValue{})
	closeAll() // after which every call's end has been reported
	tally.print()
	// Output:
	// connections opened: 1 by clients, 1 by the server
	// client /example.v1.Greeter/Greet InvalidArgument: 1
	// client /example.v1.Greeter/Greet OK: 2
	// client /example.v1.Greeter/Wave Unimplemented: 1
	// server /example.v1.Greeter/Greet InvalidArgument: 1
	// server /example.v1.Greeter/Greet OK: 2
}
