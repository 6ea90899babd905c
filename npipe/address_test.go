// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package npipe

import (
	"errors"
	"strings"
	"testing"

	"github.com/featherrpc/ttrpc"
)

func TestPipePath(t *testing.T) {
	for _, tc := range []struct{ address, path string }{
		{"npipe://./pipe/containerd-shim", `\\.\pipe\containerd-shim`},
		{"npipe://./pipe/a/b", `\\.\pipe\a\b`},
		{"npipe://server/pipe/x", `\\server\pipe\x`},
		{`\\.\pipe\containerd-shim`, `\\.\pipe\containerd-shim`},
	} {
		path, isPipe, err := pipePath(tc.address)
		if err != nil || !isPipe || path != tc.path {
			t.Errorf("pipePath(%q) = %q, %v, %v; want %q, true, nil", tc.address, path, isPipe, err, tc.path)
		}
	}
}

func TestPipePathLeavesOtherAddresses(t *testing.T) {
	for _, address := range []string{"/run/x.sock", "unix:///run/x.sock", "unix://@x", "vsock://3:1024", "tcp://127.0.0.1:1", "hvsock:///v.sock:2"} {
		if _, isPipe, err := pipePath(address); isPipe || err != nil {
			t.Errorf("pipePath(%q) = %v, %v; want not a pipe", address, isPipe, err)
		}
	}
}

func TestMalformedPipeAddresses(t *testing.T) {
	for _, tc := range []struct{ address, says string }{
		{"npipe://", "no host"},
		{"npipe:///pipe/x", "no host"},
		{"npipe://./x", `\\HOST\pipe\NAME`},
		{"npipe://./pipe/", "no pipe name"},
		{"npipe://./pipe", `\\HOST\pipe\NAME`},
		{`npipe://.\pipe\x`, `use "/"`},
		{`\\.\pipe\`, "no pipe name"},
		{`\\\pipe\x`, "no host"},
		{`\\.\tmp\x`, `\\HOST\pipe\NAME`},
		{"npipe://./pipe/a\x00b", "NUL"},
	} {
		for name, f := range map[string]func() error{
			"Dial":     func() error { _, err := NewDialer(tc.address); return err },
			"Listen":   func() error { _, err := Listen(tc.address); return err },
			"pipePath": func() error { _, _, err := pipePath(tc.address); return err },
		} {
			err := f()
			if !errors.Is(err, ttrpc.ErrBadAddress) || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), "npipe address") {
				t.Errorf("%s(%q): %v; want ErrBadAddress saying %q", name, tc.address, err, tc.says)
			}
		}
	}
}
