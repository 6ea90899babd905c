// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

// Method handles one unary method: it decodes the request with unmarshal
// and returns the response message (nil means an empty response) or an
// error, whose status (if it has one) reaches the client. unmarshal is
// valid only until the Method returns (the request's buffer is reused).
type Method func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error)

// ServiceDesc describes the methods of one service. Generated code builds
// it; the map keys are the method names as written in the .proto file.
type ServiceDesc struct {
	Methods map[string]Method
	Streams map[string]Stream
}

// serviceSet is the registry of a server's services, keyed by fully
// qualified service name. It is safe for concurrent use: services may be
// registered while the server serves.
type serviceSet struct {
	mu sync.RWMutex
	// guarded by mu:
	services map[string]*ServiceDesc
}

func newServiceSet() *serviceSet {
	return &serviceSet{services: make(map[string]*ServiceDesc)}
}

// register adds a copy of desc under name. Registering a name twice is a
// programming error and panics, as in containerd's ttrpc.
func (ss *serviceSet) register(name string, desc *ServiceDesc) {
	cp := &ServiceDesc{Methods: maps.Clone(desc.Methods), Streams: maps.Clone(desc.Streams)}
	ss.mu.Lock()
	_, dup := ss.services[name]
	if !dup {
		ss.services[name] = cp
	}
	ss.mu.Unlock()
	if dup {
		panic(fmt.Sprintf("ttrpc: duplicate service %v registered", name))
	}
}

// lookup finds service.method: a unary Method, or a Stream, or an
// UNIMPLEMENTED status naming the service or the method that is missing.
// The names are the request's bytes; looking them up allocates nothing.
func (ss *serviceSet) lookup(service, method []byte) (Method, *Stream, *status.Status) {
	ss.mu.RLock()
	desc, ok := ss.services[string(service)]
	ss.mu.RUnlock()
	if !ok {
		return nil, nil, status.Newf(codes.Unimplemented, "service %s", service)
	}
	// desc is never changed after register, so it is read without the lock.
	if m, ok := desc.Methods[string(method)]; ok {
		return m, nil, nil
	}
	if s, ok := desc.Streams[string(method)]; ok {
		return nil, &s, nil
	}
	return nil, nil, status.Newf(codes.Unimplemented, "method %s", method)
}
