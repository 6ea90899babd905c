// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// findMethod resolves "service/method", "service.method" or
// "/service/method" (ttrpc's full method name) to its descriptor.
func (d *descriptors) findMethod(name string) (protoreflect.MethodDescriptor, error) {
	trimmed := strings.TrimPrefix(name, "/")
	sep := strings.LastIndex(trimmed, "/")
	if sep < 0 {
		sep = strings.LastIndex(trimmed, ".")
	}
	if sep <= 0 || sep == len(trimmed)-1 {
		return nil, fmt.Errorf("%w %q: want service/method, as in containerd.task.v2.Task/State", errUnknownMethod, name)
	}
	service, err := d.findService(trimmed[:sep])
	if err != nil {
		return nil, err
	}
	method := service.Methods().ByName(protoreflect.Name(trimmed[sep+1:]))
	if method == nil {
		return nil, fmt.Errorf("%w %q: service %s has %s", errUnknownMethod, name, service.FullName(), methodNames(service))
	}
	return method, nil
}

// findService resolves a service's full name.
func (d *descriptors) findService(name string) (protoreflect.ServiceDescriptor, error) {
	desc, err := d.files.FindDescriptorByName(protoreflect.FullName(name))
	if service, ok := desc.(protoreflect.ServiceDescriptor); ok && err == nil {
		return service, nil
	}
	return nil, fmt.Errorf("%w %q (ttrpcurl list shows the services)", errUnknownService, name)
}

// findSymbol resolves the full name of a service, method, message, enum or
// field (a method may also be written service/method).
func (d *descriptors) findSymbol(name string) (protoreflect.Descriptor, error) {
	trimmed := strings.TrimPrefix(name, "/")
	if strings.Contains(trimmed, "/") {
		return d.findMethod(trimmed)
	}
	desc, err := d.files.FindDescriptorByName(protoreflect.FullName(strings.TrimPrefix(trimmed, ".")))
	if err != nil {
		return nil, fmt.Errorf("%w %q: no service, method, message, enum or field has that full name", errUnknownSymbol, name)
	}
	return desc, nil
}

// services returns every service of the loaded files, sorted by name.
func (d *descriptors) services() []protoreflect.ServiceDescriptor {
	var all []protoreflect.ServiceDescriptor
	d.files.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		for i := range f.Services().Len() {
			all = append(all, f.Services().Get(i))
		}
		return true
	})
	sortByName(all)
	return all
}

// methodNames lists a service's method names for an error message.
func methodNames(service protoreflect.ServiceDescriptor) string {
	methods := service.Methods()
	if methods.Len() == 0 {
		return "no methods"
	}
	names := make([]string, methods.Len())
	for i := range methods.Len() {
		names[i] = string(methods.Get(i).Name())
	}
	return "methods " + strings.Join(names, ", ")
}
