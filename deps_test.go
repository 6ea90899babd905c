// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

// The core links no module but protobuf and x/sys, and none of the heavier
// standard packages a minimal program can do without.
func TestCoreDependencies(t *testing.T) {
	leakcheck.Check(t)
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if .Module}}{{.Module.Path}}{{else}}std:{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowedModules := map[string]bool{
		"github.com/featherrpc/ttrpc": true,
		"google.golang.org/protobuf":  true,
		"golang.org/x/sys":            true,
	}
	forbiddenStd := []string{"std:log/slog", "std:net/http"} // (protobuf itself imports encoding/json)
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "std:") {
			for _, forbidden := range forbiddenStd {
				if dep == forbidden {
					t.Errorf("the core imports %s", strings.TrimPrefix(dep, "std:"))
				}
			}
			continue
		}
		if !allowedModules[dep] {
			t.Errorf("the core depends on module %s", dep)
		}
	}
}
