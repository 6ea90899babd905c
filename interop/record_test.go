// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package interop

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/featherrpc/ttrpc/interop/internal/record"
	"github.com/featherrpc/ttrpc/interop/internal/script"
	"github.com/featherrpc/ttrpc/interop/internal/wire"
)

// TestRecordings records every case again, for every pair, and compares
// the frames with testdata/*.frames (recorded with containerd's client and
// server). For containerd against itself this says the recordings are
// current (and deterministic); for the other pairs, that our client and
// our server put on the wire exactly the bytes containerd's do, in both
// directions, whoever they talk to.
func TestRecordings(t *testing.T) {
	forEachPair(t, func(t *testing.T, p pair) {
		for _, c := range script.Cases {
			want := loadRecording(t, c.Name)
			got, err := record.Record(context.Background(), p.client, p.server, c)
			if err != nil {
				t.Errorf("%s: %v", c.Name, err)
				continue
			}
			if len(got.Events) != len(want.Events) {
				t.Errorf("%s: %d frames, recorded %d:\n%s", c.Name, len(got.Events), len(want.Events), got.Marshal())
				continue
			}
			for i, e := range got.Events {
				w := want.Events[i]
				if e.Dir != w.Dir || !bytes.Equal(e.Frame.Bytes(), w.Frame.Bytes()) {
					t.Errorf("%s: frame %d: %c %v\n% x\nrecorded: %c %v\n% x", c.Name, i,
						e.Dir, e.Frame, e.Frame.Bytes(), w.Dir, w.Frame, w.Frame.Bytes())
				}
			}
		}
	})
}

func loadRecording(t *testing.T, name string) *wire.Recording {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name+".frames"))
	if err != nil {
		t.Fatalf("%v (run go run ./cmd/record)", err)
	}
	rec, err := wire.ParseRecording(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rec
}
