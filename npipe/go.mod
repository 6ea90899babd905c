module github.com/featherrpc/ttrpc/npipe

go 1.25.0

require (
	github.com/Microsoft/go-winio v0.6.2
	github.com/featherrpc/ttrpc v0.1.0
)

require (
	golang.org/x/sys v0.41.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
