#!/bin/bash
# What one fork+exec does to the latency of a server, measured the way run.sh's latency
# phase measures it (dnsperf pinned to CPU 0, 20,000 qps, 5 s, per-query latencies):
#
#   scripts/bench-interference.sh PORT OUTDIR [NAME]
#
# With a server already listening on 127.0.0.1:PORT (pinned to CPU 1, as run.sh pins it),
# runs dnsperf once and, 1 s in, execs a short awk pinned to CPU 1 (the server's core);
# 3 s in, the same pinned to CPU 0 (dnsperf's). INTERFERE=0 leaves both out (control run).
# run.sh's own CPU sampling is such an exec, made 1 s and 4 s into its latency run.
# The latencies go to OUTDIR/NAME-lat-x.txt; read them with scripts/bench-stalls.py OUTDIR.
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '2,13p' "$0" >&2; exit 2; }
port=$1 out=$2 name=${3:-server}
here=$(cd "$(dirname "$0")/.." && pwd)
queries=${QUERIES:-$here/../shared/bench/zone/queries-mix.txt}
mkdir -p "$out"
taskset -c 0 dnsperf -s 127.0.0.1 -p "$port" -d "$queries" -l 5 -t 1 -c 8 -q 200 \
  -O suppress=timeouts,congestion,unexpected -Q 20000 -v >"$out/$name-lat-x.txt" 2>&1 &
dp=$!
poke() {  # CPU: one fork+exec of awk reading /proc, as run.sh's snapshot does
  [[ ${INTERFERE:-1} == 0 ]] && return 0
  local x
  x=$(taskset -c "$1" awk '{ l = $0 } END { print l }' /proc/stat "/proc/$dp/stat")
  : "$x"
}
sleep 1; poke 1
sleep 2; poke 0
wait "$dp"
