// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package ttrpc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc/codes"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// A handler whose stream has been answered early (here: it fell behind,
// ErrStreamFull) gets ErrStreamClosed from SendMsg; and once the
// connection has gone, from RecvMsg.
func TestHandlerStreamClosedAfterAnswerAndConnectionLoss(t *testing.T) {
	connClosed := make(connEnds, 1)
	s, c := streamSetup(t, WithServerStreamBuffer(1, 20*time.Millisecond), WithServerStatsHandler(connClosed))
	answered, gone := make(chan struct{}), make(chan struct{})
	errs := make(chan error, 3)
	s.RegisterService("closed.Streams", &ServiceDesc{Streams: map[string]Stream{
		"Bidi": {StreamingClient: true, StreamingServer: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
			<-answered
			errs <- ss.SendMsg(wrapperspb.Int64(0))
			_, err := drainInts(ss)
			errs <- err
			return nil, err
		}},
		"Wait": {StreamingClient: true, StreamingServer: true, Handler: func(ctx context.Context, ss StreamServer) (interface{}, error) {
			<-gone
			err := ss.RecvMsg(&wrapperspb.Int64Value{})
			errs <- err
			return nil, err
		}},
	}})
	cs, err := c.NewStream(context.Background(), echoDesc, "closed.Streams", "Bidi", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range int64(2) {
		if err := cs.SendMsg(wrapperspb.Int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, cs.RecvMsg(&wrapperspb.Int64Value{}), codes.ResourceExhausted)
	close(answered)
	if err := <-errs; !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("SendMsg on an answered stream = %v, want ErrStreamClosed", err)
	}
	if err := <-errs; !errors.Is(err, ErrStreamFull) {
		t.Fatalf("RecvMsg after the buffered messages = %v, want ErrStreamFull", err)
	}

	if _, err := c.NewStream(context.Background(), echoDesc, "closed.Streams", "Wait", nil); err != nil {
		t.Fatal(err)
	}
	mustEcho(t, c) // the stream has reached the server
	c.Close()
	<-connClosed // the server has ended the connection and its streams
	close(gone)
	if err := <-errs; !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("RecvMsg after the connection went = %v, want ErrStreamClosed", err)
	}
}

// connEnds is a StatsHandler that reports the end of every connection.
type connEnds chan ConnStats

func (e connEnds) HandleConn(cs ConnStats) {
	if cs.Closed {
		e <- cs
	}
}
func (connEnds) HandleCall(CallStats) {}
