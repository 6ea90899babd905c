// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/cmd/protoc-gen-go-ttrpc/internal/testprotos/editions"
	"github.com/featherrpc/ttrpc/cmd/protoc-gen-go-ttrpc/internal/testprotos/multi"
	"github.com/featherrpc/ttrpc/cmd/protoc-gen-go-ttrpc/internal/testprotos/multi/types"
	"github.com/featherrpc/ttrpc/cmd/protoc-gen-go-ttrpc/internal/testprotos/prefix"
	"github.com/featherrpc/ttrpc/cmd/protoc-gen-go-ttrpc/internal/testprotos/streams"
	"github.com/featherrpc/ttrpc/cmd/protoc-gen-go-ttrpc/internal/testprotos/unary"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/internal/leakcheck"
	"github.com/featherrpc/ttrpc/memconn"
	"github.com/featherrpc/ttrpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The round-trip tests run the generated golden code for real: every
// service registered on one server, called by a client over memconn.

// methodLog records the FullMethod of every call and stream the server
// handles, so that tests can check the names on the wire.
type methodLog struct {
	mu      sync.Mutex
	methods []string
}

func (l *methodLog) add(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.methods = append(l.methods, name)
}

func (l *methodLog) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.methods) == 0 {
		return ""
	}
	return l.methods[len(l.methods)-1]
}

// start serves every test service and returns a client connected to it.
// Cleanup closes the client and shuts the server down.
func start(t *testing.T) (*ttrpc.Client, *methodLog) {
	t.Helper()
	log := &methodLog{}
	server, err := ttrpc.NewServer(
		ttrpc.WithUnaryServerInterceptor(func(ctx context.Context, u ttrpc.Unmarshaler, info *ttrpc.UnaryServerInfo, m ttrpc.Method) (interface{}, error) {
			log.add(info.FullMethod)
			return m(ctx, u)
		}),
		ttrpc.WithStreamServerInterceptor(func(ctx context.Context, ss ttrpc.StreamServer, info *ttrpc.StreamServerInfo, h ttrpc.StreamHandler) (interface{}, error) {
			log.add(info.FullMethod)
			return h(ctx, ss)
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	unary.RegisterCounterService(server, &counter{values: make(map[string]int64)})
	streams.RegisterStreamerService(server, streamer{})
	prefix.RegisterTTRPCGreeterService(server, greeter{})
	store := &store{items: make(map[string]*types.Item)}
	multi.RegisterStoreService(server, store)
	multi.RegisterFeedService(server, store)
	multi.RegisterLegacyService(server, legacy{})
	editions.RegisterPingerService(server, pinger{})

	return serveInMemory(t, server), log
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// counter implements unary.CounterService.
type counter struct {
	mu     sync.Mutex
	values map[string]int64
}

func (c *counter) Add(_ context.Context, req *unary.AddRequest) (*unary.CounterValue, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.values[req.Name] += req.Delta
	return &unary.CounterValue{Name: req.Name, Value: c.values[req.Name], Note: req.Note}, nil
}

func (c *counter) GetStatus(context.Context, *unary.StatusRequest) (*unary.Status, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &unary.Status{Counters: int32(len(c.values))}, nil
}

func (c *counter) Reset(_ context.Context, req *unary.ResetRequest) (*unary.CounterValue, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.values[req.Name]; !ok {
		return nil, status.Errorf(codes.NotFound, "no counter %q", req.Name)
	}
	c.values[req.Name] = 0
	return &unary.CounterValue{Name: req.Name}, nil
}

func TestRoundTripUnary(t *testing.T) {
	leakcheck.Check(t)
	client, log := start(t)
	ctx := testContext(t)
	// A service with unary methods only: the client implements the server
	// interface.
	var c unary.CounterService = unary.NewCounterClient(client)

	v, err := c.Add(ctx, &unary.AddRequest{Name: "a", Delta: 2, Note: proto.String("")})
	if err != nil || v.Value != 2 || v.Note == nil || *v.Note != "" {
		t.Errorf("Add = %v, %v; want value 2 with an empty note present", v, err)
	}
	v, err = c.Add(ctx, &unary.AddRequest{Name: "a", Delta: 3})
	if err != nil || v.Value != 5 || v.Note != nil {
		t.Errorf("Add = %v, %v; want value 5 without a note", v, err)
	}

	// get_status is called GetStatus in Go and get_status on the wire.
	st, err := c.GetStatus(ctx, &unary.StatusRequest{})
	if err != nil || st.Counters != 1 {
		t.Errorf("GetStatus = %v, %v; want 1 counter", st, err)
	}
	if got, want := log.last(), "/featherrpc.testprotos.unary.Counter/get_status"; got != want {
		t.Errorf("server saw %q, want %q", got, want)
	}
	raw := &unary.Status{}
	if err := client.Call(ctx, "featherrpc.testprotos.unary.Counter", "get_status", &unary.StatusRequest{}, raw); err != nil || raw.Counters != 1 {
		t.Errorf("raw call of get_status = %v, %v", raw, err)
	}
	err = client.Call(ctx, "featherrpc.testprotos.unary.Counter", "GetStatus", &unary.StatusRequest{}, raw)
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("raw call of GetStatus: %v, want Unimplemented", err)
	}

	if _, err := c.Reset(ctx, &unary.ResetRequest{Name: "b"}); status.Code(err) != codes.NotFound {
		t.Errorf("Reset of a missing counter: %v, want NotFound", err)
	}
	if v, err := c.Reset(ctx, &unary.ResetRequest{Name: "a"}); err != nil || v.Value != 0 {
		t.Errorf("Reset = %v, %v", v, err)
	}
}

// streamer implements streams.StreamerService.
type streamer struct{}

func (streamer) Echo(_ context.Context, m *streams.Message) (*streams.Message, error) {
	return m, nil
}

func (streamer) Count(ctx context.Context, req *streams.CountRequest, stream streams.Streamer_CountServer) error {
	if req.Count < 0 {
		return status.Errorf(codes.InvalidArgument, "negative count %d", req.Count)
	}
	step := int64(1)
	if s, ok := ttrpc.GetMetadataValue(ctx, "step"); ok {
		step, _ = strconv.ParseInt(s, 10, 64)
	}
	for i := int64(1); i <= int64(req.Count); i++ {
		if err := stream.Send(&streams.Number{Value: i * step}); err != nil {
			return err
		}
	}
	return nil
}

func (streamer) Sum(_ context.Context, stream streams.Streamer_SumServer) (*streams.Total, error) {
	total := &streams.Total{}
	for {
		n, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return nil, err
		}
		total.Sum += n.Value
		total.Count++
	}
}

func (streamer) EchoStream(_ context.Context, stream streams.Streamer_EchoStreamServer) error {
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&streams.Message{Text: "echo: " + m.Text}); err != nil {
			return err
		}
	}
}

func TestRoundTripStreamsUnary(t *testing.T) {
	leakcheck.Check(t)
	client, _ := start(t)
	c := streams.NewStreamerClient(client)
	if m, err := c.Echo(testContext(t), &streams.Message{Text: "hi"}); err != nil || m.Text != "hi" {
		t.Errorf("Echo = %v, %v", m, err)
	}
}

func TestRoundTripServerStream(t *testing.T) {
	leakcheck.Check(t)
	client, _ := start(t)
	ctx := testContext(t)
	c := streams.NewStreamerClient(client)

	// The stream carries the context's metadata.
	mdCtx := ttrpc.WithMetadata(ctx, ttrpc.MD{"step": {"10"}})
	stream, err := c.Count(mdCtx, &streams.CountRequest{Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for {
		n, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		got = append(got, n.Value)
	}
	if fmt.Sprint(got) != "[10 20 30]" {
		t.Errorf("Count sent %v, want [10 20 30]", got)
	}

	stream, err = c.Count(ctx, &streams.CountRequest{Count: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.InvalidArgument {
		t.Errorf("Recv of a failed stream: %v, want InvalidArgument", err)
	}
}

func TestRoundTripClientStream(t *testing.T) {
	leakcheck.Check(t)
	client, _ := start(t)
	stream, err := streams.NewStreamerClient(client).Sum(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []int64{1, 2, 39} {
		if err := stream.Send(&streams.Number{Value: v}); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	total, err := stream.CloseAndRecv()
	if err != nil || total.Sum != 42 || total.Count != 3 {
		t.Errorf("CloseAndRecv = %v, %v; want sum 42 of 3", total, err)
	}
}

func TestRoundTripBidiStream(t *testing.T) {
	leakcheck.Check(t)
	client, log := start(t)
	stream, err := streams.NewStreamerClient(client).EchoStream(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"a", "b", ""} {
		if err := stream.Send(&streams.Message{Text: text}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		m, err := stream.Recv()
		if err != nil || m.Text != "echo: "+text {
			t.Errorf("Recv = %v, %v; want echo: %s", m, err, text)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatalf("CloseSend: %v", err)
	}
	if m, err := stream.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("Recv after CloseSend = %v, %v; want io.EOF", m, err)
	}
	// echo_stream is called EchoStream in Go.
	if got, want := log.last(), "/featherrpc.testprotos.streams.Streamer/echo_stream"; got != want {
		t.Errorf("server saw %q, want %q", got, want)
	}
}

// greeter implements prefix.TTRPCGreeterService.
type greeter struct{}

func (greeter) Greet(_ context.Context, h *prefix.Hello) (*prefix.Hello, error) {
	return &prefix.Hello{Name: "hello, " + h.Name}, nil
}

func (greeter) Watch(_ context.Context, h *prefix.Hello, stream prefix.TTRPCGreeter_WatchServer) error {
	for i := range 2 {
		if err := stream.Send(&prefix.Hello{Name: fmt.Sprintf("%s #%d", h.Name, i+1)}); err != nil {
			return err
		}
	}
	return nil
}

func (greeter) Upload(_ context.Context, stream prefix.TTRPCGreeter_UploadServer) (*prefix.Hello, error) {
	n := 0
	for {
		if _, err := stream.Recv(); errors.Is(err, io.EOF) {
			return &prefix.Hello{Name: fmt.Sprint(n)}, nil
		} else if err != nil {
			return nil, err
		}
		n++
	}
}

func (greeter) Chat(_ context.Context, stream prefix.TTRPCGreeter_ChatServer) error {
	for {
		h, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&prefix.Hello{Name: "re: " + h.Name}); err != nil {
			return err
		}
	}
}

func TestRoundTripPrefix(t *testing.T) {
	leakcheck.Check(t)
	client, _ := start(t)
	ctx := testContext(t)
	var c prefix.TTRPCGreeterClient = prefix.NewTTRPCGreeterClient(client)

	if h, err := c.Greet(ctx, &prefix.Hello{Name: "x"}); err != nil || h.Name != "hello, x" {
		t.Errorf("Greet = %v, %v", h, err)
	}

	watch, err := c.Watch(ctx, &prefix.Hello{Name: "w"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for {
		h, err := watch.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		names = append(names, h.Name)
	}
	if fmt.Sprint(names) != "[w #1 w #2]" {
		t.Errorf("Watch sent %q", names)
	}

	upload, err := c.Upload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if err := upload.Send(&prefix.Hello{}); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	if h, err := upload.CloseAndRecv(); err != nil || h.Name != "4" {
		t.Errorf("CloseAndRecv = %v, %v; want 4", h, err)
	}

	chat, err := c.Chat(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := chat.Send(&prefix.Hello{Name: "hi"}); err != nil {
		t.Fatal(err)
	}
	if h, err := chat.Recv(); err != nil || h.Name != "re: hi" {
		t.Errorf("Recv = %v, %v", h, err)
	}
	chat.CloseSend()
	if _, err := chat.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("Recv after CloseSend: %v, want io.EOF", err)
	}
}

// store implements multi.StoreService and multi.FeedService.
type store struct {
	mu    sync.Mutex
	items map[string]*types.Item
}

func (s *store) Put(_ context.Context, item *types.Item) (*emptypb.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items[item.GetName()] = item
	return &emptypb.Empty{}, nil
}

func (s *store) Get(_ context.Context, key *multi.Key) (*types.Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	item, ok := s.items[key.Name]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no item %q", key.Name)
	}
	return item, nil
}

func (s *store) List(_ context.Context, _ *emptypb.Empty, stream multi.Feed_ListServer) error {
	s.mu.Lock()
	items := make([]*types.Item, 0, len(s.items))
	for _, item := range s.items {
		items = append(items, item)
	}
	s.mu.Unlock()
	for _, item := range items {
		if err := stream.Send(item); err != nil {
			return err
		}
	}
	return nil
}

// legacy implements multi.LegacyService.
type legacy struct{}

func (legacy) Ping(_ context.Context, e *emptypb.Empty) (*emptypb.Empty, error) { return e, nil }

func TestRoundTripMulti(t *testing.T) {
	leakcheck.Check(t)
	client, _ := start(t)
	ctx := testContext(t)
	storeClient := multi.NewStoreClient(client)
	feedClient := multi.NewFeedClient(client)

	if _, err := storeClient.Put(ctx, &types.Item{Name: proto.String("a"), Size: proto.Int32(3)}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	item, err := storeClient.Get(ctx, &multi.Key{Name: "a"})
	if err != nil || item.GetSize() != 3 {
		t.Errorf("Get = %v, %v", item, err)
	}
	if _, err := storeClient.Get(ctx, &multi.Key{Name: "b"}); status.Code(err) != codes.NotFound {
		t.Errorf("Get of a missing item: %v, want NotFound", err)
	}
	// A proto2 message without its required field does not marshal: the
	// call fails on the client, before anything is sent.
	if _, err := storeClient.Put(ctx, &types.Item{}); err == nil {
		t.Error("Put of an item without its required name succeeded")
	}

	list, err := feedClient.List(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if item, err := list.Recv(); err != nil || item.GetName() != "a" {
		t.Errorf("List sent %v, %v", item, err)
	}
	if _, err := list.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("List did not end: %v", err)
	}

	if _, err := multi.NewLegacyClient(client).Ping(ctx, &emptypb.Empty{}); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// pinger implements editions.PingerService.
type pinger struct{}

func (pinger) Ping(_ context.Context, p *editions.Ping) (*editions.Ping, error) {
	return &editions.Ping{Seq: proto.Int64(p.GetSeq() + 1), Note: p.Note}, nil
}

func (pinger) PingStream(_ context.Context, stream editions.Pinger_PingStreamServer) error {
	for {
		p, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&editions.Ping{Seq: proto.Int64(p.GetSeq() + 1)}); err != nil {
			return err
		}
	}
}

func TestRoundTripEditions(t *testing.T) {
	leakcheck.Check(t)
	client, log := start(t)
	ctx := testContext(t)
	c := editions.NewPingerClient(client)

	p, err := c.Ping(ctx, &editions.Ping{Seq: proto.Int64(1), Note: "n"})
	if err != nil || p.GetSeq() != 2 || p.Note != "n" {
		t.Errorf("Ping = %v, %v", p, err)
	}
	// Seq has explicit presence (the edition 2023 default).
	if p, err := c.Ping(ctx, &editions.Ping{}); err != nil || p.Seq == nil {
		t.Errorf("Ping = %v, %v; want seq present", p, err)
	}

	stream, err := c.PingStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&editions.Ping{Seq: proto.Int64(41)}); err != nil {
		t.Fatal(err)
	}
	if p, err := stream.Recv(); err != nil || p.GetSeq() != 42 {
		t.Errorf("Recv = %v, %v", p, err)
	}
	if got, want := log.last(), "/featherrpc.testprotos.editions.Pinger/ping_stream"; got != want {
		t.Errorf("server saw %q, want %q", got, want)
	}
	stream.CloseSend()
	if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
		t.Errorf("Recv after CloseSend: %v, want io.EOF", err)
	}
}

// serveInMemory serves server over memconn and returns a client of it;
// the client closes and the server shuts down when the test ends.
func serveInMemory(t *testing.T, server *ttrpc.Server) *ttrpc.Client {
	t.Helper()
	l := memconn.Listen()
	served := make(chan error, 1)
	go func() { served <- server.Serve(context.Background(), l) }() // ends when Shutdown below closes l
	conn, err := l.Dial()
	if err != nil {
		t.Fatal(err)
	}
	client := ttrpc.NewClient(conn)
	t.Cleanup(func() {
		client.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := server.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, ttrpc.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return client
}
