#!/usr/bin/python3
"""Where the latency tail of a run.sh latency phase comes from.

    scripts/bench-stalls.py RESULTS_DIR [RESULTS_DIR ...]

Reads the per-query latencies that dnsperf -v wrote into <server>-lat-*.txt (one line per
answer, in the order the answers arrived) and prints, per server: p50/p99/p99.9, and the
"stall events": runs of answers slower than THRESHOLD (0.5 ms) that are at most GAP (20)
answers apart. At 20,000 qps a pause of the server or of the client for x ms shows up as
one event of about 20x answers whose worst latency is about x ms; a slow code path shows up
as single slow answers spread over the run. How many events there are, how long they last
and how many of the p99.9 answers they hold tells which of the two the tail is.

A second table places every answer at or above p99: inside the two windows where run.sh
samples CPU use (+-50 ms around the end of the warm-up and the start of the tail, where it
forks and execs an awk), inside a pause (5 or more such answers within 20 answers of each
other), or alone. Times are approximated as position / answers x run length. The first table's
last column counts, with one threshold for every server, answers slower than 0.15 ms with no
other such answer within 3 answers: the part of the tail a server's own code path makes.
When a server has several runs (scripts/bench-lat-ab.sh), a last table gives its medians."""

import glob
import os
import re
import sys

THRESHOLD_S = 0.0005
GAP = 20


SAMPLE_WINDOW_S = 0.05
PAUSE_MIN = 5
LONE_S = 0.00015
LONE_GAP = 3


def latencies(path):
    """The answers' latencies in arrival order, and the run length in seconds (or None)."""
    out, secs = [], None
    with open(path) as f:
        for line in f:
            if line.startswith(">"):
                try:
                    out.append(float(line.split()[-1]))
                except ValueError:
                    pass
            else:
                m = re.search(r"Stopping after ([0-9.]+) seconds", line)
                if m:
                    secs = float(m.group(1))
    return out, secs


def p99_places(lat, secs, p99):
    """(in run.sh's sampling windows, in pauses, alone, total) for the answers >= p99."""
    # run.sh samples after warm = min(1, d/5) s and again tail = min(1, d/5) s before the end.
    w = min(1.0, secs * 0.2)
    marks = (w, secs - w)
    slow = [i for i, x in enumerate(lat) if x >= p99]
    slow_set = set(slow)
    sampling = pause = alone = 0
    for i in slow:
        t = i / len(lat) * secs
        if any(abs(t - m) < SAMPLE_WINDOW_S for m in marks):
            sampling += 1
        elif sum(1 for j in range(i - GAP, i + GAP + 1) if j in slow_set) >= PAUSE_MIN:
            pause += 1
        else:
            alone += 1
    return sampling, pause, alone, len(slow)


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


def lone(lat):
    """Answers slower than LONE_S with no other such answer within LONE_GAP answers: what a
    slow code path, rather than a pause, produces. One threshold for every server."""
    n = len(lat)
    return sum(1 for i, x in enumerate(lat) if x > LONE_S and not any(
        lat[j] > LONE_S for j in range(max(0, i - LONE_GAP), min(n, i + LONE_GAP + 1)) if j != i))


def pct(sorted_lat, p):
    return sorted_lat[min(len(sorted_lat) - 1, int(len(sorted_lat) * p))]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print("| run | server | answers | p50 ms | p99 ms | p99.9 ms | stall events | answers in "
          "them | p99.9 answers in events | 3 worst events (answers @ worst ms) | lone answers "
          "> 0.15 ms |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    places = []
    per_server = {}
    for d in sys.argv[1:]:
        for path in sorted(glob.glob(os.path.join(d, "*-lat-*.txt"))):
            lat, secs = latencies(path)
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
            print("| %s | %s | %d | %.3f | %.3f | %.3f | %d | %d | %d of %d | %s | %d |" % (
                os.path.basename(os.path.normpath(d)),
                os.path.basename(path).split("-lat-")[0], len(lat),
                pct(s, 0.5) * 1e3, pct(s, 0.99) * 1e3, p999 * 1e3, len(ev),
                sum(e["n"] for e in ev), held, len(tail),
                ", ".join("%d @ %.1f" % (e["n"], e["max"] * 1e3) for e in worst), lone(lat)))
            per_server.setdefault(os.path.basename(path).split("-lat-")[0], []).append(
                (pct(s, 0.5), pct(s, 0.99), p999))
            if secs:
                places.append((os.path.basename(os.path.normpath(d)),
                               os.path.basename(path).split("-lat-")[0], pct(s, 0.99),
                               p99_places(lat, secs, pct(s, 0.99))))
    if any(len(v) > 1 for v in per_server.values()):
        print()
        print("| server | runs | median p50 ms | median p99 ms | median p99.9 ms | p99 of each run |")
        print("|---|---:|---:|---:|---:|---|")
        for server, runs in sorted(per_server.items()):
            med = [sorted(r[k] for r in runs)[len(runs) // 2] for k in range(3)]
            print("| %s | %d | %.3f | %.3f | %.3f | %s |" % (
                server, len(runs), med[0] * 1e3, med[1] * 1e3, med[2] * 1e3,
                " ".join("%.3f" % (r[1] * 1e3) for r in runs)))
    if places:
        print()
        print("| run | server | p99 ms | answers >= p99 | in run.sh's sampling windows | "
              "in pauses | alone |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for run, server, p99, (sampling, pause, alone, n) in places:
            print("| %s | %s | %.3f | %d | %d (%.0f %%) | %d (%.0f %%) | %d |" % (
                run, server, p99 * 1e3, n, sampling, 100.0 * sampling / n, pause,
                100.0 * pause / n, alone))


if __name__ == "__main__":
    main()
