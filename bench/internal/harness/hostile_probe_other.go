// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

//go:build !unix

package harness

import "net"

// peerEnded cannot tell without blocking here; it says no.
func peerEnded(net.Conn) bool { return false }
