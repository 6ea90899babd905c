// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// A stream that fails with ErrStreamFull takes no more messages, but its
// reader gets every message it had buffered, in order, and then
// ErrStreamFull; these tests fill a stream, pause, and then read it.

// drainInts reads Int64Value messages from s until an error, which it
// returns with how many it read; the messages must count up from 0.
func drainInts(s interface{ RecvMsg(interface{}) error }) (int, error) {
	for n := 0; ; n++ {
		msg := &wrapperspb.Int64Value{}
		if err := s.RecvMsg(msg); err != nil {
			return n, err
		}
		if msg.Value != int64(n) {
			return n, fmt.Errorf("message %d is %d: out of order", n, msg.Value)
		}
	}
}

// queueInt pushes an encoded Int64Value onto q.
func queueInt(t *testing.T, q *recvQueue, v int64) error {
	t.Helper()
	data, err := proto.Marshal(wrapperspb.Int64(v))
	if err != nil {
		t.Fatal(err)
	}
	msg := getBufferLen(len(data))
	copy(*msg, data)
	return q.push(msg)
}

// queueReader reads a recvQueue as a stream's reader does.
type queueReader struct{ q *recvQueue }

func (r queueReader) RecvMsg(m interface{}) error {
	data, err := r.q.pop(context.Background(), nil)
	if err != nil {
		return err
	}
	defer releaseBuffer(data)
	return proto.Unmarshal(*data, m.(proto.Message))
}

func TestRecvQueueFullKeepsBufferedMessages(t *testing.T) {
	full := make(chan struct{})
	q := newRecvQueue(2, 10*time.Millisecond, func() { close(full) })
	for i := range int64(5) {
		if err := queueInt(t, q, i); err != nil {
			t.Fatal(err)
		}
	}
	<-full // nobody read for a whole wait with 5 > 2 queued
	// What the server does next (failCall, endCall) and what arrives late
	// change nothing: the 5 stay, and the end stays ErrStreamFull.
	q.fail(ErrStreamClosed)
	if err := queueInt(t, q, 5); err != nil {
		t.Fatal(err)
	}
	if n, err := drainInts(queueReader{q}); n != 5 || !errors.Is(err, ErrStreamFull) {
		t.Fatalf("read %d messages, then %v; want 5, then ErrStreamFull", n, err)
	}
}

func TestRecvQueueMemoryCapKeepsBufferedMessages(t *testing.T) {
	q := newRecvQueue(1000, time.Hour, nil)
	big := make([]byte, 1<<20)
	accepted := 0
	for ; ; accepted++ {
		msg := getBufferLen(len(big))
		if err := q.push(msg); err != nil {
			if !errors.Is(err, ErrStreamFull) {
				t.Fatalf("push = %v, want ErrStreamFull", err)
			}
			break
		}
	}
	if want := queueMemoryMax / (len(big) + queuedMessageOverhead); accepted != want {
		t.Fatalf("%d messages of 1 MiB fit, want %d", accepted, want)
	}
	for i := range accepted {
		msg, err := q.pop(context.Background(), nil)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		releaseBuffer(msg)
	}
	if _, err := q.pop(context.Background(), nil); !errors.Is(err, ErrStreamFull) {
		t.Fatalf("after the buffered messages: %v, want ErrStreamFull", err)
	}
}

// A queue that fails for another reason (the stream was answered, the
// connection went) still drops what it held.
func TestRecvQueueOtherFailureDropsMessages(t *testing.T) {
	q := newRecvQueue(2, time.Hour, nil)
	if err := queueInt(t, q, 0); err != nil {
		t.Fatal(err)
	}
	q.fail(ErrStreamClosed)
	if n, err := drainInts(queueReader{q}); n != 0 || !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("read %d messages, then %v; want none, then ErrStreamClosed", n, err)
	}
}

// streamEnds is a StatsHandler that reports the end of every call.
type streamEnds chan CallStats

func (streamEnds) HandleConn(ConnStats) {}
func (e streamEnds) HandleCall(cs CallStats) {
	if cs.Ended {
		e <- cs
	}
}

// sendInts is a server-streaming handler that sends n Int64Values from 0
// and then waits, without ending the stream, until its context ends.
func sendInts(n int64) StreamHandler {
	return func(ctx context.Context, ss StreamServer) (interface{}, error) {
		for i := range n {
			if err := ss.SendMsg(wrapperspb.Int64(i)); err != nil {
				return nil, err
			}
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
}

// The client's stream buffers 4 freely; the fifth message puts it over,
// and its reader takes nothing for the wait: the stream fails, and then
// the reader gets all 5 before ErrStreamFull.
func TestClientStreamFullDeliversBufferedFirst(t *testing.T) {
	leakcheck.Check(t)
	s, path := newTestServer(t)
	s.RegisterService("full.Streams", &ServiceDesc{Streams: map[string]Stream{
		"Five": {StreamingServer: true, Handler: sendInts(5)},
	}})
	ends := make(streamEnds, 1)
	c := dialClient(t, path, WithClientStreamBuffer(4, 20*time.Millisecond), WithClientStatsHandler(ends))
	cs, err := c.NewStream(context.Background(), divideDesc, "full.Streams", "Five", &wrapperspb.StringValue{})
	if err != nil {
		t.Fatal(err)
	}
	<-ends // the stream has failed as full, unread
	if n, err := drainInts(cs); n != 5 || !errors.Is(err, ErrStreamFull) {
		t.Fatalf("read %d messages, then %v; want 5, then ErrStreamFull", n, err)
	}
}

// A stream whose reader falls 16 MiB behind fails at once; its reader
// still gets the messages that fit before ErrStreamFull.
func TestClientStreamOverMemoryCapDeliversBufferedFirst(t *testing.T) {
	leakcheck.Check(t)
	s, path := newTestServer(t)
	big := &wrapperspb.BytesValue{Value: make([]byte, 1<<20)}
	s.RegisterService("full.Streams", &ServiceDesc{Streams: map[string]Stream{
		"Big": {StreamingServer: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
			for range 20 {
				if err := ss.SendMsg(big); err != nil {
					return nil, err
				}
			}
			<-ctx.Done()
			return nil, ctx.Err()
		}},
	}})
	ends := make(streamEnds, 1)
	c := dialClient(t, path, WithClientStreamBuffer(1000, time.Hour), WithClientStatsHandler(ends))
	cs, err := c.NewStream(context.Background(), divideDesc, "full.Streams", "Big", &wrapperspb.StringValue{})
	if err != nil {
		t.Fatal(err)
	}
	<-ends // the stream has failed: 16 MiB behind
	want := queueMemoryMax / (proto.Size(big) + queuedMessageOverhead)
	for i := range want {
		if err := cs.RecvMsg(&wrapperspb.BytesValue{}); err != nil {
			t.Fatalf("message %d of the %d buffered: %v", i, want, err)
		}
	}
	if err := cs.RecvMsg(&wrapperspb.BytesValue{}); !errors.Is(err, ErrStreamFull) {
		t.Fatalf("after the %d buffered messages: %v, want ErrStreamFull", want, err)
	}
}

// The same on the server: the client sends 5 to a handler that reads
// nothing; the client gets RESOURCE_EXHAUSTED, and the handler, reading
// after that, gets all 5 before ErrStreamFull.
func TestServerStreamFullDeliversBufferedFirst(t *testing.T) {
	s, c := streamSetup(t, WithServerStreamBuffer(4, 20*time.Millisecond))
	release := make(chan struct{})
	type result struct {
		n   int
		err error
	}
	read := make(chan result, 1)
	s.RegisterService("full.Streams", &ServiceDesc{Streams: map[string]Stream{
		"Late": {StreamingClient: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
			<-release
			n, err := drainInts(ss)
			read <- result{n, err}
			return nil, err
		}},
	}})
	cs, err := c.NewStream(context.Background(), sumDesc, "full.Streams", "Late", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range int64(5) {
		if err := cs.SendMsg(wrapperspb.Int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, cs.RecvMsg(&wrapperspb.Int64Value{}), codes.ResourceExhausted)
	close(release)
	if r := <-read; r.n != 5 || !errors.Is(r.err, ErrStreamFull) {
		t.Fatalf("handler read %d messages, then %v; want 5, then ErrStreamFull", r.n, r.err)
	}
}

// Past its size, a stream whose reader is only slow has no cap in
// messages, only the 16 MiB one: with size 4 and a long wait, 50 messages
// wait unread, and all of them are read.
func TestStreamBufferHasNoMessageCapBeyondSize(t *testing.T) {
	leakcheck.Check(t)
	s, path := newTestServer(t)
	sent := make(chan struct{})
	s.RegisterService("full.Streams", &ServiceDesc{Streams: map[string]Stream{
		"Fifty": {StreamingServer: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
			for i := range int64(50) {
				if err := ss.SendMsg(wrapperspb.Int64(i)); err != nil {
					return nil, err
				}
			}
			close(sent)
			return nil, nil
		}},
	}})
	c := dialClient(t, path, WithClientStreamBuffer(4, time.Hour))
	cs, err := c.NewStream(context.Background(), divideDesc, "full.Streams", "Fifty", &wrapperspb.StringValue{})
	if err != nil {
		t.Fatal(err)
	}
	<-sent
	// The answer to a call made after the 50 comes after them on the
	// connection, so by its return the client has queued all of them.
	mustEcho(t, c)
	if n, err := drainInts(cs); n != 50 || err != io.EOF {
		t.Fatalf("read %d messages, then %v; want 50, then io.EOF", n, err)
	}
}
