// Copyright The featherrpc Authors.
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/featherrpc/ttrpc"
	"github.com/featherrpc/ttrpc/codes"
	"github.com/featherrpc/ttrpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// protoset is containerd's shim.proto and its imports, compiled.
//
//go:embed shim.protoset
var protoset []byte

// The made-up container the shim runs.
const (
	containerID = "web"
	taskPID     = 4242
	shimPID     = 4200
)

// taskService is containerd.task.v2.Task on dynamic messages.
type taskService struct {
	files *protoregistry.Files
}

func newTaskService() (*taskService, error) {
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(protoset, &set); err != nil {
		return nil, err
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, err
	}
	return &taskService{files: files}, nil
}

// message returns a new empty message of the named type of the shim API.
func (s *taskService) message(name string) *dynamicpb.Message {
	d, err := s.files.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		panic(fmt.Sprintf("shim.protoset has no %s: %v", name, err)) // the embedded set is fixed
	}
	return dynamicpb.NewMessage(d.(protoreflect.MessageDescriptor))
}

func (s *taskService) desc() *ttrpc.ServiceDesc {
	return &ttrpc.ServiceDesc{Methods: map[string]ttrpc.Method{
		"State":   s.state,
		"Connect": s.connect,
	}}
}

// state answers the state of the container, NotFound for any other id.
func (s *taskService) state(ctx context.Context, unmarshal func(any) error) (any, error) {
	req := s.message("containerd.task.v2.StateRequest")
	if err := unmarshal(req); err != nil {
		return nil, err
	}
	id := get(req, "id").String()
	if id != containerID {
		return nil, status.Errorf(codes.NotFound, "container %q: not found", id)
	}
	resp := s.message("containerd.task.v2.StateResponse")
	bundle := "/run/containerd/io.containerd.runtime.v2.task/default/" + id
	set(resp, "id", protoreflect.ValueOfString(id))
	set(resp, "bundle", protoreflect.ValueOfString(bundle))
	set(resp, "pid", protoreflect.ValueOfUint32(taskPID))
	set(resp, "status", protoreflect.ValueOfEnum(2)) // RUNNING
	set(resp, "stdout", protoreflect.ValueOfString("/run/containerd/fifo/"+id+"-stdout"))
	set(resp, "stderr", protoreflect.ValueOfString("/run/containerd/fifo/"+id+"-stderr"))
	// A running task has not exited: containerd's shims send Go's zero time.
	exited := s.message("google.protobuf.Timestamp")
	set(exited, "seconds", protoreflect.ValueOfInt64(time.Time{}.Unix()))
	set(resp, "exited_at", protoreflect.ValueOfMessage(exited))
	return resp, nil
}

// connect answers the shim's and the task's pids.
func (s *taskService) connect(ctx context.Context, unmarshal func(any) error) (any, error) {
	req := s.message("containerd.task.v2.ConnectRequest")
	if err := unmarshal(req); err != nil {
		return nil, err
	}
	resp := s.message("containerd.task.v2.ConnectResponse")
	set(resp, "shim_pid", protoreflect.ValueOfUint32(shimPID))
	set(resp, "task_pid", protoreflect.ValueOfUint32(taskPID))
	set(resp, "version", protoreflect.ValueOfString("2"))
	return resp, nil
}

func get(m *dynamicpb.Message, field string) protoreflect.Value {
	return m.Get(m.Descriptor().Fields().ByName(protoreflect.Name(field)))
}

func set(m *dynamicpb.Message, field string, v protoreflect.Value) {
	m.Set(m.Descriptor().Fields().ByName(protoreflect.Name(field)), v)
}
