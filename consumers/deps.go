// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

//go:build consumerdeps

package consumers

// The suites' modules, imported under a build tag that nothing sets: go mod
// tidy still records their versions and sums in go.mod and go.sum (so that
// go mod download needs nothing else), while go vet and go test, on any
// GOOS, compile none of them.
import (
	_ "github.com/containerd/nri/pkg/api"
	_ "github.com/containerd/otelttrpc"
)
