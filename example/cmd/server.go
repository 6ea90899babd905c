// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/example/greeter"
	"github.com/featherrpc/ttrpc/status"
)

// greeterServer implements greeter.GreeterService. It greets in the
// language the caller's "lang" metadata names.
type greeterServer struct{}

func (greeterServer) Greet(ctx context.Context, req *greeter.GreetRequest) (*greeter.GreetReply, error) {
	if req.Name == "" {
		return nil, status.Error(codes.InvalidArgument, "name is empty")
	}
	return &greeter.GreetReply{Message: fmt.Sprintf("%s, %s (%s)", hello(ctx), req.Name, callInfo(ctx))}, nil
}

func (greeterServer) GreetMany(ctx context.Context, req *greeter.GreetManyRequest, stream greeter.Greeter_GreetManyServer) error {
	if req.Count > 100 {
		return status.Errorf(codes.InvalidArgument, "count %d is over 100", req.Count)
	}
	for i := uint32(1); i <= req.Count; i++ {
		msg := fmt.Sprintf("%s, %s (%d of %d)", hello(ctx), req.Name, i, req.Count)
		if err := stream.Send(&greeter.GreetReply{Message: msg}); err != nil {
			return err
		}
	}
	return nil
}

func (greeterServer) GreetAll(ctx context.Context, stream greeter.Greeter_GreetAllServer) (*greeter.GreetReply, error) {
	var names []string
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break // the client has sent everybody
		}
		if err != nil {
			return nil, err
		}
		names = append(names, req.Name)
	}
	if len(names) == 0 {
		return nil, status.Error(codes.InvalidArgument, "nobody to greet")
	}
	all := names[0]
	if n := len(names); n > 1 {
		all = strings.Join(names[:n-1], ", ") + " and " + names[n-1]
	}
	return &greeter.GreetReply{Message: fmt.Sprintf("%s, %s (%s)", hello(ctx), all, callInfo(ctx))}, nil
}

func (greeterServer) Chat(ctx context.Context, stream greeter.Greeter_ChatServer) error {
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil // the client is done talking
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&greeter.GreetReply{Message: hello(ctx) + ", " + req.Name}); err != nil {
			return err
		}
	}
}

// hello says hello in the language of the call's "lang" metadata.
func hello(ctx context.Context) string {
	lang, _ := ttrpc.GetMetadataValue(ctx, "lang")
	switch lang {
	case "fr":
		return "bonjour"
	case "de":
		return "hallo"
	default:
		return "hello"
	}
}

// callInfo describes what a call brought along: its "lang" metadata and the
// time left until its deadline.
func callInfo(ctx context.Context) string {
	lang, ok := ttrpc.GetMetadataValue(ctx, "lang")
	if !ok {
		lang = "none"
	}
	left := "no deadline"
	if deadline, ok := ctx.Deadline(); ok {
		left = fmt.Sprintf("deadline in %v", time.Until(deadline).Round(time.Second))
	}
	return fmt.Sprintf("lang=%s, %s", lang, left)
}
