// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package replay pins the wire format without containerd's module: its
// tests play back the frames that containerd's client and server
// exchanged (recorded by cmd/record into testdata/*.frames) against our
// server and our client, byte for byte. The package links only our
// implementation; a test checks that containerd's is not in the binary.
package replay
