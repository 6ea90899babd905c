// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package rpc

import (
	"runtime"

	"github.com/featherrpc/ttrpc/bench/internal/benchpb"
)

// The Hold service, which the hostile-peer measurements attack: its methods
// keep what a request made the server hold until the measurement lets go.
// It is not in bench.proto because no generated code calls it; the
// attacker writes its frames by hand.
const (
	HoldService = "featherrpc.bench.v1.Hold"
	// HoldMethod is unary: it decodes a Payload and returns an empty one
	// once the gate is closed, ignoring its context (a slow handler, and
	// one that outlives its deadline).
	HoldMethod = "Hold"
	// HoldStreamMethod is a bidirectional stream that receives until its
	// stream ends and sends nothing.
	HoldStreamMethod = "HoldStream"
)

// Hold is the Hold handler shared by the libraries: it waits until gate is
// closed, keeping req alive, whatever its context says.
func Hold(gate <-chan struct{}, req *benchpb.Payload) *benchpb.Payload {
	<-gate
	runtime.KeepAlive(req)
	return &benchpb.Payload{}
}

// HoldStream is the HoldStream handler shared by the libraries: it receives
// messages with recv until recv fails (the stream or its connection ended).
func HoldStream(recv func(*benchpb.Payload) error) error {
	msg := &benchpb.Payload{}
	for {
		if err := recv(msg); err != nil {
			return err
		}
	}
}
