#!/usr/bin/env bash
# Regenerates the test protos of protoc-gen-go-ttrpc. For each case it
# records the plugin request protoc makes (../../testdata/CASE.request.pb),
# then replays every recorded request, the hand-written
# ../../testdata/editions.request.txtpb too, to protoc-gen-go (at the version
# in go.mod) and to protoc-gen-go-ttrpc (built from this checkout), writing
# their output here. The golden test compares the plugin's output with these
# files; the round-trip test compiles and runs them.
# Needs protoc and the well-known .proto files
# (apt-get install protobuf-compiler libprotobuf-dev).
set -euo pipefail
cd "$(dirname "$0")"
testdata=../../testdata
module=github.com/featherrpc/ttrpc/cmd/protoc-gen-go-ttrpc/internal/testprotos
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
go build -o "$tmp/protoc-gen-go-ttrpc" github.com/featherrpc/ttrpc/cmd/protoc-gen-go-ttrpc
go build -o "$tmp/pluginreq" github.com/featherrpc/ttrpc/cmd/protoc-gen-go-ttrpc/internal/pluginreq

# record CASE PARAMETERS FILE... saves the request protoc makes for FILEs.
record() {
  local name=$1 params=$2
  shift 2
  PLUGINREQ_OUT="$testdata/$name.request.pb" protoc -I . \
    --plugin=protoc-gen-record="$tmp/pluginreq" --record_out="$params:$tmp" "$@"
}
record unary paths=source_relative unary/unary.proto
record streams "module=$module" streams/streams.proto
record prefix prefix=TTRPC,paths=source_relative prefix/prefix.proto
record multi "paths=source_relative,Mmulti/types/types.proto=$module/multi/types" \
  multi/types/types.proto multi/multi.proto

for req in "$testdata"/*.request.pb "$testdata"/*.request.txtpb; do
  "$tmp/pluginreq" -plugin "$tmp/protoc-gen-go" -drop prefix -out . "$req"
  "$tmp/pluginreq" -plugin "$tmp/protoc-gen-go-ttrpc" -out . "$req"
done
