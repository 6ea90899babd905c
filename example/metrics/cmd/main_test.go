// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

func TestRunPrintsMetrics(t *testing.T) {
	leakcheck.Check(t)
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`ttrpc_calls_handled_total{code="OK",method="Greet",service="featherrpc.example.v1.Greeter",side="client",type="unary"} 3`,
		`ttrpc_calls_handled_total{code="InvalidArgument",method="Greet",service="featherrpc.example.v1.Greeter",side="server",type="unary"} 1`,
		`ttrpc_calls_handled_total{code="OK",method="GreetMany",service="featherrpc.example.v1.Greeter",side="server",type="server_stream"} 1`,
		`ttrpc_call_duration_seconds_count{method="Greet",service="featherrpc.example.v1.Greeter",side="server",type="unary"} 4`,
		`ttrpc_connections_opened_total{side="server"} 1`,
		`ttrpc_connections_closed_total{side="server"} 1`,
		`ttrpc_server_connections 0`,
		`ttrpc_client_streams_in_flight 0`,
	} {
		if !strings.Contains(out.String(), want+"\n") {
			t.Errorf("output lacks %s\n%s", want, out.String())
		}
	}
}
