"""Differential test of the answer algorithm: random zones from zonegen.py (fixed seeds),
served by nanodns and by Knot DNS, asked the same random queries; both must give the same
RCODE, AA and TC flags and the same answer, authority and additional sections (compared as
test_reference.py does: names and RDATA in lower case, RRsets and records in any order).

Run directly to explore more seeds, with NSD as a second opinion where nanodns and Knot
disagree:
    NANODNS_BIN=build/san/nanodns python3 tests/system/test_differential.py 1 200 [queries]
"""

import collections
import sys
from pathlib import Path

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import base_server, running_server  # noqa: E402
from refserver import compared, knotd, nsd  # noqa: E402
import zonegen  # noqa: E402

SEEDS = (2, 8, 19, 64)
QUERIES_PER_SEED = 450


def ask(port, name, rdtype):
    q = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)
    q.flags &= ~dns.flags.RD
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
    except dns.exception.Timeout:
        return {"rcode": "timeout"}
    return {"rcode": dns.rcode.to_text(r.rcode()), **compared(r)}


def diff(a, b):
    """The keys where two normalized answers differ."""
    return [k for k in ("rcode", "aa", "tc", "answer", "authority", "additional")
            if a.get(k) != b.get(k)]


def show(label, r):
    lines = ["  %s: %s aa=%s tc=%s" % (label, r["rcode"], r.get("aa"), r.get("tc"))]
    for sec in ("answer", "authority", "additional"):
        for row in r.get(sec, ()):
            lines.append("    %-10s %s" % (sec, row))
    return "\n".join(lines)


def generate(seeds, nqueries, workdir):
    """Writes one zone file per seed (each in its own folder); returns ({origin: path},
    {origin: zone text}, [(seed, name, type)])."""
    zones, texts, queries = {}, {}, []
    for seed in seeds:
        origin, text, qs = zonegen.generate(seed, nqueries)
        d = Path(workdir) / ("seed%d" % seed)
        d.mkdir(parents=True, exist_ok=True)
        path = d / ("seed%d.zone" % seed)
        path.write_text(text)
        zones[origin] = path
        texts[origin] = text
        queries += [(seed, name, rdtype) for name, rdtype in qs]
    return zones, texts, queries


def compare(ours, ref, queries):
    """[(seed, name, type, ours, ref, keys)] for every query where the answers differ."""
    out = []
    for seed, name, rdtype in queries:
        a, b = ask(ours, name, rdtype), ask(ref, name, rdtype)
        keys = diff(a, b)
        if keys:
            out.append((seed, name, rdtype, a, b, keys))
    return out


def nanodns_config(zones):
    return {"server": base_server(log_queries=False),
            "zones": {origin.rstrip("."): {"file": str(path)} for origin, path in zones.items()}}


def test_same_as_knot(tmp_path):
    zones, texts, queries = generate(SEEDS, QUERIES_PER_SEED, tmp_path / "zones")
    with knotd(tmp_path / "knot", zones) as kport:
        with running_server(nanodns_config(zones), tmp_path) as srv:
            bad = compare(srv.port, kport, queries)
    if not bad:
        return
    # The first differences, at most two of each kind, so that one bug does not hide another.
    report = ["%d of %d queries differ from Knot; the first ones:" % (len(bad), len(queries))]
    kinds = collections.Counter()
    for seed, name, rdtype, a, b, keys in bad:
        kind = (seed, tuple(keys), a["rcode"], b["rcode"])
        kinds[kind] += 1
        if kinds[kind] <= 2 and len(report) < 25:
            report += ["seed %d: %s %s (differ: %s)" % (seed, name, rdtype, ", ".join(keys)),
                       show("nanodns", a), show("knot", b)]
    report.append("(zones: tests/system/zonegen.py; explore: python3 %s FIRST LAST)"
                  % Path(__file__).name)
    pytest.fail("\n".join(report), pytrace=False)


def explore(first, last, nqueries, workdir):
    """Compares nanodns with Knot on seeds first..last, NSD giving a second opinion on each
    difference; prints the differences grouped by which server stands alone."""
    seeds = range(first, last + 1)
    zones, texts, queries = generate(seeds, nqueries, workdir / "zones")
    groups = collections.defaultdict(list)
    with knotd(workdir / "knot", zones) as kport, nsd(workdir / "nsd", zones) as nport:
        with running_server(nanodns_config(zones), workdir) as srv:
            for seed, name, rdtype, a, b, keys in compare(srv.port, kport, queries):
                c = ask(nport, name, rdtype)
                verdict = ("nanodns alone" if not diff(b, c) else
                           "knot alone" if not diff(a, c) else "all differ")
                groups[(verdict, tuple(keys))].append((seed, name, rdtype, a, b, c))
    print("%d zones, %d queries" % (len(seeds), len(queries)))
    for (verdict, keys), cases in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        print("\n=== %s, differ in %s: %d queries" % (verdict, ", ".join(keys), len(cases)))
        for seed, name, rdtype, a, b, c in cases[:3]:
            print("seed %d: %s %s" % (seed, name, rdtype))
            print(show("nanodns", a))
            print(show("knot", b))
            print(show("nsd", c))


if __name__ == "__main__":
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        explore(int(sys.argv[1]), int(sys.argv[2]),
                int(sys.argv[3]) if len(sys.argv) > 3 else 300, Path(tmp))
