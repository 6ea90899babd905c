// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package otel

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// InstrumentationName names the tracer the interceptors use: the
// instrumentation scope of their spans.
const InstrumentationName = "github.com/featherrpc/ttrpc/otel"

// Option configures the interceptors. The options are WithTracerProvider,
// WithPropagators and WithMessageEvents.
type Option interface {
	apply(*config)
}

// optionFunc is an Option made of a function.
type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config is what the options set; defaults in newConfig.
type config struct {
	tracer         trace.Tracer
	propagators    propagation.TextMapPropagator
	sentEvents     bool
	receivedEvents bool
}

// WithTracerProvider sets where spans are created. Default: the global
// provider, otel.GetTracerProvider(), when the interceptor is made. A nil
// provider keeps the default.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) {
		if tp != nil {
			c.tracer = tp.Tracer(InstrumentationName)
		}
	})
}

// WithPropagators sets how span contexts are written into and read from
// metadata. Default: the global propagator, otel.GetTextMapPropagator(),
// when the interceptor is made. A nil propagator keeps the default.
func WithPropagators(p propagation.TextMapPropagator) Option {
	return optionFunc(func(c *config) {
		if p != nil {
			c.propagators = p
		}
	})
}

// Event is a kind of message event a span can record; see
// WithMessageEvents.
type Event int

// The message events, as otelttrpc names them.
const (
	// ReceivedEvents records an event for every message received.
	ReceivedEvents Event = iota
	// SentEvents records an event for every message sent.
	SentEvents
)

// WithMessageEvents makes the interceptors record an event named "message"
// on the span for every message of the given kinds: its attributes are
// message.type (SENT or RECEIVED) and message.id, counting from 1 in each
// direction. Default: no events, only the attributes set when the call
// ends.
func WithMessageEvents(events ...Event) Option {
	return optionFunc(func(c *config) {
		for _, e := range events {
			switch e {
			case ReceivedEvents:
				c.receivedEvents = true
			case SentEvents:
				c.sentEvents = true
			}
		}
	})
}

// newConfig applies opts to the defaults.
func newConfig(opts []Option) *config {
	c := &config{
		tracer:      otel.GetTracerProvider().Tracer(InstrumentationName),
		propagators: otel.GetTextMapPropagator(),
	}
	for _, opt := range opts {
		opt.apply(c)
	}
	return c
}
