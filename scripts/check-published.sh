#!/usr/bin/env bash
# Builds and tests each published nested module as a user who go-gets it
# does: from a copy of the module alone, outside this repository, with no
# workspace (GOWORK=off) and the repository's modules it requires coming
# from a module proxy instead of this checkout. The proxy is a directory
# (GOPROXY=file://...) to which this script publishes every module of the
# checkout, as it is now, at each version that some module requires of it
# (the root at v0.1.0, say, before v0.1.0 is tagged); every other module
# comes from the module cache or, failing that, the real proxy. A fresh
# module cache keeps the published snapshots from mixing with real
# releases. It fails when a module does not build, vet or pass its tests
# that way (a replace directive that points into the repository, a
# go.sum that lacks an entry), or when go mod tidy would change its go.mod
# or go.sum.
#
# Modules are found by their go.mod files, so a new nested module is
# checked from the start; only the repository's own harnesses, which test
# this checkout and are never published, are left out (internal below).
# With -at COMMIT it checks that commit (extracted with git archive)
# instead of the working tree, which other work in progress may leave
# inconsistent; CI runs on a clean clone, where the two are the same.
# Usage: ./scripts/check-published.sh [-at COMMIT] [DIR ...]   (default: every module)
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
cleanup() {
  chmod -R u+w "$tmp" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
if [ "${1:-}" = -at ]; then
  mkdir "$tmp/src"
  git archive "$2" | tar -x -C "$tmp/src"
  cd "$tmp/src"
  shift 2
fi
. scripts/modules.sh

# internal are the modules that are not published: the benchmarks, the
# interoperability suite and the consumers' suites. They replace the root
# by ../ on purpose.
internal="./bench ./interop ./consumers"

# module_files DIR lists the files of the module at DIR, relative to DIR:
# those git knows or would add (all of them, in a git archive), without
# the nested modules below DIR.
module_files() {
  local dir=$1 other prune=""
  for other in $(repo_modules); do
    case "$other" in "$dir"/*) prune="$prune ${other#"$dir"/}/" ;; esac
    if [ "$dir" = . ] && [ "$other" != . ]; then prune="$prune ${other#./}/"; fi
  done
  (
    cd "$dir"
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
      git ls-files -co --exclude-standard -- .
    else
      find . -type f | sed 's#^\./##'
    fi
  ) | awk -v prune="$prune" '
    BEGIN { n = split(prune, p, " ") }
    { for (i = 1; i <= n; i++) if (index($0, p[i]) == 1) next; print }'
}

proxy="$tmp/proxy"
# The module cache this machine has already filled, as a proxy behind ours.
cache_proxy="file://$(go env GOMODCACHE)/cache/download"

dirs="${*:-$(repo_modules)}"
checked=""
for dir in $dirs; do
  dir=./${dir#./}
  dir=${dir%/}
  case " ./. . $internal " in *" $dir "*) continue ;; esac
  checked="$checked $dir"
done

# Publish every module of the checkout at every version of it that a
# module to check, or one it requires, asks for.
for dir in $checked; do
  for d in $(local_closure "$dir"); do
    requires "$d/go.mod"
  done
done | sort -u | while read -r path version; do
  target=$(module_dir "$path")
  if [ -z "$target" ]; then continue; fi
  echo "=== publish $path@$version (this checkout's $target)"
  module_files "$target" |
    go run scripts/modzip.go -dir "$proxy" -module "$path" -version "$version" -root "$target"
done

status=0
for dir in $checked; do
  echo "=== published $dir"
  start=$(date +%s)
  if replaced "$dir/go.mod" | grep -q '^github.com/featherrpc/ttrpc'; then
    echo "FAIL: $dir/go.mod replaces a module of this repository, which a user's build ignores"
    status=1
    continue
  fi
  copy="$tmp/copy/$(module_path "$dir")"
  mkdir -p "$copy"
  module_files "$dir" | while read -r f; do
    mkdir -p "$copy/$(dirname "$f")"
    cp "$dir/$f" "$copy/$f"
  done
  cp "$copy/go.mod" "$tmp/go.mod.orig"
  touch "$copy/go.sum"
  cp "$copy/go.sum" "$tmp/go.sum.orig"
  if ! (
    cd "$copy" &&
      export GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN=local \
        GOMODCACHE="$tmp/modcache" \
        GOPROXY="file://$proxy,$cache_proxy,https://proxy.golang.org" \
        GONOSUMDB=github.com/featherrpc/ttrpc &&
      go build -o /dev/null ./... &&
      go vet ./... &&
      go test -count=1 ./... &&
      go mod tidy -diff
  ); then
    echo "FAIL: $dir as a user gets it (copy in $copy)"
    status=1
  fi
  # (git diff, not diff: git is on every machine that has a clone)
  if ! git diff --no-index -- "$tmp/go.mod.orig" "$copy/go.mod"; then
    echo "FAIL: building $dir changed its go.mod"
    status=1
  fi
  # The go command added the sums of the modules published here; any
  # other line it added was missing.
  grep -v '^github.com/featherrpc/ttrpc' "$copy/go.sum" >"$tmp/go.sum.other" || true
  if ! git diff --no-index -- "$tmp/go.sum.orig" "$tmp/go.sum.other"; then
    echo "FAIL: $dir/go.sum lacks sums that building it needs (run ./scripts/tidy.sh $dir)"
    status=1
  fi
  echo "--- $dir: $(($(date +%s) - start)) s"
done
exit $status
