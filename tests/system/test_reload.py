"""Reloading (issue 5, contract sections 6 and 7): POST /reload, SIGHUP and file edits (hot
reload); the version written back as max(file, memory) + 1 with the file's layout kept; broken
files kept out; the cache flushed; restart_required; no lost queries during reloads; no torn
file after SIGKILL.
"""

import json
import os
import random
import signal
import socket
import threading
import time

import dns.message
import dns.rcode
import pytest

from conftest import free_port, tcp_read_msg
from fakeupstream import FakeUpstream
from mgmthelp import (NAME, Node, assert_error, assert_json, checksum, dump, free_tcp_port,
                      indentation_errors, key_order, node_config, nodes,  # noqa: F401
                      parse_pairs, stays, wait_until, with_value)

HOT_DEADLINE = 2.5   # inotify: "within about a second"; the 5 s mtime poll would miss this


def mk(nodes, version=1, value="10.0.0.1", **server):
    return nodes(node_config(free_tcp_port(), value=value, version=version, **server))


def edited(node, value, version=None):
    """node's current file with www.ha.test = value (and config_version = version)."""
    return with_value(node.file_json(), value, version)


# ---- POST /reload --------------------------------------------------------------------------------

def test_post_reload(nodes):
    n = mk(nodes)
    assert n.answer() == ["10.0.0.1"]
    n.write(edited(n, "10.0.0.2"))
    body = n.reload()
    assert body["status"] == "reloaded"
    assert body["version"] == 2
    assert body["checksum"] == checksum(n.file_bytes()) == checksum(n.raw())
    assert (body["records"], body["zones"]) == (3, 1)
    assert body["peers"] == {}
    assert "restart_required" not in body, body
    assert n.answer() == ["10.0.0.2"]
    assert n.file_json()["server"]["config_version"] == 2
    assert n.raw() == n.file_bytes()
    assert n.version() == 2
    assert n.ready()["checksum"] == body["checksum"]


def test_post_reload_unchanged_file_still_bumps(nodes):
    n = mk(nodes)
    assert n.reload()["version"] == 2
    assert n.reload()["version"] == 3
    assert n.file_json()["server"]["config_version"] == 3
    assert n.answer() == ["10.0.0.1"]


def test_version_file_ahead(nodes):
    n = mk(nodes)
    n.write(edited(n, "10.0.0.3", version=10))
    assert n.reload()["version"] == 11
    assert n.file_json()["server"]["config_version"] == 11
    assert n.version() == 11
    assert n.answer() == ["10.0.0.3"]


def test_version_memory_ahead(nodes):
    n = mk(nodes, version=5)
    n.write(edited(n, "10.0.0.4", version=2))
    assert n.reload()["version"] == 6
    assert n.file_json()["server"]["config_version"] == 6
    assert n.answer() == ["10.0.0.4"]


def test_version_missing_in_file(nodes):
    n = mk(nodes, version=4)
    cfg = edited(n, "10.0.0.5")
    del cfg["server"]["config_version"]
    n.write(cfg)
    assert n.reload()["version"] == 5
    assert n.file_json()["server"]["config_version"] == 5


def test_version_survives_restart(nodes):
    n = mk(nodes)
    n.reload()
    n.reload()
    assert n.version() == 3
    n.stop()
    n.start()
    assert n.version() == 3
    assert n.ready()["checksum"] == checksum(n.file_bytes())


LAYOUT = {
    "zones": {
        "zeta.test": {"ns": ["ns1.zeta.test"], "soa": {"serial": 5, "mname": "ns1.zeta.test"}},
        "alpha.test": {},
    },
    "server": {
        "upstream": [],
        "port": 0,
        "host": "127.0.0.1",
        "config_version": 3,
        "upstream_timeout": 1.5,
        "hot_reload": False,
        "mgmt_host": "127.0.0.1",
        "mgmt_port": None,
        "peers": [],
        "log_queries": True,
        "sync_startup_delay": 3600,
        "sync_interval": 3600,
    },
    "records": [
        {"value": "10.0.0.9", "type": "A", "name": "www.zeta.test", "ttl": 60,
         "comment": "caf\u00e9 \u2713 \"quoted\" back\\slash"},
        {"type": "MX", "priority": 20, "name": "zeta.test", "value": "www.zeta.test"},
        {"name": "t.zeta.test", "type": "TXT", "value": "v=spf1 -all"},
    ],
    "rewrites": [{"action": "nxdomain", "match": "*.ads.zeta.test"}],
}


def test_write_back_keeps_layout(nodes):
    """The version is written back with 2-space indent, every object's key order kept and
    every other value unchanged (floats, escapes and non-ASCII text included)."""
    cfg = json.loads(json.dumps(LAYOUT))
    cfg["server"]["mgmt_port"] = free_tcp_port()
    n = nodes(cfg)
    before = n.file_bytes()
    body = n.reload()
    assert body["version"] == 4
    after = n.file_bytes()
    text = after.decode("utf-8")
    assert indentation_errors(text) == [], "not 2-space indented:\n%s" % text
    assert key_order(parse_pairs(after)) == key_order(parse_pairs(before)), text
    want = json.loads(before)
    want["server"]["config_version"] = 4
    assert json.loads(after) == want
    assert text.startswith("{\n  \""), text[:40]
    assert checksum(after) == body["checksum"]


def test_write_back_adds_missing_version(nodes):
    cfg = json.loads(json.dumps(LAYOUT))
    cfg["server"]["mgmt_port"] = free_tcp_port()
    del cfg["server"]["config_version"]
    n = nodes(cfg)
    before = n.file_bytes()
    assert n.reload()["version"] == 2
    after = n.file_bytes()
    assert indentation_errors(after.decode()) == []
    old, new = key_order(parse_pairs(before)), key_order(parse_pairs(after))
    assert [p for p, _ in old] == [p for p, _ in new]
    for (path, keys_old), (_, keys_new) in zip(old, new):
        extra = ["config_version"] if path == "$.server" else []
        assert [k for k in keys_new if k not in extra] == keys_old, (path, keys_new)
    assert json.loads(after)["server"]["config_version"] == 2


# ---- SIGHUP --------------------------------------------------------------------------------------

def test_sighup_reload(nodes):
    n = mk(nodes)
    n.write(edited(n, "10.0.1.1"))
    n.srv.send_signal(signal.SIGHUP)
    n.wait_version(2)
    n.wait_answer("10.0.1.1")
    assert n.file_json()["server"]["config_version"] == 2
    assert n.raw() == n.file_bytes()


def test_sighup_broken_file_keeps_old(nodes):
    n = mk(nodes)
    n.write(b"{\"server\": ")
    off = len(n.srv.log)
    n.srv.send_signal(signal.SIGHUP)
    n.srv.wait_log(r"(?i)(error|fail)", timeout=5, start=off)
    assert n.srv.alive()
    assert n.answer() == ["10.0.0.1"]
    assert n.version() == 1
    assert n.file_bytes() == b"{\"server\": "


# ---- broken files --------------------------------------------------------------------------------

def _bad_ip(cfg):
    cfg["records"][0]["value"] = "10.0.0.300"
    return cfg


def _bad_action(cfg):
    cfg["rewrites"] = [{"match": "x.ha.test", "action": "explode"}]
    return cfg


def _records_not_list(cfg):
    cfg["records"] = {"name": "x"}
    return cfg


BROKEN = {
    "syntax": lambda cfg: b"{\n  \"server\": {\n    \"port\": 53,,\n",
    "empty": lambda cfg: b"",
    "not-object": lambda cfg: b"[1, 2, 3]\n",
    "bad-ip": lambda cfg: dump(_bad_ip(cfg)),
    "bad-action": lambda cfg: dump(_bad_action(cfg)),
    "records-not-list": lambda cfg: dump(_records_not_list(cfg)),
}


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_broken_file_422(nodes, kind):
    n = mk(nodes)
    before_raw = n.raw()
    bad = BROKEN[kind](with_value(n.file_json(), "10.0.9.9", version=7))
    n.write(bad)
    assert_error(n.post("/reload"), 422)
    assert n.file_bytes() == bad, "the broken file was rewritten"
    assert n.answer() == ["10.0.0.1"]
    assert n.version() == 1
    assert n.ready()["checksum"] == checksum(before_raw)
    # and a fixed file loads again
    n.write(with_value(json.loads(before_raw), "10.0.0.2"))
    assert n.reload()["version"] == 2
    assert n.answer() == ["10.0.0.2"]


# ---- hot reload (file watching) ------------------------------------------------------------------

@pytest.mark.parametrize("how", ["in-place", "rename"])
def test_file_edit_reloads(nodes, how):
    n = mk(nodes, hot_reload=True)
    new = edited(n, "10.0.2.2")
    (n.write if how == "in-place" else n.write_atomic)(new)
    wait_until(lambda: n.answer(timeout=0.5) == ["10.0.2.2"], HOT_DEADLINE,
               what="the edit to be served")
    n.wait_version(2, timeout=1.0)
    # the server's own write-back of config_version must not count as another edit
    stays(lambda: n.version() == 2, 1.0, what="version 2")
    assert n.file_json()["server"]["config_version"] == 2
    assert n.raw() == n.file_bytes()
    assert n.file_json()["records"][0]["value"] == "10.0.2.2"


def test_file_edits_in_a_row(nodes):
    n = mk(nodes, hot_reload=True)
    for i, v in enumerate(("10.0.3.1", "10.0.3.2", "10.0.3.3")):
        n.write_atomic(edited(n, v))
        wait_until(lambda: n.answer(timeout=0.5) == [v], HOT_DEADLINE, what="edit %d" % i)
        n.wait_version(i + 2, timeout=1.0)
    stays(lambda: n.version() == 4, 1.0, what="version 4")


def test_file_edit_broken_then_fixed(nodes):
    n = mk(nodes, hot_reload=True)
    good = n.file_json()
    n.write_atomic(b"{ not json")
    n.srv.wait_log(r"(?i)(error|fail)", timeout=HOT_DEADLINE)
    assert n.answer() == ["10.0.0.1"]
    assert n.version() == 1
    assert n.file_bytes() == b"{ not json"
    n.write_atomic(with_value(good, "10.0.4.4"))
    wait_until(lambda: n.answer(timeout=0.5) == ["10.0.4.4"], HOT_DEADLINE, what="the fix")
    n.wait_version(2, timeout=1.0)


def test_file_touched_or_removed(nodes):
    """A touch (same bytes) is not a new version; a removed file keeps the running config
    serving, and the file written again is loaded."""
    n = mk(nodes, hot_reload=True)
    cfg = n.file_json()
    os.utime(n.path)
    stays(lambda: n.version() == 1, 0.6, what="version 1 after a touch")
    off = len(n.srv.log)
    os.unlink(n.path)
    n.srv.wait_log(r"(?i)(error|warn)", timeout=HOT_DEADLINE, start=off)
    assert n.srv.alive() and n.answer() == ["10.0.0.1"] and n.version() == 1
    n.path.write_bytes(dump(with_value(cfg, "10.0.4.5")))
    wait_until(lambda: n.answer(timeout=0.5) == ["10.0.4.5"], HOT_DEADLINE, what="the new file")
    n.wait_version(2, timeout=1.0)


def test_hot_reload_off_ignores_edits(nodes):
    n = mk(nodes, hot_reload=False)
    n.write_atomic(edited(n, "10.0.5.5"))
    stays(lambda: n.answer(timeout=0.5) == ["10.0.0.1"], 1.0, what="the old answer")
    assert n.version() == 1
    assert n.reload()["version"] == 2
    assert n.answer() == ["10.0.5.5"]


# ---- the cache -----------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["post", "sighup", "edit"])
def test_reload_flushes_cache(nodes, how):
    with FakeUpstream() as up:
        up.answer("cached.fwd.test", "A", ["192.0.2.10"], ttl=3600)
        n = mk(nodes, upstream=[up.addr], hot_reload=(how == "edit"))
        for _ in range(2):
            assert n.answer("cached.fwd.test") == ["192.0.2.10"]
        assert up.count("cached.fwd.test") == 1
        if how == "post":
            n.reload()
        elif how == "sighup":
            n.srv.send_signal(signal.SIGHUP)
            n.wait_version(2)
        else:
            n.write_atomic(edited(n, "10.0.6.6"))
            n.wait_version(2, timeout=HOT_DEADLINE)
        up.answer("cached.fwd.test", "A", ["192.0.2.11"], ttl=3600)
        assert n.answer("cached.fwd.test") == ["192.0.2.11"]
        assert up.count("cached.fwd.test") == 2


def test_failed_reload_keeps_serving_forwarded(nodes):
    with FakeUpstream() as up:
        up.answer("kept.fwd.test", "A", ["192.0.2.20"], ttl=3600)
        n = mk(nodes, upstream=[up.addr])
        assert n.answer("kept.fwd.test") == ["192.0.2.20"]
        n.write(b"{")
        assert n.post("/reload").status == 422
        assert n.answer("kept.fwd.test") == ["192.0.2.20"]
        assert n.answer() == ["10.0.0.1"]


# ---- restart_required ----------------------------------------------------------------------------

def _other_free_port():
    return free_tcp_port()


@pytest.mark.parametrize("key,new", [
    ("port", None), ("mgmt_port", None), ("host", "127.0.0.2"), ("mgmt_host", "127.0.0.2"),
    ("cache_size", 77), ("tcp_max_clients", 33),
])
def test_restart_required(tmp_path, key, new):
    """Settings that cannot change live are reported; everything else is applied and the
    node keeps serving on its old sockets."""
    dns_port = free_port()
    cfg = node_config(free_tcp_port(), port=dns_port)
    n = Node(tmp_path / "n", cfg, dns_args=())
    try:
        assert n.port == dns_port
        c = with_value(n.file_json(), "10.0.7.7")
        c["server"][key] = new if new is not None else _other_free_port()
        n.write(c)
        body = n.reload()
        assert body.get("restart_required") == [key], body
        assert body["version"] == 2
        # records changed live, on the old DNS and management sockets
        assert n.answer() == ["10.0.7.7"]
        assert n.version() == 2
        # the file keeps the new setting for the next start
        assert n.file_json()["server"][key] == c["server"][key]
    finally:
        n.stop()


# ---- reloads under load --------------------------------------------------------------------------

def test_no_query_lost_during_reloads(nodes):
    """A UDP client (2000+ queries, one at a time, 2 s timeout, no retries) and a TCP client
    on one long-lived connection query while 20 reloads switch www between two values:
    every query is answered, NOERROR, with one of the two values, and the TCP connection
    survives the reloads."""
    values = ("10.0.8.1", "10.0.8.2")
    n = mk(nodes, value=values[0], log_queries=False)
    stop = threading.Event()
    stats = {p: {"sent": 0, "timeouts": 0, "errors": [], "bad": [], "seen": set()}
             for p in ("udp", "tcp")}

    def check(st, r):
        got = [rd.to_text() for rr in r.answer for rd in rr]
        if r.rcode() != dns.rcode.NOERROR or len(got) != 1 or got[0] not in values:
            st["bad"].append((dns.rcode.to_text(r.rcode()), got))
        else:
            st["seen"].add(got[0])

    def udp():
        st = stats["udp"]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("127.0.0.1", n.port))
            s.settimeout(2.0)
            while (not stop.is_set() or st["sent"] < 2000) and st["sent"] < 100000:
                q = dns.message.make_query(NAME, "A")
                s.send(q.to_wire())
                st["sent"] += 1
                try:
                    while True:
                        r = dns.message.from_wire(s.recv(65535))
                        if r.id == q.id:
                            break
                except socket.timeout:
                    st["timeouts"] += 1
                    if st["timeouts"] > 5:
                        return
                    continue
                check(st, r)

    def tcp():
        st = stats["tcp"]
        try:
            with n.srv.tcp_connect(timeout=2.0) as s:
                while not stop.is_set() or st["sent"] < 200:
                    q = dns.message.make_query(NAME, "A")
                    w = q.to_wire()
                    s.sendall(len(w).to_bytes(2, "big") + w)
                    st["sent"] += 1
                    r = dns.message.from_wire(tcp_read_msg(s))
                    assert r.id == q.id
                    check(st, r)
        except Exception as e:  # noqa: BLE001 - reported below
            st["errors"].append(repr(e))

    threads = [threading.Thread(target=f, daemon=True) for f in (udp, tcp)]
    for t in threads:
        t.start()
    wait_until(lambda: stats["udp"]["sent"] >= 50 and stats["tcp"]["sent"] >= 20, 5,
               what="both clients running")
    cfg = n.file_json()
    try:
        for i in range(20):
            n.write(with_value(cfg, values[(i + 1) % 2]))
            assert n.reload()["version"] == i + 2
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert not any(t.is_alive() for t in threads)
    for proto, st in stats.items():
        assert st["timeouts"] == 0 and st["errors"] == [], (proto, st)
        assert st["bad"] == [], (proto, st["bad"][:10])
    assert stats["udp"]["sent"] >= 2000
    assert stats["udp"]["seen"] == set(values), stats["udp"]["seen"]
    assert n.answer() == [values[20 % 2]]


def test_sigkill_never_tears_the_file(tmp_path):
    """20 times: reloads in a loop, SIGKILL at a random moment; the file is then always a
    whole config (the original data with some config_version), and it loads again."""
    rng = random.Random(5)
    # big enough (~55 KB) that writing it takes many write() calls: a file written in
    # place would be seen half-written
    records = node_config(0)["records"] + [
        {"name": "h%d.ha.test" % i, "type": "A", "value": "10.9.%d.%d" % (i >> 8, i & 255)}
        for i in range(600)]
    cfg = node_config(free_tcp_port(), log_queries=False, records=records)
    want = json.loads(json.dumps(cfg))
    n = Node(tmp_path / "k", cfg, check_exit=False, start=False)
    for rnd in range(20):
        n.start()
        done = [0]
        stop = threading.Event()

        def hammer():
            while not stop.is_set():
                try:
                    if n.post("/reload", timeout=2).status == 200:
                        done[0] += 1
                except OSError:
                    return

        t = threading.Thread(target=hammer, daemon=True)
        t.start()
        wait_until(lambda: done[0] >= 1, 5, what="a first reload")
        time.sleep(rng.uniform(0, 0.08))
        n.kill()
        stop.set()
        t.join(10)
        data = n.file_bytes()
        try:
            got = json.loads(data)
        except ValueError as e:
            raise AssertionError("round %d: torn file after SIGKILL (%s):\n%r"
                                 % (rnd, e, data[:2000])) from None
        v = got["server"].get("config_version")
        assert isinstance(v, int) and v >= want["server"]["config_version"], (rnd, v)
        want["server"]["config_version"] = v
        assert got == want, "round %d: the file changed beyond config_version" % rnd
    n.check_exit = True
    n.start()
    assert n.version() == want["server"]["config_version"]
    assert n.answer() == ["10.0.0.1"]
    n.stop()


# ---- a config file reached through a symlink -----------------------------------------------------

def _symlinked(tmp_path, **server):
    real_dir, link_dir = tmp_path / "real", tmp_path / "etc"
    real_dir.mkdir()
    link_dir.mkdir()
    real = real_dir / "real.json"
    real.write_bytes(dump(node_config(free_tcp_port(), **server)))
    link = link_dir / "nanodns.json"
    link.symlink_to(real)
    return real, link


def test_write_back_keeps_the_symlink(tmp_path):
    """A config that is a symlink (a Kubernetes ConfigMap, /etc -> /srv) stays one: the
    version is written into the file it points to."""
    real, link = _symlinked(tmp_path)
    n = Node(link.parent, None)
    try:
        assert n.reload()["version"] == 2
        assert link.is_symlink(), "the symlink was replaced by a regular file"
        assert json.loads(real.read_bytes())["server"]["config_version"] == 2
        assert n.raw() == real.read_bytes()
    finally:
        n.stop()


def test_edit_of_a_symlink_target_is_seen(tmp_path):
    """The folder watch cannot see the target's folder; the mtime poll (5 s) must."""
    real, link = _symlinked(tmp_path, hot_reload=True)
    n = Node(link.parent, None)
    try:
        cfg = with_value(json.loads(real.read_bytes()), "10.0.9.1")
        with open(real, "wb") as f:
            f.write(dump(cfg))
        wait_until(lambda: n.answer(timeout=0.5) == ["10.0.9.1"], 7.0,
                   what="the edit of the symlink target")
        n.wait_version(2, timeout=1.0)
    finally:
        n.stop()


# ---- command-line overrides ------------------------------------------------------------------

def test_command_line_overrides_survive_reload(tmp_path):
    """--mgmt-port and --port win over the file at every reload, are not reported as
    restart_required, and are not written into the file."""
    mport = free_tcp_port()
    cfg = node_config(0, port=0)
    n = Node(tmp_path / "o", cfg, extra_args=["--mgmt-port", str(mport)], start=False)
    n.mgmt_port = mport
    n.start()
    try:
        n.write(with_value(n.file_json(), "10.0.10.1"))
        body = n.reload()
        assert "restart_required" not in body, body
        assert n.answer() == ["10.0.10.1"]
        s = n.file_json()["server"]
        assert (s["mgmt_port"], s["port"], s["host"]) == (0, 0, "127.0.0.1"), s
        assert n.version() == 2
    finally:
        n.stop()


def test_concurrent_reloads_get_distinct_versions(nodes):
    # Ten requests at once from one address: above server.http_max_per_ip's default of 8.
    n = mk(nodes, http_max_per_ip=16)
    results = []

    def one():
        results.append(n.post("/reload", timeout=15))

    ts = [threading.Thread(target=one) for _ in range(10)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(20)
    versions = sorted(assert_json(r, 200)["version"] for r in results)
    assert versions == list(range(2, 12)), versions
    assert n.version() == 11
    assert n.file_json()["server"]["config_version"] == 11
