#!/usr/bin/env bash
# Regenerates all checked-in generated code and fails if that changes
# anything, i.e. if some generated file is stale or was edited by hand:
#   - the core's envelopes (request.proto, status.proto):  ./generate.sh
#   - the example service:                                ./example/generate.sh
#   - the test protos and recorded requests of the plugin:
#       ./cmd/protoc-gen-go-ttrpc/internal/testprotos/generate.sh
#   - the interop module's stubs (ours and containerd's): ./interop/generate.sh
#   - the benchmark module's messages: ./bench/generate.sh
#   - ttrpcurl's descriptor sets (its tests' and containerd's shim API):
#       ./cmd/ttrpcurl/testdata/generate.sh
# On a fresh Debian machine it installs protoc and the well-known .proto
# files with apt-get (as root, or through sudo); protoc-gen-go is built at the
# version in go.mod. The checked-in code was made with Debian bookworm's
# protoc 3.21.12, whose version the generated files record.
# Run it on a clean tree or on uncommitted work: it compares the tree before
# and after regenerating, so only changes that regeneration makes count.
set -euo pipefail
cd "$(dirname "$0")/.."

# protoc_ready tells whether protoc runs and finds the well-known types.
protoc_ready() {
  command -v protoc >/dev/null || return 1
  local probe
  probe=$(mktemp -d)
  printf 'syntax = "proto3";\nimport "google/protobuf/empty.proto";\n' >"$probe/probe.proto"
  local ok=0
  protoc -I "$probe" --descriptor_set_out=/dev/null "$probe/probe.proto" 2>/dev/null || ok=1
  rm -rf "$probe"
  return $ok
}

if ! protoc_ready; then
  echo "installing protoc (protobuf-compiler, libprotobuf-dev)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq protobuf-compiler libprotobuf-dev >/dev/null
fi
version=$(protoc --version)
echo "using $version"
if [ "$version" != "libprotoc 3.21.12" ]; then
  echo "note: the checked-in code was generated with protoc 3.21.12; another version changes the version lines it records"
fi

# fingerprint digests everything git sees as changed: the diff of tracked
# files against HEAD and the contents of untracked files.
fingerprint() {
  {
    git diff HEAD --binary
    git ls-files --others --exclude-standard -z | xargs -0 -r sha256sum
  } | sha256sum
}

before=$(fingerprint)
./generate.sh
./example/generate.sh
./cmd/protoc-gen-go-ttrpc/internal/testprotos/generate.sh
./interop/generate.sh
./bench/generate.sh
./cmd/ttrpcurl/testdata/generate.sh
if [ "$(fingerprint)" != "$before" ]; then
  echo "FAIL: regenerating changed the checked-in code; run scripts/check-generated.sh and commit the result:"
  git status --short
  git diff --stat
  exit 1
fi
echo "generated code is up to date"
