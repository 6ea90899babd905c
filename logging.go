// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"fmt"
	"log"
	"strings"
)

// logger is what the library logs through. A *slog.Logger given with
// WithServerLogger or WithClientLogger is one. Without one, warnings and
// errors go to the standard log package (which follows slog.SetDefault, so
// a program that sets a default slog handler gets them there) and debug
// messages are dropped. Keeping log/slog out of the default path keeps it,
// and what it links (encoding/json), out of programs that do not use it.
type logger interface {
	Debug(msg string, args ...any)
	Warn(msg string, args ...any)
	Error(msg string, args ...any)
}

// stdLogger is the default logger.
type stdLogger struct{}

func (stdLogger) Debug(string, ...any)          {}
func (stdLogger) Warn(msg string, args ...any)  { logStd("WARN", msg, args) }
func (stdLogger) Error(msg string, args ...any) { logStd("ERROR", msg, args) }

// logStd prints one line in slog's text style: level, message, key=value.
func logStd(level, msg string, args []any) {
	var b strings.Builder
	fmt.Fprintf(&b, "level=%s msg=%q", level, msg)
	for i := 0; i+1 < len(args); i += 2 {
		fmt.Fprintf(&b, " %v=%q", args[i], fmt.Sprint(args[i+1]))
	}
	log.Print(b.String())
}
