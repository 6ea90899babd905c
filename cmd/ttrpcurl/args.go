// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/featherrpc/ttrpc"
)

// options are the flags of one invocation.
type options struct {
	protos       []string // -proto, in order
	importPaths  []string // -import-path
	protosets    []string // -protoset
	data         string   // -d
	dataSet      bool     // -d was given (an empty -d is an empty request)
	md           ttrpc.MD // -H, as metadata
	maxTime      time.Duration
	verbose      bool
	emitDefaults bool
	allowUnknown bool
}

// invocation is a parsed command line: its flags and its positional
// arguments, which say what to do ("list", "describe" or an address and a
// method).
type invocation struct {
	opts options
	args []string
}

// errHelp asks run to print the usage and succeed.
var errHelp = flag.ErrHelp

// parseArgs parses the command line. Flags may come before, between and
// after the positional arguments; "--" ends the flags.
func parseArgs(args []string) (*invocation, error) {
	inv := &invocation{opts: options{md: ttrpc.MD{}}}
	fs := newFlagSet(&inv.opts)
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return nil, errHelp
			}
			return nil, fmt.Errorf("%w: %v (ttrpcurl -h shows the usage)", errUsage, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return inv, nil
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			inv.args = append(inv.args, rest...) // after "--", all positional
			return inv, nil
		}
		inv.args = append(inv.args, rest[0])
		args = rest[1:]
	}
}

// newFlagSet declares the flags, writing into opts. Its own error output is
// discarded: parseArgs reports errors in one line.
func newFlagSet(opts *options) *flag.FlagSet {
	fs := flag.NewFlagSet("ttrpcurl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.Func("proto", "a .proto `file` to load, relative to an -import-path (repeatable)", appendTo(&opts.protos))
	fs.Func("import-path", "a `dir` where -proto files and their imports are found (repeatable)", appendTo(&opts.importPaths))
	fs.Func("protoset", "a descriptor set `file` (buf build -o, protoc --descriptor_set_out --include_imports) (repeatable)", appendTo(&opts.protosets))
	fs.Func("d", "the request as `JSON`, @file to read it from a file, @- (or @) from stdin", func(v string) error {
		opts.data, opts.dataSet = v, true
		return nil
	})
	fs.Func("H", "metadata `key:value` to send (repeatable)", func(v string) error { return addMetadata(opts.md, v) })
	fs.Func("max-time", "end the whole invocation after this many `seconds` (2.5) or this duration (500ms)", func(v string) error {
		d, err := parseMaxTime(v)
		opts.maxTime = d
		return err
	})
	fs.BoolVar(&opts.verbose, "v", false, "verbose: show the method, the metadata sent and the timing on stderr")
	fs.BoolVar(&opts.emitDefaults, "emit-defaults", false, "print fields that have their default value too")
	fs.BoolVar(&opts.allowUnknown, "allow-unknown-fields", false, "ignore request fields that the message does not have")
	return fs
}

func appendTo(list *[]string) func(string) error {
	return func(v string) error {
		*list = append(*list, v)
		return nil
	}
}

// addMetadata adds one -H value, "key:value" (spaces after the colon are
// dropped), to md.
func addMetadata(md ttrpc.MD, v string) error {
	key, value, ok := strings.Cut(v, ":")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return errBadMetadata
	}
	md.Append(key, strings.TrimLeft(value, " \t"))
	return nil
}

// parseMaxTime reads -max-time: seconds as a number, or a Go duration.
func parseMaxTime(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		secs, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil {
			return 0, errBadTimeout
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d <= 0 {
		return 0, errBadTimeout
	}
	return d, nil
}
