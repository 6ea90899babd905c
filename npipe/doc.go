// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package npipe gives ttrpc clients and servers Windows named pipes, as
// containerd and hcsshim use them for their shims on Windows. It is a module
// of its own so that github.com/featherrpc/ttrpc depends on no Windows
// library; it uses Microsoft's github.com/Microsoft/go-winio.
//
// Dial, NewDialer and Listen take every address ttrpc.Dial and ttrpc.Listen
// take, plus named pipes:
//
//	npipe://./pipe/containerd-shim   the pipe \\.\pipe\containerd-shim
//	\\.\pipe\containerd-shim         the same, as Windows spells it
//
// so a program that may run on Windows or Linux calls npipe.Dial for any
// address. Outside Windows a named pipe address fails with
// ttrpc.ErrTransportUnsupported; a malformed one fails with
// ttrpc.ErrBadAddress everywhere.
//
// A named pipe tells the server nothing about its client that this package
// reports: who may connect is decided by the pipe's security descriptor
// (WithSecurityDescriptor).
package npipe
