// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import "errors"

// The command's errors; every failure wraps one of them (with %w), so that
// tests tell them apart with errors.Is.
var (
	// errNoGoMod: the directory is not the root of a Go module.
	errNoGoMod = errors.New("ttrpc-swap: no go.mod here: run it at the root of a Go module")
	// errIsUpstream: the module is containerd's ttrpc itself.
	errIsUpstream = errors.New("ttrpc-swap: this module is github.com/containerd/ttrpc itself")
	// errNotDependent: containerd's ttrpc is not in the module's graph.
	errNotDependent = errors.New("ttrpc-swap: this module does not depend on github.com/containerd/ttrpc")
	// errAlreadySwapped: a swap is in place; undo it first.
	errAlreadySwapped = errors.New("ttrpc-swap: already swapped (run with -undo to go back)")
	// errReplaced: go.mod already replaces containerd's ttrpc, not by us.
	errReplaced = errors.New("ttrpc-swap: go.mod already replaces github.com/containerd/ttrpc")
	// errDirExists: the directory to write into is already there.
	errDirExists = errors.New("ttrpc-swap: the directory to write already exists")
	// errNotSwapped: -undo found no swap to undo.
	errNotSwapped = errors.New("ttrpc-swap: not swapped (no state file in the swap directory)")
	// errNoVersion: no version of github.com/featherrpc/ttrpc to require.
	errNoVersion = errors.New("ttrpc-swap: no version of github.com/featherrpc/ttrpc to require: pass -version or -featherrpc")
	// errNotCheckout: -featherrpc does not name a checkout of this library.
	errNotCheckout = errors.New("ttrpc-swap: not a checkout of github.com/featherrpc/ttrpc")
	// errGo: a go command that the swap runs failed.
	errGo = errors.New("ttrpc-swap: go command failed")
)
