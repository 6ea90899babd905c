// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package status_test

import (
	"fmt"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
)

func ExampleError() {
	err := status.Error(codes.NotFound, "no container abc")
	fmt.Println(err)
	fmt.Println(status.Code(err))
	fmt.Println(status.Error(codes.OK, "fine") == nil)
	// Output:
	// rpc error: code = NotFound desc = no container abc
	// NotFound
	// true
}

func ExampleFromError() {
	err := fmt.Errorf("start task: %w", status.Error(codes.Unavailable, "shim gone"))
	s, ok := status.FromError(err)
	fmt.Println(ok, s.Code())
	fmt.Println(s.Message())

	s, ok = status.FromError(fmt.Errorf("plain"))
	fmt.Println(ok, s.Code(), s.Message())
	// Output:
	// true Unavailable
	// start task: rpc error: code = Unavailable desc = shim gone
	// false Unknown plain
}

func ExampleStatus_WithDetails() {
	s, err := status.New(codes.InvalidArgument, "bad id").WithDetails(wrapperspb.String("id"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range status.Convert(s.Err()).Details() {
		fmt.Printf("%T %v\n", d, d.(*wrapperspb.StringValue).GetValue())
	}
	// Output: *wrapperspb.StringValue id
}
