// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/featherrpc/ttrpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// printer writes messages as JSON (protojson): a unary response indented,
// the messages of a stream one per line.
type printer struct {
	w       io.Writer
	marshal protojson.MarshalOptions
}

func newPrinter(w io.Writer, d *descriptors, opts *options) *printer {
	return &printer{w: w, marshal: protojson.MarshalOptions{Resolver: d.types, EmitUnpopulated: opts.emitDefaults}}
}

// print writes msg, indented when indent is set, else on one line.
// protojson varies its whitespace on purpose; the output is normalised
// with encoding/json, so that it is stable.
func (p *printer) print(msg proto.Message, indent bool) error {
	b, err := p.marshal.Marshal(msg)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if indent {
		err = json.Indent(&out, b, "", "  ")
	} else {
		err = json.Compact(&out, b)
	}
	if err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = p.w.Write(out.Bytes())
	return err
}

// printStatus writes an error status from the server to w (stderr): the
// code and message on one line, then each detail on a line of its own, as
// JSON when its type is known (from the loaded files or the well-known
// types), else its type URL and size.
func (p *printer) printStatus(w io.Writer, st *status.Status) {
	fmt.Fprintf(w, "ttrpcurl: server answered %s: %s\n", st.Code(), st.Message())
	for _, detail := range st.Proto().GetDetails() {
		b, err := p.marshal.Marshal(detail)
		var out bytes.Buffer
		if err == nil {
			err = json.Compact(&out, b)
		}
		if err != nil {
			fmt.Fprintf(w, "  detail: %s (%d bytes; its type is not in the protos)\n", detail.GetTypeUrl(), len(detail.GetValue()))
			continue
		}
		fmt.Fprintf(w, "  detail: %s\n", out.Bytes())
	}
}
