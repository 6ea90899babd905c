// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package interop

import (
	"os"
	"strings"
	"testing"
)

// legacyModFile is the module file with which ../test.sh runs this suite a
// second time, against an older containerd ttrpc that shims still in
// service link.
const (
	legacyModFile = "go.v1.2.8.mod"
	currentTTRPC  = "github.com/containerd/ttrpc v1.2.10"
	legacyTTRPC   = "github.com/containerd/ttrpc v1.2.8"
)

// TestLegacyModFileFollowsGoMod fails when go.v1.2.8.mod has drifted from
// go.mod: the two must differ only in the version of containerd's ttrpc, so
// that the second run tests the same suite against the older release.
func TestLegacyModFileFollowsGoMod(t *testing.T) {
	current, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := os.ReadFile(legacyModFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(current), currentTTRPC) != 1 || strings.Count(string(legacy), legacyTTRPC) != 1 {
		t.Fatalf("go.mod must require %q and %s %q, once each", currentTTRPC, legacyModFile, legacyTTRPC)
	}
	if want := strings.Replace(string(current), currentTTRPC, legacyTTRPC, 1); string(legacy) != want {
		t.Errorf("%s differs from go.mod in more than containerd's ttrpc version; regenerate it:\n"+
			"  cp go.mod %s && go mod edit -modfile=%s -require=github.com/containerd/ttrpc@v1.2.8 && go mod tidy -modfile=%s",
			legacyModFile, legacyModFile, legacyModFile, legacyModFile)
	}
}
