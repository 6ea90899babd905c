// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// panicChildEnv makes the test binary, run again by
// TestWithoutPanicRecoveryCrashes, serve a panicking handler without
// recovery and call it.
const panicChildEnv = "TTRPC_TEST_PANIC_CHILD"

// panicText is what the child's handler panics with.
const panicText = "handler boom without recovery"

// With WithServerPanicRecovery(false), a panicking handler crashes the
// process, as in containerd's ttrpc: the test binary, run again as a child
// that serves such a handler and calls it, exits non-zero with the panic on
// its stderr.
func TestWithoutPanicRecoveryCrashes(t *testing.T) {
	if os.Getenv(panicChildEnv) == "1" {
		servePanicWithoutRecovery(t)
		return
	}
	leakcheck.Check(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestWithoutPanicRecoveryCrashes$", "-test.count=1")
	cmd.Env = append(os.Environ(), panicChildEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("child = %v, want a non-zero exit; stderr:\n%s", err, stderr.String())
	}
	if got := stderr.String(); !strings.Contains(got, "panic: "+panicText) {
		t.Fatalf("child's stderr lacks the panic:\n%s", got)
	}
}

// servePanicWithoutRecovery is the child's side: it does not return, since
// the call's handler crashes the process.
func servePanicWithoutRecovery(t *testing.T) {
	s, path := newTestServer(t, WithServerPanicRecovery(false))
	s.Register("panic.Crash", map[string]Method{
		"Panic": func(context.Context, func(interface{}) error) (interface{}, error) { panic(panicText) },
	})
	c := dialClient(t, path)
	err := c.Call(context.Background(), "panic.Crash", "Panic", &wrapperspb.StringValue{}, nil)
	t.Fatalf("the call returned %v; the process should have crashed", err)
}

// WithServerPanicRecovery(true) is the default: the panic fails its call
// with INTERNAL, and the connection goes on.
func TestWithPanicRecoveryFailsOnlyTheCall(t *testing.T) {
	leakcheck.Check(t)
	s, path := newTestServer(t, WithServerPanicRecovery(false), WithServerPanicRecovery(true))
	s.Register("panic.Recovered", map[string]Method{
		"Panic": func(context.Context, func(interface{}) error) (interface{}, error) { panic(panicText) },
	})
	c := dialClient(t, path)
	err := c.Call(context.Background(), "panic.Recovered", "Panic", &wrapperspb.StringValue{}, nil)
	wantCode(t, err, codes.Internal)
	mustEcho(t, c)
}
