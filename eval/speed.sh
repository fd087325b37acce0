#!/usr/bin/env bash
# Times perfgate against benchstat on the same raw files: a 3000-config × 40-iteration suite
# with 7 baseline runs and 1 PR run (change with CONFIGS, ITERS, RUNS). Each of the three
# commands runs REPEAT times (default 5), alternating, so that machine noise hits all alike;
# it prints every run, then the medians of wall time, CPU time (user+sys) and peak RSS, and
# perfgate's ratios to benchstat: the median of the per-round ratios, which drifting load on a
# shared machine disturbs least. Usage: bash eval/speed.sh      CONFIGS=30000 REPEAT=3 bash eval/speed.sh
# HISTORY=30 also times check and update on a store in git that 30 more nightly updates
# committed (check-git, update-git: the nightly update of that store with one more run, which
# learns the memory of noisy configs from the history and records it for the checks).
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIGS=${CONFIGS:-3000} ITERS=${ITERS:-40} RUNS=${RUNS:-7} REPEAT=${REPEAT:-5} HISTORY=${HISTORY:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/perfgate" ./cmd/perfgate
go build -o "$work/benchstat" golang.org/x/perf/cmd/benchstat # the version pinned in go.mod
go run ./eval/speedgen -configs "$CONFIGS" -iters "$ITERS" -runs "$((RUNS + HISTORY))" -out "$work/data"
base=() old=()
for i in $(seq 1 "$RUNS"); do base+=("$work/data/base$i.txt"); old+=("old=$work/data/base$i.txt"); done
have_time=false
command -v /usr/bin/time >/dev/null && have_time=true
measure() { # key command... ; appends "wall-ms kib cpu-ms" to $work/t.key
  local key=$1 t0 t1 rc=0 mem=0 cpu=0
  shift
  t0=$(date +%s%N)
  if $have_time; then
    /usr/bin/time -f "%M %U %S" -o "$work/mem" "$@" >/dev/null 2>"$work/err" || rc=$?
    read -r mem cpu <<<"$(tail -1 "$work/mem" | awk '{printf "%d %d", $1, ($2 + $3) * 1000}')"
  else
    "$@" >/dev/null 2>"$work/err" || rc=$?
  fi
  t1=$(date +%s%N)
  if [ "$rc" -gt 1 ]; then # 1 is a failed gate, which is fine here
    echo "$key failed (exit $rc):"; cat "$work/err"; exit 1
  fi
  echo "$(((t1 - t0) / 1000000)) $mem $cpu" >>"$work/t.$key"
  printf '  %-10s %6d ms wall %6d ms CPU %8s KiB peak RSS\n' "$key" $(((t1 - t0) / 1000000)) "$cpu" "$mem"
}
median() { # file column → median
  cut -d' ' -f"$2" "$1" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}
echo "suite: $CONFIGS configs × $ITERS iterations, $RUNS baseline runs + 1 PR run ($(du -sh "$work/data" | cut -f1) of raw files), $REPEAT alternating rounds"
# The store the checks read; each timed update writes a fresh one.
"$work/perfgate" baseline update --baseline "$work/bl" "${base[@]}" >/dev/null
keys=(update check benchstat)
if [ "$HISTORY" -gt 0 ]; then # a store in git: HISTORY nightly commits before the window's RUNS
  keys+=(check-git update-git)
  mkdir "$work/git"
  git -C "$work/git" init -q -b main
  for i in $(seq 1 "$((RUNS + HISTORY))"); do
    n=$(( (i + RUNS - 1) % (RUNS + HISTORY) + 1 )) # the window's runs are committed last
    "$work/perfgate" baseline update --baseline "$work/git/bl" --run-id "night-$i" --window "$RUNS" "$work/data/base$n.txt" >/dev/null
    git -C "$work/git" add bl && git -C "$work/git" -c user.name=speed -c user.email=speed@example.com commit -q -m "night $i"
  done
fi
for r in $(seq 1 "$REPEAT"); do
  echo "round $r"
  rm -rf "$work/blu"
  measure update "$work/perfgate" baseline update --baseline "$work/blu" "${base[@]}"
  measure check "$work/perfgate" check --baseline "$work/bl" "$work/data/pr.txt"
  measure benchstat "$work/benchstat" "${old[@]}" "new=$work/data/pr.txt"
  if [ "$HISTORY" -gt 0 ]; then
    measure check-git "$work/perfgate" check --baseline "$work/git/bl" "$work/data/pr.txt"
    rm -rf "$work/gitu" && cp -r "$work/git" "$work/gitu"
    measure update-git "$work/perfgate" baseline update --baseline "$work/gitu/bl" --run-id tonight --window "$RUNS" "$work/data/pr.txt"
  fi
done
echo "medians (ratios: median over rounds of perfgate/benchstat in the same round):"
for k in "${keys[@]}"; do
  paste -d' ' "$work/t.$k" "$work/t.benchstat" >"$work/r.$k"
  printf '  %-10s %6s ms wall %6s ms CPU %8s KiB   wall %5s×  CPU %5s×  RSS %5s× benchstat\n' "$k" \
    "$(median "$work/t.$k" 1)" "$(median "$work/t.$k" 3)" "$(median "$work/t.$k" 2)" \
    "$(awk '{printf "%.3f\n", $1 / $4}' "$work/r.$k" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')" \
    "$(awk '{printf "%.3f\n", ($6 > 0 ? $3 / $6 : 0)}' "$work/r.$k" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')" \
    "$(awk '{printf "%.3f\n", ($5 > 0 ? $2 / $5 : 0)}' "$work/r.$k" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')"
done
