// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Command ttrpcurl calls the methods of a ttrpc server by hand, with JSON,
// as grpcurl does for gRPC: a shim, a VM agent or any other ttrpc service.
//
//	ttrpcurl [flags] ADDRESS METHOD [REQUEST]   call a method
//	ttrpcurl [flags] list [SERVICE]             list services and their methods
//	ttrpcurl [flags] describe [SYMBOL]          show a service, method, message or enum
//
// The messages come from .proto files parsed at run time (-proto,
// -import-path; bufbuild's protocompile) or from descriptor sets
// (-protoset). Requests and responses are protojson; streamed responses
// are printed one JSON message a line, and streamed requests are read as
// newline-delimited JSON from stdin. -H sends metadata, -max-time bounds
// the invocation, -v traces it on stderr. Exit codes: 0 success, 1 an error
// status from the server, 2 bad command line or input, 3 connection failed
// or lost, 4 -max-time elapsed. ttrpcurl -h prints the whole usage (usage.go).
//
// The files: args.go parses the command line, descriptors.go, protos.go and
// protoset.go load the messages, lookup.go finds methods and symbols,
// list.go and describe.go print them, dial.go connects, input.go reads the
// requests, call.go and stream.go make the calls, output.go prints
// responses and statuses, verbose.go traces, errors.go classifies failures
// into exit codes.
package main
