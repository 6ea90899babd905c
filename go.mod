module github.com/featherrpc/ttrpc

go 1.25.0

require (
	golang.org/x/sys v0.41.0
	google.golang.org/protobuf v1.36.12
)
