#!/usr/bin/env bash
# Writes pprof CPU and allocation profiles of one library's one-process
# benchmarks into profiles/<lib>/ (not checked in), with a top-25 listing of
# each next to it:
#   unary64     BenchmarkUnary/size=64B       one Echo round trip of 64 B
#   unary1MiB   BenchmarkUnary/size=1MiB      one Echo round trip of 1 MiB
#   callers256  BenchmarkConcurrent/callers=256  256 callers, one connection
#   stream1KiB  BenchmarkStream/size=1KiB     server streaming of 1 KiB
# CPU profiles run at the normal sampling rate; allocation profiles in a
# separate run with -memprofilerate=1, so that every allocation is counted.
# Usage: ./profile.sh [featherrpc|containerd|grpc-go] (default featherrpc).
# Then e.g.: go tool pprof -http=: profiles/featherrpc/unary64.cpu.pprof
set -euo pipefail
cd "$(dirname "$0")"
lib=${1:-featherrpc}
out=profiles/$lib
mkdir -p "$out"
go test -c -o "$out/bench.test" .

profile() { # name, benchmark pattern, benchtime
  local name=$1 pattern=$2 benchtime=$3
  echo "=== $name: $pattern"
  "$out/bench.test" -test.run '^$' -test.bench "$pattern" -test.benchtime "$benchtime" \
    -test.benchmem -test.cpuprofile "$out/$name.cpu.pprof" | grep '^Benchmark'
  "$out/bench.test" -test.run '^$' -test.bench "$pattern" -test.benchtime "$benchtime" \
    -test.benchmem -test.memprofile "$out/$name.mem.pprof" -test.memprofilerate 1 >/dev/null
  go tool pprof -top -nodecount 25 "$out/bench.test" "$out/$name.cpu.pprof" >"$out/$name.cpu.top.txt" 2>/dev/null
  go tool pprof -top -cum -nodecount 40 "$out/bench.test" "$out/$name.cpu.pprof" >"$out/$name.cpu.cum.txt" 2>/dev/null
  for index in alloc_objects alloc_space; do
    go tool pprof -top -nodecount 25 -sample_index "$index" "$out/bench.test" "$out/$name.mem.pprof" \
      >"$out/$name.$index.top.txt" 2>/dev/null
  done
}

profile unary64 "BenchmarkUnary/size=64B/lib=$lib\$" 3s
profile unary1MiB "BenchmarkUnary/size=1MiB/lib=$lib\$" 2s
profile callers256 "BenchmarkConcurrent/callers=256/lib=$lib\$" 3s
profile stream1KiB "BenchmarkStream/size=1KiB/lib=$lib\$" 1000000x
echo "profiles and listings are in $out/"
