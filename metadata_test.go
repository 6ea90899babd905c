// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"reflect"
	"testing"
)

// MD behaves as containerd's ttrpc v1.2.10 does: keys are lower-cased, Set
// with no values deletes the key, and a key with an empty list of values is
// reported missing.
func TestMDSemanticsMatchUpstream(t *testing.T) {
	md := MD{}
	md.Set("Key", "a", "b")
	if got, ok := md.Get("KEY"); !ok || !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("Get after Set = %q, %v; want [a b], true", got, ok)
	}

	md.Set("key")
	if _, present := md["key"]; present {
		t.Fatalf("Set with no values kept the key: %v", md)
	}
	if got, ok := md.Get("key"); ok || got != nil {
		t.Fatalf("Get of a deleted key = %q, %v; want nil, false", got, ok)
	}

	md["empty"] = []string{}
	if got, ok := md.Get("empty"); ok || got != nil {
		t.Fatalf("Get of a key with no values = %q, %v; want nil, false", got, ok)
	}

	md.Append("Multi", "1")
	md.Append("multi")
	md.Append("MULTI", "2", "3")
	if got, _ := md.Get("multi"); !reflect.DeepEqual(got, []string{"1", "2", "3"}) {
		t.Fatalf("Append gave %q, want [1 2 3]", got)
	}
	md.Append("none")
	if _, present := md["none"]; present {
		t.Fatalf("Append with no values created the key: %v", md)
	}
}

func TestMDCloneIsDeep(t *testing.T) {
	if MD(nil).Clone() != nil {
		t.Fatal("Clone of a nil MD is not nil")
	}
	md := MD{"a": {"1", "2"}, "b": {"3"}}
	clone := md.Clone()
	if !reflect.DeepEqual(clone, md) {
		t.Fatalf("Clone = %v, want %v", clone, md)
	}
	clone["a"][0] = "changed"
	clone.Append("b", "4")
	if md["a"][0] != "1" || len(md["b"]) != 1 {
		t.Fatalf("changing the clone changed the original: %v", md)
	}
}

func TestGetMetadataValueOfEmptyKey(t *testing.T) {
	ctx := WithMetadata(context.Background(), MD{"empty": {}, "full": {"x", "y"}})
	if v, ok := GetMetadataValue(ctx, "empty"); ok || v != "" {
		t.Fatalf("GetMetadataValue(empty) = %q, %v; want \"\", false", v, ok)
	}
	if v, ok := GetMetadataValue(ctx, "FULL"); !ok || v != "x" {
		t.Fatalf("GetMetadataValue(FULL) = %q, %v; want x, true", v, ok)
	}
	if _, ok := GetMetadataValue(context.Background(), "full"); ok {
		t.Fatal("GetMetadataValue found a value in a context without metadata")
	}
}
