// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/featherrpc/ttrpc/internal/leakcheck"
)

func TestRunPrintsOneTrace(t *testing.T) {
	leakcheck.Check(t)
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	want := `trace ID
  greet everybody (internal)
    featherrpc.example.v1.Greeter/Greet (client)
      featherrpc.example.v1.Greeter/Greet (server, remote parent)
        compose greeting (internal)
    featherrpc.example.v1.Greeter/GreetMany (client)
      featherrpc.example.v1.Greeter/GreetMany (server, remote parent)
`
	got := regexp.MustCompile(`(?m)^trace [0-9a-f]{32}$`).ReplaceAllString(out.String(), "trace ID")
	if got != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
