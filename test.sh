#!/usr/bin/env bash
# Runs every test of every module in this repository with the race detector,
# after go vet. Each module is tested with the versions of its dependencies
# that its own go.mod selects: the root with GOWORK=off; a nested module
# that requires this repository's modules at their released versions in a
# workspace of just itself and those modules of this checkout (see
# write_workspace in scripts/modules.sh), not in the root's go.work, which
# unifies versions across all modules; a module that replaces the root
# itself (bench, interop) or requires none of ours with GOWORK=off. A
# module may also hold alternative module files named go.<label>.mod (with
# go.<label>.sum): its tests run once more with each (go test -modfile,
# GOWORK=off, so the file must find this checkout by a replace directive
# of its own), as interop/go.v1.2.8.mod runs the interop suite against
# containerd's ttrpc v1.2.8 as well as v1.2.10.
# Usage: ./test.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")"
. scripts/modules.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for dir in $(repo_modules); do
  work=off
  if needs_workspace "$dir"; then
    work="$tmp/$(echo "$dir" | tr -c 'a-zA-Z0-9\n' _).work"
    write_workspace "$work" "$dir"
  fi
  echo "=== module $dir"
  if ! (cd "$dir" && export GOWORK=$work && go vet ./... && go test -race -count=1 "$@" ./...); then
    status=1
  fi
  for alt in $(cd "$dir" && ls go.*.mod 2>/dev/null); do
    echo "=== module $dir with $alt"
    if ! (cd "$dir" && export GOWORK=off && go vet -modfile="$alt" ./... && go test -race -count=1 -modfile="$alt" "$@" ./...); then
      status=1
    fi
  done
done
exit $status
