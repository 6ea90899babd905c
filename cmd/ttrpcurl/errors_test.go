// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// An error status prints its code and message, then each detail: as JSON
// when the protos know its type, else its type URL. It exits with 1.
func TestStatusWithDetails(t *testing.T) {
	forEachSource(t, func(t *testing.T, flags []string) {
		addr := startServer(t)
		r := ttrpcurl(t, "", args(flags, addr, "ttrpcurl.test.v1.Echo/Fail", `{"text":"c9"}`)...)
		if r.code != exitStatus {
			t.Fatalf("exit code %d, want %d; stderr %q", r.code, exitStatus, r.stderr)
		}
		want := `ttrpcurl: server answered NotFound: no c9
  detail: {"@type":"type.googleapis.com/ttrpcurl.test.v1.Missing","what":"c9"}
  detail: type.googleapis.com/elsewhere.Secret (2 bytes; its type is not in the protos)
`
		if r.stderr != want || r.stdout != "" {
			t.Errorf("stderr %q, want %q; stdout %q, want none", r.stderr, want, r.stdout)
		}
	})
}

// A server without the service answers Unimplemented: a status, 1.
func TestUnimplemented(t *testing.T) {
	leakcheck.Check(t)
	server, err := ttrpc.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	addr := serveOnSocket(t, server)
	r := ttrpcurl(t, "", "-protoset", "echo.protoset", addr, "ttrpcurl.test.v1.Echo/Unary", "{}")
	r.expect(t, exitStatus, "ttrpcurl: server answered Unimplemented: ")
}

// Bad input of every kind is one clear line and exit code 2, before
// anything is dialed (the address is a socket nobody listens on).
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	nobody := filepath.Join(dir, "nobody.sock")
	unary := "ttrpcurl.test.v1.Echo/Unary"
	ps := []string{"-protoset", "echo.protoset"}
	cases := []struct {
		name  string
		stdin string
		args  []string
		want  []string
	}{
		{"no arguments", "", ps, []string{"want ADDRESS METHOD [REQUEST], list or describe"}},
		{"unknown flag", "", []string{"-x", "list"}, []string{"flag provided but not defined: -x"}},
		{"bad -H", "", args(ps, "-H", "novalue", nobody, unary), []string{`invalid value "novalue" for flag -H: want key:value`}},
		{"bad -max-time", "", args(ps, "-max-time", "soon", nobody, unary), []string{`invalid value "soon" for flag -max-time`}},
		{"negative -max-time", "", args(ps, "-max-time", "-1", nobody, unary), []string{`for flag -max-time`}},
		{"malformed address", "", args(ps, "unix:/run/x.sock", unary, "{}"), []string{`bad address "unix:/run/x.sock": scheme "unix" needs "://"`}},
		{"malformed vsock address", "", args(ps, "vsock:3:1024", unary, "{}"), []string{`bad address "vsock:3:1024": scheme "vsock" needs "://"`}},
		{"unsupported scheme", "", args(ps, "carrier-pigeon://x", unary, "{}"), []string{`bad address "carrier-pigeon://x": unknown scheme "carrier-pigeon"`}},
		{"empty socket path", "", args(ps, "unix://", unary, "{}"), []string{`bad address "unix://": no socket path`}},
		{"vsock port out of range", "", args(ps, "vsock://3:4294967296", unary, "{}"), []string{`bad address "vsock://3:4294967296": port`}},
		{"unknown method", "", args(ps, nobody, "ttrpcurl.test.v1.Echo/Nope", "{}"), []string{`unknown method "ttrpcurl.test.v1.Echo/Nope"`, "has methods Unary, Count"}},
		{"unknown service", "", args(ps, nobody, "ttrpcurl.test.v1.Nope/Unary", "{}"), []string{`unknown service "ttrpcurl.test.v1.Nope"`}},
		{"method without service", "", args(ps, nobody, "Unary", "{}"), []string{`unknown method "Unary": want service/method`}},
		{"unknown field", "", args(ps, nobody, unary, `{"txt":"hi"}`), []string{"does not fit ttrpcurl.test.v1.EchoRequest", `unknown field "txt"`}},
		{"wrong type", "", args(ps, nobody, unary, `{"n":"many"}`), []string{"does not fit ttrpcurl.test.v1.EchoRequest", "invalid value for int32"}},
		{"not JSON", "", args(ps, nobody, unary, `{text: hi}`), []string{"request 1 is not JSON"}},
		{"two requests to a unary method", "{}\n{}\n", args(ps, nobody, unary), []string{"more than one request message"}},
		{"request twice", "", args(ps, "-d", "{}", nobody, unary, "{}"), []string{"the request is given twice"}},
		{"missing -d file", "", args(ps, "-d", "@"+filepath.Join(dir, "none.json"), nobody, unary), []string{"bad -d", "none.json"}},
		{"no protos", "", []string{nobody, unary, "{}"}, []string{"no message types known"}},
		{"both sources", "", []string{"-protoset", "echo.protoset", "-proto", "protos/echo.proto", "list"}, []string{"not both"}},
		{"missing proto", "", []string{"-import-path", "protos", "-proto", "missing.proto", "list"}, []string{"cannot load the protos", "missing.proto"}},
		{"proto that does not parse", "", []string{"-proto", "broken.proto", "list"}, []string{"cannot load the protos: broken.proto:3:"}},
		{"not a protoset", "", []string{"-protoset", "broken.proto", "list"}, []string{"cannot load the protoset broken.proto: not a descriptor set"}},
		{"protoset without imports", "", []string{"-protoset", "noimports.protoset", "list"}, []string{"echo.proto imports types.proto, which the set does not hold (write it with --include_imports)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ttrpcurl(t, c.stdin, c.args...)
			r.expect(t, exitUsage, c.want...)
		})
	}
}

// No server, or a server that went away: exit code 3.
func TestConnectionErrors(t *testing.T) {
	dir := t.TempDir()
	gone := filepath.Join(dir, "gone.sock")
	l, err := net.Listen("unix", gone)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // the file stays, nobody listens: connection refused
	for name, addr := range map[string]string{"no socket": filepath.Join(dir, "none.sock"), "refused": gone} {
		t.Run(name, func(t *testing.T) {
			r := ttrpcurl(t, "", "-protoset", "echo.protoset", addr, "ttrpcurl.test.v1.Echo/Unary", "{}")
			r.expect(t, exitConnection, "cannot connect to "+addr)
		})
	}
	t.Run("closed mid-call", func(t *testing.T) {
		addr := closingServer(t)
		r := ttrpcurl(t, "", "-protoset", "echo.protoset", addr, "ttrpcurl.test.v1.Echo/Unary", "{}")
		r.expect(t, exitConnection, "ttrpc: closed")
	})
}

// -max-time ends a call that a server never answers: exit code 4, at the
// time given, for a server that never reads, a handler that never returns
// and a stream.
func TestTimeout(t *testing.T) {
	cases := map[string]struct {
		server func(t *testing.T) string
		method string
	}{
		"silent server": {silentServer, "ttrpcurl.test.v1.Echo/Unary"},
		"hanging call":  {startServer, "ttrpcurl.test.v1.Echo/Hang"},
		"silent stream": {silentServer, "ttrpcurl.test.v1.Echo/Count"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			addr := c.server(t)
			start := time.Now()
			r := ttrpcurl(t, "", "-protoset", "echo.protoset", "-max-time", "0.3", addr, c.method, "{}")
			r.expect(t, exitTimeout, "ttrpcurl: timed out: -max-time 300ms elapsed")
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("took %s for a 300ms -max-time", elapsed)
			}
		})
	}
}

// closingServer accepts connections and closes each at once; it returns
// the socket's path.
func closingServer(t *testing.T) string {
	l, path := listenTemp(t)
	done := make(chan struct{})
	go func() { // owner: the test; loop: accept; exits when l closes
		defer close(done)
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
	})
	return path
}
