// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"log/slog"
	"net"
	"strings"
	"sync"
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
	(&stdLogger{}).Debug("quiet", "k", 1)
	(&stdLogger{}).Warn("careful", "error", "boom", "n", 2)
	(&stdLogger{}).Error("broken", "panic", "x")
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

// A nil logger, or a nil *slog.Logger, keeps the default: the standard log
// package gets the panic, and nothing crashes.
func TestNilLoggerKeepsTheDefault(t *testing.T) {
	leakcheck.Check(t)
	var out bytes.Buffer
	previous := log.Writer()
	log.SetOutput(&out)
	defer log.SetOutput(previous)
	var nilSlog *slog.Logger
	for _, opt := range []ServerOpt{WithServerLogger(nil), WithServerLogger(nilSlog)} {
		out.Reset()
		s, err := NewServer(opt) // not newTestServer, which sets a quiet logger
		if err != nil {
			t.Fatal(err)
		}
		s.Register("panic.Default", map[string]Method{
			"Panic": func(context.Context, func(interface{}) error) (interface{}, error) { panic("default boom") },
		})
		l, err := net.Listen("unix", socketPath(t))
		if err != nil {
			t.Fatal(err)
		}
		go s.Serve(context.Background(), l)
		defer s.Close()
		c := dialClient(t, l.Addr().String(), WithClientLogger(nilSlog))
		err = c.Call(context.Background(), "panic.Default", "Panic", &wrapperspb.StringValue{}, nil)
		wantCode(t, err, codes.Internal)
		if got := out.String(); !strings.Contains(got, "level=ERROR") || !strings.Contains(got, "default boom") {
			t.Errorf("standard log output %q does not report the panic", got)
		}
	}
}

// recordingLogger is a Logger that is not a *slog.Logger.
type recordingLogger struct {
	mu    sync.Mutex
	lines []string
}

func (r *recordingLogger) record(level, msg string, args []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprint(level, " ", msg, " ", args))
}

func (r *recordingLogger) Debug(msg string, args ...any) { r.record("DEBUG", msg, args) }
func (r *recordingLogger) Warn(msg string, args ...any)  { r.record("WARN", msg, args) }
func (r *recordingLogger) Error(msg string, args ...any) { r.record("ERROR", msg, args) }

// Any Logger will do, not only a *slog.Logger.
func TestAnyLoggerWillDo(t *testing.T) {
	leakcheck.Check(t)
	rec := &recordingLogger{}
	s, path := newTestServer(t, WithServerLogger(rec))
	s.Register("panic.Recorded", map[string]Method{
		"Panic": func(context.Context, func(interface{}) error) (interface{}, error) { panic("recorded boom") },
	})
	c := dialClient(t, path)
	err := c.Call(context.Background(), "panic.Recorded", "Panic", &wrapperspb.StringValue{}, nil)
	wantCode(t, err, codes.Internal)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if got := strings.Join(rec.lines, "\n"); !strings.Contains(got, "ERROR") || !strings.Contains(got, "recorded boom") {
		t.Errorf("the logger recorded %q, not the panic", got)
	}
}
