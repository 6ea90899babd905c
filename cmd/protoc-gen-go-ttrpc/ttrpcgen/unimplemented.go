// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpcgen

import (
	"fmt"
	"strconv"

	"google.golang.org/protobuf/compiler/protogen"
)

// The status identifiers of the Unimplemented types. They always come from
// this library's status and codes packages, whatever package setImportPath
// chose for ttrpc: the stand-in that ttrpc-swap writes for
// github.com/containerd/ttrpc has no status package of its own, and the
// module it forwards to, this one, is in every swapped project's module
// graph.
var (
	statusErrorIdent       = protogen.GoImportPath(ImportPath + "/status").Ident("Error")
	codeUnimplementedIdent = protogen.GoImportPath(ImportPath + "/codes").Ident("Unimplemented")
)

// unimplementedName is the struct whose methods answer every method of the
// service with UNIMPLEMENTED: UnimplementedExampleService for
// ExampleService. grpc-go calls its counterpart UnimplementedExampleServer
// after its interface ExampleServer; ours is named after our interface in
// the same way, and so cannot clash with grpc-go's when both generators
// write into one package.
func (s *service) unimplementedName() string { return "Unimplemented" + s.serverName() }

// genUnimplemented writes the Unimplemented struct, an addition to the code
// containerd's generator writes. It has value receivers, so that it works
// embedded by value, and no state.
func genUnimplemented(g *protogen.GeneratedFile, s *service) {
	name := s.unimplementedName()
	g.P("// ", name, " implements ", s.serverName(), ": every method answers")
	g.P("// status code UNIMPLEMENTED. Embed it in an implementation so that the")
	g.P("// implementation still compiles when methods are added to service")
	g.P("// ", s.Desc.FullName(), "; they answer UNIMPLEMENTED until it implements them.")
	g.P("type ", name, " struct{}")
	g.P()
	for _, m := range s.Methods {
		msg := fmt.Sprintf("method %s not implemented", m.Desc.Name())
		g.P("// ", m.GoName, " answers UNIMPLEMENTED.")
		g.P("func (", name, ") ", m.GoName, serverSignature(g, s, m), " {")
		// A method whose server side streams returns only an error.
		if m.Desc.IsStreamingServer() {
			g.P("return ", statusErrorIdent, "(", codeUnimplementedIdent, ", ", strconv.Quote(msg), ")")
		} else {
			g.P("return nil, ", statusErrorIdent, "(", codeUnimplementedIdent, ", ", strconv.Quote(msg), ")")
		}
		g.P("}")
		g.P()
	}
}
