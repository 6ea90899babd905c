// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"net"
	"runtime"
	"strconv"
	"strings"
)

// transport is the kind of connection an address names.
type transport uint8

const (
	transportUnix        transport = iota // unix:///path, unix://@name, a plain path
	transportVsock                        // vsock://CID:port
	transportHybridVsock                  // hvsock:///path/to/vm.sock:port
	transportTCP                          // tcp://host:port
	transportNamedPipe                    // npipe://./pipe/name, \\.\pipe\name
)

// address is a parsed address. Which fields mean something depends on the
// transport.
type address struct {
	transport transport
	path      string // unix socket ("@name" for abstract), hybrid vsock socket
	cid, port uint32 // vsock; hybrid vsock's port
	anyCID    bool   // vsock: "any" or -1 for the CID (listeners only)
	anyPort   bool   // vsock: "any" or -1 for the port (listeners only)
	hostPort  string // tcp
}

// The schemes Dial and Listen know.
const (
	schemeUnix        = "unix"
	schemeVsock       = "vsock"
	schemeHybridVsock = "hvsock"
	schemeTCP         = "tcp"
	schemeNamedPipe   = "npipe"
)

// parseAddress parses an address of Dial or Listen. Whether a listener may
// use it (a CID of "any", say) is checked by the caller.
func parseAddress(s string) (address, error) {
	if s == "" {
		return address{}, badAddress("empty address")
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return parsePlain(s)
	}
	switch scheme {
	case schemeUnix:
		return parseUnix(rest)
	case schemeVsock:
		return parseVsock(rest)
	case schemeHybridVsock:
		return parseHybridVsock(rest)
	case schemeTCP:
		return parseTCP(rest)
	case schemeNamedPipe:
		return address{transport: transportNamedPipe, path: rest}, nil
	}
	return address{}, badAddress("unknown scheme %q (want unix, vsock, hvsock, tcp or npipe)", scheme)
}

// parsePlain parses an address without a scheme: a Unix socket path, or a
// Windows named pipe path.
func parsePlain(s string) (address, error) {
	if strings.HasPrefix(s, `\\`) {
		return address{transport: transportNamedPipe, path: s}, nil
	}
	for _, scheme := range []string{schemeUnix, schemeVsock, schemeHybridVsock, schemeTCP, schemeNamedPipe} {
		if strings.HasPrefix(s, scheme+":") {
			return address{}, badAddress("scheme %q needs \"://\" (%s://...)", scheme, scheme)
		}
	}
	return parseUnix(s)
}

// parseUnix parses a Unix socket path; "@name" is an abstract socket.
func parseUnix(path string) (address, error) {
	switch {
	case path == "":
		return address{}, badAddress("no socket path")
	case path == "@":
		return address{}, badAddress("no abstract socket name after @")
	case strings.IndexByte(path, 0) >= 0:
		return address{}, badAddress("socket path contains a NUL byte")
	case path[0] == '@' && runtime.GOOS != "linux" && runtime.GOOS != "android":
		return address{}, fmtUnsupported("abstract unix sockets (@name) exist on Linux only, not on %s", runtime.GOOS)
	case len(path) > maxUnixPath():
		return address{}, badAddress("socket path is %d bytes long, over the limit of %d on %s", len(path), maxUnixPath(), runtime.GOOS)
	}
	return address{transport: transportUnix, path: path}, nil
}

// maxUnixPath is the longest socket path sockaddr_un holds, without its
// terminating NUL.
func maxUnixPath() int {
	switch runtime.GOOS {
	case "linux", "android", "windows":
		return 107
	}
	return 103 // the BSDs and macOS: sun_path has 104 bytes
}

// parseVsock parses "CID:port" of a vsock address.
func parseVsock(rest string) (address, error) {
	cid, port, ok := cutLastByte(rest, ':')
	if !ok {
		return address{}, badAddress("want vsock://CID:port")
	}
	a := address{transport: transportVsock}
	var err error
	if a.cid, a.anyCID, err = parseVsockNumber("CID", cid); err != nil {
		return address{}, err
	}
	if a.port, a.anyPort, err = parseVsockNumber("port", port); err != nil {
		return address{}, err
	}
	return a, nil
}

// parseVsockNumber parses a vsock CID or port: a decimal number up to
// 4294967295, or "any" or -1 (the VMADDR_*_ANY wildcard).
func parseVsockNumber(what, s string) (n uint32, wildcard bool, err error) {
	if s == "any" || s == "-1" {
		return 0, true, nil
	}
	u, err := parseDecimal(what, s, 32)
	return uint32(u), false, err
}

// parseDecimal parses a decimal number that fits in bits bits.
func parseDecimal(what, s string, bits int) (uint64, error) {
	if s == "" {
		return 0, badAddress("no %s", what)
	}
	u, err := strconv.ParseUint(s, 10, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, badAddress("%s %s out of range (0 to %d)", what, s, uint64(1)<<bits-1)
		}
		return 0, badAddress("%s %q is not a decimal number", what, s)
	}
	return u, nil
}

// parseHybridVsock parses "/path/to/vm.sock:port" of a hybrid vsock
// address.
func parseHybridVsock(rest string) (address, error) {
	path, port, ok := cutLastByte(rest, ':')
	if !ok {
		return address{}, badAddress("want hvsock:///path/to/vm.sock:port")
	}
	a, err := parseUnix(path)
	if err != nil {
		return address{}, err
	}
	u, err := parseDecimal("port", port, 32)
	if err != nil {
		return address{}, err
	}
	return address{transport: transportHybridVsock, path: a.path, port: uint32(u)}, nil
}

// parseTCP parses "host:port" of a TCP address.
func parseTCP(rest string) (address, error) {
	_, port, err := net.SplitHostPort(rest)
	if err != nil {
		return address{}, badAddress("want tcp://host:port: %v", err)
	}
	if _, err := parseDecimal("port", port, 16); err != nil {
		return address{}, err
	}
	return address{transport: transportTCP, hostPort: rest}, nil
}

// cutLastByte cuts s around the last sep.
func cutLastByte(s string, sep byte) (before, after string, found bool) {
	if i := strings.LastIndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}
