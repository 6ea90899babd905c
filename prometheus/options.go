// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package prometheus

import (
	prom "github.com/prometheus/client_golang/prometheus"
)

// DefaultDurationBuckets returns the default buckets of
// ttrpc_call_duration_seconds, in seconds: from 50µs, for calls between
// processes of one host, to 10s. Each call returns a new slice.
func DefaultDurationBuckets() []float64 {
	return []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}
}

// Option configures NewStatsHandler.
type Option func(*config)

// config is what the options set; defaults in newConfig.
type config struct {
	buckets     []float64
	constLabels prom.Labels
}

// WithDurationBuckets sets the upper bounds, in seconds, of the buckets of
// ttrpc_call_duration_seconds. Default: DefaultDurationBuckets(). An empty
// list keeps the default.
func WithDurationBuckets(buckets ...float64) Option {
	return func(c *config) {
		if len(buckets) > 0 {
			c.buckets = append([]float64(nil), buckets...)
		}
	}
}

// WithConstLabels adds labels with fixed values to every metric of the
// StatsHandler, to tell apart several of them in one registry. Default:
// none.
func WithConstLabels(labels prom.Labels) Option {
	return func(c *config) {
		c.constLabels = make(prom.Labels, len(labels))
		for k, v := range labels {
			c.constLabels[k] = v
		}
	}
}

// newConfig applies opts to the defaults.
func newConfig(opts []Option) *config {
	c := &config{buckets: DefaultDurationBuckets()}
	for _, opt := range opts {
		opt(c)
	}
	return c
}
