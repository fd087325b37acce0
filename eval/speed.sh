#!/usr/bin/env bash
# Times perfgate against benchstat on the same raw files: a 3000-config × 40-iteration suite
# with 7 baseline runs and 1 PR run (change with CONFIGS, ITERS, RUNS). Each of the three
# commands runs REPEAT times (default 5), alternating, so that machine noise hits all alike;
# it prints every run, then the medians of wall time and peak RSS and perfgate's ratios to
# benchstat. Usage: bash eval/speed.sh      CONFIGS=30000 REPEAT=3 bash eval/speed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIGS=${CONFIGS:-3000} ITERS=${ITERS:-40} RUNS=${RUNS:-7} REPEAT=${REPEAT:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/perfgate" ./cmd/perfgate
go build -o "$work/benchstat" golang.org/x/perf/cmd/benchstat # the version pinned in go.mod
go run ./eval/speedgen -configs "$CONFIGS" -iters "$ITERS" -runs "$RUNS" -out "$work/data"
base=() old=()
for i in $(seq 1 "$RUNS"); do base+=("$work/data/base$i.txt"); old+=("old=$work/data/base$i.txt"); done
have_time=false
command -v /usr/bin/time >/dev/null && have_time=true
measure() { # key command... ; appends "ms kib" to $work/t.key
  local key=$1 t0 t1 rc=0 mem=0
  shift
  t0=$(date +%s%N)
  if $have_time; then
    /usr/bin/time -f "%M" -o "$work/mem" "$@" >/dev/null 2>"$work/err" || rc=$?
    mem=$(tail -1 "$work/mem")
  else
    "$@" >/dev/null 2>"$work/err" || rc=$?
  fi
  t1=$(date +%s%N)
  if [ "$rc" -gt 1 ]; then # 1 is a failed gate, which is fine here
    echo "$key failed (exit $rc):"; cat "$work/err"; exit 1
  fi
  echo "$(((t1 - t0) / 1000000)) $mem" >>"$work/t.$key"
  printf '  %-10s %6d ms %8s KiB peak RSS\n' "$key" $(((t1 - t0) / 1000000)) "$mem"
}
median() { # file column → median
  cut -d' ' -f"$2" "$1" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}
echo "suite: $CONFIGS configs × $ITERS iterations, $RUNS baseline runs + 1 PR run ($(du -sh "$work/data" | cut -f1) of raw files), $REPEAT alternating rounds"
# The store the checks read; each timed update writes a fresh one.
"$work/perfgate" baseline update --baseline "$work/bl" "${base[@]}" >/dev/null
for r in $(seq 1 "$REPEAT"); do
  echo "round $r"
  rm -rf "$work/blu"
  measure update "$work/perfgate" baseline update --baseline "$work/blu" "${base[@]}"
  measure check "$work/perfgate" check --baseline "$work/bl" "$work/data/pr.txt"
  measure benchstat "$work/benchstat" "${old[@]}" "new=$work/data/pr.txt"
done
bs_ms=$(median "$work/t.benchstat" 1) bs_kib=$(median "$work/t.benchstat" 2)
echo "medians:"
for k in update check benchstat; do
  ms=$(median "$work/t.$k" 1) kib=$(median "$work/t.$k" 2)
  printf '  %-10s %8s ms  %8s KiB   time %5s× benchstat   RSS %5s× benchstat\n' "$k" "$ms" "$kib" \
    "$(awk -v a="$ms" -v b="$bs_ms" 'BEGIN {printf "%.2f", a/b}')" \
    "$(awk -v a="$kib" -v b="$bs_kib" 'BEGIN {if (b > 0) printf "%.2f", a/b; else print "?"}')"
done
