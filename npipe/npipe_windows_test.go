// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package npipe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// pipeAddress is a pipe name no other test run uses.
func pipeAddress(t *testing.T) string {
	return fmt.Sprintf("npipe://./pipe/featherrpc-test-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-"))
}

func TestNamedPipeRoundTrip(t *testing.T) {
	roundTrip(t, pipeAddress(t))
}

func TestNamedPipeWindowsSpelling(t *testing.T) {
	path, _, err := pipePath(pipeAddress(t))
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, path)
}

func TestDialMissingPipeFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	address := pipeAddress(t)
	_, err := Dial(ctx, address)
	if err == nil || !strings.Contains(err.Error(), address) {
		t.Fatalf("Dial: %v; want an error naming %s", err, address)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial waited for the deadline: %v", err)
	}
}

func TestListenWithSecurityDescriptor(t *testing.T) {
	l, err := Listen(pipeAddress(t), WithSecurityDescriptor("D:P(A;;GA;;;BA)(A;;GA;;;SY)(A;;GA;;;OW)"))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(pipeAddress(t), WithSecurityDescriptor("not sddl")); err == nil {
		t.Fatal("Listen took a malformed security descriptor")
	}
}
