// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"context"
	"slices"
	"time"

	"github.com/featherrpc/ttrpc/bench/internal/benchpb"
	"github.com/featherrpc/ttrpc/bench/internal/rpc"
)

// wellBehaved makes 64 B Echo calls on c, one every period (or as soon as
// the previous one ends, if later), each with a timeout, until ctx is
// done, and returns their latencies, sorted, in nanoseconds (a call that
// failed counts with the time it took) and how many failed.
func wellBehaved(ctx context.Context, c rpc.Client, period, timeout time.Duration) (lat []float64, failed int) {
	in, out := &benchpb.Payload{Data: rpc.Bytes(64)}, &benchpb.Payload{}
	t := time.NewTicker(period)
	defer t.Stop()
	for ctx.Err() == nil {
		start := time.Now()
		cctx, cancel := context.WithTimeout(context.Background(), timeout)
		err := c.Echo(cctx, in, out)
		cancel()
		lat = append(lat, float64(time.Since(start).Nanoseconds()))
		if err != nil {
			failed++
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	slices.Sort(lat)
	return lat, failed
}
