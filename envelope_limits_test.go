// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// decodeRequestWhole decodes a Request and its metadata without limits, as
// proto.Unmarshal does.
func decodeRequestWhole(b []byte) (requestEnvelope, error) {
	env, err := decodeRequest(b)
	if err == nil {
		_, err = env.decodeMetadata(b, math.MaxInt, math.MaxInt)
	}
	return env, err
}

// appendKeyValue appends one metadata entry of a Request to b.
func appendKeyValue(b []byte, key, value string) []byte {
	var kv []byte
	kv = appendStringField(kv, fieldKeyValueKey, key)
	kv = appendStringField(kv, fieldKeyValueValue, value)
	b = protowire.AppendTag(b, fieldRequestMetadata, protowire.BytesType)
	return protowire.AppendBytes(b, kv)
}

// metadataRequest encodes a Request with entries metadata entries whose
// keys and values are keyBytes and valueBytes long.
func metadataRequest(entries, keyBytes, valueBytes int) []byte {
	b := appendStringField(nil, fieldRequestService, "s")
	b = appendStringField(b, fieldRequestMethod, "m")
	for i := range entries {
		key := fmt.Sprintf("%0*d", keyBytes, i)[:keyBytes]
		b = appendKeyValue(b, key, strings.Repeat("v", valueBytes))
	}
	return b
}

// decodeWithin decodes b with the metadata limits given.
func decodeWithin(b []byte, entries, bytes int) error {
	env, err := decodeRequest(b)
	if err != nil {
		return err
	}
	_, err = env.decodeMetadata(b, entries, bytes)
	return err
}

// Exactly at a limit passes, one over fails with that limit's error; the
// two limits are independent, and bytes count keys and values, not the
// encoding around them.
func TestDecodeMetadataLimits(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		entries, key, value  int
		maxEntries, maxBytes int
		want                 error
	}{
		{"entries at the limit", 8, 4, 4, 8, math.MaxInt, nil},
		{"entries one over", 9, 4, 4, 8, math.MaxInt, errMetadataEntries},
		{"bytes at the limit", 4, 10, 90, math.MaxInt, 400, nil},
		{"bytes one over", 4, 10, 90, math.MaxInt, 399, errMetadataBytes},
		{"empty keys and values count as entries", 9, 0, 0, 8, 0, errMetadataEntries},
		{"both at their limits", 16, 8, 8, 16, 256, nil},
		{"entries over, bytes within", 17, 1, 1, 16, 256, errMetadataEntries},
		{"bytes over, entries within", 2, 8, 121, 16, 256, errMetadataBytes},
	} {
		err := decodeWithin(metadataRequest(tc.entries, tc.key, tc.value), tc.maxEntries, tc.maxBytes)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
	}
}

// The fields of a Request may come in any order, metadata first or
// interleaved with the other fields: the decoder agrees with proto.Unmarshal,
// and counts the entries wherever they are.
func TestDecodeMetadataFieldOrder(t *testing.T) {
	var b []byte
	b = appendKeyValue(b, "First", "1")
	b = appendStringField(b, fieldRequestService, "svc")
	b = appendKeyValue(b, "second", "2")
	b = protowire.AppendTag(b, fieldRequestTimeout, protowire.VarintType)
	b = protowire.AppendVarint(b, 42)
	b = appendStringField(b, fieldRequestPayload, "payload")
	b = appendKeyValue(b, "first", "3")
	b = protowire.AppendTag(b, 99, protowire.VarintType) // an unknown field
	b = protowire.AppendVarint(b, 7)
	b = appendStringField(b, fieldRequestMethod, "M")
	env, err := decodeRequestWhole(b)
	if err != nil {
		t.Fatal(err)
	}
	want := &Request{}
	if err := proto.Unmarshal(b, want); err != nil {
		t.Fatal(err)
	}
	if string(env.service) != want.Service || string(env.method) != want.Method ||
		string(env.payload) != string(want.Payload) || env.timeoutNano != want.TimeoutNano {
		t.Errorf("decoded %q %q %q %d, proto %v", env.service, env.method, env.payload, env.timeoutNano, want)
	}
	if md := metadataFromKeyValues(want.Metadata); !maps.EqualFunc(env.metadata, md, slices.Equal) {
		t.Errorf("metadata %q, proto %q", env.metadata, md)
	}
	if err := decodeWithin(b, 2, math.MaxInt); !errors.Is(err, errMetadataEntries) {
		t.Errorf("3 entries spread over the envelope, limit 2: error %v", err)
	}
}

// A request over the entries limit is refused before any entry is decoded
// (a malformed one among them is not even seen) and without allocating;
// decodeRequest allocates nothing for metadata, however much there is.
func TestDecodeMetadataRefusalIsCheap(t *testing.T) {
	b := metadataRequest(2000, 8, 8)
	bad := append(append([]byte(nil), b...), 0x2a, 0x03, 0x0a, 0x01, 0xff) // invalid UTF-8 key
	if err := decodeWithin(bad, 1024, math.MaxInt); !errors.Is(err, errMetadataEntries) {
		t.Fatalf("error %v, want errMetadataEntries", err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		if err := decodeWithin(b, 1024, math.MaxInt); !errors.Is(err, errMetadataEntries) {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("refusing 2000 entries: %v allocations, want 0", allocs)
	}
	allocs = testing.AllocsPerRun(20, func() {
		if _, err := decodeRequest(b); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("decodeRequest of 2000 entries: %v allocations, want 0", allocs)
	}
}

// Over the bytes limit, decoding stops at the entry that goes over: refusing
// 1000 entries of 1 KiB at a limit of 4 KiB allocates what decoding 4 of
// them does, no more.
func TestDecodeMetadataBytesStopsEarly(t *testing.T) {
	allocsOf := func(entries, limit int) float64 {
		b := metadataRequest(entries, 8, 1016) // 1 KiB an entry
		env, err := decodeRequest(b)
		if err != nil {
			t.Fatal(err)
		}
		return testing.AllocsPerRun(20, func() { env.decodeMetadata(b, 1024, limit) })
	}
	refused, four := allocsOf(1000, 4<<10), allocsOf(4, 4<<10)
	if refused > four {
		t.Errorf("refusing 1000 entries at the 5th: %v allocations, decoding 4: %v", refused, four)
	}
	b := metadataRequest(1000, 8, 1016)
	env, _ := decodeRequest(b)
	if limit, err := env.decodeMetadata(b, 1024, 4<<10); !errors.Is(err, errMetadataBytes) || limit != 4<<10 || env.metadata != nil {
		t.Errorf("error %v, limit %d, metadata %d keys; want errMetadataBytes, 4096 and none", err, limit, len(env.metadata))
	}
}

// BenchmarkUnaryDecodeRequest measures decoding a unary call's envelope
// with a few metadata entries (what containerd's clients send), its
// metadata included.
func BenchmarkUnaryDecodeRequest(b *testing.B) {
	for _, entries := range []int{0, 1, 3, 8} {
		b.Run(fmt.Sprint("metadata=", entries), func(b *testing.B) {
			req := &Request{Service: "containerd.task.v2.Task", Method: "State", Payload: make([]byte, 64), TimeoutNano: 1e9}
			for i := range entries {
				req.Metadata = append(req.Metadata, &KeyValue{Key: fmt.Sprint("key-", i), Value: "containerd-namespace"})
			}
			frame, _ := proto.Marshal(req)
			b.ReportAllocs()
			for range b.N {
				env, err := decodeRequest(frame)
				if err == nil {
					_, err = env.decodeMetadata(frame, defaultMaxMetadataEntries, defaultMaxMetadataBytes)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
