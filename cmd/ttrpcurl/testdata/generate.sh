#!/usr/bin/env bash
# Regenerates the descriptor sets the tests load, with protoc (apt-get
# install protobuf-compiler), so that the tests need no protoc:
#   echo.protoset  from protos/echo.proto (and its imports);
#   noimports.protoset  from protos/echo.proto alone;
#   ../example/fakeshim/shim.protoset  from containerd's shim API,
#     runtime/task/v2/shim.proto of github.com/containerd/containerd/api
#     at the version below, fetched with go mod download.
# TestProtosetsCurrent checks that echo.protoset matches protos/.
set -euo pipefail
cd "$(dirname "$0")"
containerd_api=github.com/containerd/containerd/api@v1.12.0

protoc -I protos --include_imports --descriptor_set_out=echo.protoset protos/echo.proto
# Without its imports, for the error that names the missing file.
protoc -I protos --descriptor_set_out=noimports.protoset protos/echo.proto

api_dir=$(go mod download -json "$containerd_api" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
protoc -I "$api_dir" --include_imports --include_source_info \
  --descriptor_set_out=../example/fakeshim/shim.protoset runtime/task/v2/shim.proto
