// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"strings"
	"testing"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestDefaultLoggerUsesStandardLog(t *testing.T) {
	var out bytes.Buffer
	previous := log.Writer()
	log.SetOutput(&out)
	defer log.SetOutput(previous)
	stdLogger{}.Debug("quiet", "k", 1)
	stdLogger{}.Warn("careful", "error", "boom", "n", 2)
	stdLogger{}.Error("broken", "panic", "x")
	got := out.String()
	if strings.Contains(got, "quiet") {
		t.Errorf("debug message logged: %q", got)
	}
	for _, want := range []string{`level=WARN msg="careful" error="boom" n="2"`, `level=ERROR msg="broken" panic="x"`} {
		if !strings.Contains(got, want) {
			t.Errorf("log output %q lacks %q", got, want)
		}
	}
}

func TestHandlerPanicIsLoggedThroughSlog(t *testing.T) {
	leakcheck.Check(t)
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, nil))
	s, path := newTestServer(t, WithServerLogger(logger))
	s.Register("panic.Logged", map[string]Method{
		"Panic": func(context.Context, func(interface{}) error) (interface{}, error) { panic("logged boom") },
	})
	c := dialClient(t, path)
	err := c.Call(context.Background(), "panic.Logged", "Panic", &wrapperspb.StringValue{}, nil)
	wantCode(t, err, codes.Internal)
	if got := out.String(); !strings.Contains(got, "level=ERROR") || !strings.Contains(got, "logged boom") {
		t.Fatalf("slog output %q does not report the panic", got)
	}
}
