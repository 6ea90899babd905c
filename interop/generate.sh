#!/usr/bin/env bash
# Copyright The featherrpc Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Regenerates the checked-in code of the interop module from proto/:
#   internal/testpb/types.pb.go            protoc-gen-go (messages, shared)
#   internal/theirstubs/service_ttrpc.pb.go containerd's protoc-gen-go-ttrpc
#   internal/ourstubs/service_ttrpc.pb.go   our protoc-gen-go-ttrpc (../cmd)
#   internal/portedstubs/service_ttrpc.pb.go containerd's plugin output with
#       only its import path changed to ours: the drop-in promise, for
#       code generated before the switch
# The same service.proto goes through both ttrpc plugins; an M option maps
# it to a different Go package for each. Every plugin is built from this
# module's go.mod, so its version is the one the tests run against.
#
# Usage: ./generate.sh [--check]   (--check: fail if the files would change)
# Needs protoc; installs it with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v protoc >/dev/null; then
  echo "protoc not found; installing protobuf-compiler" >&2
  apt-get install -y protobuf-compiler || { apt-get update && apt-get install -y protobuf-compiler; }
fi

module=github.com/featherrpc/ttrpc/interop
bin=$(mktemp -d)
out=$(mktemp -d)
trap 'rm -rf "$bin" "$out"' EXIT

# The three builds run at once: linking is most of their time.
go build -o "$bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go &
go build -o "$bin/protoc-gen-theirttrpc" github.com/containerd/ttrpc/cmd/protoc-gen-go-ttrpc &
go build -o "$bin/protoc-gen-ourttrpc" github.com/featherrpc/ttrpc/cmd/protoc-gen-go-ttrpc &
for job in $(jobs -p); do wait "$job"; done

service=featherrpc/interop/v1/service.proto
protoc -I proto \
  --plugin=protoc-gen-go="$bin/protoc-gen-go" \
  --go_out="$out" --go_opt=module=$module \
  featherrpc/interop/v1/types.proto
protoc -I proto \
  --plugin=protoc-gen-theirttrpc="$bin/protoc-gen-theirttrpc" \
  --theirttrpc_out="$out" \
  --theirttrpc_opt=module=$module,M$service=$module/internal/theirstubs\;theirstubs \
  "$service"
protoc -I proto \
  --plugin=protoc-gen-ourttrpc="$bin/protoc-gen-ourttrpc" \
  --ourttrpc_out="$out" \
  --ourttrpc_opt=module=$module,M$service=$module/internal/ourstubs\;ourstubs \
  "$service"

mkdir -p "$out/internal/portedstubs"
sed -e 's#"github.com/containerd/ttrpc"#"github.com/featherrpc/ttrpc"#' \
    -e 's#^package theirstubs$#package portedstubs#' \
    -e '1a\
// Ported: containerd'"'"'s protoc-gen-go-ttrpc output, import path changed by generate.sh.' \
    "$out/internal/theirstubs/service_ttrpc.pb.go" > "$out/internal/portedstubs/service_ttrpc.pb.go"

files=(internal/testpb/types.pb.go internal/theirstubs/service_ttrpc.pb.go
  internal/ourstubs/service_ttrpc.pb.go internal/portedstubs/service_ttrpc.pb.go)
if [ "${1:-}" = "--check" ]; then
  # The version of protoc that protoc-gen-go writes in a comment may differ
  # from machine to machine; nothing else may.
  for f in "${files[@]}"; do
    if ! diff -q -I '^//[[:space:]]*protoc[[:space:]]' "$out/$f" "$f" >/dev/null; then
      echo "$f is out of date: run ./generate.sh" >&2
      exit 1
    fi
  done
  exit 0
fi
for f in "${files[@]}"; do
  mkdir -p "$(dirname "$f")"
  cp "$out/$f" "$f"
done
