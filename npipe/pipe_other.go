// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

//go:build !windows

package npipe

import (
	"context"
	"fmt"
	"net"
	"runtime"

	"github.com/featherrpc/ttrpc"
)

// errNoPipes is the error of a named pipe address outside Windows.
var errNoPipes = fmt.Errorf("named pipes exist on Windows only, not on %s: %w", runtime.GOOS, ttrpc.ErrTransportUnsupported)

func dialPipe(context.Context, string) (net.Conn, error) { return nil, errNoPipes }

func listenPipe(string, *listenOptions) (net.Listener, error) { return nil, errNoPipes }
