// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package grpcstatus_test

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/featherrpc/ttrpc"
	ttrpccodes "github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/grpcstatus"
	"github.com/featherrpc/ttrpc/memconn"
	ttrpcstatus "github.com/featherrpc/ttrpc/status"
)

// A client made with ClientOption returns errors that grpc's status package
// reads, as containerd's errdefs does.
func ExampleClientOption() {
	server, _ := ttrpc.NewServer()
	server.Register("example.v1.Containers", map[string]ttrpc.Method{
		"Get": func(context.Context, func(interface{}) error) (interface{}, error) {
			return nil, ttrpcstatus.Error(ttrpccodes.NotFound, "container abc")
		},
	})
	l := memconn.Listen()
	go server.Serve(context.Background(), l)
	defer server.Close()
	conn, _ := l.Dial()

	client := ttrpc.NewClient(conn, grpcstatus.ClientOption())
	defer client.Close()
	err := client.Call(context.Background(), "example.v1.Containers", "Get", &emptypb.Empty{}, nil)

	// Code that knows only grpc:
	fmt.Println(status.Code(err) == codes.NotFound)
	fmt.Println(status.Convert(err).Message())
	// Output:
	// true
	// container abc
}
