// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"
)

// hybridVsockAnswerMax bounds the answer line of a hybrid vsock handshake:
// "OK " and a port number of up to 10 digits, and the newline.
const hybridVsockAnswerMax = 16

// dialHybridVsock connects to the Unix socket of a VM's hybrid vsock
// (Firecracker, Cloud Hypervisor) and asks it to connect to the guest's
// port: it writes "CONNECT <port>\n" and waits for "OK <host port>\n",
// within timeout and ctx.
func dialHybridVsock(ctx context.Context, path string, port uint32, timeout time.Duration) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	if err := hybridVsockHandshake(ctx, conn, port, timeout); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// hybridVsockHandshake runs the CONNECT handshake on conn, bounded by
// timeout and ctx, and clears the deadline it set when it succeeds.
func hybridVsockHandshake(ctx context.Context, conn net.Conn, port uint32, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	ctxDeadline, ctxBound := ctx.Deadline()
	if ctxBound = ctxBound && ctxDeadline.Before(deadline); ctxBound {
		deadline = ctxDeadline
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	// The deadline moves to now when ctx ends first, which ends the read.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	err := hybridVsockExchange(conn, port, timeout)
	ctxEnded := !stop()
	switch {
	case ctxEnded || err != nil && ctx.Err() != nil:
		return fmt.Errorf("%w: %w", ErrHybridVsockHandshake, ctx.Err())
	case ctxBound && errors.Is(err, os.ErrDeadlineExceeded):
		// ctx's deadline, which the conn's clock saw first.
		return fmt.Errorf("%w: %w", ErrHybridVsockHandshake, context.DeadlineExceeded)
	case err != nil:
		return err
	}
	return conn.SetDeadline(time.Time{})
}

// hybridVsockExchange writes the CONNECT line and checks the answer.
func hybridVsockExchange(conn net.Conn, port uint32, timeout time.Duration) error {
	if _, err := fmt.Fprintf(conn, "CONNECT %d\n", port); err != nil {
		return fmt.Errorf("%w: sending CONNECT %d: %w", ErrHybridVsockHandshake, port, err)
	}
	line, err := readAnswerLine(conn)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%w: no answer to CONNECT %d within %v (is the guest listening on port %d?): %w",
			ErrHybridVsockHandshake, port, timeout, port, os.ErrDeadlineExceeded)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: the VM closed the connection before answering CONNECT %d (is the guest listening on port %d?): %w",
			ErrHybridVsockHandshake, port, port, io.ErrUnexpectedEOF)
	case err != nil:
		return fmt.Errorf("%w: reading the answer to CONNECT %d: %w", ErrHybridVsockHandshake, port, err)
	}
	if !validAnswer(line) {
		return fmt.Errorf("%w: CONNECT %d answered %q, want \"OK <port>\"", ErrHybridVsockHandshake, port, line)
	}
	return nil
}

// readAnswerLine reads the answer up to its newline, one byte at a time so
// that nothing the guest sends after it is read, and fails on a line longer
// than any valid answer.
func readAnswerLine(conn net.Conn) ([]byte, error) {
	var buf [hybridVsockAnswerMax]byte
	for n := 0; n < len(buf); n++ {
		if _, err := io.ReadFull(conn, buf[n:n+1]); err != nil {
			return nil, err
		}
		if buf[n] == '\n' {
			return buf[:n], nil
		}
	}
	return buf[:], nil // too long: validAnswer refuses it
}

// validAnswer reports whether line is "OK <decimal number>".
func validAnswer(line []byte) bool {
	num, ok := bytes.CutPrefix(line, []byte("OK "))
	if !ok {
		return false
	}
	_, err := strconv.ParseUint(string(num), 10, 32)
	return err == nil
}
