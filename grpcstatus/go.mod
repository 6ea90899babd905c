module github.com/featherrpc/ttrpc/grpcstatus

go 1.25.0

require (
	github.com/featherrpc/ttrpc v0.0.0
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260120221211-b8f7ae30c516
	google.golang.org/grpc v1.80.0
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/prometheus/procfs v0.19.2 // indirect
	golang.org/x/sys v0.41.0 // indirect
)

replace github.com/featherrpc/ttrpc => ../
