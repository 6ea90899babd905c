// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

// Package testsvc implements the interop service (proto/featherrpc/interop/
// v1/service.proto) once, for both ttrpc implementations: what is specific
// to an implementation (reading metadata, making a status error) comes in
// through Env. It imports neither implementation, so that the replay tests
// can run it without linking containerd's.
//
// Every handler answers deterministically, so that recorded frames do not
// change from one recording to the next, except where a request asks for
// something that depends on time (a deadline).
package testsvc

import (
	"context"
	"errors"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/featherrpc/ttrpc/interop/internal/testpb"
)

// The service and its methods, as on the wire.
const (
	Service  = "featherrpc.interop.v1.Interop"
	Unary    = "Unary"    // unary
	Collect  = "Collect"  // client streaming
	Generate = "Generate" // server streaming
	Chat     = "Chat"     // bidi streaming
)

// Actions a request's action field can ask for. The empty action echoes.
const (
	// ActionEcho (unary) answers with seq, text and data of the request,
	// the metadata the handler saw and the time it had left.
	ActionEcho = ""
	// ActionEmpty (unary) answers with an empty message; (Generate) sends
	// empty messages.
	ActionEmpty = "empty"
	// ActionError fails with a status of code, with text as the message and
	// two Pair details: ("seq", seq) and ("text", text). Collect fails
	// after reading every message; Generate after sending count messages;
	// Chat when it reads the message.
	ActionError = "error"
	// ActionPlainError (unary) fails with errors.New(text), which is not a
	// status error.
	ActionPlainError = "plain-error"
	// ActionWait waits until the call's context ends and fails with its
	// error, telling Env.Observe (Generate sends count messages first).
	ActionWait = "wait"
	// ActionBig (unary) answers with count bytes of data.
	ActionBig = "big"
	// ActionSize (unary) answers with seq = the number of data bytes.
	ActionSize = "size"
	// ActionNil (unary) returns a nil response and no error.
	ActionNil = "nil"
	// ActionDelay (unary) echoes after count microseconds.
	ActionDelay = "delay"
	// ActionMeta (Generate) sends one message: the metadata and the time
	// left, as ActionEcho answers.
	ActionMeta = "meta"
	// ActionFinal (Generate, Chat) ends the stream with a final message,
	// text "final", returned by the handler instead of nil: the raw
	// handlers only, generated code cannot return one.
	ActionFinal = "final"
	// ActionStop (Chat) ends the stream at once, without waiting for the
	// client to close its side.
	ActionStop = "stop"
)

// Env is what the handlers need from a ttrpc implementation.
type Env struct {
	// Metadata returns the metadata of the call, as the implementation's
	// GetMetadata gives it.
	Metadata func(ctx context.Context) (map[string][]string, bool)
	// Status returns an error made with the implementation's status
	// package: code, message and details.
	Status func(code int32, message string, details ...proto.Message) error
	// Observe, if not nil, is called when a handler that waited for its
	// context (ActionWait) gives up, with the request's seq and the
	// context's error.
	Observe func(seq int64, err error)
}

// StreamServer is the server side of a stream in both implementations.
type StreamServer interface {
	SendMsg(m interface{}) error
	RecvMsg(m interface{}) error
}

// Unary handles Unary.
func (e *Env) Unary(ctx context.Context, req *testpb.Echo) (*testpb.Echo, error) {
	switch req.GetAction() {
	case ActionEcho:
		return e.echo(ctx, req), nil
	case ActionEmpty:
		return &testpb.Echo{}, nil
	case ActionError:
		return nil, e.statusOf(req)
	case ActionPlainError:
		return nil, errors.New(req.GetText())
	case ActionWait:
		return nil, e.wait(ctx, req)
	case ActionBig:
		return &testpb.Echo{Data: Pattern(int(req.GetCount()))}, nil
	case ActionSize:
		return &testpb.Echo{Seq: int64(len(req.GetData()))}, nil
	case ActionNil:
		return nil, nil
	case ActionDelay:
		time.Sleep(time.Duration(req.GetCount()) * time.Microsecond)
		return e.echo(ctx, req), nil
	}
	return nil, e.Status(3, "unknown action "+strconv.Quote(req.GetAction()))
}

// Collect handles Collect: it reads every message, then answers with seq =
// the number of messages, text = their texts joined by "|", data = their
// data concatenated, and the metadata and time left.
func (e *Env) Collect(ctx context.Context, recv func() (*testpb.Echo, error)) (*testpb.Echo, error) {
	resp := e.echo(ctx, &testpb.Echo{})
	var texts []string
	var failWith *testpb.Echo
	for {
		m, err := recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		resp.Seq++
		texts = append(texts, m.GetText())
		resp.Data = append(resp.Data, m.GetData()...)
		if m.GetAction() == ActionError {
			failWith = m
		}
	}
	if failWith != nil {
		return nil, e.statusOf(failWith)
	}
	resp.Text = strings.Join(texts, "|")
	return resp, nil
}

// Generate handles Generate: it sends count messages with seq 1..count and
// the request's text (empty messages for ActionEmpty).
func (e *Env) Generate(ctx context.Context, req *testpb.Echo, send func(*testpb.Echo) error) error {
	if req.GetAction() == ActionMeta {
		return send(e.echo(ctx, req))
	}
	for i := int64(1); i <= req.GetCount(); i++ {
		m := &testpb.Echo{Seq: i, Text: req.GetText()}
		if req.GetAction() == ActionEmpty {
			m = &testpb.Echo{}
		}
		if err := send(m); err != nil {
			return err
		}
	}
	switch req.GetAction() {
	case ActionError:
		return e.statusOf(req)
	case ActionWait:
		return e.wait(ctx, req)
	}
	return nil
}

// Chat handles Chat: it sends back every message it reads, as it reads
// it, until the client closes its side.
func (e *Env) Chat(ctx context.Context, recv func() (*testpb.Echo, error), send func(*testpb.Echo) error) error {
	for {
		m, err := recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch m.GetAction() {
		case ActionError:
			return e.statusOf(m)
		case ActionStop:
			return nil
		case ActionWait:
			return e.wait(ctx, m)
		}
		if err := send(m); err != nil {
			return err
		}
	}
}

// Final is the message that ends a stream for ActionFinal.
func Final() *testpb.Echo { return &testpb.Echo{Text: "final"} }

// echo is the answer of ActionEcho.
func (e *Env) echo(ctx context.Context, req *testpb.Echo) *testpb.Echo {
	resp := &testpb.Echo{Seq: req.GetSeq(), Text: req.GetText(), Data: req.GetData()}
	if md, ok := e.Metadata(ctx); ok {
		resp.Metadata = SortedPairs(md)
	}
	if deadline, ok := ctx.Deadline(); ok {
		resp.TimeoutNano = max(time.Until(deadline).Nanoseconds(), 1)
	}
	return resp
}

func (e *Env) statusOf(req *testpb.Echo) error {
	return e.Status(req.GetCode(), req.GetText(), Details(req)...)
}

// Details are the details of the status ActionError asks for.
func Details(req *testpb.Echo) []proto.Message {
	return []proto.Message{
		&testpb.Pair{Key: "seq", Value: strconv.FormatInt(req.GetSeq(), 10)},
		&testpb.Pair{Key: "text", Value: req.GetText()},
	}
}

func (e *Env) wait(ctx context.Context, req *testpb.Echo) error {
	<-ctx.Done()
	if e.Observe != nil {
		e.Observe(req.GetSeq(), ctx.Err())
	}
	return ctx.Err()
}

// SortedPairs flattens metadata into pairs sorted by key, each key's values
// in their order.
func SortedPairs(md map[string][]string) []*testpb.Pair {
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pairs []*testpb.Pair
	for _, k := range keys {
		for _, v := range md[k] {
			pairs = append(pairs, &testpb.Pair{Key: k, Value: v})
		}
	}
	return pairs
}

// Pattern returns n bytes that are not all alike, so that a misplaced byte
// shows. Each call returns a new slice.
func Pattern(n int) []byte {
	patternOnce.Do(func() {
		pattern = make([]byte, patternLength)
		fillPattern(pattern, 0)
	})
	b := make([]byte, n)
	fillPattern(b, copy(b, pattern))
	return b
}

func fillPattern(b []byte, from int) {
	for i := from; i < len(b); i++ {
		b[i] = byte(i*7 + i>>8)
	}
}

// The first patternLength bytes of every Pattern, computed once: tests ask
// for megabytes of it many times, which is slow byte by byte under the
// race detector.
const patternLength = 8 << 20

var (
	patternOnce sync.Once
	pattern     []byte
)
