// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import "testing"

// The options of the metadata and server-wide limits: their defaults,
// values that set them, and values <= 0 (the metadata limits' defaults
// stay; the server-wide limits are off).
func TestServerLimitsOptions(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		opts                     []ServerOpt
		entries, bytes, conns, n int
	}{
		{"defaults", nil, 1024, 256 << 10, 0, 0},
		{"set", []ServerOpt{WithServerMaxMetadata(8, 100), WithServerMaxConnections(3), WithServerMaxInFlight(5)}, 8, 100, 3, 5},
		{"zero", []ServerOpt{WithServerMaxMetadata(0, 0), WithServerMaxConnections(0), WithServerMaxInFlight(0)}, 1024, 256 << 10, 0, 0},
		{"negative", []ServerOpt{WithServerMaxConnections(3), WithServerMaxConnections(-1),
			WithServerMaxInFlight(5), WithServerMaxInFlight(-1), WithServerMaxMetadata(-1, 7)}, 1024, 7, 0, 0},
	} {
		s, err := NewServer(tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		l := s.config.limits
		if l.maxMetadataEntries != tc.entries || l.maxMetadataBytes != tc.bytes || l.maxConns != tc.conns || l.maxInFlight != tc.n {
			t.Errorf("%s: limits %d entries, %d bytes, %d connections, %d in flight; want %d, %d, %d, %d", tc.name,
				l.maxMetadataEntries, l.maxMetadataBytes, l.maxConns, l.maxInFlight, tc.entries, tc.bytes, tc.conns, tc.n)
		}
	}
}
