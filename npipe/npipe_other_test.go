// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

//go:build !windows

package npipe

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/featherrpc/ttrpc"
)

func TestNamedPipesUnsupportedOutsideWindows(t *testing.T) {
	const address = "npipe://./pipe/x"
	if _, err := Dial(context.Background(), address); !errors.Is(err, ttrpc.ErrTransportUnsupported) || !strings.Contains(err.Error(), address) {
		t.Errorf("Dial: %v; want ErrTransportUnsupported naming the address", err)
	}
	if _, err := Listen(`\\.\pipe\x`); !errors.Is(err, ttrpc.ErrTransportUnsupported) {
		t.Errorf("Listen: %v; want ErrTransportUnsupported", err)
	}
}
