// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want address
	}{
		{"/run/x.sock", address{transport: transportUnix, path: "/run/x.sock"}},
		{"x.sock", address{transport: transportUnix, path: "x.sock"}},
		{"unix:///run/x.sock", address{transport: transportUnix, path: "/run/x.sock"}},
		{"unix://rel/x.sock", address{transport: transportUnix, path: "rel/x.sock"}},
		{"vsock://3:1024", address{transport: transportVsock, cid: 3, port: 1024}},
		{"vsock://4294967294:4294967294", address{transport: transportVsock, cid: 4294967294, port: 4294967294}},
		{"vsock://any:1024", address{transport: transportVsock, anyCID: true, port: 1024}},
		{"vsock://-1:1024", address{transport: transportVsock, anyCID: true, port: 1024}},
		{"vsock://2:any", address{transport: transportVsock, cid: 2, anyPort: true}},
		{"hvsock:///run/vm/kata.hvsock:1024", address{transport: transportHybridVsock, path: "/run/vm/kata.hvsock", port: 1024}},
		{"hvsock://vm.sock:0", address{transport: transportHybridVsock, path: "vm.sock", port: 0}},
		{"tcp://127.0.0.1:8080", address{transport: transportTCP, hostPort: "127.0.0.1:8080"}},
		{"tcp://[::1]:0", address{transport: transportTCP, hostPort: "[::1]:0"}},
		{"tcp://:9000", address{transport: transportTCP, hostPort: ":9000"}},
		{"npipe://./pipe/ttrpc", address{transport: transportNamedPipe, path: "./pipe/ttrpc"}},
		{`\\.\pipe\ttrpc`, address{transport: transportNamedPipe, path: `\\.\pipe\ttrpc`}},
	} {
		got, err := parseAddress(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseAddress(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

// Every malformed address fails Dial at once with ErrBadAddress and an
// error that names the address and what is wrong with it.
func TestDialBadAddress(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty address"},
		{"http://x", `unknown scheme "http"`},
		{"unix://", "no socket path"},
		{"unix://@", "no abstract socket name"},
		{"unix:///a\x00b", "NUL byte"},
		{"unix:///" + strings.Repeat("x", 200), "over the limit of"},
		{"unix:/run/x.sock", `scheme "unix" needs "://"`},
		{"vsock:3:1024", `scheme "vsock" needs "://"`},
		{"vsock://3", "want vsock://CID:port"},
		{"vsock://3:", "no port"},
		{"vsock://:1024", "no CID"},
		{"vsock://x:1024", `CID "x" is not a decimal number`},
		{"vsock://3:4294967296", "port 4294967296 out of range (0 to 4294967295)"},
		{"vsock://4294967296:1024", "CID 4294967296 out of range (0 to 4294967295)"},
		{"vsock://3:-5", `port "-5" is not a decimal number`},
		{"vsock://any:1024", `CID "any" is for listeners only`},
		{"vsock://4294967295:1024", `CID "any" is for listeners only`},
		{"vsock://3:any", `port "any" is for listeners only`},
		{"hvsock:///run/vm.sock", "want hvsock:///path/to/vm.sock:port"},
		{"hvsock://:1024", "no socket path"},
		{"hvsock:///run/vm.sock:99999999999", "port 99999999999 out of range"},
		{"tcp://127.0.0.1", "want tcp://host:port"},
		{"tcp://127.0.0.1:65536", "port 65536 out of range (0 to 65535)"},
		{"tcp://127.0.0.1:http", `port "http" is not a decimal number`},
	} {
		conn, err := Dial(context.Background(), tc.in)
		if conn != nil {
			conn.Close()
		}
		if !errors.Is(err, ErrBadAddress) {
			t.Errorf("Dial(%q) = %v, want ErrBadAddress", tc.in, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, "ttrpc: dial "+strconv.Quote(tc.in)+": ") {
			t.Errorf("Dial(%q): %q; want it to name the address and say %q", tc.in, msg, tc.want)
		}
		if _, lerr := Listen(tc.in); lerr == nil && !strings.Contains(tc.want, "listeners only") {
			t.Errorf("Listen(%q) succeeded", tc.in)
		}
	}
}
