// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// runList prints the services of the loaded files (or the one named), each
// followed by its methods, indented, in the order the .proto declares them:
//
//	containerd.task.v2.Task
//	  State(StateRequest) returns (StateResponse)
func runList(w io.Writer, d *descriptors, args []string) error {
	services := d.services()
	switch len(args) {
	case 0:
	case 1:
		service, err := d.findService(args[0])
		if err != nil {
			return err
		}
		services = []protoreflect.ServiceDescriptor{service}
	default:
		return fmt.Errorf("%w: list takes at most one service name", errUsage)
	}
	for _, service := range services {
		fmt.Fprintln(w, service.FullName())
		methods := service.Methods()
		for i := range methods.Len() {
			fmt.Fprintf(w, "  %s\n", signature(methods.Get(i)))
		}
	}
	return nil
}

// signature writes a method as `Name(stream Req) returns (stream Resp)`,
// naming messages of the service's own package by their short names.
func signature(m protoreflect.MethodDescriptor) string {
	pkg := m.ParentFile().Package()
	return fmt.Sprintf("%s(%s) returns (%s)", m.Name(),
		streamPrefix(m.IsStreamingClient())+relativeName(m.Input().FullName(), pkg),
		streamPrefix(m.IsStreamingServer())+relativeName(m.Output().FullName(), pkg))
}

func streamPrefix(streaming bool) string {
	if streaming {
		return "stream "
	}
	return ""
}

// relativeName drops pkg from name when name is in it.
func relativeName(name, pkg protoreflect.FullName) string {
	if pkg != "" && strings.HasPrefix(string(name), string(pkg)+".") {
		return string(name[len(pkg)+1:])
	}
	return string(name)
}

// sortByName sorts descriptors by full name.
func sortByName[D protoreflect.Descriptor](ds []D) {
	slices.SortFunc(ds, func(a, b D) int { return strings.Compare(string(a.FullName()), string(b.FullName())) })
}
