#!/bin/sh
# Load time and memory of a large zone file: generates the benchmark zone with N extra A
# records (../shared/bench/zone/gen.py, default N=1000000), starts build/nanodns on it and
# reports the time from start to the first correct answer for the last record, and the
# server's resident and private memory at that point. With KNOT=1 (knotd installed), the
# same for Knot DNS on the same file, for comparison in one run.
#   scripts/zone-load-bench.sh [N]
set -eu
N=${1:-1000000}
HERE=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${BENCH_DIR:-$HERE/../shared/bench}
WORK=${WORK:-$HERE/build/zone-load}
PORT=${PORT:-15410}
PYTHON=/usr/bin/python3

[ -x "$HERE/build/nanodns" ] || make -C "$HERE" -s build/nanodns
mkdir -p "$WORK"
ZONE="$WORK/internal.lan.$N.zone"
if [ ! -f "$ZONE" ]; then
    echo "generating $ZONE"
    "$PYTHON" "$BENCH/zone/gen.py" large "$N" "$WORK" 1 >/dev/null
fi
LAST="h$((N - 1)).internal.lan."

# Starts a server command in the background and prints "<ms> <rss KiB> <private KiB>" once
# it answers the last record.
measure() {
    "$PYTHON" - "$PORT" "$LAST" "$@" <<'EOF'
import socket, struct, subprocess, sys, time
port, last, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
def query(name):
    q = struct.pack("!HHHHHH", 7, 0, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0\0\1\0\1"
t0 = time.monotonic()
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.005)
ok = False
while time.monotonic() - t0 < 300 and p.poll() is None:
    s.sendto(query(last), ("127.0.0.1", port))
    try:
        d = s.recv(4096)
        if struct.unpack("!H", d[6:8])[0] >= 1 and d[3] & 15 == 0:
            ok = True
            break
    except OSError:
        pass
ms = (time.monotonic() - t0) * 1000
rss = priv = 0
if ok:
    for line in open("/proc/%d/smaps_rollup" % p.pid):
        if line.startswith("Rss:"):
            rss = int(line.split()[1])
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            priv += int(line.split()[1])
p.terminate()
p.wait()
print("%.0f %d %d" % (ms, rss, priv) if ok else "failed")
EOF
}

CONF="$WORK/nanodns.json"
printf '{"server": {"log_queries": false, "hot_reload": false},\n "zones": {"internal.lan": {"file": "%s"}}}\n' "$ZONE" >"$CONF"
echo "zone: $N records + the base zone ($(du -h "$ZONE" | cut -f1))"
printf '%-8s %10s %10s %12s\n' server load_ms rss_MiB private_MiB
set -- $(measure "$HERE/build/nanodns" start -c "$CONF" --host 127.0.0.1 --port "$PORT")
[ "$1" = failed ] && { echo "nanodns: no answer"; exit 1; }
printf '%-8s %10s %10s %12s\n' nanodns "$1" "$(($2 / 1024))" "$(($3 / 1024))"

if [ "${KNOT:-0}" = 1 ]; then
    KD="$WORK/knot"
    rm -rf "$KD" && mkdir -p "$KD"
    cat >"$KD/knot.conf" <<EOF
server:
    listen: 127.0.0.1@$PORT
    rundir: $KD
database:
    storage: $KD
template:
  - id: default
    storage: $KD
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: internal.lan
    file: $ZONE
EOF
    set -- $(measure knotd -c "$KD/knot.conf")
    printf '%-8s %10s %10s %12s\n' knot "$1" "$(($2 / 1024))" "$(($3 / 1024))"
fi
