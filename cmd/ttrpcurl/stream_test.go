// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"strings"
	"testing"
)

// A server stream prints one JSON message a line.
func TestServerStream(t *testing.T) {
	forEachSource(t, func(t *testing.T, flags []string) {
		addr := startServer(t)
		r := ttrpcurl(t, "", args(flags, "-H", "k:v", "-max-time", "5", addr, "ttrpcurl.test.v1.Echo/Count", `{"count":3}`)...)
		r.expect(t, 0)
		if want := "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"; r.stdout != want {
			t.Errorf("stdout %q, want %q", r.stdout, want)
		}
	})
}

// A client stream sends the newline-delimited JSON of stdin and prints the
// one response.
func TestClientStream(t *testing.T) {
	forEachSource(t, func(t *testing.T, flags []string) {
		addr := startServer(t)
		r := ttrpcurl(t, "{\"text\":\"a\"}\n{\"text\":\"b\"}\n{\"text\":\"c\"}\n", args(flags, addr, "ttrpcurl.test.v1.Echo/Join")...)
		r.expect(t, 0)
		if want := "{\n  \"text\": \"a b c\",\n  \"n\": 3\n}\n"; r.stdout != want {
			t.Errorf("stdout %q, want %q", r.stdout, want)
		}
	})
}

// A bidi stream sends the newline-delimited JSON of stdin and prints each
// response on its line; -d gives the messages too.
func TestBidiStream(t *testing.T) {
	forEachSource(t, func(t *testing.T, flags []string) {
		addr := startServer(t)
		r := ttrpcurl(t, "{\"text\":\"a\"}\n{\"text\":\"b\"}\n", args(flags, "-v", addr, "ttrpcurl.test.v1.Echo/Chat")...)
		r.expect(t, 0)
		if want := "{\"text\":\"A\",\"n\":1}\n{\"text\":\"B\",\"n\":2}\n"; r.stdout != want {
			t.Errorf("stdout %q, want %q", r.stdout, want)
		}
		if !strings.Contains(r.stderr, "* OK after ") || !strings.Contains(r.stderr, ": 2 request(s) sent, 2 response(s) received\n") {
			t.Errorf("stderr %q does not count 2 requests and 2 responses", r.stderr)
		}
		r = ttrpcurl(t, "", args(flags, "-d", `{"text":"x"} {"text":"y"}`, addr, "ttrpcurl.test.v1.Echo/Chat")...)
		r.expect(t, 0)
		if want := "{\"text\":\"X\",\"n\":1}\n{\"text\":\"Y\",\"n\":2}\n"; r.stdout != want {
			t.Errorf("with -d: stdout %q, want %q", r.stdout, want)
		}
	})
}

// An empty stdin is a stream of no messages.
func TestClientStreamEmpty(t *testing.T) {
	addr := startServer(t)
	r := ttrpcurl(t, "", "-protoset", "echo.protoset", addr, "ttrpcurl.test.v1.Echo/Join")
	r.expect(t, 0)
	if r.stdout != "{}\n" {
		t.Errorf("stdout %q, want {}", r.stdout)
	}
}
