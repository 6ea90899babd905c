#!/usr/bin/env bash
# Runs go mod tidy in modules of this repository (all of them, or the
# directories given). go mod tidy ignores go.work, and a nested module
# requires this repository's modules at their released versions (v0.1.0,
# ...), which may not be published yet or be older than the checkout: so
# each module is tidied through a temporary module file that adds a
# replace directive, to this checkout, for every module of the repository
# that it does not replace itself. The directives are dropped again before
# go.mod and go.sum are written back, and go.sum gets no line for the
# repository's own modules (a user's go command adds those, as it
# downloads them). Alternate module files (go.<label>.mod) are tidied
# too, as they are.
# Usage: ./scripts/tidy.sh [DIR ...]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/modules.sh

# tidy_module DIR MODFILE tidies MODFILE (go.mod or an alternate) of DIR.
tidy_module() {
  local dir=$1 modfile=$2 tmp added="" other path sum
  tmp=$(mktemp -d)
  sum=${modfile%.mod}.sum
  cp "$dir/$modfile" "$tmp/go.mod"
  [ -f "$dir/$sum" ] && cp "$dir/$sum" "$tmp/go.sum"
  for other in $(repo_modules); do
    path=$(module_path "$other")
    if [ "$other" = "$dir" ] || replaced "$tmp/go.mod" | grep -qx "$path"; then
      continue
    fi
    go mod edit -modfile="$tmp/go.mod" -replace="$path=$(cd "$other" && pwd)"
    added="$added $path"
  done
  (cd "$dir" && GOWORK=off go mod tidy -modfile="$tmp/go.mod")
  for path in $added; do
    go mod edit -modfile="$tmp/go.mod" -dropreplace="$path"
  done
  cp "$tmp/go.mod" "$dir/$modfile"
  if [ -f "$tmp/go.sum" ]; then cp "$tmp/go.sum" "$dir/$sum"; fi
  rm -rf "$tmp"
}

dirs="${*:-$(repo_modules)}"
for dir in $dirs; do
  dir=./${dir#./}
  [ "$dir" = "./." ] && dir=.
  echo "=== tidy $dir"
  tidy_module "$dir" go.mod
  for alt in $(cd "$dir" && ls go.*.mod 2>/dev/null); do
    echo "=== tidy $dir $alt"
    tidy_module "$dir" "$alt"
  done
done
