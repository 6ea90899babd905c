// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package otel

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

// Attribute keys of the spans and their events, the ones otelttrpc uses.
const (
	// RPCSystemKey is the remoting system: always "ttrpc".
	RPCSystemKey = attribute.Key("rpc.system")
	// RPCServiceKey is the full proto name of the service called.
	RPCServiceKey = attribute.Key("rpc.service")
	// RPCMethodKey is the name of the method called.
	RPCMethodKey = attribute.Key("rpc.method")
	// TTRPCStatusCodeKey is the numeric status code the call ended with.
	TTRPCStatusCodeKey = attribute.Key("rpc.ttrpc.status_code")
	// RPCMessageTypeKey is the direction of a message event: SENT or
	// RECEIVED.
	RPCMessageTypeKey = attribute.Key("message.type")
	// RPCMessageIDKey numbers the messages of a message event, from 1 in
	// each direction.
	RPCMessageIDKey = attribute.Key("message.id")
)

// Attribute values of the spans and their events.
var (
	// RPCSystemTTRPC is the rpc.system attribute of every span.
	RPCSystemTTRPC = RPCSystemKey.String("ttrpc")
	// RPCMessageTypeSent marks the event of a message sent.
	RPCMessageTypeSent = RPCMessageTypeKey.String("SENT")
	// RPCMessageTypeReceived marks the event of a message received.
	RPCMessageTypeReceived = RPCMessageTypeKey.String("RECEIVED")
)

// start starts the span of a call to fullMethod ("/service/method").
func (c *config) start(ctx context.Context, fullMethod string, kind trace.SpanKind) (context.Context, trace.Span) {
	name := strings.TrimPrefix(fullMethod, "/")
	attrs := []attribute.KeyValue{RPCSystemTTRPC}
	if service, method, ok := strings.Cut(name, "/"); ok {
		attrs = append(attrs, RPCServiceKey.String(service), RPCMethodKey.String(method))
	}
	return c.tracer.Start(ctx, name, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
}

// messageEvents records the message events of one span, as the config
// asks. Its methods may be called concurrently.
type messageEvents struct {
	span               trace.Span
	sent, received     bool         // which events to record
	sentID, receivedID atomic.Int64 // the ids of the last events
}

// newMessageEvents returns the message events of span.
func (c *config) newMessageEvents(span trace.Span) *messageEvents {
	return &messageEvents{span: span, sent: c.sentEvents, received: c.receivedEvents}
}

// sentMessage records that a message was sent.
func (e *messageEvents) sentMessage() {
	if e.sent {
		e.add(RPCMessageTypeSent, &e.sentID)
	}
}

// receivedMessage records that a message was received.
func (e *messageEvents) receivedMessage() {
	if e.received {
		e.add(RPCMessageTypeReceived, &e.receivedID)
	}
}

// add adds the event of the next message in one direction.
func (e *messageEvents) add(direction attribute.KeyValue, id *atomic.Int64) {
	if !e.span.IsRecording() {
		return
	}
	e.span.AddEvent("message", trace.WithAttributes(direction, RPCMessageIDKey.Int64(id.Add(1))))
}

// endStatus records a call's outcome on its span.
func endStatus(span trace.Span, kind trace.SpanKind, err error) {
	code, msg := outcome(err)
	span.SetAttributes(TTRPCStatusCodeKey.Int64(int64(code)))
	if code == codes.OK || (kind == trace.SpanKindServer && !serverFault(code)) {
		return
	}
	span.SetStatus(otelcodes.Error, msg)
}

// outcome is the status code and message of a call that ended with err.
func outcome(err error) (codes.Code, string) {
	switch {
	case err == nil || errors.Is(err, io.EOF):
		return codes.OK, ""
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		st := status.FromContextError(err)
		return st.Code(), st.Message()
	}
	st := status.Convert(err) // codes.Unknown when err has no status
	return st.Code(), st.Message()
}

// serverFault reports whether code means that the server failed, rather
// than the caller.
func serverFault(code codes.Code) bool {
	switch code {
	case codes.Unknown, codes.DeadlineExceeded, codes.Unimplemented,
		codes.Internal, codes.Unavailable, codes.DataLoss:
		return true
	}
	return false
}
