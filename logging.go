// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"fmt"
	"log"
	"reflect"
	"strings"
)

// Logger is what the library logs through, given with WithServerLogger or
// WithClientLogger: a *slog.Logger is one. The arguments after the message
// are key-value pairs, as slog takes them. Without one, warnings and errors
// go to the standard log package (which follows slog.SetDefault, so a
// program that sets a default slog handler gets them there) and debug
// messages are dropped. Taking an interface keeps log/slog, and what it
// links, out of programs that do not use it.
type Logger interface {
	Debug(msg string, args ...any)
	Warn(msg string, args ...any)
	Error(msg string, args ...any)
}

// isNilLogger reports whether l is nil, or a nil pointer (a nil
// *slog.Logger): either keeps the default.
func isNilLogger(l Logger) bool {
	if l == nil {
		return true
	}
	v := reflect.ValueOf(l)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// stdLogger is the default logger. (Pointer receivers, so that one copy of
// each method is linked.)
type stdLogger struct{}

func (*stdLogger) Debug(string, ...any)          {}
func (*stdLogger) Warn(msg string, args ...any)  { logStd("WARN", msg, args) }
func (*stdLogger) Error(msg string, args ...any) { logStd("ERROR", msg, args) }

// logStd prints one line in slog's text style: level, message, key=value.
func logStd(level, msg string, args []any) {
	var b strings.Builder
	fmt.Fprintf(&b, "level=%s msg=%q", level, msg)
	for i := 0; i+1 < len(args); i += 2 {
		fmt.Fprintf(&b, " %v=%q", args[i], fmt.Sprint(args[i+1]))
	}
	log.Print(b.String())
}
