#!/bin/sh
# The server under test for ../shared/bench/run.sh (see its README, "The server under test"):
#   SUT_CMD='scripts/bench-sut.sh {PORT} {ZONE} {ORIGIN} {RUNDIR} {WORKERS}'
# Writes {RUNDIR}/nanodns.json serving the RFC 1035 zone file {ZONE} for {ORIGIN} on
# 127.0.0.1:{PORT} with {WORKERS} UDP workers, no per-query log, no forwarding, no API, and
# execs build/nanodns on it (the PID run.sh starts is the server; SIGTERM stops it).
set -eu
[ $# -eq 5 ] || { echo "usage: $0 PORT ZONE ORIGIN RUNDIR WORKERS" >&2; exit 2; }
port=$1 zone=$2 origin=${3%.} rundir=$4 workers=$5
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${NANODNS_BENCH_BIN:-$here/build/nanodns}
mkdir -p "$rundir"
cat >"$rundir/nanodns.json" <<JSON
{
  "server": {
    "host": "127.0.0.1",
    "port": $port,
    "workers": $workers,
    "log_level": "WARNING",
    "log_queries": false,
    "hot_reload": false,
    "upstream": []
  },
  "zones": {"$origin": {"file": "$zone"}},
  "records": []
}
JSON
exec "$bin" start --config "$rundir/nanodns.json"
