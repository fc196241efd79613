"""GET /metrics (issue 5, contract section 5): the NanoDNS JSON body with our counters, and
the Prometheus text format (0.0.4) when asked for, checked with `promtool check metrics` and
parsed with prometheus_client; the counters must move with the traffic we send.
"""

import re
import shutil
import subprocess

import dns.rcode
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import run_cli
from fakeupstream import FakeUpstream
from mgmthelp import (NAME, assert_json, checksum, free_tcp_port, node_config,
                      nodes)  # noqa: F401 (nodes: a fixture)

PROM_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
               "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")

FAMILIES = {
    # name as exposed (counters keep _total): (type, label names every sample has)
    "nanodns_queries_total": ("counter", {"transport", "type"}),
    "nanodns_responses_total": ("counter", {"transport", "rcode"}),
    "nanodns_query_duration_seconds": ("histogram", {"transport"}),
    "nanodns_cache_hits_total": ("counter", set()),
    "nanodns_cache_misses_total": ("counter", set()),
    "nanodns_cache_evictions_total": ("counter", set()),
    "nanodns_cache_entries": ("gauge", set()),
    "nanodns_upstream_queries_total": ("counter", set()),
    "nanodns_upstream_failures_total": ("counter", set()),
    "nanodns_upstream_duration_seconds": ("histogram", set()),
    "nanodns_reloads_total": ("counter", {"result"}),
    "nanodns_config_version": ("gauge", set()),
    "nanodns_sync_total": ("counter", {"direction", "result"}),
    "nanodns_uptime_seconds": ("gauge", set()),
    "nanodns_build_info": ("gauge", {"version"}),
}


@pytest.fixture
def up():
    with FakeUpstream() as f:
        f.answer("fwd.example.test", "A", ["192.0.2.7"], ttl=300)
        yield f


@pytest.fixture
def node(nodes, up):
    return nodes(node_config(free_tcp_port(), upstream=[up.addr], cache_size=500))


# ---- helpers -------------------------------------------------------------------------------------

def prom_text(node, **kw):
    r = node.get("/metrics?format=prometheus", **kw)
    assert r.status == 200, r
    return check_prom_reply(r)


def check_prom_reply(r):
    ct = r.ctype.replace(" ", "").lower()
    assert ct.startswith("text/plain") and "version=0.0.4" in ct, r.ctype
    return r.body.decode("utf-8")


def parse(text):
    """{exposed family name: (type, [samples])} (counters under their *_total name)."""
    out = {}
    for fam in text_string_to_metric_families(text):
        name = fam.name + "_total" if fam.type == "counter" else fam.name
        out[name] = (fam.type, fam.samples)
    return out


def value(fams, family, sample=None, **labels):
    """Sum of the samples of `family` named `sample` (default: the family's own name)
    whose labels include `labels`; 0 when there is none."""
    if family not in fams:
        return 0.0
    sample = sample or family
    total = 0.0
    for s in fams[family][1]:
        if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()):
            total += s.value
    return total


def snapshot(node):
    return parse(prom_text(node))


def send_traffic(node, n_udp, n_tcp):
    for _ in range(n_udp):
        assert node.query(NAME, "A").rcode() == dns.rcode.NOERROR
    for _ in range(n_tcp):
        assert node.query(NAME, "AAAA", tcp=True).rcode() == dns.rcode.NOERROR
    r = node.query("nope.ha.test", "A")
    assert r.rcode() == dns.rcode.NXDOMAIN


def built_version():
    p = run_cli("--version")
    return p.stdout.split()[1]


# ---- JSON ----------------------------------------------------------------------------------------

def test_json_shape(node):
    r = node.get("/metrics")
    body = assert_json(r, 200)
    assert body["version"] == 1
    assert body["checksum"] == checksum(node.file_bytes())
    assert (body["records"], body["zones"]) == (3, 1)
    assert body["uptime_s"] >= 0 and round(body["uptime_s"], 1) == body["uptime_s"]
    cache = body["cache"]
    assert cache["max_size"] == 500
    for k in ("size", "hits", "misses"):
        assert isinstance(cache[k], int) and cache[k] >= 0, cache
    q = body["queries"]
    for k in ("total", "udp", "tcp", "by_type", "by_rcode"):
        assert k in q, (k, q)
    assert isinstance(q["by_type"], dict) and isinstance(q["by_rcode"], dict)
    assert set(body["reloads"]) >= {"ok", "failed"}
    assert isinstance(body["upstream"], dict)
    assert isinstance(body["sync"], dict)


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
def test_json_is_the_default(node, accept):
    r = node.get("/metrics", headers={"Accept": accept} if accept else None)
    assert_json(r, 200)["cache"]


def test_json_query_counters_move(node):
    before = assert_json(node.get("/metrics"), 200)["queries"]
    send_traffic(node, 5, 3)
    after = assert_json(node.get("/metrics"), 200)["queries"]
    assert after["udp"] - before["udp"] >= 6
    assert after["tcp"] - before["tcp"] >= 3
    assert after["total"] - before["total"] >= 9
    assert after["total"] == after["udp"] + after["tcp"], after
    assert after["by_type"].get("A", 0) - before["by_type"].get("A", 0) >= 6
    assert after["by_type"].get("AAAA", 0) - before["by_type"].get("AAAA", 0) >= 3
    assert after["by_rcode"].get("NXDOMAIN", 0) - before["by_rcode"].get("NXDOMAIN", 0) >= 1
    assert after["by_rcode"].get("NOERROR", 0) - before["by_rcode"].get("NOERROR", 0) >= 8


def test_json_cache_counters(node, up):
    before = assert_json(node.get("/metrics"), 200)["cache"]
    for _ in range(3):
        r = node.query("fwd.example.test", "A")
        assert [rd.address for rd in r.answer[0]] == ["192.0.2.7"]
    assert up.count("fwd.example.test") == 1
    after = assert_json(node.get("/metrics"), 200)["cache"]
    assert after["misses"] - before["misses"] == 1, (before, after)
    assert after["hits"] - before["hits"] == 2, (before, after)
    assert after["size"] >= 1
    total = after["hits"] + after["misses"]
    assert after["hit_rate"] == round(100.0 * after["hits"] / total, 1), after


def test_json_reload_counters(node):
    before = assert_json(node.get("/metrics"), 200)["reloads"]
    node.reload()
    node.write(b"{ broken")
    assert_json(node.post("/reload"), 422)
    after = assert_json(node.get("/metrics"), 200)
    assert after["reloads"]["ok"] - before["ok"] == 1
    assert after["reloads"]["failed"] - before["failed"] == 1
    assert after["version"] == 2


# ---- Prometheus ----------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["query", "text/plain", "openmetrics", "prometheus2"])
def test_prometheus_negotiation(node, how):
    if how == "query":
        r = node.get("/metrics?format=prometheus")
    else:
        accept = {"text/plain": "text/plain", "prometheus2": PROM_ACCEPT,
                  "openmetrics": "application/openmetrics-text; version=1.0.0"}[how]
        r = node.get("/metrics", headers={"Accept": accept})
    assert r.status == 200, r
    text = check_prom_reply(r)
    assert "nanodns_queries_total" in text
    parse(text)


@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool not installed")
def test_promtool_accepts(node, up):
    send_traffic(node, 2, 2)
    node.query("fwd.example.test", "A")
    node.reload()
    text = prom_text(node)
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=20)
    assert p.returncode == 0, "promtool check metrics failed:\n%s%s\n---\n%s" % (
        p.stdout, p.stderr, text)


def test_prometheus_families(node):
    send_traffic(node, 1, 1)
    text = prom_text(node)
    fams = parse(text)
    for name, (typ, labels) in FAMILIES.items():
        base = re.escape(name[:-len("_total")] if typ == "counter" else name)
        assert re.search(r"^# TYPE %s(_total)? %s$" % (base, typ), text, re.M), \
            "no TYPE line for %s" % name
        assert re.search(r"^# HELP %s(_total)? \S" % base, text, re.M), \
            "no HELP line for %s" % name
        if name in fams:
            assert fams[name][0] == typ, (name, fams[name][0])
            for s in fams[name][1]:
                extra = {"le"} if s.name.endswith("_bucket") else set()
                assert set(s.labels) == labels | extra, (name, s)
    for name in ("nanodns_queries_total", "nanodns_responses_total",
                 "nanodns_query_duration_seconds", "nanodns_config_version",
                 "nanodns_uptime_seconds", "nanodns_build_info", "nanodns_cache_entries",
                 "nanodns_cache_hits_total", "nanodns_cache_misses_total"):
        assert name in fams and fams[name][1], "no samples for %s" % name


def test_prometheus_counters_move(node):
    n_udp, n_tcp = 7, 4
    before = snapshot(node)
    send_traffic(node, n_udp, n_tcp)
    after = snapshot(node)

    def rose(family, sample=None, **labels):
        return value(after, family, sample, **labels) - value(before, family, sample, **labels)

    assert rose("nanodns_queries_total", transport="udp", type="A") >= n_udp + 1
    assert rose("nanodns_queries_total", transport="tcp", type="AAAA") >= n_tcp
    assert rose("nanodns_responses_total", transport="udp", rcode="NOERROR") >= n_udp
    assert rose("nanodns_responses_total", transport="tcp", rcode="NOERROR") >= n_tcp
    assert rose("nanodns_responses_total", transport="udp", rcode="NXDOMAIN") >= 1
    assert rose("nanodns_query_duration_seconds", "nanodns_query_duration_seconds_count",
                transport="udp") >= n_udp + 1
    assert rose("nanodns_query_duration_seconds", "nanodns_query_duration_seconds_count",
                transport="tcp") >= n_tcp
    assert rose("nanodns_uptime_seconds") >= 0


def test_prometheus_histogram_consistent(node):
    send_traffic(node, 3, 3)
    fams = snapshot(node)
    for fam in ("nanodns_query_duration_seconds", "nanodns_upstream_duration_seconds"):
        samples = fams.get(fam, ("", []))[1]
        series = {}
        for s in samples:
            key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            series.setdefault(key, {"b": [], "count": None, "sum": None})
            if s.name.endswith("_bucket"):
                series[key]["b"].append((float(s.labels["le"]), s.value))
            elif s.name.endswith("_count"):
                series[key]["count"] = s.value
            elif s.name.endswith("_sum"):
                series[key]["sum"] = s.value
        if fam == "nanodns_query_duration_seconds":
            assert series, "no series for %s" % fam
        for key, d in series.items():
            b = sorted(d["b"])
            assert b and b[-1][0] == float("inf"), (fam, key, b)
            counts = [c for _, c in b]
            assert counts == sorted(counts), ("buckets not cumulative", fam, key, b)
            assert d["count"] == b[-1][1], (fam, key, d)
            assert d["sum"] is not None and d["sum"] >= 0


def test_prometheus_cache_and_upstream(node, up):
    before = snapshot(node)
    for _ in range(3):
        node.query("fwd.example.test", "A")
    after = snapshot(node)
    d = lambda f: value(after, f) - value(before, f)  # noqa: E731
    assert d("nanodns_cache_misses_total") == 1
    assert d("nanodns_cache_hits_total") == 2
    assert d("nanodns_upstream_queries_total") == up.count("fwd.example.test") == 1
    assert value(after, "nanodns_cache_entries") >= 1
    assert value(after, "nanodns_upstream_duration_seconds",
                 "nanodns_upstream_duration_seconds_count") >= 1


def test_prometheus_reloads_and_version(node):
    before = snapshot(node)
    assert value(before, "nanodns_config_version") == 1
    node.reload()
    node.write(b"{ broken")
    assert node.post("/reload").status == 422
    after = snapshot(node)
    ok = lambda f: value(f, "nanodns_reloads_total", result="success")  # noqa: E731
    assert ok(after) - ok(before) == 1
    failed = lambda f: value(f, "nanodns_reloads_total") - ok(f)  # noqa: E731
    assert failed(after) - failed(before) == 1
    assert value(after, "nanodns_config_version") == 2 == node.version()


def test_prometheus_build_info(node):
    fams = snapshot(node)
    samples = fams["nanodns_build_info"][1]
    assert len(samples) == 1, samples
    assert samples[0].labels == {"version": built_version()}
    assert samples[0].value == 1


def test_prometheus_agrees_with_json(node):
    send_traffic(node, 2, 2)
    j = assert_json(node.get("/metrics"), 200)
    fams = snapshot(node)
    # the Prometheus scrape came later, so its counters are at least the JSON ones
    assert value(fams, "nanodns_queries_total") >= j["queries"]["total"]
    assert value(fams, "nanodns_config_version") == j["version"]
    assert value(fams, "nanodns_cache_entries") == j["cache"]["size"]
    assert value(fams, "nanodns_cache_hits_total") == j["cache"]["hits"]
