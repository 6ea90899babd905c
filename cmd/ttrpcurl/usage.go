// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

// usage is what ttrpcurl -h prints.
const usage = `ttrpcurl calls the methods of a ttrpc server by hand, with JSON.

Usage:
  ttrpcurl [flags] ADDRESS METHOD [REQUEST]   call a method
  ttrpcurl [flags] list [SERVICE]             list services and their methods
  ttrpcurl [flags] describe [SYMBOL]          show a service, method, message or enum

ADDRESS is a Unix socket path (/run/containerd/s/abc), unix://PATH,
unix://@NAME (a Linux abstract socket), vsock://CID:PORT, hvsock://PATH:PORT
(a Firecracker or Cloud Hypervisor VM's socket) or tcp://HOST:PORT. METHOD is service/method or
service.method (containerd.task.v2.Task/State). REQUEST is the request as
JSON (protojson); without it (or -d) the request is read from stdin, and a
unary call with a terminal on stdin sends an empty request. Methods whose
client streams read one JSON message after another (newline-delimited
JSON) until the end of the input; streamed responses are printed one JSON
message a line.

The messages come from .proto files, parsed at run time, or from a
descriptor set:
  -proto FILE           a .proto file, relative to an -import-path (repeatable)
  -import-path DIR      where .proto files and their imports are (repeatable);
                        google/protobuf/*.proto are built in
  -protoset FILE        a descriptor set, from buf build -o or
                        protoc --include_imports --descriptor_set_out (repeatable)

Call flags:
  -d DATA               the request: JSON, @FILE, or @- (or @) for stdin
  -H KEY:VALUE          metadata to send (repeatable)
  -max-time TIME        give up after TIME: seconds (2.5) or a duration (500ms)
  -v                    verbose: the method, the metadata sent and the timing,
                        on stderr
  -emit-defaults        print fields that hold their default value too
  -allow-unknown-fields ignore request fields that the message does not have

Flags may come before or after the arguments; -- ends them.

Exit codes:
  0  success
  1  the server answered an error status (printed with its code, message
     and details)
  2  bad command line or input: flags, address, protos, method, JSON
  3  connection failed or lost
  4  -max-time elapsed
`
