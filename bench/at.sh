#!/usr/bin/env bash
# Runs a command of this module against featherrpc at a git commit instead
# of the working tree, so that edits in progress neither break nor blur a
# measurement. The commit is extracted with git archive into a temporary
# directory, which replaces ../ through a temporary go.mod (GOFLAGS=-modfile);
# no file here changes.
# Usage: ./at.sh COMMIT [COMMAND...]   (COMMAND defaults to go run ./cmd/benchall)
#   ./at.sh HEAD
#   ./at.sh HEAD go run ./cmd/benchall -only callers,stream
#   ./at.sh HEAD ./profile.sh
set -euo pipefail
cd "$(dirname "$0")"
if [ $# -lt 1 ]; then
  echo "usage: $0 COMMIT [COMMAND...]" >&2
  exit 2
fi
top=$(git -C .. rev-parse --show-toplevel)
commit=$(git -C "$top" rev-parse --short "$1")
shift
[ $# -gt 0 ] || set -- go run ./cmd/benchall
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tree="$tmp/featherrpc-$commit"
mkdir "$tree"
git -C "$top" archive "$commit" | tar -x -C "$tree"
sed "s#^replace github.com/featherrpc/ttrpc => ../\$#replace github.com/featherrpc/ttrpc => $tree#" go.mod >"$tmp/go.mod"
cp go.sum "$tmp/go.sum"
export GOFLAGS="-modfile=$tmp/go.mod" GOWORK=off # -modfile does not work in a workspace
go mod tidy
"$@"
