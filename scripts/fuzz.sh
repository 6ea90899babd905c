#!/usr/bin/env bash
# Copyright The featherrpc Authors.
# SPDX-License-Identifier: Apache-2.0
#
# Runs every fuzz target of the root package, one after the other, for
# FUZZTIME each (default 20s; any value go test -fuzztime takes, e.g. 60s or
# 10000x). A target that fails leaves its crasher under
# testdata/fuzz/<FuzzName>/, where `go test` then runs it as a regression
# seed: commit it with the fix. Extra go test flags go in FUZZFLAGS (for
# example FUZZFLAGS=-race). Exits non-zero if any target failed.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-20s}
targets=$(go test -list '^Fuzz' . | grep '^Fuzz' || true)
if [ -z "$targets" ]; then
  echo "no fuzz targets found"; exit 1
fi
status=0
for target in $targets; do
  echo "=== fuzz $target for $fuzztime"
  # shellcheck disable=SC2086 # FUZZFLAGS is a list of flags
  if ! go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" ${FUZZFLAGS:-} .; then
    status=1
    echo "--- $target failed; its crasher is under testdata/fuzz/$target/"
  fi
done
exit $status
