// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/featherrpc/ttrpc/status"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], stdEnvironment()))
}

// environment is what an invocation reads and writes.
type environment struct {
	stdin           io.Reader
	stdinIsTerminal bool
	stdout, stderr  io.Writer
}

func stdEnvironment() *environment {
	env := &environment{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		env.stdinIsTerminal = true
	}
	return env
}

// run runs one invocation and returns its exit code, having written any
// error to stderr: one line, or for an error status from the server, one
// line and one more for each of its details.
func run(ctx context.Context, args []string, env *environment) int {
	inv, err := parseArgs(args)
	if errors.Is(err, errHelp) {
		fmt.Fprint(env.stdout, usage)
		return exitOK
	}
	if err == nil && inv.opts.maxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, inv.opts.maxTime, fmt.Errorf("-max-time %s elapsed", inv.opts.maxTime))
		defer cancel()
	}
	var d *descriptors
	if err == nil {
		d, err = dispatch(ctx, inv, env)
	}
	code := exitCode(ctx, err)
	switch {
	case code == exitOK:
	case code == exitTimeout:
		fmt.Fprintf(env.stderr, "ttrpcurl: timed out: %v (%v)\n", context.Cause(ctx), err)
	case code == exitStatus && d != nil:
		if st, ok := status.FromError(err); ok {
			d.printer(env, inv).printStatus(env.stderr, st)
			break
		}
		fallthrough
	default:
		fmt.Fprintf(env.stderr, "ttrpcurl: %v\n", err)
	}
	return code
}

// dispatch runs the subcommand the positional arguments name. It returns
// the loaded descriptors, to print the details of an error status with.
func dispatch(ctx context.Context, inv *invocation, env *environment) (*descriptors, error) {
	if len(inv.args) == 0 {
		return nil, fmt.Errorf("%w: want ADDRESS METHOD [REQUEST], list or describe", errUsage)
	}
	d, err := loadDescriptors(ctx, &inv.opts)
	if err != nil {
		return nil, err
	}
	switch inv.args[0] {
	case "list":
		return d, runList(env.stdout, d, inv.args[1:])
	case "describe":
		return d, runDescribe(env.stdout, d, inv.args[1:])
	}
	return d, runCall(ctx, inv, env, d)
}

func (d *descriptors) printer(env *environment, inv *invocation) *printer {
	return newPrinter(env.stdout, d, &inv.opts)
}
