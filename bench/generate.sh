#!/usr/bin/env bash
# Regenerates the checked-in protobuf code of the benchmark module.
# Needs protoc (apt-get install protobuf-compiler); installs protoc-gen-go at
# the version of google.golang.org/protobuf in go.mod into .bin/.
set -euo pipefail
cd "$(dirname "$0")"
version=$(go list -m -f '{{.Version}}' google.golang.org/protobuf)
GOBIN="$PWD/.bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@${version}"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/github.com/featherrpc/ttrpc"
ln -s "$PWD" "$root/github.com/featherrpc/ttrpc/bench"
PATH="$PWD/.bin:$PATH" protoc -I "$root" \
  --go_out=. --go_opt=module=github.com/featherrpc/ttrpc/bench \
  github.com/featherrpc/ttrpc/bench/internal/benchpb/bench.proto
