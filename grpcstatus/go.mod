module github.com/featherrpc/ttrpc/grpcstatus

go 1.25.0

require (
	github.com/featherrpc/ttrpc v0.1.0
	google.golang.org/genproto/googleapis/rpc v0.0.0-20230731190214-cbb8c96f2d6d
	google.golang.org/grpc v1.57.1
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/golang/protobuf v1.5.3 // indirect
	golang.org/x/net v0.10.0 // indirect
	golang.org/x/sys v0.41.0 // indirect
)
