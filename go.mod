module github.com/featherrpc/ttrpc

go 1.25.0

require (
	github.com/prometheus/procfs v0.19.2
	golang.org/x/sys v0.41.0
	google.golang.org/protobuf v1.36.12
)
