// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"io"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// runDescribe prints the named symbol (every service when none is named)
// in .proto syntax, with the comments of the .proto where the descriptors
// keep them. A method is followed by its request message, which is what a
// caller needs to write.
func runDescribe(w io.Writer, d *descriptors, args []string) error {
	var symbols []protoreflect.Descriptor
	switch len(args) {
	case 0:
		for _, s := range d.services() {
			symbols = append(symbols, s)
		}
	case 1:
		symbol, err := d.findSymbol(args[0])
		if err != nil {
			return err
		}
		symbols = append(symbols, symbol)
		if m, ok := symbol.(protoreflect.MethodDescriptor); ok {
			symbols = append(symbols, m.Input())
		}
	default:
		return fmt.Errorf("%w: describe takes at most one symbol", errUsage)
	}
	p := &protoPrinter{}
	for i, symbol := range symbols {
		if i > 0 {
			p.line("")
		}
		p.describe(symbol)
	}
	_, err := io.WriteString(w, p.b.String())
	return err
}

// protoPrinter writes descriptors in .proto syntax.
type protoPrinter struct {
	b      strings.Builder
	indent int
}

func (p *protoPrinter) line(format string, args ...any) {
	if format != "" {
		p.b.WriteString(strings.Repeat("  ", p.indent))
		fmt.Fprintf(&p.b, format, args...)
	}
	p.b.WriteByte('\n')
}

// comments writes the leading comments of d, if its file kept them.
func (p *protoPrinter) comments(d protoreflect.Descriptor) {
	text := d.ParentFile().SourceLocations().ByDescriptor(d).LeadingComments
	for l := range strings.Lines(strings.TrimRight(text, "\n")) {
		p.line("//%s", strings.TrimRight(l, "\n"))
	}
}

func (p *protoPrinter) describe(d protoreflect.Descriptor) {
	switch d := d.(type) {
	case protoreflect.ServiceDescriptor:
		p.service(d)
	case protoreflect.MethodDescriptor:
		p.line("// %s/%s, a method of service %s", d.Parent().FullName(), d.Name(), d.Parent().FullName())
		p.method(d)
	case protoreflect.MessageDescriptor:
		p.message(d)
	case protoreflect.EnumDescriptor:
		p.enum(d)
	case protoreflect.FieldDescriptor:
		p.line("// %s, a field of message %s", d.FullName(), d.Parent().FullName())
		p.field(d)
	case protoreflect.EnumValueDescriptor:
		p.line("// %s, a value of enum %s", d.FullName(), d.Parent().FullName())
		p.line("%s = %d;", d.Name(), d.Number())
	default:
		p.line("// %s is a %T", d.FullName(), d)
	}
}

func (p *protoPrinter) service(s protoreflect.ServiceDescriptor) {
	p.comments(s)
	p.line("service %s {", s.FullName())
	p.indent++
	for i := range s.Methods().Len() {
		p.method(s.Methods().Get(i))
	}
	p.indent--
	p.line("}")
}

func (p *protoPrinter) method(m protoreflect.MethodDescriptor) {
	p.comments(m)
	p.line("rpc %s(%s%s) returns (%s%s);", m.Name(),
		streamPrefix(m.IsStreamingClient()), m.Input().FullName(),
		streamPrefix(m.IsStreamingServer()), m.Output().FullName())
}

// message writes a message's fields, with its oneofs as blocks; nested
// messages and enums are named at the end (describe each by its full name).
func (p *protoPrinter) message(m protoreflect.MessageDescriptor) {
	p.comments(m)
	p.line("message %s {", m.FullName())
	p.indent++
	fields := m.Fields()
	for i := 0; i < fields.Len(); i++ {
		f := fields.Get(i)
		if o := f.ContainingOneof(); o != nil && !o.IsSynthetic() {
			i += p.oneof(o) - 1
			continue
		}
		p.field(f)
	}
	p.nested(m)
	p.indent--
	p.line("}")
}

// oneof writes a oneof block and returns how many fields it holds.
func (p *protoPrinter) oneof(o protoreflect.OneofDescriptor) int {
	p.line("oneof %s {", o.Name())
	p.indent++
	for i := range o.Fields().Len() {
		p.field(o.Fields().Get(i))
	}
	p.indent--
	p.line("}")
	return o.Fields().Len()
}

// nested names a message's nested messages (map entries aside) and enums.
func (p *protoPrinter) nested(m protoreflect.MessageDescriptor) {
	for i := range m.Messages().Len() {
		if n := m.Messages().Get(i); !n.IsMapEntry() {
			p.line("// nested: message %s", n.FullName())
		}
	}
	for i := range m.Enums().Len() {
		p.line("// nested: enum %s", m.Enums().Get(i).FullName())
	}
}

func (p *protoPrinter) field(f protoreflect.FieldDescriptor) {
	p.comments(f)
	label := ""
	switch {
	case f.IsMap():
	case f.IsList():
		label = "repeated "
	case f.HasOptionalKeyword():
		label = "optional "
	}
	p.line("%s%s %s = %d;", label, fieldType(f), f.Name(), f.Number())
}

// fieldType is a field's type as a .proto writes it, messages and enums by
// full name.
func fieldType(f protoreflect.FieldDescriptor) string {
	switch {
	case f.IsMap():
		return fmt.Sprintf("map<%s, %s>", fieldType(f.MapKey()), fieldType(f.MapValue()))
	case f.Message() != nil:
		return string(f.Message().FullName())
	case f.Enum() != nil:
		return string(f.Enum().FullName())
	}
	return f.Kind().String()
}

func (p *protoPrinter) enum(e protoreflect.EnumDescriptor) {
	p.comments(e)
	p.line("enum %s {", e.FullName())
	p.indent++
	for i := range e.Values().Len() {
		v := e.Values().Get(i)
		p.comments(v)
		p.line("%s = %d;", v.Name(), v.Number())
	}
	p.indent--
	p.line("}")
}
