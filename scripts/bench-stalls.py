#!/usr/bin/python3
"""Where the latency tail of a run.sh latency phase comes from.

    scripts/bench-stalls.py RESULTS_DIR [RESULTS_DIR ...]

Reads the per-query latencies that dnsperf -v wrote into <server>-lat-*.txt (one line per
answer, in the order the answers arrived) and prints, per server: p50/p99/p99.9, and the
"stall events": runs of answers slower than THRESHOLD (0.5 ms) that are at most GAP (20)
answers apart. At 20,000 qps a pause of the server or of the client for x ms shows up as
one event of about 20x answers whose worst latency is about x ms; a slow code path shows up
as single slow answers spread over the run. How many events there are, how long they last
and how many of the p99.9 answers they hold tells which of the two the tail is."""

import glob
import os
import sys

THRESHOLD_S = 0.0005
GAP = 20


def latencies(path):
    out = []
    with open(path) as f:
        for line in f:
            if line.startswith(">"):
                try:
                    out.append(float(line.split()[-1]))
                except ValueError:
                    pass
    return out


def events(lat):
    ev = []
    for i, x in enumerate(lat):
        if x <= THRESHOLD_S:
            continue
        if ev and i - ev[-1]["last"] <= GAP:
            e = ev[-1]
            e["last"] = i
            e["n"] += 1
            e["max"] = max(e["max"], x)
        else:
            ev.append({"first": i, "last": i, "n": 1, "max": x})
    return ev


def pct(sorted_lat, p):
    return sorted_lat[min(len(sorted_lat) - 1, int(len(sorted_lat) * p))]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print("| run | server | answers | p50 ms | p99 ms | p99.9 ms | stall events | answers in "
          "them | p99.9 answers in events | 3 worst events (answers @ worst ms) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for d in sys.argv[1:]:
        for path in sorted(glob.glob(os.path.join(d, "*-lat-*.txt"))):
            lat = latencies(path)
            if not lat:
                continue
            s = sorted(lat)
            p999 = pct(s, 0.999)
            ev = events(lat)
            in_ev = set()
            for e in ev:
                in_ev.update(range(e["first"], e["last"] + 1))
            tail = [i for i, x in enumerate(lat) if x >= p999]
            held = sum(1 for i in tail if i in in_ev)
            worst = sorted(ev, key=lambda e: -e["max"])[:3]
            print("| %s | %s | %d | %.3f | %.3f | %.3f | %d | %d | %d of %d | %s |" % (
                os.path.basename(os.path.normpath(d)),
                os.path.basename(path).split("-lat-")[0], len(lat),
                pct(s, 0.5) * 1e3, pct(s, 0.99) * 1e3, p999 * 1e3, len(ev),
                sum(e["n"] for e in ev), held, len(tail),
                ", ".join("%d @ %.1f" % (e["n"], e["max"] * 1e3) for e in worst)))


if __name__ == "__main__":
    main()
