// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sources are the two ways to give the command its messages; every call
// test runs with each.
var sources = []struct {
	name  string
	flags []string
}{
	{"proto", []string{"-import-path", "protos", "-proto", "echo.proto"}},
	{"protoset", []string{"-protoset", "echo.protoset"}},
}

// forEachSource runs test once per source, with the flags that select it.
func forEachSource(t *testing.T, test func(t *testing.T, flags []string)) {
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) { test(t, src.flags) })
	}
}

func args(flags []string, rest ...string) []string {
	return append(append([]string{}, flags...), rest...)
}

const unaryReply = `{
  "text": "hi",
  "n": 3
}
`

func TestUnary(t *testing.T) {
	forEachSource(t, func(t *testing.T, flags []string) {
		addr := startServer(t)
		r := ttrpcurl(t, "", args(flags, addr, "ttrpcurl.test.v1.Echo/Unary", `{"text":"hi","n":3}`)...)
		r.expect(t, 0)
		if r.stdout != unaryReply {
			t.Errorf("stdout %q, want %q", r.stdout, unaryReply)
		}
	})
}

// The request comes from the argument, -d, -d @file, -d @- and stdin; the
// method may be written service.method or /service/method; the address may
// be unix://path; flags may follow the arguments.
func TestUnaryInputsAndNames(t *testing.T) {
	addr := startServer(t)
	file := filepath.Join(t.TempDir(), "req.json")
	if err := os.WriteFile(file, []byte(`{"text":"hi","n":3}`), 0o600); err != nil {
		t.Fatal(err)
	}
	const req = `{"text":"hi","n":3}`
	cases := map[string]struct {
		stdin string
		args  []string
	}{
		"argument":       {"", []string{"-protoset", "echo.protoset", addr, "ttrpcurl.test.v1.Echo/Unary", req}},
		"-d":             {"", []string{"-protoset", "echo.protoset", "-d", req, addr, "ttrpcurl.test.v1.Echo/Unary"}},
		"-d @file":       {"", []string{"-protoset", "echo.protoset", "-d", "@" + file, addr, "ttrpcurl.test.v1.Echo/Unary"}},
		"-d @-":          {req, []string{"-protoset", "echo.protoset", "-d", "@-", addr, "ttrpcurl.test.v1.Echo/Unary"}},
		"stdin":          {req + "\n", []string{"-protoset", "echo.protoset", addr, "ttrpcurl.test.v1.Echo/Unary"}},
		"service.method": {"", []string{"-protoset", "echo.protoset", addr, "ttrpcurl.test.v1.Echo.Unary", req}},
		"/full/method":   {"", []string{"-protoset", "echo.protoset", addr, "/ttrpcurl.test.v1.Echo/Unary", req}},
		"unix://":        {"", []string{"-protoset", "echo.protoset", "unix://" + addr, "ttrpcurl.test.v1.Echo/Unary", req}},
		"flags after":    {"", []string{addr, "ttrpcurl.test.v1.Echo/Unary", req, "-protoset", "echo.protoset"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := ttrpcurl(t, c.stdin, c.args...)
			r.expect(t, 0)
			if r.stdout != unaryReply {
				t.Errorf("stdout %q, want %q", r.stdout, unaryReply)
			}
		})
	}
}

// Without a request, a unary call sends an empty one; -emit-defaults
// prints the fields that hold their defaults.
func TestUnaryEmptyRequest(t *testing.T) {
	addr := startServer(t)
	r := ttrpcurl(t, "", "-protoset", "echo.protoset", addr, "ttrpcurl.test.v1.Echo/Unary")
	r.expect(t, 0)
	if r.stdout != "{}\n" {
		t.Errorf("stdout %q, want {}", r.stdout)
	}
	r = ttrpcurl(t, "", "-protoset", "echo.protoset", "-emit-defaults", addr, "ttrpcurl.test.v1.Echo/Unary")
	r.expect(t, 0)
	want := "{\n  \"text\": \"\",\n  \"n\": 0,\n  \"metadata\": [],\n  \"timeoutSet\": false\n}\n"
	if r.stdout != want {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
}

// -H sends metadata (repeated keys keep every value) and -max-time sends a
// timeout, to unary calls and streams alike.
func TestMetadataAndTimeout(t *testing.T) {
	forEachSource(t, func(t *testing.T, flags []string) {
		addr := startServer(t)
		r := ttrpcurl(t, "", args(flags, "-H", "a:1", "-H", "B: two", "-H", "a:3", "-max-time", "5",
			addr, "ttrpcurl.test.v1.Echo/Unary", `{"text":"hi"}`)...)
		r.expect(t, 0)
		want := `{
  "text": "hi",
  "metadata": [
    "a=1",
    "a=3",
    "b=two"
  ],
  "timeoutSet": true
}
`
		if r.stdout != want {
			t.Errorf("stdout %q, want %q", r.stdout, want)
		}
	})
}

// -v shows the method, the metadata and timeout sent, and the timing.
func TestVerbose(t *testing.T) {
	addr := startServer(t)
	r := ttrpcurl(t, "", "-v", "-protoset", "echo.protoset", "-H", "a:1", "-max-time", "2.5s", addr, "ttrpcurl.test.v1.Echo/Unary", `{}`)
	r.expect(t, 0)
	for _, want := range []string{
		"* method ttrpcurl.test.v1.Echo/Unary (unary): ttrpcurl.test.v1.EchoRequest -> ttrpcurl.test.v1.EchoReply\n",
		"* address " + addr + "\n",
		"> metadata a: 1\n",
		"> timeout 2.5s\n",
		"* connected after ",
		"< response 1 received after ",
		"* OK after ",
		": 1 request(s) sent, 1 response(s) received\n",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr %q does not show %q", r.stderr, want)
		}
	}
}
