// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/interop/internal/ours"
	"github.com/featherrpc/ttrpc/interop/internal/peer"
	"github.com/featherrpc/ttrpc/interop/internal/script"
	"github.com/featherrpc/ttrpc/interop/internal/wire"
)

// testdata is where cmd/record writes the recordings.
const testdata = "../testdata"

// ioTimeout bounds every read and write of a replay, so that a server or
// client that stays silent fails the test instead of hanging it.
const ioTimeout = 5 * time.Second

// TestReplayDoesNotLinkContainerd checks the promise of this package: the
// replay tests run without containerd's implementation. A test binary has
// no module list in its build info, but every linked generated protobuf
// package registers its messages: containerd's ttrpc registers
// ttrpc.Request, and grpc's status (through genproto) google.rpc.Status.
// Ours registers featherrpc.ttrpc.Request, which shows the check can see.
func TestReplayDoesNotLinkContainerd(t *testing.T) {
	for _, name := range []protoreflect.FullName{"ttrpc.Request", "google.rpc.Status"} {
		if _, err := protoregistry.GlobalTypes.FindMessageByName(name); err == nil {
			t.Errorf("the replay test binary links %s: containerd's ttrpc or grpc is linked", name)
		}
	}
	if _, err := protoregistry.GlobalTypes.FindMessageByName("featherrpc.ttrpc.Request"); err != nil {
		t.Errorf("featherrpc.ttrpc.Request is not registered: the check above is blind: %v", err)
	}
}

// TestRecordingsMatchScript checks that every case has a recording and
// every recording a case, so that no stale file is kept.
func TestRecordingsMatchScript(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testdata, "*.frames"))
	if err != nil {
		t.Fatal(err)
	}
	var have, want []string
	for _, f := range files {
		have = append(have, strings.TrimSuffix(filepath.Base(f), ".frames"))
	}
	for _, c := range script.Cases {
		want = append(want, c.Name)
	}
	sort.Strings(have)
	sort.Strings(want)
	if strings.Join(have, " ") != strings.Join(want, " ") {
		t.Errorf("recordings %v, cases %v: run go run ./cmd/record", have, want)
	}
}

// TestReplayClientFramesAgainstOurServer plays the frames containerd's
// client sent against our server, and checks that our server answers
// with the bytes containerd's server sent.
func TestReplayClientFramesAgainstOurServer(t *testing.T) {
	for _, c := range script.Cases {
		t.Run(c.Name, func(t *testing.T) {
			leakcheck.Check(t)
			rec := load(t, c.Name)
			addr := startOurServer(t)
			conn, err := net.Dial("unix", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(ioTimeout))
			for i, e := range rec.Events {
				switch e.Dir {
				case wire.ClientToServer:
					if err := wire.WriteFrame(conn, e.Frame); err != nil {
						t.Fatalf("frame %d: write: %v", i, err)
					}
				case wire.ServerToClient:
					got, err := wire.ReadFrame(conn, 0)
					if err != nil {
						t.Fatalf("frame %d: want %v from our server, read: %v", i, e.Frame, err)
					}
					if err := sameServerFrame(e.Frame, got); err != nil {
						t.Errorf("frame %d: %v", i, err)
					}
				}
			}
			// Nothing more may come: close our side and read to the end.
			conn.(*net.UnixConn).CloseWrite()
			if extra, err := wire.ReadFrame(conn, 0); !errors.Is(err, io.EOF) {
				t.Errorf("after the recorded frames: read %v, %v; want EOF", extra, err)
			}
		})
	}
}

// TestReplayServerFramesAgainstOurClient runs each case with our client
// against a fake server that expects the recorded client frames byte for
// byte and answers with the recorded server frames; the case checks what
// our client decoded from them.
func TestReplayServerFramesAgainstOurClient(t *testing.T) {
	for _, c := range script.Cases {
		t.Run(c.Name, func(t *testing.T) {
			leakcheck.Check(t)
			rec := load(t, c.Name)
			dir := tempDir(t)
			ln, err := net.Listen("unix", filepath.Join(dir, "s"))
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			fake := make(chan error, 1)
			// Owner: this test. fakeServer returns when the client closes
			// the connection or a deadline passes.
			go func() { fake <- fakeServer(ln, rec) }()

			conn, err := net.Dial("unix", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			client := ours.NewClient(conn, script.ClientOptions)
			// No deadline, as when recording: it would go on the wire. The
			// fake server's I/O deadline bounds the case instead: it closes
			// the connection then, which fails every call in flight.
			runErr := c.Run(context.Background(), ours.Impl, client)
			client.Close()
			if runErr != nil {
				t.Errorf("our client on the recorded server frames: %v", runErr)
			}
			if err := <-fake; err != nil {
				t.Errorf("fake server: %v", err)
			}
		})
	}
}

// fakeServer serves one connection from ln with the recorded frames: it
// reads each client frame and checks it against the recording, and writes
// each server frame when its turn comes. Then it checks that the client
// sends nothing more before it closes.
func fakeServer(ln net.Listener, rec *wire.Recording) error {
	conn, err := ln.Accept()
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(ioTimeout))
	for i, e := range rec.Events {
		switch e.Dir {
		case wire.ClientToServer:
			got, err := wire.ReadFrame(conn, 0)
			if err != nil {
				return fmt.Errorf("frame %d: want %v from our client, read: %w", i, e.Frame, err)
			}
			if !bytes.Equal(got.Bytes(), e.Frame.Bytes()) {
				return fmt.Errorf("frame %d: our client sent %v\n% x\ncontainerd's client sent %v\n% x",
					i, got, got.Bytes(), e.Frame, e.Frame.Bytes())
			}
		case wire.ServerToClient:
			if err := wire.WriteFrame(conn, e.Frame); err != nil {
				return fmt.Errorf("frame %d: write: %w", i, err)
			}
		}
	}
	if extra, err := wire.ReadFrame(conn, 0); !errors.Is(err, io.EOF) {
		return fmt.Errorf("after the recorded frames: read %v, %v; want EOF", extra, err)
	}
	return nil
}

// sameServerFrame checks that our server's frame got is the one
// containerd's server sent, byte for byte. It reports both frames, and
// for a response both decoded envelopes, when they differ.
func sameServerFrame(want, got wire.Frame) error {
	if bytes.Equal(want.Bytes(), got.Bytes()) {
		return nil
	}
	msg := fmt.Sprintf("our server sent %v\n% x\ncontainerd's server sent %v\n% x", got, got.Bytes(), want, want.Bytes())
	if want.Type == wire.TypeResponse && got.Type == wire.TypeResponse {
		var w, g ttrpc.Response
		errW, errG := proto.Unmarshal(want.Data, &w), proto.Unmarshal(got.Data, &g)
		msg += fmt.Sprintf("\ndecoded: ours %v (%v), theirs %v (%v)", &g, errG, &w, errW)
	}
	return errors.New(msg)
}

func load(t *testing.T, name string) *wire.Recording {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testdata, name+".frames"))
	if err != nil {
		t.Fatalf("%v (run go run ./cmd/record)", err)
	}
	rec, err := wire.ParseRecording(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(rec.Events) == 0 {
		t.Fatalf("%s: no frames", name)
	}
	return rec
}

// startOurServer serves the interop service with our server on a fresh
// Unix socket, until the test ends.
func startOurServer(t *testing.T) string {
	t.Helper()
	server, err := ours.NewServer(peer.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(tempDir(t), "s"))
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	// Owner: this test; Serve returns at Close in the cleanup.
	go func() { served <- server.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		server.Close()
		if err := <-served; !errors.Is(err, ttrpc.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// tempDir is a short temporary directory, for socket paths under the
// 108-byte limit (t.TempDir's can be longer).
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "replay")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
