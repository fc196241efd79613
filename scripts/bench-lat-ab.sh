#!/bin/bash
# run.sh's latency phase without run.sh's CPU sampling, alternating between servers:
#
#   scripts/bench-lat-ab.sh OUTDIR ROUNDS NAME:PORT [NAME:PORT ...]
#
# Each round runs, for every server in turn, dnsperf pinned to CPU 0 at 20,000 qps for 5 s
# with per-query latencies (-v), the settings of run.sh's "lat" phase, but forks nothing
# while dnsperf runs (run.sh forks and execs to sample CPU use 1 s and 4 s in). Start the
# servers first, each pinned to CPU 1 and in its own session as run.sh starts them, e.g.
#   setsid taskset -c 1 scripts/bench-sut.sh 15310 ZONE internal.lan. DIR 2 &
# Writes OUTDIR/NAME-lat-ROUND.txt; read them with scripts/bench-stalls.py OUTDIR.
set -euo pipefail
[[ $# -ge 3 ]] || { sed -n '2,11p' "$0" >&2; exit 2; }
out=$1 rounds=$2; shift 2
here=$(cd "$(dirname "$0")/.." && pwd)
queries=${QUERIES:-$here/../shared/bench/zone/queries-mix.txt}
mkdir -p "$out"
for ((r = 1; r <= rounds; r++)); do
  for s in "$@"; do
    taskset -c 0 dnsperf -s 127.0.0.1 -p "${s#*:}" -d "$queries" -l 5 -t 1 -c 8 -q 200 \
      -O suppress=timeouts,congestion,unexpected -Q 20000 -v >"$out/${s%%:*}-lat-$r.txt" 2>&1
  done
done
