// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package otel

import (
	"context"
	"sort"
	"strings"

	"go.opentelemetry.io/otel/propagation"

	"github.com/featherrpc/ttrpc"
)

// inject writes the span context of ctx into the request's metadata,
// replacing the fields the request had already.
func inject(ctx context.Context, p propagation.TextMapPropagator, req *ttrpc.Request) {
	fields := propagation.MapCarrier{}
	p.Inject(ctx, fields)
	if len(fields) == 0 {
		return
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a stable order on the wire
	md := make([]*ttrpc.KeyValue, 0, len(req.Metadata)+len(keys))
	for _, kv := range req.Metadata {
		if _, replaced := fields[strings.ToLower(kv.Key)]; !replaced {
			md = append(md, kv)
		}
	}
	for _, k := range keys {
		md = append(md, &ttrpc.KeyValue{Key: strings.ToLower(k), Value: fields[k]})
	}
	req.Metadata = md
}

// extract returns ctx with the span context (and baggage) that the call's
// metadata carries.
func extract(ctx context.Context, p propagation.TextMapPropagator) context.Context {
	md, _ := ttrpc.GetMetadata(ctx)
	return p.Extract(ctx, mdCarrier(md))
}

// mdCarrier reads the fields of a propagator from call metadata.
type mdCarrier ttrpc.MD

// Get returns the first value of key, looked up case-insensitively.
func (c mdCarrier) Get(key string) string {
	values, _ := ttrpc.MD(c).Get(key)
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

// Set sets key to value. (The interceptors only extract from metadata.)
func (c mdCarrier) Set(key, value string) {
	if c != nil {
		ttrpc.MD(c).Set(key, value)
	}
}

// Keys returns the metadata's keys.
func (c mdCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
