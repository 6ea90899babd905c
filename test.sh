#!/usr/bin/env bash
# Runs every test of every module in this repository with the race detector,
# after go vet. A module may also hold alternative module files named
# go.<label>.mod (with go.<label>.sum): its tests run once more with each
# (go test -modfile), as interop/go.v1.2.8.mod runs the interop suite
# against containerd's ttrpc v1.2.8 as well as v1.2.10.
# Usage: ./test.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")"
status=0
for mod in $(find . -name go.mod -not -path './.bin/*' -not -path '*/testdata/*' | sort); do
  dir=$(dirname "$mod")
  echo "=== module $dir"
  if ! (cd "$dir" && go vet ./... && go test -race -count=1 "$@" ./...); then
    status=1
  fi
  for alt in $(cd "$dir" && ls go.*.mod 2>/dev/null); do
    echo "=== module $dir with $alt"
    if ! (cd "$dir" && go vet -modfile="$alt" ./... && go test -race -count=1 -modfile="$alt" "$@" ./...); then
      status=1
    fi
  done
done
exit $status
