// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package consumers runs the test suites of real users of containerd's
// ttrpc (containerd/otelttrpc and containerd/nri) twice, once on
// containerd's ttrpc and once swapped to featherrpc's with ttrpc-swap, and
// fails when a test's outcome differs between the two runs. It has no
// code of its own; see consumers_test.go and README.md.
package consumers
