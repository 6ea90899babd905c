// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// An abstract socket has no file; its peer address is "@".
func TestTransportAbstractUnix(t *testing.T) {
	leakcheck.Check(t)
	address := fmt.Sprintf("unix://@ttrpc-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	listenAndServe(t, address)
	if got := peerOf(t, address); !strings.HasPrefix(got, "unix ") {
		t.Errorf("PeerAddr = %q, want a unix address", got)
	}
	if _, err := Listen(address); err == nil {
		t.Error("a second listener on the same abstract name succeeded")
	}
}
