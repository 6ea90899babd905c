#!/usr/bin/env bash
# Regenerates the example's Go code (greeter/greeter.pb.go and
# greeter/greeter_ttrpc.pb.go) from greeter/greeter.proto, with
# protoc-gen-go at the version in go.mod and protoc-gen-go-ttrpc built from
# this checkout. Needs protoc (apt-get install protobuf-compiler).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
go build -o "$tmp/protoc-gen-go-ttrpc" github.com/featherrpc/ttrpc/cmd/protoc-gen-go-ttrpc
PATH="$tmp:$PATH" protoc -I . \
  --go_out=. --go_opt=paths=source_relative \
  --go-ttrpc_out=. --go-ttrpc_opt=paths=source_relative \
  greeter/greeter.proto
