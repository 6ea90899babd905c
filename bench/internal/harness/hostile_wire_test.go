// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package harness

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/containerd/ttrpc"
	"github.com/featherrpc/ttrpc/bench/internal/benchpb"
	"github.com/featherrpc/ttrpc/bench/internal/rpc"
	"google.golang.org/protobuf/proto"
)

// TestRequestFrame decodes the attacker's hand-written frames with
// containerd's own Request type: the attacks speak the real wire format.
func TestRequestFrame(t *testing.T) {
	r := request{method: rpc.HoldMethod, payload: 100, timeout: 50 * time.Millisecond, metadata: 3}
	f := r.frame(7, flagRemoteOpen)
	if n := binary.BigEndian.Uint32(f[0:4]); int(n) != len(f)-frameHeaderLen {
		t.Fatalf("header length %d, body %d", n, len(f)-frameHeaderLen)
	}
	if id := binary.BigEndian.Uint32(f[4:8]); id != 7 || f[8] != frameRequest || f[9] != flagRemoteOpen {
		t.Fatalf("header %x", f[:frameHeaderLen])
	}
	var req ttrpc.Request
	if err := proto.Unmarshal(f[frameHeaderLen:], &req); err != nil {
		t.Fatal(err)
	}
	if req.Service != rpc.HoldService || req.Method != rpc.HoldMethod || req.TimeoutNano != int64(50*time.Millisecond) {
		t.Errorf("request %v", &req)
	}
	if len(req.Metadata) != 3 || req.Metadata[2].Key != "k000002" || req.Metadata[2].Value != "v000002" {
		t.Errorf("metadata %v", req.Metadata)
	}
	var p benchpb.Payload
	if err := proto.Unmarshal(req.Payload, &p); err != nil || len(p.Data) != 100 {
		t.Errorf("payload of %d bytes (%v), want 100", len(p.Data), err)
	}
}

// TestMetadataAttackSize checks that the metadata attack's request is about
// 0.9 MiB, under the protocol's 4 MiB frame limit.
func TestMetadataAttackSize(t *testing.T) {
	n := len(request{method: rpc.HoldMethod, metadata: 50_000}.encode())
	if n < 850<<10 || n > 1<<20 {
		t.Errorf("a request with 50,000 metadata keys is %d bytes, want about 0.9 MiB", n)
	}
}
