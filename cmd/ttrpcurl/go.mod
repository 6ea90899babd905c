module github.com/featherrpc/ttrpc/cmd/ttrpcurl

go 1.25.0

require (
	github.com/bufbuild/protocompile v0.14.1
	github.com/featherrpc/ttrpc v0.1.0
	google.golang.org/protobuf v1.36.12
)

require (
	golang.org/x/sync v0.17.0 // indirect
	golang.org/x/sys v0.41.0 // indirect
)
