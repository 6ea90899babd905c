#!/usr/bin/env bash
# Runs every test of every module in this repository with the race detector,
# after go vet. Usage: ./test.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")"
status=0
for mod in $(find . -name go.mod -not -path './.bin/*' -not -path '*/testdata/*' | sort); do
  dir=$(dirname "$mod")
  echo "=== module $dir"
  if ! (cd "$dir" && go vet ./... && go test -race -count=1 "$@" ./...); then
    status=1
  fi
done
exit $status
