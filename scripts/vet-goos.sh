#!/usr/bin/env bash
# Checks that every module of this repository, tests included, compiles for
# each operating system containerd supports: go vet ./... per GOOS/GOARCH.
# CI runs the tests on Linux only; this keeps the other targets building.
# Cross-compiling for vet needs no C toolchain: cgo is off for every target
# but the machine's own.
# Usage: ./scripts/vet-goos.sh [GOOS/GOARCH ...]
# With no arguments it checks linux/amd64, darwin/amd64, darwin/arm64,
# windows/amd64 and freebsd/amd64. CI names darwin/amd64, windows/amd64
# and freebsd/amd64 only: ./test.sh has just vetted Linux, and no file here
# depends on the architecture.
set -euo pipefail
cd "$(dirname "$0")/.."

targets="${*:-linux/amd64 darwin/amd64 darwin/arm64 windows/amd64 freebsd/amd64}"
host="$(go env GOHOSTOS)/$(go env GOHOSTARCH)"
status=0
for mod in $(find . -name go.mod -not -path './.bin/*' -not -path '*/testdata/*' | sort); do
  dir=$(dirname "$mod")
  for target in $targets; do
    goos=${target%/*} goarch=${target#*/}
    cgo=0
    if [ "$target" = "$host" ]; then
      cgo=$(go env CGO_ENABLED)
    fi
    echo "=== vet $target $dir"
    if ! (cd "$dir" && GOOS=$goos GOARCH=$goarch CGO_ENABLED=$cgo go vet ./...); then
      echo "FAIL: vet $target $dir"
      status=1
    fi
  done
done
exit $status
