// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpcgen

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// The identifiers that generated code uses from other packages. Main sets
// the ttrpc ones (setImportPath), before anything is generated.
var (
	contextIdent = protogen.GoImportPath("context").Ident("Context")

	ttrpcPackage      protogen.GoImportPath
	serverIdent       protogen.GoIdent
	clientIdent       protogen.GoIdent
	serviceDescIdent  protogen.GoIdent
	methodIdent       protogen.GoIdent
	streamIdent       protogen.GoIdent
	streamDescIdent   protogen.GoIdent
	streamServerIdent protogen.GoIdent
	clientStreamIdent protogen.GoIdent
)

func init() { setImportPath(ImportPath) }

// setImportPath makes generated code import the ttrpc package from path.
func setImportPath(path string) {
	ttrpcPackage = protogen.GoImportPath(path)
	serverIdent = ttrpcPackage.Ident("Server")
	clientIdent = ttrpcPackage.Ident("Client")
	serviceDescIdent = ttrpcPackage.Ident("ServiceDesc")
	methodIdent = ttrpcPackage.Ident("Method")
	streamIdent = ttrpcPackage.Ident("Stream")
	streamDescIdent = ttrpcPackage.Ident("StreamDesc")
	streamServerIdent = ttrpcPackage.Ident("StreamServer")
	clientStreamIdent = ttrpcPackage.Ident("ClientStream")
}

// The two sides of a stream, as they appear in generated names.
const (
	serverSide = "Server"
	clientSide = "Client"
)

// generateFile writes <file>_ttrpc.pb.go for a file that has services. A
// file without services gets no output at all.
func generateFile(gen *protogen.Plugin, file *protogen.File, prefix string) error {
	if len(file.Services) == 0 {
		return nil
	}
	if err := checkNames(gen, file, prefix); err != nil {
		return err
	}
	g := gen.NewGeneratedFile(file.GeneratedFilenamePrefix+"_ttrpc.pb.go", file.GoImportPath)
	genHeader(g, file)
	for _, s := range file.Services {
		svc := newService(s, prefix)
		genServerInterface(g, svc)
		genUnimplemented(g, svc)
		genRegister(g, svc)
		for _, m := range svc.streamingMethods() {
			genStream(g, svc, m, serverSide)
		}
		genClient(g, svc)
	}
	return nil
}

// service is a service of the file together with the Go names generated
// for it. The wire always uses the proto names (Desc.FullName of the
// service, Desc.Name of a method); Go code uses GoName, which protogen
// derives from them (get_status becomes GetStatus).
type service struct {
	*protogen.Service
	name      string // the prefix and the service's Go name: the stem of every generated name
	streaming bool   // whether any method streams
}

func newService(s *protogen.Service, prefix string) *service {
	svc := &service{Service: s, name: prefix + s.GoName}
	svc.streaming = len(svc.streamingMethods()) > 0
	return svc
}

// serverName is the interface that servers implement.
func (s *service) serverName() string { return s.name + "Service" }

// clientName is the type NewXClient returns: the server interface itself
// when no method streams (a client then has exactly the server's methods),
// and a separate interface otherwise.
func (s *service) clientName() string {
	if s.streaming {
		return s.name + "Client"
	}
	return s.serverName()
}

func (s *service) registerName() string  { return "Register" + s.serverName() }
func (s *service) newClientName() string { return "New" + s.name + "Client" }
func (s *service) clientImpl() string    { return unexport(s.name) + "Client" }

// streamName is the interface of one side of a streaming method, e.g.
// Example_WatchServer; streamImpl is the unexported type implementing it.
func (s *service) streamName(m *protogen.Method, side string) string {
	return s.name + "_" + m.GoName + side
}

func (s *service) streamImpl(m *protogen.Method, side string) string {
	return unexport(s.name) + m.GoName + side
}

func (s *service) unaryMethods() []*protogen.Method {
	var list []*protogen.Method
	for _, m := range s.Methods {
		if !isStreaming(m) {
			list = append(list, m)
		}
	}
	return list
}

func (s *service) streamingMethods() []*protogen.Method {
	var list []*protogen.Method
	for _, m := range s.Methods {
		if isStreaming(m) {
			list = append(list, m)
		}
	}
	return list
}

func (s *service) deprecated() bool {
	return s.Desc.Options().(*descriptorpb.ServiceOptions).GetDeprecated()
}

func isStreaming(m *protogen.Method) bool {
	return m.Desc.IsStreamingClient() || m.Desc.IsStreamingServer()
}

func methodDeprecated(m *protogen.Method) bool {
	return m.Desc.Options().(*descriptorpb.MethodOptions).GetDeprecated()
}

// genHeader writes the file's header and package clause. Comments above
// the syntax or edition statement (a license header, say) come first, where
// protoc-gen-go puts them too.
func genHeader(g *protogen.GeneratedFile, file *protogen.File) {
	fields := (&descriptorpb.FileDescriptorProto{}).ProtoReflect().Descriptor().Fields()
	for _, name := range []protoreflect.Name{"syntax", "edition"} {
		path := protoreflect.SourcePath{int32(fields.ByName(name).Number())}
		loc := file.Desc.SourceLocations().ByPath(path)
		for _, c := range loc.LeadingDetachedComments {
			g.P(protogen.Comments(c))
			g.P()
		}
		if loc.LeadingComments != "" {
			g.P(protogen.Comments(loc.LeadingComments))
			g.P()
		}
	}
	g.P("// Code generated by protoc-gen-go-ttrpc. DO NOT EDIT.")
	g.P("// source: ", file.Desc.Path())
	g.P()
	g.P("package ", file.GoPackageName)
	g.P()
}

// docComment formats a doc comment: our own summary (if any), then the
// comments of the .proto element, then a deprecation notice.
func docComment(summary string, leading protogen.Comments, deprecated bool) string {
	var b strings.Builder
	add := func(c protogen.Comments) {
		if b.Len() > 0 {
			b.WriteString("//\n")
		}
		b.WriteString(c.String())
	}
	if summary != "" {
		add(protogen.Comments(" " + summary))
	}
	if leading != "" {
		add(leading)
	}
	if deprecated {
		add(" Deprecated: Do not use.")
	}
	return b.String()
}

// genServerInterface writes the interface that implementations of the
// service satisfy.
func genServerInterface(g *protogen.GeneratedFile, s *service) {
	summary := fmt.Sprintf("%s is the server API of service %s.", s.serverName(), s.Desc.FullName())
	if !s.streaming {
		summary = fmt.Sprintf("%s is the API of service %s: servers implement it, and %s returns a client that implements it.",
			s.serverName(), s.Desc.FullName(), s.newClientName())
	}
	g.P(docComment(summary, s.Comments.Leading, s.deprecated()), "type ", s.serverName(), " interface {")
	for _, m := range s.Methods {
		g.P(docComment("", m.Comments.Leading, methodDeprecated(m)), m.GoName, serverSignature(g, s, m))
	}
	g.P("}")
	g.P()
}

// serverSignature is the signature of a method in the server interface.
func serverSignature(g *protogen.GeneratedFile, s *service, m *protogen.Method) string {
	ctx := g.QualifiedGoIdent(contextIdent)
	in := "*" + g.QualifiedGoIdent(m.Input.GoIdent)
	out := "*" + g.QualifiedGoIdent(m.Output.GoIdent)
	stream := s.streamName(m, serverSide)
	switch {
	case !m.Desc.IsStreamingClient() && !m.Desc.IsStreamingServer():
		return "(" + ctx + ", " + in + ") (" + out + ", error)"
	case !m.Desc.IsStreamingClient():
		return "(" + ctx + ", " + in + ", " + stream + ") error"
	case !m.Desc.IsStreamingServer():
		return "(" + ctx + ", " + stream + ") (" + out + ", error)"
	default:
		return "(" + ctx + ", " + stream + ") error"
	}
}

// clientSignature is the signature of a method in the client interface.
func clientSignature(g *protogen.GeneratedFile, s *service, m *protogen.Method) string {
	ctx := g.QualifiedGoIdent(contextIdent)
	in := "*" + g.QualifiedGoIdent(m.Input.GoIdent)
	out := "*" + g.QualifiedGoIdent(m.Output.GoIdent)
	stream := s.streamName(m, clientSide)
	switch {
	case !m.Desc.IsStreamingClient() && !m.Desc.IsStreamingServer():
		return "(" + ctx + ", " + in + ") (" + out + ", error)"
	case !m.Desc.IsStreamingClient():
		return "(" + ctx + ", " + in + ") (" + stream + ", error)"
	default:
		return "(" + ctx + ") (" + stream + ", error)"
	}
}

// genRegister writes RegisterXService, which registers an implementation
// under the service's full proto name, each method under its proto name.
func genRegister(g *protogen.GeneratedFile, s *service) {
	summary := fmt.Sprintf("%s registers svc with srv as service %s.", s.registerName(), s.Desc.FullName())
	g.P(docComment(summary, "", s.deprecated()),
		"func ", s.registerName(), "(srv *", serverIdent, ", svc ", s.serverName(), ") {")
	g.P("srv.RegisterService(", strconv.Quote(string(s.Desc.FullName())), ", &", serviceDescIdent, "{")
	if unary := s.unaryMethods(); len(unary) > 0 {
		g.P("Methods: map[string]", methodIdent, "{")
		for _, m := range unary {
			g.P(strconv.Quote(string(m.Desc.Name())), ": func(ctx ", contextIdent, ", unmarshal func(interface{}) error) (interface{}, error) {")
			g.P("var req ", m.Input.GoIdent)
			g.P("if err := unmarshal(&req); err != nil {")
			g.P("return nil, err")
			g.P("}")
			g.P("return svc.", m.GoName, "(ctx, &req)")
			g.P("},")
		}
		g.P("},")
	}
	if streams := s.streamingMethods(); len(streams) > 0 {
		g.P("Streams: map[string]", streamIdent, "{")
		for _, m := range streams {
			genStreamHandler(g, s, m)
		}
		g.P("},")
	}
	g.P("})")
	g.P("}")
	g.P()
}

// genStreamHandler writes the map entry of one streaming method: a handler
// that wraps the stream in its typed server side and calls the
// implementation.
func genStreamHandler(g *protogen.GeneratedFile, s *service, m *protogen.Method) {
	wrapped := "&" + s.streamImpl(m, serverSide) + "{stream}"
	g.P(strconv.Quote(string(m.Desc.Name())), ": {")
	g.P("Handler: func(ctx ", contextIdent, ", stream ", streamServerIdent, ") (interface{}, error) {")
	switch {
	case !m.Desc.IsStreamingClient():
		// The single request arrives as the stream's first message.
		g.P("m := new(", m.Input.GoIdent, ")")
		g.P("if err := stream.RecvMsg(m); err != nil {")
		g.P("return nil, err")
		g.P("}")
		g.P("return nil, svc.", m.GoName, "(ctx, m, ", wrapped, ")")
	case !m.Desc.IsStreamingServer():
		g.P("return svc.", m.GoName, "(ctx, ", wrapped, ")")
	default:
		g.P("return nil, svc.", m.GoName, "(ctx, ", wrapped, ")")
	}
	g.P("},")
	g.P("StreamingClient: ", m.Desc.IsStreamingClient(), ",")
	g.P("StreamingServer: ", m.Desc.IsStreamingServer(), ",")
	g.P("},")
}

// streamSide is one side of a streaming method, as generated code types it.
type streamSide struct {
	name, impl   string           // the interface S_MServer or S_MClient, and its implementation
	embedded     protogen.GoIdent // the untyped stream: ttrpc.StreamServer or ttrpc.ClientStream
	send, recv   *protogen.Message
	canSend      bool // a typed Send
	canRecv      bool // a typed Recv
	closeAndRecv bool // a typed CloseAndRecv: the client of a client-streaming method
}

func newStreamSide(s *service, m *protogen.Method, side string) streamSide {
	clientStreams, serverStreams := m.Desc.IsStreamingClient(), m.Desc.IsStreamingServer()
	if side == serverSide {
		return streamSide{
			name: s.streamName(m, side), impl: s.streamImpl(m, side), embedded: streamServerIdent,
			send: m.Output, recv: m.Input, canSend: serverStreams, canRecv: clientStreams,
		}
	}
	return streamSide{
		name: s.streamName(m, side), impl: s.streamImpl(m, side), embedded: clientStreamIdent,
		send: m.Input, recv: m.Output, canSend: clientStreams, canRecv: serverStreams,
		closeAndRecv: !serverStreams,
	}
}

// genStream writes one side of a streaming method: its interface, which
// adds typed Send, Recv and CloseAndRecv methods to the untyped stream as
// the method's directions allow, and the type implementing it.
func genStream(g *protogen.GeneratedFile, s *service, m *protogen.Method, side string) {
	st := newStreamSide(s, m, side)
	g.P("// ", st.name, " is the ", strings.ToLower(side), " side of stream ", m.Desc.Name(), " of service ", s.Desc.FullName(), ".")
	g.P("type ", st.name, " interface {")
	if st.canSend {
		g.P("Send(*", st.send.GoIdent, ") error")
	}
	if st.canRecv {
		g.P("Recv() (*", st.recv.GoIdent, ", error)")
	}
	if st.closeAndRecv {
		g.P("CloseAndRecv() (*", st.recv.GoIdent, ", error)")
	}
	g.P(st.embedded)
	g.P("}")
	g.P()
	g.P("type ", st.impl, " struct {")
	g.P(st.embedded)
	g.P("}")
	g.P()
	if st.canSend {
		g.P("func (x *", st.impl, ") Send(m *", st.send.GoIdent, ") error {")
		g.P("return x.", st.embedded.GoName, ".SendMsg(m)")
		g.P("}")
		g.P()
	}
	if st.canRecv {
		genRecv(g, st, "Recv")
	}
	if st.closeAndRecv {
		genRecv(g, st, "CloseAndRecv")
	}
}

// genRecv writes Recv, or CloseAndRecv, which closes the client's side
// first.
func genRecv(g *protogen.GeneratedFile, st streamSide, method string) {
	field := st.embedded.GoName
	g.P("func (x *", st.impl, ") ", method, "() (*", st.recv.GoIdent, ", error) {")
	if method == "CloseAndRecv" {
		g.P("if err := x.", field, ".CloseSend(); err != nil {")
		g.P("return nil, err")
		g.P("}")
	}
	g.P("m := new(", st.recv.GoIdent, ")")
	g.P("if err := x.", field, ".RecvMsg(m); err != nil {")
	g.P("return nil, err")
	g.P("}")
	g.P("return m, nil")
	g.P("}")
	g.P()
}

// genClient writes the client: its interface (when it differs from the
// server's), its type, NewXClient, and one method per RPC.
func genClient(g *protogen.GeneratedFile, s *service) {
	if s.streaming {
		summary := fmt.Sprintf("%s is the client API of service %s.", s.clientName(), s.Desc.FullName())
		g.P(docComment(summary, s.Comments.Leading, s.deprecated()), "type ", s.clientName(), " interface {")
		for _, m := range s.Methods {
			g.P(docComment("", m.Comments.Leading, methodDeprecated(m)), m.GoName, clientSignature(g, s, m))
		}
		g.P("}")
		g.P()
	}
	g.P("type ", s.clientImpl(), " struct {")
	g.P("client *", clientIdent)
	g.P("}")
	g.P()
	summary := fmt.Sprintf("%s returns a client of service %s that calls over client.", s.newClientName(), s.Desc.FullName())
	g.P(docComment(summary, "", s.deprecated()),
		"func ", s.newClientName(), "(client *", clientIdent, ") ", s.clientName(), " {")
	g.P("return &", s.clientImpl(), "{")
	g.P("client: client,")
	g.P("}")
	g.P("}")
	g.P()
	for _, m := range s.Methods {
		if isStreaming(m) {
			genClientStreamMethod(g, s, m)
			genStream(g, s, m, clientSide)
		} else {
			genClientUnaryMethod(g, s, m)
		}
	}
}

func genClientUnaryMethod(g *protogen.GeneratedFile, s *service, m *protogen.Method) {
	g.P("func (c *", s.clientImpl(), ") ", m.GoName, "(ctx ", contextIdent, ", req *", m.Input.GoIdent, ") (*", m.Output.GoIdent, ", error) {")
	g.P("var resp ", m.Output.GoIdent)
	g.P("if err := c.client.Call(ctx, ", strconv.Quote(string(s.Desc.FullName())), ", ", strconv.Quote(string(m.Desc.Name())), ", req, &resp); err != nil {")
	g.P("return nil, err")
	g.P("}")
	g.P("return &resp, nil")
	g.P("}")
	g.P()
}

func genClientStreamMethod(g *protogen.GeneratedFile, s *service, m *protogen.Method) {
	// A method whose client side does not stream sends its single request
	// with the request that opens the stream.
	params, req := "ctx "+g.QualifiedGoIdent(contextIdent), "nil"
	if !m.Desc.IsStreamingClient() {
		params += ", req *" + g.QualifiedGoIdent(m.Input.GoIdent)
		req = "req"
	}
	g.P("func (c *", s.clientImpl(), ") ", m.GoName, "(", params, ") (", s.streamName(m, clientSide), ", error) {")
	g.P("stream, err := c.client.NewStream(ctx, &", streamDescIdent, "{")
	g.P("StreamingClient: ", m.Desc.IsStreamingClient(), ",")
	g.P("StreamingServer: ", m.Desc.IsStreamingServer(), ",")
	g.P("}, ", strconv.Quote(string(s.Desc.FullName())), ", ", strconv.Quote(string(m.Desc.Name())), ", ", req, ")")
	g.P("if err != nil {")
	g.P("return nil, err")
	g.P("}")
	g.P("return &", s.streamImpl(m, clientSide), "{stream}, nil")
	g.P("}")
	g.P()
}

// unexport turns an exported Go name into the unexported one Go code would
// write: Example -> example, TTRPCExample -> ttrpcExample, HTTP -> http.
func unexport(name string) string {
	runes := []rune(name)
	n := 0
	for n < len(runes) && unicode.IsUpper(runes[n]) {
		n++
	}
	if n > 1 && n < len(runes) && unicode.IsLower(runes[n]) {
		n-- // the last capital starts the next word: TTRPC|Example
	}
	return strings.ToLower(string(runes[:n])) + string(runes[n:])
}
