// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpcgen

import (
	"fmt"

	"google.golang.org/protobuf/compiler/protogen"
)

// checkNames fails, naming the culprits, when the code for file would not
// compile because of its names: two methods of a service with the same Go
// name (get_status and GetStatus), or a generated name that another service
// or a message or enum of the same Go package already uses. Only the files
// of this request are seen; the prefix= option resolves most clashes.
func checkNames(gen *protogen.Plugin, file *protogen.File, prefix string) error {
	taken := make(map[string]string) // Go name -> what declares it
	claim := func(name, owner string) error {
		if prev, ok := taken[name]; ok {
			return fmt.Errorf("%s: %s and %s both declare the Go name %s; rename one, or use the prefix= option",
				file.Desc.Path(), prev, owner, name)
		}
		taken[name] = owner
		return nil
	}
	for _, f := range gen.Files {
		if f.GoImportPath != file.GoImportPath {
			continue
		}
		for _, e := range f.Enums {
			claimEnum(taken, e)
		}
		for _, m := range f.Messages {
			claimMessage(taken, m)
		}
	}
	for _, f := range gen.Files {
		if f.GoImportPath != file.GoImportPath || !f.Generate {
			continue
		}
		for _, s := range f.Services {
			owner := fmt.Sprintf("service %s", s.Desc.FullName())
			for _, name := range newService(s, prefix).declaredNames() {
				if err := claim(name, owner); err != nil {
					return err
				}
			}
			if err := checkMethodNames(file, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkMethodNames fails when two methods of s have the same Go name.
func checkMethodNames(file *protogen.File, s *protogen.Service) error {
	seen := make(map[string]*protogen.Method)
	for _, m := range s.Methods {
		if prev, ok := seen[m.GoName]; ok {
			return fmt.Errorf("%s: methods %s and %s of service %s both have the Go name %s; rename one",
				file.Desc.Path(), prev.Desc.Name(), m.Desc.Name(), s.Desc.FullName(), m.GoName)
		}
		seen[m.GoName] = m
	}
	return nil
}

// declaredNames lists the package-level names the generated code of s
// declares.
func (s *service) declaredNames() []string {
	names := []string{s.serverName(), s.unimplementedName(), s.registerName(), s.newClientName(), s.clientImpl()}
	if s.streaming {
		names = append(names, s.clientName())
	}
	for _, m := range s.streamingMethods() {
		for _, side := range []string{serverSide, clientSide} {
			names = append(names, s.streamName(m, side), s.streamImpl(m, side))
		}
	}
	return names
}

// claimMessage records the names protoc-gen-go declares for m: its type,
// the wrapper types of its oneof fields, and its nested messages and enums.
func claimMessage(taken map[string]string, m *protogen.Message) {
	if m.Desc.IsMapEntry() {
		return
	}
	taken[m.GoIdent.GoName] = fmt.Sprintf("message %s", m.Desc.FullName())
	for _, f := range m.Fields {
		if f.Oneof != nil && !f.Oneof.Desc.IsSynthetic() {
			taken[f.GoIdent.GoName] = fmt.Sprintf("field %s", f.Desc.FullName())
		}
	}
	for _, e := range m.Enums {
		claimEnum(taken, e)
	}
	for _, nested := range m.Messages {
		claimMessage(taken, nested)
	}
}

// claimEnum records the names protoc-gen-go declares for e: its type and
// its values.
func claimEnum(taken map[string]string, e *protogen.Enum) {
	taken[e.GoIdent.GoName] = fmt.Sprintf("enum %s", e.Desc.FullName())
	for _, v := range e.Values {
		taken[v.GoIdent.GoName] = fmt.Sprintf("enum value %s", v.Desc.FullName())
	}
}
