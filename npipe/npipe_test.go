// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package npipe

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/example/greeter"
)

// greetings answers Greet with "hello, NAME".
type greetings struct {
	greeter.UnimplementedGreeterService
}

func (greetings) Greet(_ context.Context, req *greeter.GreetRequest) (*greeter.GreetReply, error) {
	return &greeter.GreetReply{Message: "hello, " + req.Name}, nil
}

// roundTrip serves greetings at address through Listen and calls Greet
// through Dial, and through a dialing client made with NewDialer.
func roundTrip(t *testing.T, address string) {
	t.Helper()
	l, err := Listen(address)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ttrpc.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	greeter.RegisterGreeterService(srv, greetings{})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), l) }()
	defer func() {
		srv.Close()
		if err := <-served; !errors.Is(err, ttrpc.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := Dial(ctx, address)
	if err != nil {
		t.Fatal(err)
	}
	once := ttrpc.NewClient(conn)
	defer once.Close()
	dial, err := NewDialer(address)
	if err != nil {
		t.Fatal(err)
	}
	redialing := ttrpc.NewClientWithDialer(dial)
	defer redialing.Close()
	for _, c := range []*ttrpc.Client{once, redialing} {
		reply, err := greeter.NewGreeterClient(c).Greet(ctx, &greeter.GreetRequest{Name: "pipe"})
		if err != nil || reply.Message != "hello, pipe" {
			t.Fatalf("Greet = %v, %v", reply, err)
		}
	}
}

func TestOtherAddressesGoToTTRPC(t *testing.T) {
	roundTrip(t, "unix://"+filepath.Join(t.TempDir(), "s.sock"))
}

func TestOtherAddressErrorsAreTTRPCs(t *testing.T) {
	if _, err := NewDialer("vsock://3:x"); !errors.Is(err, ttrpc.ErrBadAddress) {
		t.Errorf("NewDialer: %v; want ErrBadAddress", err)
	}
	if _, err := Listen("bogus://x"); !errors.Is(err, ttrpc.ErrBadAddress) {
		t.Errorf("Listen: %v; want ErrBadAddress", err)
	}
}
