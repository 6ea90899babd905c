// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

// noCompare, as the first field of a struct, makes the struct not
// comparable, so the compiler emits no equality function for it: code that
// nothing calls, kept out of every binary (the bench holds the minimal
// server under containerd's size). It takes no space as a first field.
type noCompare [0]func()
