// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// requests reads the request messages of a call: JSON values (protojson),
// one after the other, as newline-delimited JSON is written.
type requests struct {
	dec      *json.Decoder
	desc     protoreflect.MessageDescriptor
	unmarsh  protojson.UnmarshalOptions
	count    int
	closeSrc func() error
}

// openRequests opens the input the command line names: the request
// argument, -d's JSON, -d @file, -d @- (or @) for stdin, and stdin when
// none is given. A unary call with neither and a terminal on stdin sends
// an empty request rather than wait for one.
func openRequests(inv *invocation, env *environment, d *descriptors, desc protoreflect.MessageDescriptor, unary bool) (*requests, error) {
	src, closeSrc, err := requestInput(inv, env, unary)
	if err != nil {
		return nil, err
	}
	return &requests{
		dec:      json.NewDecoder(src),
		desc:     desc,
		unmarsh:  protojson.UnmarshalOptions{DiscardUnknown: inv.opts.allowUnknown, Resolver: d.types},
		closeSrc: closeSrc,
	}, nil
}

func requestInput(inv *invocation, env *environment, unary bool) (io.Reader, func() error, error) {
	noClose := func() error { return nil }
	data, dataSet := inv.opts.data, inv.opts.dataSet
	if len(inv.args) > 2 {
		if dataSet {
			return nil, nil, fmt.Errorf("%w: the request is given twice, as an argument and with -d", errUsage)
		}
		data, dataSet = inv.args[2], true
	}
	switch {
	case !dataSet && unary && env.stdinIsTerminal:
		return strings.NewReader("{}"), noClose, nil
	case !dataSet, data == "@", data == "@-":
		return env.stdin, noClose, nil
	case strings.HasPrefix(data, "@"):
		f, err := os.Open(data[1:])
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", errBadData, err)
		}
		return f, f.Close, nil
	}
	return strings.NewReader(data), noClose, nil
}

// next returns the next request, or io.EOF when the input has no more.
func (r *requests) next() (*dynamicpb.Message, error) {
	var raw json.RawMessage
	if err := r.dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("%w %s: request %d is not JSON: %w", errBadRequest, r.desc.FullName(), r.count+1, err)
	}
	r.count++
	msg := dynamicpb.NewMessage(r.desc)
	if err := r.unmarsh.Unmarshal(bytes.TrimSpace(raw), msg); err != nil {
		return nil, fmt.Errorf("%w %s: request %d: %w", errBadRequest, r.desc.FullName(), r.count, err)
	}
	return msg, nil
}

// single reads the one request of a method whose client side does not
// stream; empty input is an empty request.
func (r *requests) single() (*dynamicpb.Message, error) {
	msg, err := r.next()
	if errors.Is(err, io.EOF) {
		return dynamicpb.NewMessage(r.desc), nil
	}
	if err != nil {
		return nil, err
	}
	switch _, err := r.next(); {
	case err == nil:
		return nil, fmt.Errorf("%w (%s)", errTooManyInputs, r.desc.FullName())
	case !errors.Is(err, io.EOF):
		return nil, err
	}
	return msg, nil
}

// close closes the input's file, if it opened one.
func (r *requests) close() error { return r.closeSrc() }
