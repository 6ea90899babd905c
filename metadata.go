// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"strings"
)

// MD is the metadata of a call: keys (lower-cased) to values. A client sends
// the MD attached to its context with WithMetadata; a handler reads what the
// client sent with GetMetadata. Each value of a key travels as one KeyValue,
// in order.
type MD map[string][]string

// Get returns the values of key, looked up case-insensitively. A key that
// is missing or has an empty list of values gives nil and false, as in
// containerd's ttrpc.
func (m MD) Get(key string) ([]string, bool) {
	values := m[strings.ToLower(key)]
	if len(values) == 0 {
		return nil, false
	}
	return values, true
}

// Set replaces the values of key (lower-cased). Setting no values deletes
// the key, as in containerd's ttrpc.
func (m MD) Set(key string, values ...string) {
	key = strings.ToLower(key)
	if len(values) == 0 {
		delete(m, key)
		return
	}
	m[key] = values
}

// Append adds values to key (lower-cased). Appending no values does nothing.
func (m MD) Append(key string, values ...string) {
	if len(values) == 0 {
		return
	}
	key = strings.ToLower(key)
	m[key] = append(m[key], values...)
}

// Clone returns a deep copy of m.
func (m MD) Clone() MD {
	if m == nil {
		return nil
	}
	out := make(MD, len(m))
	for key, values := range m {
		out[key] = append([]string(nil), values...)
	}
	return out
}

// toKeyValues flattens m into the wire form, one KeyValue per value.
func (m MD) toKeyValues() []*KeyValue {
	n := 0
	for _, values := range m {
		n += len(values)
	}
	if n == 0 {
		return nil
	}
	kvs := make([]*KeyValue, 0, n)
	for key, values := range m {
		for _, value := range values {
			kvs = append(kvs, &KeyValue{Key: key, Value: value})
		}
	}
	return kvs
}

// metadataFromKeyValues rebuilds MD from its wire form.
func metadataFromKeyValues(kvs []*KeyValue) MD {
	md := make(MD, len(kvs))
	for _, kv := range kvs {
		md.Append(kv.Key, kv.Value)
	}
	return md
}

type metadataKey struct{}

// GetMetadata returns the metadata attached to ctx: on a server, what the
// client sent; on a client, what WithMetadata attached.
func GetMetadata(ctx context.Context) (MD, bool) {
	md, ok := ctx.Value(metadataKey{}).(MD)
	return md, ok
}

// GetMetadataValue returns the first value of name in the metadata of ctx.
func GetMetadataValue(ctx context.Context, name string) (string, bool) {
	md, ok := GetMetadata(ctx)
	if !ok {
		return "", false
	}
	values, ok := md.Get(name)
	if !ok || len(values) == 0 {
		return "", false
	}
	return values[0], true
}

// WithMetadata returns a context carrying md; a Client sends it with every
// call made with that context.
func WithMetadata(ctx context.Context, md MD) context.Context {
	return context.WithValue(ctx, metadataKey{}, md)
}
