# Shell functions about the modules of this repository, for the scripts
# that build, test and tidy them (source it; it runs nothing itself). Every
# function takes paths relative to the repository's root, and expects to be
# called from there.

# repo_modules lists the directory of every module, the root (.) first.
repo_modules() {
  find . -name go.mod -not -path './.bin/*' -not -path '*/testdata/*' -not -path './.git/*' |
    sed 's#/go.mod$##' | sort
}

# module_path DIR prints the module path that DIR/go.mod declares.
module_path() {
  awk '$1 == "module" { print $2; exit }' "$1/go.mod"
}

# requires MODFILE prints "PATH VERSION" for each requirement of MODFILE.
requires() {
  awk '
    $1 == "require" && $2 == "(" { block = 1; next }
    block && $1 == ")" { block = 0; next }
    block && NF >= 2 && $1 !~ /^\/\// { print $1, $2; next }
    $1 == "require" && NF >= 3 { print $2, $3 }
  ' "$1"
}

# replaced MODFILE prints the module path of each replace directive of
# MODFILE.
replaced() {
  awk '
    $1 == "replace" && $2 == "(" { block = 1; next }
    block && $1 == ")" { block = 0; next }
    block && NF >= 3 && $1 !~ /^\/\// { print $1; next }
    $1 == "replace" && NF >= 4 { print $2 }
  ' "$1"
}

# module_dir PATH prints the directory of the repository's module PATH
# (github.com/featherrpc/ttrpc/otel is ./otel), or nothing when PATH is
# not one of them. The table of modules is read once.
module_dir() {
  local dir
  if [ -z "${REPO_MODULE_INDEX:-}" ]; then
    REPO_MODULE_INDEX=$(for dir in $(repo_modules); do echo "$(module_path "$dir") $dir"; done)
  fi
  awk -v path="$1" '$1 == path { print $2 }' <<<"$REPO_MODULE_INDEX"
}

# local_closure DIR lists DIR and the directories of the repository's
# modules it requires, directly or through each other, each once.
local_closure() {
  local todo="$1" seen="" dir path dep
  while [ -n "$todo" ]; do
    set -- $todo
    dir=$1
    shift
    todo="$*"
    case " $seen " in *" $dir "*) continue ;; esac
    seen="$seen $dir"
    echo "$dir"
    for path in $(requires "$dir/go.mod" | awk '{ print $1 }'); do
      dep=$(module_dir "$path")
      if [ -n "$dep" ]; then todo="$todo $dep"; fi
    done
  done
}

# write_workspace FILE DIR... writes FILE, a go.work that uses each DIR
# and the repository's modules it requires (local_closure), as absolute
# paths, with GOWORK=FILE, each DIR builds against this checkout with the
# versions of every other dependency that the go.mod files of the modules
# used select. Each version of a repository module that one of them
# requires (v0.1.0, ...) is also replaced by the module's directory: the go
# command reads the go.mod of a required version even when a workspace
# module provides it, as soon as it loads the whole module graph (an import
# from a dependency), and a version not yet published would fail there.
write_workspace() {
  local file=$1 dir dirs="" path version target
  shift
  # where DIR is, in the file: absolute, or as given with RELATIVE=1 (for
  # a go.work at the repository's root)
  where() { if [ "${RELATIVE:-}" = 1 ]; then echo "$1"; else (cd "$1" && pwd); fi; }
  for dir in "$@"; do
    dirs="$dirs $(local_closure "$dir")"
  done
  dirs=$(printf '%s\n' $dirs | sort -u)
  {
    echo "go $(awk '$1 == "go" { print $2; exit }' go.mod)"
    echo
    echo "use ("
    for dir in $dirs; do
      echo "	$(where "$dir")"
    done
    echo ")"
    echo
    for dir in $dirs; do
      # (a requirement the module replaces itself, as bench does, needs
      # nothing here)
      requires "$dir/go.mod" | awk -v skip="$(replaced "$dir/go.mod")" '
        BEGIN { n = split(skip, s, "\n"); for (i = 1; i <= n; i++) replaced[s[i]] = 1 }
        !($1 in replaced)'
    done | sort -u | while read -r path version; do
      target=$(module_dir "$path")
      if [ -n "$target" ]; then
        echo "replace $path $version => $(where "$target")"
      fi
    done
  } >"$file"
}

# needs_workspace DIR succeeds when DIR is a nested module that requires
# one of the repository's modules without replacing it: it builds against
# this checkout only in a workspace (write_workspace).
needs_workspace() {
  [ "$1" != . ] || return 1
  requires "$1/go.mod" | awk -v skip="$(replaced "$1/go.mod")" '
    BEGIN { n = split(skip, s, "\n"); for (i = 1; i <= n; i++) replaced[s[i]] = 1 }
    $1 ~ /^github\.com\/featherrpc\/ttrpc(\/|$)/ && !($1 in replaced) { found = 1 }
    END { exit !found }'
}
