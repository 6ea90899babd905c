// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"encoding/json"
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

// go.mod requires protobuf and x/sys and nothing else, not even for tests
// (a test-only requirement still lands in every user's go.sum): a test
// helper that needs another module lives in a nested module.
func TestGoModRequiresOnlyProtobufAndSys(t *testing.T) {
	leakcheck.Check(t)
	out, err := exec.Command("go", "mod", "edit", "-json", "go.mod").Output()
	if err != nil {
		t.Fatalf("go mod edit -json: %v", err)
	}
	var mod struct{ Require []struct{ Path string } }
	if err := json.Unmarshal(out, &mod); err != nil {
		t.Fatalf("go mod edit -json: %v", err)
	}
	allowed := map[string]bool{"google.golang.org/protobuf": true, "golang.org/x/sys": true}
	for _, r := range mod.Require {
		if !allowed[r.Path] {
			t.Errorf("go.mod requires %s; the core module may require only %v", r.Path, allowed)
		}
	}
	if len(mod.Require) == 0 {
		t.Error("go.mod requires nothing: go mod edit -json read the wrong file")
	}
}
