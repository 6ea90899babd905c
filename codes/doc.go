// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package codes defines the canonical status codes carried by ttrpc
// responses.
//
// The type, the constant names, their numbers, their String forms and the
// JSON decoding are the same as those of google.golang.org/grpc/codes, so a
// program that moves from grpc's (or containerd's ttrpc's) codes package only
// changes its import path. The numbers are also the ones on the wire: a
// featherrpc peer and a containerd ttrpc peer agree on every code.
package codes
