// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"maps"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
)

// requestWithMetadata encodes a Request whose metadata is kvs, as pairs.
func requestWithMetadata(t *testing.T, kvs ...string) []byte {
	t.Helper()
	req := &Request{Service: "s", Method: "m"}
	for i := 0; i < len(kvs); i += 2 {
		req.Metadata = append(req.Metadata, &KeyValue{Key: kvs[i], Value: kvs[i+1]})
	}
	b, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The metadata decoded from a request is what MD.Append gives for its
// KeyValues in order: keys lower-cased, repeated keys gathered, empty keys
// and values kept, beyond the entries gathered on the stack too.
func TestDecodeRequestMetadataMatchesAppend(t *testing.T) {
	kvs := []string{
		"namespace", "default", "Trace-ID", "abc", "namespace", "k8s.io", "", "empty key",
		"empty-value", "", "TRACE-id", "def", "x", "1", "y", "2", "namespace", "moby",
	}
	env, err := decodeRequestWhole(requestWithMetadata(t, kvs...))
	if err != nil {
		t.Fatal(err)
	}
	want := MD{}
	for i := 0; i < len(kvs); i += 2 {
		want.Append(kvs[i], kvs[i+1])
	}
	if !maps.EqualFunc(env.metadata, want, slices.Equal) {
		t.Fatalf("metadata = %q, want %q", env.metadata, want)
	}
}

// The metadata is a copy: it stays as it was when the frame it came from
// is reused, and appending to one key's values changes no other key's.
func TestDecodeRequestMetadataIsIndependent(t *testing.T) {
	frame := requestWithMetadata(t, "a", "1", "b", "2", "c", "3")
	env, err := decodeRequestWhole(frame)
	if err != nil {
		t.Fatal(err)
	}
	clear(frame)
	env.metadata["a"] = append(env.metadata["a"], "extra")
	want := MD{"a": {"1", "extra"}, "b": {"2"}, "c": {"3"}}
	if !maps.EqualFunc(env.metadata, want, slices.Equal) {
		t.Fatalf("metadata = %q, want %q", env.metadata, want)
	}
}

// Decoding a request's metadata allocates the map, and for each entry one
// string (for its key and value together) and its key's slice of values.
func TestDecodeRequestMetadataAllocations(t *testing.T) {
	for _, entries := range []int{1, 3, 6} {
		var kvs []string
		for i := range entries {
			kvs = append(kvs, "key-"+string(rune('a'+i)), "value")
		}
		frame := requestWithMetadata(t, kvs...)
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := decodeRequestWhole(frame); err != nil {
				t.Fatal(err)
			}
		})
		// The map is two allocations: its header and its one group of slots.
		limit := float64(2 + 2*entries)
		if allocs > limit {
			t.Errorf("%d entries: %v allocations, want at most %v", entries, allocs, limit)
		}
	}
}
