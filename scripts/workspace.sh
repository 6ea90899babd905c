#!/usr/bin/env bash
# Writes go.work at the repository's root: the workspace of every module
# here, for local development (see the comment at its top). Run it after
# adding a module or changing the version of this repository's modules
# that a nested module requires; with -check it changes nothing and fails
# when go.work is not what it would write (CI runs that).
# Usage: ./scripts/workspace.sh [-check]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/modules.sh

tmp=$(mktemp) body=$(mktemp)
trap 'rm -f "$tmp" "$body"' EXIT
RELATIVE=1 write_workspace "$body" $(repo_modules)
{
  cat <<'HEADER'
// The workspace of this repository's modules, for local development,
// written by scripts/workspace.sh: with it, a nested module that requires
// github.com/featherrpc/ttrpc (or another module of this repository) at a
// released version builds against this checkout instead. A user's build
// never sees it. The workspace selects one version of each dependency for
// all modules together; ./test.sh tests each module with the versions its
// own go.mod selects instead, and scripts/check-published.sh builds each
// published module as a user who go-gets it does.
HEADER
  cat "$body"
} >"$tmp"
if [ "${1:-}" = -check ]; then
  if ! git diff --no-index -- go.work "$tmp"; then
    echo "go.work is out of date: run ./scripts/workspace.sh" >&2
    exit 1
  fi
  exit 0
fi
cp "$tmp" go.work
