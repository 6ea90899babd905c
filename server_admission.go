// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

// admitCall is the last check of a request that its connection admitted:
// the server-wide limit of calls in flight, then the request's metadata,
// decoded within its limits only now, so that a request refused by either
// limit of calls in flight costs no more than one pass over its fields. It
// returns the status to refuse the call with, or nil; an admitted call
// holds a server-wide slot (with WithServerMaxInFlight) until endCall.
func (sc *serverConn) admitCall(cl *serverCall) *status.Status {
	s := sc.server
	limits := &s.config.limits
	limit := limits.maxInFlight
	// Reserve, then check: two connections racing for the last slot cannot
	// both get it. Abandoned handlers still hold their goroutines.
	err := errServerInFlight
	if limit <= 0 || s.inFlight.Add(1)+s.counts.abandoned.Load() <= int64(limit) {
		if limit, err = cl.env.decodeMetadata(*cl.frame, limits.maxMetadataEntries, limits.maxMetadataBytes); err == nil {
			return nil
		}
	}
	sc.releaseServerSlot()
	// One Newf for both answers (each call is inlined; the minimal server's
	// size is budgeted).
	code, format, args := codes.ResourceExhausted, "%v (limit %d)", []any{err, limit}
	if limit == 0 { // malformed metadata
		code, format, args = codes.InvalidArgument, "unmarshal request error: %v", args[:1]
	}
	return status.Newf(code, format, args...)
}

// releaseServerSlot gives back the server-wide slot of a call that
// admitCall admitted.
func (sc *serverConn) releaseServerSlot() {
	if sc.server.config.limits.maxInFlight > 0 {
		sc.server.inFlight.Add(-1)
	}
}
