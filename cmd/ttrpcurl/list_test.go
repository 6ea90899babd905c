// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"strings"
	"testing"
)

const echoList = `ttrpcurl.test.v1.Echo
  Unary(EchoRequest) returns (EchoReply)
  Count(CountRequest) returns (stream EchoReply)
  Join(stream EchoRequest) returns (EchoReply)
  Chat(stream EchoRequest) returns (stream EchoReply)
  Fail(EchoRequest) returns (EchoReply)
  Hang(EchoRequest) returns (EchoReply)
`

func TestList(t *testing.T) {
	forEachSource(t, func(t *testing.T, flags []string) {
		for _, a := range [][]string{{"list"}, {"list", "ttrpcurl.test.v1.Echo"}} {
			r := ttrpcurl(t, "", args(flags, a...)...)
			r.expect(t, 0)
			if r.stdout != echoList {
				t.Errorf("%q: stdout %q, want %q", a, r.stdout, echoList)
			}
		}
		r := ttrpcurl(t, "", args(flags, "list", "ttrpcurl.test.v1.Nope")...)
		r.expect(t, exitUsage, `unknown service "ttrpcurl.test.v1.Nope"`)
	})
}

const echoRequestProto = `message ttrpcurl.test.v1.EchoRequest {
  string text = 1;
  int32 n = 2;
  ttrpcurl.test.v1.Color color = 3;
  repeated string tags = 4;
  map<string, string> labels = 5;
  google.protobuf.Timestamp at = 6;
  oneof extra {
    string note = 7;
    int64 code = 8;
  }
  optional bool flag = 9;
  google.protobuf.Any payload = 10;
}
`

// describe prints a message's fields, a method with its request, an enum,
// a field; from .proto files with their comments.
func TestDescribe(t *testing.T) {
	cases := []struct {
		name, symbol, want string
	}{
		{"message", "ttrpcurl.test.v1.EchoRequest", echoRequestProto},
		{"method", "ttrpcurl.test.v1.Echo/Count", `// ttrpcurl.test.v1.Echo/Count, a method of service ttrpcurl.test.v1.Echo
rpc Count(ttrpcurl.test.v1.CountRequest) returns (stream ttrpcurl.test.v1.EchoReply);

message ttrpcurl.test.v1.CountRequest {
  int32 count = 1;
}
`},
		{"enum", "ttrpcurl.test.v1.Color", `enum ttrpcurl.test.v1.Color {
  COLOR_UNSPECIFIED = 0;
  RED = 1;
  GREEN = 2;
}
`},
		{"field", "ttrpcurl.test.v1.EchoRequest.labels", `// ttrpcurl.test.v1.EchoRequest.labels, a field of message ttrpcurl.test.v1.EchoRequest
map<string, string> labels = 5;
`},
	}
	forEachSource(t, func(t *testing.T, flags []string) {
		for _, c := range cases {
			r := ttrpcurl(t, "", args(flags, "describe", c.symbol)...)
			r.expect(t, 0)
			got := r.stdout
			if flags[0] == "-import-path" {
				got = withoutComments(got, c.name)
			}
			if got != c.want {
				t.Errorf("describe %s: stdout %q, want %q", c.symbol, r.stdout, c.want)
			}
		}
		r := ttrpcurl(t, "", args(flags, "describe", "ttrpcurl.test.v1.Nope")...)
		r.expect(t, exitUsage, `unknown symbol "ttrpcurl.test.v1.Nope"`)
	})
}

// withoutComments drops the .proto comments that only the -proto source
// keeps (the protoset has no source info), so both compare to one text.
func withoutComments(s, kind string) string {
	switch kind {
	case "method":
		return removeLine(s, "// Count answers a stream of `count` replies.\n")
	case "enum":
		return removeLine(s, "// Color is an enum for describe.\n")
	}
	return s
}

func removeLine(s, line string) string { return strings.Replace(s, line, "", 1) }

// describe without a symbol prints every service; from .proto files, with
// the comments of the service and its methods.
func TestDescribeServicesWithComments(t *testing.T) {
	r := ttrpcurl(t, "", "-import-path", "protos", "-proto", "echo.proto", "describe")
	r.expect(t, 0)
	want := `// Echo answers what it is sent, in every way a method can stream.
service ttrpcurl.test.v1.Echo {
  // Unary echoes one message, with the metadata and timeout it came with.
  rpc Unary(ttrpcurl.test.v1.EchoRequest) returns (ttrpcurl.test.v1.EchoReply);
  // Count answers a stream of ` + "`count`" + ` replies.
  rpc Count(ttrpcurl.test.v1.CountRequest) returns (stream ttrpcurl.test.v1.EchoReply);
  // Join answers the texts of a stream of requests, joined.
  rpc Join(stream ttrpcurl.test.v1.EchoRequest) returns (ttrpcurl.test.v1.EchoReply);
  // Chat echoes every request of a stream as it comes.
  rpc Chat(stream ttrpcurl.test.v1.EchoRequest) returns (stream ttrpcurl.test.v1.EchoReply);
  // Fail answers NOT_FOUND, with details.
  rpc Fail(ttrpcurl.test.v1.EchoRequest) returns (ttrpcurl.test.v1.EchoReply);
  // Hang answers only when its context ends.
  rpc Hang(ttrpcurl.test.v1.EchoRequest) returns (ttrpcurl.test.v1.EchoReply);
}
`
	if r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
}
