#!/bin/sh
# `make bench`: the in-process micro-benchmark, start-up and idle memory of the example
# config, then ../shared/bench/run.sh with nanodns as the server under test (Knot DNS, NSD,
# BIND and a no-work UDP reflector beside it), and one table of the targets of issue 6.
#
#   scripts/bench.sh [VAR=value ...]     variables go to run.sh (QUICK=1, SERVERS="knot limit",
#                                        PHASES=..., see the top of ../shared/bench/run.sh)
#
# Needs root for run.sh's CPU cap (cgroups) and for setup.sh, which installs dnsperf, knot, nsd
# and bind9 when they are missing. Writes under .bench-run/ (git ignores it).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bench_dir=${BENCH_DIR:-$here/../shared/bench}
[ -x "$bench_dir/run.sh" ] || { echo "bench: no $bench_dir/run.sh (set BENCH_DIR)" >&2; exit 2; }

for v in "$@"; do export "$v"; done

if ! command -v dnsperf >/dev/null || ! command -v knotd >/dev/null ||
    ! command -v nsd >/dev/null || ! command -v named >/dev/null; then
    echo "bench: installing the benchmark tools ($bench_dir/setup.sh)"
    "$bench_dir/setup.sh"
fi

out=.bench-run/nanodns
mkdir -p "$out"
[ -f .bench-run/.gitignore ] || echo '*' >.bench-run/.gitignore

echo "== in-process micro-benchmark (build/bench/qbench, pinned to the last CPU)"
last_cpu=$(($(nproc) - 1))
taskset -c "$last_cpu" build/bench/qbench bench/internal.lan.zone | tee "$out/qbench.md"

echo "== example config: start to first answer, idle memory"
scripts/bench-startup.py build/nanodns 10 | tee "$out/startup.md"

echo "== ../shared/bench/run.sh with nanodns"
results=${RESULTS:-$here/.bench-run/results/$(date +%Y%m%d-%H%M%S)}
export RESULTS="$results"
SUT_NAME=nanodns \
    SUT_CMD='scripts/bench-sut.sh {PORT} {ZONE} {ORIGIN} {RUNDIR} {WORKERS}' \
    "$bench_dir/run.sh"

echo "== issue 6 targets (one run; ratios within this run)"
/usr/bin/python3 scripts/bench-table.py "$results/summary.json" "$out/qbench.md" \
    "$out/startup.md" | tee "$results/nanodns-targets.md"
echo "bench: results in $results"
