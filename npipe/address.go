// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package npipe

import (
	"fmt"
	"strings"

	"github.com/featherrpc/ttrpc"
)

// scheme is the URL scheme of named pipe addresses.
const scheme = "npipe://"

// pipePath returns the Windows path of a named pipe address, and false for
// an address that names something else (for ttrpc.Dial and ttrpc.Listen).
// "npipe://HOST/pipe/NAME" and `\\HOST\pipe\NAME` are both `\\HOST\pipe\NAME`.
func pipePath(address string) (path string, isPipe bool, err error) {
	var host, rest string
	switch {
	case strings.HasPrefix(address, scheme):
		host, rest, _ = strings.Cut(address[len(scheme):], "/")
		if strings.Contains(host, `\`) || strings.Contains(rest, `\`) {
			return "", true, badAddress(address, `use "/" in npipe:// addresses (npipe://./pipe/NAME)`)
		}
		rest = strings.ReplaceAll(rest, "/", `\`)
	case strings.HasPrefix(address, `\\`):
		host, rest, _ = strings.Cut(address[2:], `\`)
	default:
		return "", false, nil
	}
	name, ok := strings.CutPrefix(rest, `pipe\`)
	switch {
	case host == "":
		return "", true, badAddress(address, `no host (use "." for this machine)`)
	case !ok:
		return "", true, badAddress(address, `want a path of the form \\HOST\pipe\NAME`)
	case name == "":
		return "", true, badAddress(address, "no pipe name")
	case strings.IndexByte(address, 0) >= 0:
		return "", true, badAddress(address, "contains a NUL byte")
	}
	return `\\` + host + `\pipe\` + name, true, nil
}

// badAddress is ttrpc.ErrBadAddress for address, saying what is wrong.
func badAddress(address, what string) error {
	return fmt.Errorf("ttrpc: npipe address %q: %s: %w", address, what, ttrpc.ErrBadAddress)
}
