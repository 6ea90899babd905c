// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package prometheus

import "strings"

// splitMethod splits "/service/method" into its two names.
func splitMethod(full string) (service, method string) {
	service, method, _ = strings.Cut(strings.TrimPrefix(full, "/"), "/")
	return service, method
}

// callType names the kind of call, as grpc's Prometheus middleware does.
func callType(streamingClient, streamingServer bool) string {
	switch {
	case streamingClient && streamingServer:
		return "bidi_stream"
	case streamingClient:
		return "client_stream"
	case streamingServer:
		return "server_stream"
	}
	return "unary"
}
