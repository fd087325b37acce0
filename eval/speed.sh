#!/usr/bin/env bash
# Times perfgate against benchstat on the same raw files: a 3000-config × 40-iteration suite
# with 7 baseline runs and 1 PR run (change with CONFIGS, ITERS, RUNS). Prints wall time and
# peak memory of each step. Usage: bash eval/speed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIGS=${CONFIGS:-3000} ITERS=${ITERS:-40} RUNS=${RUNS:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/perfgate" ./cmd/perfgate
go build -o "$work/benchstat" golang.org/x/perf/cmd/benchstat
go run ./eval/speedgen -configs "$CONFIGS" -iters "$ITERS" -runs "$RUNS" -out "$work/data"
base=() old=()
for i in $(seq 1 "$RUNS"); do base+=("$work/data/base$i.txt"); old+=("old=$work/data/base$i.txt"); done
measure() { # label command...
  local label=$1 t0 t1 rc=0
  shift
  t0=$(date +%s%N)
  if command -v /usr/bin/time >/dev/null; then
    /usr/bin/time -f "%M" -o "$work/mem" "$@" >/dev/null 2>"$work/err" || rc=$?
  else
    "$@" >/dev/null 2>"$work/err" || rc=$?; echo "?" >"$work/mem"
  fi
  t1=$(date +%s%N)
  if [ "$rc" -gt 1 ]; then # 1 is a failed gate, which is fine here
    echo "$label failed (exit $rc):"; cat "$work/err"; exit 1
  fi
  printf '%-30s %4d.%02d s  %8s KiB peak RSS\n' "$label" $(((t1 - t0) / 1000000000)) $(((t1 - t0) / 10000000 % 100)) "$(tail -1 "$work/mem")"
}
echo "suite: $CONFIGS configs × $ITERS iterations, $RUNS baseline runs + 1 PR run ($(du -sh "$work/data" | cut -f1) of raw files)"
measure "perfgate baseline update" "$work/perfgate" baseline update --baseline "$work/bl" "${base[@]}"
measure "perfgate check" "$work/perfgate" check --baseline "$work/bl" "$work/data/pr.txt"
measure "benchstat old=… new=pr" "$work/benchstat" "${old[@]}" "new=$work/data/pr.txt"
