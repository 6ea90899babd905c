// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// The README's session with the fake shim, run for real: ttrpcurl lists
// containerd's shim API from shim.protoset and calls State and Connect.
func TestReadmeSession(t *testing.T) {
	leakcheck.Check(t)
	bin := filepath.Join(t.TempDir(), "ttrpcurl")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/featherrpc/ttrpc/cmd/ttrpcurl").CombinedOutput(); err != nil {
		t.Fatalf("building ttrpcurl: %v\n%s", err, out)
	}
	dir, err := os.MkdirTemp("", "t")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "shim.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, l) }() // owner: the test; exits when ctx ends
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	run := func(wantCode int, args ...string) (string, string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"-protoset", "shim.protoset"}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != wantCode {
			t.Fatalf("ttrpcurl %q: exit code %d, want %d; stderr %q", args, code, wantCode, stderr.String())
		}
		return stdout.String(), stderr.String()
	}

	list, _ := run(0, "list")
	for _, want := range []string{"containerd.task.v2.Task\n", "  State(StateRequest) returns (StateResponse)\n", "  Connect(ConnectRequest) returns (ConnectResponse)\n", "  Kill(KillRequest) returns (google.protobuf.Empty)\n"} {
		if !strings.Contains(list, want) {
			t.Errorf("list %q does not hold %q", list, want)
		}
	}
	state, _ := run(0, "unix://"+sock, "containerd.task.v2.Task/State", `{"id":"web"}`)
	if state != wantState {
		t.Errorf("State: %q, want %q", state, wantState)
	}
	connect, _ := run(0, sock, "containerd.task.v2.Task/Connect", `{"id":"web"}`)
	if want := "{\n  \"shimPid\": 4200,\n  \"taskPid\": 4242,\n  \"version\": \"2\"\n}\n"; connect != want {
		t.Errorf("Connect: %q, want %q", connect, want)
	}
	_, stderr := run(1, sock, "containerd.task.v2.Task/State", `{"id":"db"}`)
	if want := "ttrpcurl: server answered NotFound: container \"db\": not found\n"; stderr != want {
		t.Errorf("State of another id: stderr %q, want %q", stderr, want)
	}
}

const wantState = `{
  "id": "web",
  "bundle": "/run/containerd/io.containerd.runtime.v2.task/default/web",
  "pid": 4242,
  "status": "RUNNING",
  "stdout": "/run/containerd/fifo/web-stdout",
  "stderr": "/run/containerd/fifo/web-stderr",
  "exitedAt": "0001-01-01T00:00:00Z"
}
`
