// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpcgen

import (
	"strings"
	"testing"
)

// TestImportPath checks that the import path Main is given is the one the
// generated code imports, and that nothing else in it changes.
func TestImportPath(t *testing.T) {
	_, resp := runPlugin(t, request(t, "", exampleFile))
	ours := resp.File[0].GetContent()
	setImportPath("github.com/containerd/ttrpc")
	t.Cleanup(func() { setImportPath(ImportPath) })
	_, resp = runPlugin(t, request(t, "", exampleFile))
	if resp.Error != nil {
		t.Fatalf("plugin error: %s", resp.GetError())
	}
	theirs := resp.File[0].GetContent()
	if !strings.Contains(theirs, `ttrpc "github.com/containerd/ttrpc"`) && !strings.Contains(theirs, `"github.com/containerd/ttrpc"`) {
		t.Fatalf("the output does not import github.com/containerd/ttrpc:\n%s", theirs)
	}
	if got := strings.ReplaceAll(theirs, "github.com/containerd/ttrpc", ImportPath); got != ours {
		t.Errorf("apart from the import path, the output differs:\n%s", firstDifference(ours, got))
	}
}
