#!/usr/bin/python3
"""The table of issue 6's targets from one `make bench` run.

    scripts/bench-table.py SUMMARY_JSON QBENCH_MD STARTUP_MD

SUMMARY_JSON is run.sh's summary.json (nanodns as "nanodns", Knot DNS as "knot", the no-work
reflector as "limit"); QBENCH_MD and STARTUP_MD are the outputs of build/bench/qbench and
scripts/bench-startup.py. Every comparison is within the one run.
"""
import json
import re
import sys


def get(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or d.get(k) is None:
            return None
        d = d[k]
    return d


def fmt(v, unit="", digits=0):
    if v is None:
        return "n/a"
    return ("{:,.%df}" % digits).format(v) + unit


def verdict(ok):
    return "n/a" if ok is None else ("met" if ok else "NOT met")


def main():
    summary = json.load(open(sys.argv[1]))
    qbench = open(sys.argv[2]).read()
    startup = open(sys.argv[3]).read()
    sv = summary.get("servers", {})
    nd, kn, lim = sv.get("nanodns", {}), sv.get("knot", {}), sv.get("limit", {})
    rows = []

    # 1. qps with the server held to half a core (x2 = per core)
    n_cap, k_cap = get(nd, "phases", "cap", "qps_per_core"), get(kn, "phases", "cap", "qps_per_core")
    l_cap = get(lim, "phases", "cap", "qps_per_core")
    r_k = n_cap / k_cap if n_cap and k_cap else None
    r_l = n_cap / l_cap if n_cap and l_cap else None
    rows.append(("capped qps per core vs Knot", "%s vs %s: %sx" % (fmt(n_cap), fmt(k_cap), fmt(r_k, "", 2)),
                 ">= 1.2x", verdict(None if r_k is None else r_k >= 1.2)))
    rows.append(("capped qps per core vs reflector", "%s vs %s: %s%%" % (fmt(n_cap), fmt(l_cap), fmt(r_l and r_l * 100, "", 0)),
                 ">= 90%", verdict(None if r_l is None else r_l >= 0.9)))
    n_cpu, k_cpu = get(nd, "phases", "cap", "cpu_us_per_query"), get(kn, "phases", "cap", "cpu_us_per_query")
    rows.append(("CPU us per query (capped), user+sys", "%s vs Knot %s" % (fmt(n_cpu, "", 2), fmt(k_cpu, "", 2)),
                 "", ""))

    # 2. full core
    n_mix, k_mix = get(nd, "phases", "mix", "qps"), get(kn, "phases", "mix", "qps")
    lost = get(nd, "phases", "mix", "lost_total")
    ok = None if n_mix is None or k_mix is None else (n_mix >= k_mix and lost == 0)
    rows.append(("full core qps (mix), lost", "%s vs Knot %s, lost %s" % (fmt(n_mix), fmt(k_mix), lost),
                 ">= Knot, 0 lost", verdict(ok)))

    # 3. latency at 20k qps
    lat = []
    ok = True
    for k in ("p50_ms", "p99_ms", "p999_ms"):
        a, b = get(nd, "phases", "lat", k), get(kn, "phases", "lat", k)
        lat.append("%s %s/%s" % (k[:-3], fmt(a, "", 3), fmt(b, "", 3)))
        ok = None if a is None or b is None or ok is None else ok and a <= b
    rows.append(("latency at 20k qps, ms (nanodns/Knot)", ", ".join(lat), "<= Knot", verdict(ok)))

    # 4. 1M-record zone
    nz, kz = get(nd, "large_zones", "1000000"), get(kn, "large_zones", "1000000")
    nl, kl = get(nz, "load_ms"), get(kz, "load_ms")
    nr, kr = get(nz, "rss_kib"), get(kz, "rss_kib")
    rows.append(("1M-record zone load time", "%s vs Knot %s" % (fmt(nl, " ms"), fmt(kl, " ms")),
                 "<= Knot", verdict(None if nl is None or kl is None else nl <= kl)))
    rows.append(("1M-record zone RSS", "%s vs Knot %s" % (fmt(nr and nr / 1024, " MiB"), fmt(kr and kr / 1024, " MiB")),
                 "<= Knot", verdict(None if nr is None or kr is None else nr <= kr)))

    # 5. in-process A hit
    m = re.search(r"^\| A hit \(www, 2 A\) \| (\d+) \|", qbench, re.M)
    ns = int(m.group(1)) if m else None
    rows.append(("in-process A hit, median", fmt(ns, " ns"), "<= 250 ns",
                 verdict(None if ns is None else ns <= 250)))

    # 6. example config
    js = re.search(r"^json: (.*)$", startup, re.M)
    st = json.loads(js.group(1)) if js else {}
    py = st.get("start_python_ms")
    rows.append(("example config: start to first answer (C probe)",
                 fmt(st.get("start_ms"), " ms", 2) + ("" if py is None else
                                                    " (a Python probe: %.2f ms)" % py),
                 "<= 5 ms",
                 verdict(None if st.get("start_ms") is None else st["start_ms"] <= 5)))
    priv = st.get("private_kib")
    rows.append(("example config: idle private memory (USS)", fmt(priv and priv / 1024, " MB", 2),
                 "<= 1.5 MB", verdict(None if priv is None else priv <= 1.5 * 1024)))
    anon = st.get("private_dirty_kib")
    if anon is not None:
        rows.append(("example config: idle private dirty (anonymous)", fmt(anon / 1024, " MB", 2), "", ""))

    print("| target | this run | goal | |")
    print("|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %s | %s |" % r)
    noise = summary.get("noise", {})
    print("\nnoisy runs: %s, steal median %s%%, rcvbuf errors %s" % (
        noise.get("noisy_runs"), noise.get("steal_pct_median"), noise.get("rcvbuf_errors_total")))


if __name__ == "__main__":
    main()
