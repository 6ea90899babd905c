// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

//go:build !linux

package ttrpc

import "context"

// testPeerCred stands in for unix.Ucred where there are no peer
// credentials: PeerCredentials exists on Linux only.
type testPeerCred struct{}

// testPeerCredentials finds no credentials: outside Linux no handshaker
// provides them.
func testPeerCredentials(context.Context) (*testPeerCred, bool) { return nil, false }
