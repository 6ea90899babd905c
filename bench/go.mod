module github.com/featherrpc/ttrpc/bench

go 1.25.0

require (
	github.com/containerd/ttrpc v1.2.10
	github.com/featherrpc/ttrpc v0.0.0
	golang.org/x/sys v0.46.0
	google.golang.org/grpc v1.81.1
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/containerd/log v0.1.0 // indirect
	github.com/sirupsen/logrus v1.9.4 // indirect
	golang.org/x/net v0.51.0 // indirect
	golang.org/x/text v0.34.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260226221140-a57be14db171 // indirect
)

replace github.com/featherrpc/ttrpc => ../
