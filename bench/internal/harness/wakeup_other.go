// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

//go:build !linux

package harness

// ProbeWakeUps measures nothing outside Linux.
func ProbeWakeUps() WakeUp { return WakeUp{} }
