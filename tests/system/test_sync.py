"""HA sync (issue 5, contract section 6): push on reload, pull on start and every
sync_interval, the /sync receiver's rules, node-local keys, the mgmt_token between nodes, and
interop with a NanoDNS 1.0 (Python) node (fakepeer.py).

Nodes whose test is about pushing run with NO_PULL timings, so that only a push can move
their config; nodes that must pull use FAST_PULL (0.2 s after start, then every 0.5 s).
"""

import json
import signal
import socket
import threading
import time

import dns.rcode
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import REFERENCE_DIR
from fakepeer import FakePeer
from fakeupstream import FakeUpstream
from mgmthelp import (FAST_PULL, NAME, NO_PULL, assert_error, assert_json, checksum,
                      dead_port, dump, free_tcp_port, node_config, nodes,  # noqa: F401
                      stays, wait_until, with_value)

PUSH_DEADLINE = 1.0
PULL_DEADLINE = 5.0


def cluster(nodes, n=3, token=None, tokens=None, **server):
    """n nodes on loopback, each with the others as peers."""
    ports = [free_tcp_port() for _ in range(n)]
    out = []
    for i, p in enumerate(ports):
        peers = ["127.0.0.1:%d" % q for q in ports if q != p]
        tok = tokens[i] if tokens else token
        out.append(nodes(node_config(p, peers=peers, token=tok, **server), name="n%d" % (i + 1)))
    return out


def single(nodes, version=1, value="10.0.0.1", **server):
    return nodes(node_config(free_tcp_port(), version=version, value=value, **server))


def peer_body(node, value, version):
    """What a peer would push to `node`: its config with another value and version (the
    node-local keys of the peer differ: another mgmt_port and peer list)."""
    cfg = with_value(node.file_json(), value, version)
    cfg["server"]["mgmt_port"] = free_tcp_port()
    cfg["server"]["peers"] = [node.addr]
    return dump(cfg)


def assert_untouched(node, before_file, version, value="10.0.0.1"):
    assert node.file_bytes() == before_file, "the file was written"
    assert node.version() == version
    assert node.answer() == [value]


def assert_local_keys(node, server_before):
    s = node.file_json()["server"]
    for k in ("host", "port", "mgmt_host", "mgmt_port", "peers"):
        assert s.get(k) == server_before.get(k), (k, s.get(k), server_before.get(k))


# ---- push ----------------------------------------------------------------------------------------

def test_push_reaches_every_peer(nodes):
    n1, n2, n3 = cluster(nodes, **NO_PULL)
    servers = {n.addr: n.file_json()["server"] for n in (n2, n3)}
    n1.write(with_value(n1.file_json(), "10.1.1.1"))
    body = n1.reload()
    assert body["version"] == 2
    assert set(body["peers"]) == {n2.addr, n3.addr}, body
    for n in (n2, n3):
        reply = body["peers"][n.addr]
        assert reply.get("status") == "applied" and reply.get("version") == 2, reply
    for n in (n2, n3):
        n.wait_version(2, timeout=PUSH_DEADLINE)
        n.wait_answer("10.1.1.1", timeout=PUSH_DEADLINE)
    for n in (n2, n3):
        assert body["peers"][n.addr]["checksum"] == n.ready()["checksum"] \
            == checksum(n.file_bytes())
        f = n.file_json()
        assert f["records"][0]["value"] == "10.1.1.1"
        assert f["server"]["config_version"] == 2
        assert_local_keys(n, servers[n.addr])
        assert n.raw() == n.file_bytes()


def test_push_twice_and_from_another_node(nodes):
    n1, n2, n3 = cluster(nodes, **NO_PULL)
    n1.write(with_value(n1.file_json(), "10.1.2.1"))
    assert n1.reload()["version"] == 2
    n2.wait_version(2, timeout=PUSH_DEADLINE)
    # now edit on node 2: version 3 everywhere
    n2.write(with_value(n2.file_json(), "10.1.2.2"))
    body = n2.reload()
    assert body["version"] == 3
    assert {k: v.get("status") for k, v in body["peers"].items()} == \
        {n1.addr: "applied", n3.addr: "applied"}, body
    for n in (n1, n2, n3):
        n.wait_version(3, timeout=PUSH_DEADLINE)
        n.wait_answer("10.1.2.2", timeout=PUSH_DEADLINE)


@pytest.mark.parametrize("how", ["sighup", "file-edit"])
def test_every_local_reload_pushes(nodes, how):
    """Not only POST /reload: a SIGHUP or an edit of the watched file pushes too."""
    n1, n2 = cluster(nodes, n=2, hot_reload=(how == "file-edit"), **NO_PULL)
    new = with_value(n1.file_json(), "10.1.3.1")
    if how == "sighup":
        n1.write(new)
        n1.srv.send_signal(signal.SIGHUP)
    else:
        n1.write_atomic(new)
    n1.wait_version(2, timeout=2.5)
    n2.wait_version(2, timeout=PUSH_DEADLINE)
    n2.wait_answer("10.1.3.1", timeout=PUSH_DEADLINE)


def test_hot_reload_cluster_settles(nodes):
    """The usual deployment: hot_reload on, pulling on. One edit of node 1's file reaches
    every node, and then nothing moves: a node's write of a received config is not a local
    edit (no version bump, no push back)."""
    ns = cluster(nodes, hot_reload=True, **FAST_PULL)
    ns[0].write_atomic(with_value(ns[0].file_json(), "10.1.4.1"))
    for n in ns:
        n.wait_version(2, timeout=2.5)
        n.wait_answer("10.1.4.1", timeout=1.0)
    files = [n.file_bytes() for n in ns]
    stays(lambda: [n.version() for n in ns] == [2, 2, 2]
          and [n.file_bytes() for n in ns] == files, 1.0, what="a settled cluster")


def test_self_in_peers(nodes):
    """One peer list for every node (itself included) is common: pushing to itself is
    harmless (already_current, no deadlock, no version loop)."""
    port = free_tcp_port()
    n = nodes(node_config(port, peers=["127.0.0.1:%d" % port], **FAST_PULL))
    body = n.reload()
    assert body["peers"]["127.0.0.1:%d" % port].get("status") == "already_current", body
    stays(lambda: n.version() == 2, 1.0, what="version 2")


def test_peer_by_host_name(nodes):
    b = single(nodes, **NO_PULL)
    a = single(nodes, peers=["localhost:%d" % b.mgmt_port])
    a.write(with_value(a.file_json(), "10.1.5.1"))
    body = a.reload()
    assert body["peers"]["localhost:%d" % b.mgmt_port].get("status") == "applied", body
    b.wait_answer("10.1.5.1", timeout=PUSH_DEADLINE)


def test_push_to_a_down_peer_reports_error(nodes):
    n1 = single(nodes, peers=["127.0.0.1:%d" % dead_port()])
    body = n1.reload()
    (reply,) = body["peers"].values()
    assert isinstance(reply.get("error"), str) and reply["error"], body
    assert n1.version() == 2


def big_records(n):
    return [{"name": "h%d.big.ha.test" % i, "type": "A",
             "value": "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)}
            for i in range(n)]


BIG = 20000


def test_push_large_config(nodes):
    n1, n2 = cluster(nodes, n=2, **NO_PULL)
    cfg = n1.file_json()
    cfg["records"] = cfg["records"] + big_records(BIG)
    n1.write(cfg)
    assert len(n1.file_bytes()) > 1_000_000
    body = n1.reload()
    assert body["peers"][n2.addr].get("status") == "applied", body
    assert body["peers"][n2.addr]["records"] == BIG + 3
    n2.wait_version(2, timeout=PUSH_DEADLINE)
    assert n2.answer("h%d.big.ha.test" % (BIG - 1)) == ["10.0.78.31"]
    assert n2.file_json()["records"] == n1.file_json()["records"]


def test_pull_large_config_from_python_peer(nodes):
    cfg = python_node_config("10.5.9.9", 9)
    cfg["records"] += big_records(BIG)
    with FakePeer(cfg) as fp:
        assert len(fp.raw) > 1_000_000
        n = single(nodes, peers=[fp.addr], **FAST_PULL)
        n.wait_version(9, timeout=PULL_DEADLINE)
        assert n.answer("h%d.big.ha.test" % (BIG - 1)) == ["10.0.78.31"]
        assert n.answer() == ["10.5.9.9"]
        assert n.ready()["records"] == BIG + 3


def test_hung_peer_does_not_hold_up_the_node(nodes):
    """A peer that accepts the connection and never answers costs its 5 s timeout; the
    other peers are still pushed to, and the node keeps serving DNS and its API meanwhile."""
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(16)
        hung_addr = "127.0.0.1:%d" % hung.getsockname()[1]
        b = single(nodes, **NO_PULL)
        a = single(nodes, peers=[hung_addr, b.addr])
        a.write(with_value(a.file_json(), "10.6.1.1"))
        out = {}

        def reload():
            t0 = time.monotonic()
            out["r"] = a.post("/reload", timeout=30)
            out["t"] = time.monotonic() - t0

        t = threading.Thread(target=reload)
        t.start()
        # while the push waits on the hung peer: the API and DNS answer at once
        wait_until(lambda: a.answer(timeout=0.5) == ["10.6.1.1"], 3.0, what="the new data")
        t0 = time.monotonic()
        assert a.get("/health", timeout=2).status == 200
        assert time.monotonic() - t0 < 1.0
        assert t.is_alive(), "the reload did not wait for the hung peer"
        t.join(20)
        assert not t.is_alive()
        body = assert_json(out["r"], 200)
        assert 4.0 <= out["t"] < 9.0, out["t"]
        assert "error" in body["peers"][hung_addr], body
        assert body["peers"][b.addr].get("status") == "applied", body
        b.wait_version(2, timeout=PUSH_DEADLINE)


def test_sync_counters_move(nodes):
    n1, n2 = cluster(nodes, n=2, **NO_PULL)

    def total(n):
        r = n.get("/metrics?format=prometheus")
        assert r.status == 200
        return sum(s.value for f in text_string_to_metric_families(r.body.decode())
                   for s in f.samples if s.name == "nanodns_sync_total")

    b1, b2 = total(n1), total(n2)
    n1.reload()
    n2.wait_version(2, timeout=PUSH_DEADLINE)
    assert total(n1) - b1 >= 1
    assert total(n2) - b2 >= 1


# ---- pull ----------------------------------------------------------------------------------------

def test_stopped_node_catches_up_after_restart(nodes):
    n1, n2, n3 = cluster(nodes, **FAST_PULL)
    server3 = n3.file_json()["server"]
    n3.stop()
    n1.write(with_value(n1.file_json(), "10.2.2.2"))
    body = n1.reload()
    assert body["version"] == 2
    assert body["peers"][n2.addr].get("status") == "applied", body
    assert "error" in body["peers"][n3.addr], body
    n3.start()
    n3.wait_version(2, timeout=PULL_DEADLINE)
    n3.wait_answer("10.2.2.2", timeout=1.0)
    f = n3.file_json()
    assert f["records"][0]["value"] == "10.2.2.2"
    assert f["server"]["config_version"] == 2
    assert_local_keys(n3, server3)
    assert n3.raw() == n3.file_bytes()
    # and the cluster settles: no node keeps rewriting its file or moving its version
    files = [n.file_bytes() for n in (n1, n2, n3)]
    stays(lambda: [n.file_bytes() for n in (n1, n2, n3)] == files
          and [n.version() for n in (n1, n2, n3)] == [2, 2, 2], 1.0, what="a settled cluster")


def test_periodic_pull(nodes):
    """A node pulls not only at start: a peer that moves ahead later is caught up with."""
    b = single(nodes, **NO_PULL)
    a = single(nodes, peers=[b.addr], **FAST_PULL)
    r = b.sync(peer_body(b, "10.2.3.3", 5))
    assert assert_json(r, 200)["status"] == "applied"
    a.wait_version(5, timeout=PULL_DEADLINE)
    a.wait_answer("10.2.3.3", timeout=1.0)


def test_pull_takes_the_highest_peer(nodes):
    b = single(nodes, version=3, value="10.2.4.3", **NO_PULL)
    c = single(nodes, version=7, value="10.2.4.7", **NO_PULL)
    a = single(nodes, peers=[b.addr, c.addr], **FAST_PULL)
    a.wait_version(7, timeout=PULL_DEADLINE)
    a.wait_answer("10.2.4.7", timeout=1.0)
    assert a.file_json()["server"]["peers"] == [b.addr, c.addr]


def test_no_pull_from_a_lower_peer(nodes):
    with FakePeer(node_config(1, version=2, value="10.2.5.2")) as fp:
        a = single(nodes, version=5, peers=[fp.addr], **FAST_PULL)
        wait_until(lambda: len(fp.requests("GET", "/health")) >= 3, PULL_DEADLINE,
                   what="three pull rounds")
        assert fp.requests("GET", "/config/raw") == []
        assert a.version() == 5
        assert a.answer() == ["10.0.0.1"]


# ---- the /sync receiver --------------------------------------------------------------------------

def test_sync_applied(nodes):
    n = single(nodes)
    server = n.file_json()["server"]
    body = assert_json(n.sync(peer_body(n, "10.3.1.1", 2)), 200)
    assert body["status"] == "applied"
    assert body["version"] == 2
    assert (body["records"], body["zones"]) == (3, 1)
    assert body["checksum"] == n.ready()["checksum"] == checksum(n.file_bytes()) \
        == checksum(n.raw())
    assert n.answer() == ["10.3.1.1"]
    assert n.version() == 2
    assert n.file_json()["server"]["config_version"] == 2
    assert_local_keys(n, server)
    # persisted: a restart serves it
    n.stop()
    n.start()
    assert n.version() == 2
    assert n.answer() == ["10.3.1.1"]


def test_sync_equal_version_applied(nodes):
    n = single(nodes, version=4)
    body = assert_json(n.sync(peer_body(n, "10.3.2.2", 4)), 200)
    assert body["status"] == "applied" and body["version"] == 4
    assert n.answer() == ["10.3.2.2"]


def test_sync_already_current(nodes):
    n = single(nodes, version=3)
    before = n.file_bytes()
    body = assert_json(n.sync(n.raw()), 200)
    assert body == {"status": "already_current", "version": 3, "checksum": checksum(before)}
    assert n.file_bytes() == before


def test_sync_stale_409(nodes):
    n = single(nodes, version=5)
    before = n.file_bytes()
    body = assert_json(n.sync(peer_body(n, "10.3.3.3", 3)), 409)
    assert body == {"status": "rejected_stale", "my_version": 5, "incoming_version": 3}
    assert_untouched(n, before, 5)


def test_sync_stale_beats_invalid(nodes):
    """The version check comes before validation, as in the original."""
    n = single(nodes, version=5)
    cfg = with_value(n.file_json(), "10.0.0.300", 3)
    body = assert_json(n.sync(dump(cfg)), 409)
    assert body["status"] == "rejected_stale"


def test_sync_empty_body_400(nodes):
    n = single(nodes)
    before = n.file_bytes()
    assert assert_json(n.sync(b""), 400) == {"error": "empty body"}
    assert_untouched(n, before, 1)


@pytest.mark.parametrize("kind", ["syntax", "truncated", "array", "bad-ip", "bad-type",
                                  "records-object"])
def test_sync_invalid_400(nodes, kind):
    n = single(nodes)
    before = n.file_bytes()
    good = with_value(n.file_json(), "10.3.4.4", 9)
    if kind == "syntax":
        body = b"{\"server\": {\"config_version\": 9,}}"
    elif kind == "truncated":
        body = dump(good)[:-20]
    elif kind == "array":
        body = b"[1, 2, 3]"
    elif kind == "bad-ip":
        body = dump(with_value(good, "10.0.0.300"))
    elif kind == "bad-type":
        good["records"][0]["type"] = "BOGUS"
        body = dump(good)
    else:
        good["records"] = {"name": NAME}
        body = dump(good)
    assert_error(n.sync(body), 400)
    assert_untouched(n, before, 1)
    assert n.ready()["checksum"] == checksum(before)


def test_sync_rust_body_form(nodes):
    n = single(nodes, version=2)
    cfg = json.loads(peer_body(n, "10.3.5.5", 7))
    del cfg["server"]["config_version"]
    body = assert_json(n.sync({"config_version": 7, "config": cfg}), 200)
    assert body["status"] == "applied" and body["version"] == 7, body
    assert n.version() == 7
    assert n.answer() == ["10.3.5.5"]
    f = n.file_json()
    assert "config" not in f and f["records"][0]["value"] == "10.3.5.5", f
    assert f["server"]["config_version"] == 7
    # the file it wrote loads at the next start
    n.stop()
    n.start()
    assert n.version() == 7


def test_sync_rust_body_form_stale(nodes):
    n = single(nodes, version=4)
    before = n.file_bytes()
    cfg = json.loads(peer_body(n, "10.3.6.6", 2))
    body = assert_json(n.sync({"config_version": 2, "config": cfg}), 409)
    assert body == {"status": "rejected_stale", "my_version": 4, "incoming_version": 2}
    assert_untouched(n, before, 4)


VERSION_MAX = 2 ** 53 - 1  # the largest config_version (CONF_VERSION_MAX)


@pytest.mark.parametrize("form", ["python", "rust"])
def test_sync_version_over_max_400(nodes, form):
    """A version no node could load again is refused at once, whatever the body's form."""
    n = single(nodes, version=2)
    before = n.file_bytes()
    cfg = json.loads(peer_body(n, "10.3.8.8", VERSION_MAX + 1))
    if form == "rust":
        del cfg["server"]["config_version"]
        cfg = {"config_version": VERSION_MAX + 1, "config": cfg}
    assert "config_version" in assert_error(n.sync(dump(cfg)), 400)["error"]
    assert_untouched(n, before, 2)


def test_reload_at_max_version_applies_nothing(nodes):
    """A node at the last version cannot bump it: the reload fails whole, and the edited file
    is neither applied nor rewritten."""
    n = single(nodes)
    assert assert_json(n.sync(peer_body(n, "10.3.9.9", VERSION_MAX)), 200)["version"] \
        == VERSION_MAX
    edited = n.write(with_value(n.file_json(), "10.3.9.10"))
    assert "out of range" in assert_error(n.post("/reload"), 500)["error"]
    assert n.file_bytes() == edited
    assert n.version() == VERSION_MAX
    assert n.answer() == ["10.3.9.9"]


def test_sync_keeps_node_local_keys(nodes):
    n = single(nodes, peers=["127.0.0.1:%d" % dead_port()])
    mine = n.file_json()["server"]
    dns_port = n.port
    theirs = with_value(n.file_json(), "10.3.7.7", 5)
    theirs["server"].update({"host": "10.9.9.9", "port": 5399, "mgmt_host": "0.0.0.0",
                             "mgmt_port": 9999, "peers": ["192.0.2.1:9053", "192.0.2.2:9053"],
                             "upstream_timeout": 2, "cache_ttl": 123})
    body = assert_json(n.sync(dump(theirs)), 200)
    assert body["status"] == "applied"
    assert body.get("restart_required", []) == [], body
    f = n.file_json()
    assert_local_keys(n, mine)
    assert f["server"]["upstream_timeout"] == 2 and f["server"]["cache_ttl"] == 123
    assert f["server"]["config_version"] == 5
    assert f["records"] == theirs["records"]
    # still on its own sockets, with its own peer list
    assert n.port == dns_port and n.answer() == ["10.3.7.7"]
    assert set(assert_json(n.get("/cluster"), 200)["peers"]) == set(mine["peers"])
    assert n.raw() == n.file_bytes()


def test_sync_flushes_cache(nodes):
    with FakeUpstream() as up:
        up.answer("cached.sync.test", "A", ["192.0.2.30"], ttl=3600)
        n = single(nodes, upstream=[up.addr])
        for _ in range(2):
            assert n.answer("cached.sync.test") == ["192.0.2.30"]
        assert up.count("cached.sync.test") == 1
        cfg = with_value(n.file_json(), "10.3.8.8", 2)
        assert assert_json(n.sync(dump(cfg)), 200)["status"] == "applied"
        up.answer("cached.sync.test", "A", ["192.0.2.31"], ttl=3600)
        assert n.answer("cached.sync.test") == ["192.0.2.31"]
        assert up.count("cached.sync.test") == 2


# ---- mgmt_token ----------------------------------------------------------------------------------

def test_token_cluster_syncs(nodes):
    n1, n2, n3 = cluster(nodes, token="cluster-secret", **NO_PULL)
    n1.write(with_value(n1.file_json(), "10.4.1.1"))
    body = n1.reload()
    for n in (n2, n3):
        assert body["peers"][n.addr].get("status") == "applied", body
        n.wait_version(2, timeout=PUSH_DEADLINE)
        n.wait_answer("10.4.1.1", timeout=PUSH_DEADLINE)


def test_token_cluster_pull(nodes):
    n1, n2 = cluster(nodes, n=2, token="cluster-secret", **FAST_PULL)
    n2.stop()
    n1.write(with_value(n1.file_json(), "10.4.2.2"))
    n1.reload()
    n2.start()
    n2.wait_version(2, timeout=PULL_DEADLINE)
    n2.wait_answer("10.4.2.2", timeout=1.0)


@pytest.mark.parametrize("auth", [None, "Bearer wrong", "Basic Y2x1c3Rlci1zZWNyZXQ="])
def test_token_unauthenticated_sync_refused(nodes, auth):
    (n,) = cluster(nodes, n=1, token="cluster-secret", **NO_PULL)
    before = n.file_bytes()
    headers = {"Authorization": auth} if auth else {}
    assert_error(n.sync(peer_body(n, "10.4.3.3", 9), auth=False, headers=headers), 401)
    assert_untouched(n, before, 1)


def test_token_mismatch_between_nodes(nodes):
    n1, n2 = cluster(nodes, n=2, tokens=["token-one", "token-two"], **NO_PULL)
    before = n2.file_bytes()
    body = n1.reload()
    reply = body["peers"][n2.addr]
    assert reply.get("status") != "applied" and "error" in reply, body
    assert_untouched(n2, before, 1)


# ---- interop with NanoDNS 1.0 (Python) -----------------------------------------------------------

def python_node_config(value, version):
    """A config as a Python node holds it: its own mgmt_port and peers."""
    cfg = node_config(9053, value=value, version=version, peers=["10.0.0.11:9053"])
    return cfg


def test_push_to_python_peer(nodes):
    with FakePeer(python_node_config("10.0.0.1", 1)) as fp:
        n = single(nodes, peers=[fp.addr])
        n.write(with_value(n.file_json(), "10.5.1.1"))
        body = n.reload()
        reply = body["peers"][fp.addr]
        assert reply == {"status": "applied", "version": 2, "checksum": checksum(fp.raw),
                         "records": 3, "zones": 1}, body
        posts = fp.requests("POST", "/sync")
        assert len(posts) == 1
        assert posts[0].body == n.file_bytes() == fp.raw
        assert fp.version == 2
        assert fp.config()["records"][0]["value"] == "10.5.1.1"


def test_python_peer_rejection_is_reported(nodes):
    with FakePeer(python_node_config("10.0.0.1", 9)) as fp:
        n = single(nodes, peers=[fp.addr])
        body = n.reload()
        assert body["version"] == 2
        assert body["peers"][fp.addr] == {"status": "rejected_stale", "my_version": 9,
                                          "incoming_version": 2}, body


def test_pull_from_python_peer(nodes):
    with FakePeer(python_node_config("10.5.2.2", 50)) as fp:
        n = single(nodes, peers=[fp.addr], **FAST_PULL)
        server = n.file_json()["server"]
        n.wait_version(50, timeout=PULL_DEADLINE)
        n.wait_answer("10.5.2.2", timeout=1.0)
        assert fp.requests("GET", "/config/raw"), "pulled without GET /config/raw"
        f = n.file_json()
        assert f["records"] == fp.config()["records"]
        assert f["server"]["config_version"] == 50
        assert_local_keys(n, server)


def test_pull_of_an_invalid_config_is_refused(nodes):
    cfg = python_node_config("10.0.0.300", 9)
    with FakePeer(cfg) as fp:
        n = single(nodes, peers=[fp.addr], **FAST_PULL)
        before = n.file_bytes()
        wait_until(lambda: len(fp.requests("GET", "/config/raw")) >= 2, PULL_DEADLINE,
                   what="two pull attempts")
        assert n.srv.alive()
        assert_untouched(n, before, 1)


def test_pull_never_rolls_back(nodes):
    """A peer whose /health claims a higher version but whose /config/raw holds an older one
    (it changed in between, or it lies): the older config is not applied."""
    with FakePeer(python_node_config("10.5.4.4", 2)) as fp:
        fp.health_version = 9
        n = single(nodes, version=5, peers=[fp.addr], **FAST_PULL)
        before = n.file_bytes()
        wait_until(lambda: len(fp.requests("GET", "/config/raw")) >= 1, PULL_DEADLINE,
                   what="a pull attempt")
        wait_until(lambda: len(fp.requests("GET", "/health")) >= 3, PULL_DEADLINE,
                   what="another pull round")
        assert_untouched(n, before, 5)


def test_pulled_config_is_pushed_on(nodes):
    """After a pull the node pushes the config to its other peers."""
    with FakePeer(python_node_config("10.5.3.3", 9)) as high, \
            FakePeer(python_node_config("10.0.0.1", 1)) as low:
        n = single(nodes, peers=[high.addr, low.addr], **FAST_PULL)
        n.wait_version(9, timeout=PULL_DEADLINE)
        wait_until(lambda: low.version == 9, PULL_DEADLINE, what="the push to the lagging peer")
        assert low.config()["records"][0]["value"] == "10.5.3.3"


def test_token_sent_to_peers(nodes):
    with FakePeer(python_node_config("10.0.0.1", 1)) as fp:
        n = single(nodes, peers=[fp.addr], token="abc123")
        n.reload()
        (post,) = fp.requests("POST", "/sync")
        auth = {k.lower(): v for k, v in post.headers.items()}.get("authorization")
        assert auth == "Bearer abc123"


def test_cluster_view(nodes):
    with FakePeer(python_node_config("10.0.0.1", 4)) as fp:
        b = single(nodes, version=3, **NO_PULL)
        dead = "127.0.0.1:%d" % dead_port()
        a = single(nodes, peers=[b.addr, fp.addr, dead])
        body = assert_json(a.get("/cluster"), 200)
        assert body["self"].get("version") == 1
        peers = body["peers"]
        assert set(peers) == {b.addr, fp.addr, dead}
        bh = peers[b.addr]
        assert bh["reachable"] is True and bh["status"] == "ok" and bh["version"] == 3, bh
        fh = peers[fp.addr]
        assert fh["reachable"] is True and fh["version"] == 4 and fh["status"] == "ok", fh
        assert "uptime_s" in fh
        dh = peers[dead]
        assert dh["reachable"] is False and isinstance(dh.get("error"), str) and dh["error"]


@pytest.mark.skipif(not (REFERENCE_DIR / "example-config.json").is_file(),
                    reason="../shared/reference not present")
def test_sync_accepts_a_python_written_config(nodes):
    """The original's example config (as a Python node would push it) is applied."""
    cfg = json.loads((REFERENCE_DIR / "example-config.json").read_bytes())
    cfg["server"]["upstream"] = []
    cfg["server"]["config_version"] = 2
    n = single(nodes)
    body = assert_json(n.sync(json.dumps(cfg, indent=2).encode()), 200)
    assert body["status"] == "applied" and body["version"] == 2
    assert (body["records"], body["zones"]) == (len(cfg["records"]), len(cfg["zones"]))
    r = n.query("web.internal.lan", "A")
    assert r.rcode() == dns.rcode.NOERROR
    assert [rd.address for rd in r.answer[0]] == ["192.168.1.100"]
