// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package status

// This file lets FromError, Convert and Code understand errors made by
// google.golang.org/grpc/status without importing grpc, which this module
// must not depend on.
//
// A grpc status error has a method GRPCStatus() *status.Status, and that
// Status has a method Proto() *spb.Status returning a google.rpc.Status.
// Since our statuspb.Status is wire-identical to google.rpc.Status (same
// field numbers and types), marshalling grpc's message and unmarshalling the
// bytes into ours keeps the code, the message and the details exactly. The
// two methods can only be found by name, hence reflection. It runs only
// after the cheap check for this package's own errors has failed, so errors
// from this package never pay for it.

import (
	"reflect"

	"google.golang.org/protobuf/proto"

	"github.com/featherrpc/ttrpc/status/statuspb"
)

// protoMessageType is the reflect.Type of the proto.Message interface.
var protoMessageType = reflect.TypeFor[proto.Message]()

// foreignStatus looks for a grpc-shaped status in err's chain, in the order
// errors.As uses: err itself, then what Unwrap returns, depth-first through
// joined errors. It stops at the first error whose GRPCStatus method has
// grpc's shape, as errors.As stops at the first error of the wanted type.
//
// ok reports that such an error was found; direct that it is err itself.
// p is the status it carries converted to ours, or nil if its GRPCStatus or
// Proto returned nil or the conversion failed, which FromError treats like
// grpc treats a nil status.
func foreignStatus(err error) (p *statuspb.Status, direct, ok bool) {
	first := true
	walkChain(err, func(e error) bool {
		m, shaped := grpcStatusMethod(e)
		if !shaped {
			first = false
			return false
		}
		p, direct, ok = convertForeign(m), first, true
		return true
	})
	return p, direct, ok
}

// walkChain calls visit on err and on every error it wraps, depth-first and
// in order, like errors.As, until visit returns true. It reports whether
// visit did.
func walkChain(err error, visit func(error) bool) bool {
	for err != nil {
		if visit(err) {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if walkChain(e, visit) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}

// grpcStatusMethod returns e's GRPCStatus method if it has grpc's shape: no
// arguments and one result whose type has a method Proto with no arguments
// and one result that implements proto.Message.
func grpcStatusMethod(e error) (reflect.Value, bool) {
	m := reflect.ValueOf(e).MethodByName("GRPCStatus")
	if !m.IsValid() {
		return reflect.Value{}, false
	}
	mt := m.Type()
	if mt.NumIn() != 0 || mt.NumOut() != 1 {
		return reflect.Value{}, false
	}
	pm, ok := mt.Out(0).MethodByName("Proto")
	if !ok {
		return reflect.Value{}, false
	}
	pt := pm.Type
	args := pt.NumIn()
	if mt.Out(0).Kind() != reflect.Interface {
		args-- // a concrete type's method type lists the receiver first
	}
	if args != 0 || pt.NumOut() != 1 || !pt.Out(0).Implements(protoMessageType) {
		return reflect.Value{}, false
	}
	return m, true
}

// convertForeign calls a GRPCStatus method found by grpcStatusMethod, then
// Proto on its result, and converts that message to ours through its wire
// form. It returns nil if either call returns nil or the bytes do not parse.
func convertForeign(grpcStatus reflect.Value) *statuspb.Status {
	st := grpcStatus.Call(nil)[0]
	if isNil(st) {
		return nil
	}
	pv := st.MethodByName("Proto").Call(nil)[0]
	if isNil(pv) {
		return nil
	}
	msg, ok := pv.Interface().(proto.Message)
	if !ok || !msg.ProtoReflect().IsValid() {
		return nil
	}
	b, err := proto.Marshal(msg)
	if err != nil {
		return nil
	}
	p := &statuspb.Status{}
	if err := proto.Unmarshal(b, p); err != nil {
		return nil
	}
	return p
}

// isNil reports whether v is nil, for the kinds that can be.
func isNil(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice,
		reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return v.IsNil()
	default:
		return !v.IsValid()
	}
}
