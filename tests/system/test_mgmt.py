"""The management API (issue 5, contract section 5): every endpoint's status and JSON shape,
404 and 405, the mgmt_token, /config/raw and the checksum.

The shared node (module scope) is only read from; tests that change state start their own.
"""

import json
import socket
import threading

import pytest

from conftest import run_cli
from mgmthelp import (Node, assert_error, assert_json, checksum, dump, free_tcp_port,
                      http_get, node_config, nodes, wait_until)  # noqa: F401 (nodes: a fixture)

TOKEN = "s3cret-t0ken"


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    # test_parallel_clients opens 12 connections at once, above server.http_max_per_ip's
    # default of 8 (that limit has its own test in test_tcp_limits.py).
    n = Node(tmp_path_factory.mktemp("mgmt"), node_config(free_tcp_port(), http_max_per_ip=16))
    yield n
    n.stop()


def is_one_decimal(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and round(x, 1) == x


def is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


# ---- GET endpoints -----------------------------------------------------------------------------

def test_health(node):
    body = assert_json(node.get("/health"), 200)
    assert body["status"] == "ok"
    assert body["version"] == 1 and is_int(body["version"])
    assert is_one_decimal(body["uptime_s"]) and body["uptime_s"] >= 0, body
    assert set(body) >= {"status", "version", "uptime_s"}


def test_health_uptime_advances(node):
    first = node.health()["uptime_s"]
    wait_until(lambda: node.health()["uptime_s"] >= first + 0.1, 3.0, what="uptime to advance")


def test_ready(node):
    body = assert_json(node.get("/ready"), 200)
    assert body == {"status": "ready", "version": 1, "checksum": checksum(node.file_bytes()),
                    "records": 3, "zones": 1}


def test_config_raw_is_the_file(node):
    r = node.get("/config/raw")
    assert r.status == 200
    assert r.ctype.split(";")[0].strip() == "application/json", r
    assert r.body == node.file_bytes()
    assert int(r.header("Content-Length", len(r.body))) == len(r.body)


def test_checksum_everywhere(node):
    c = checksum(node.file_bytes())
    assert c == checksum(node.raw())
    assert len(c) == 16 and all(ch in "0123456789abcdef" for ch in c)
    assert node.ready()["checksum"] == c
    assert assert_json(node.get("/metrics"), 200)["checksum"] == c


def test_metrics_json_minimal(node):
    body = assert_json(node.get("/metrics"), 200)
    for k in ("uptime_s", "version", "checksum", "records", "zones", "cache"):
        assert k in body, (k, body)
    assert body["version"] == 1 and body["records"] == 3 and body["zones"] == 1
    for k in ("size", "max_size", "hits", "misses", "hit_rate"):
        assert k in body["cache"], (k, body["cache"])


def test_cluster_without_peers(node):
    body = assert_json(node.get("/cluster"), 200)
    assert set(body) == {"self", "peers"}, body
    assert body["peers"] == {}
    assert isinstance(body["self"], dict) and body["self"].get("version") == 1, body


def test_every_reply_is_json(node):
    for path in ("/health", "/ready", "/metrics", "/cluster", "/nope"):
        r = node.get(path)
        assert r.ctype.split(";")[0].strip() == "application/json", (path, r)
        r.json  # parses


def test_counts_as_nanodns_counts(nodes):
    """records = len(records), duplicates and wildcards included; zones = number of zones
    (an empty one and a trailing-dot one too)."""
    records = [
        {"name": "a.one.test", "type": "A", "value": "10.1.0.1"},
        {"name": "a.one.test", "type": "A", "value": "10.1.0.2"},
        {"name": "w.one.test", "type": "A", "value": "10.1.0.3", "wildcard": True},
        {"name": "t.two.test", "type": "TXT", "value": "hello"},
        {"name": "one.test", "type": "MX", "value": "a.one.test", "priority": 5},
    ]
    zones = {"one.test": {}, "two.test.": {"soa": {"serial": 7}}, "three.test": {}}
    n = nodes(node_config(free_tcp_port(), records=records, zones=zones))
    ready = n.ready()
    assert (ready["records"], ready["zones"]) == (5, 3), ready
    m = assert_json(n.get("/metrics"), 200)
    assert (m["records"], m["zones"]) == (5, 3), m


# ---- errors --------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("GET", "/x"), ("GET", "/"), ("GET", "/healthz"), ("GET", "/config"),
    ("GET", "/config/raw/extra"), ("POST", "/x"), ("GET", "/HEALTH"),
])
def test_unknown_path_404(node, method, path):
    r = node.request(method, path, body=b"" if method == "POST" else None)
    body = assert_json(r, 404)
    assert body == {"error": "unknown path: %s" % path}


@pytest.mark.parametrize("method,path,allowed", [
    ("POST", "/health", "GET"), ("POST", "/ready", "GET"), ("POST", "/metrics", "GET"),
    ("POST", "/cluster", "GET"), ("POST", "/config/raw", "GET"),
    ("GET", "/reload", "POST"), ("GET", "/sync", "POST"),
    ("PUT", "/health", "GET"), ("DELETE", "/reload", "POST"), ("PUT", "/sync", "POST"),
])
def test_wrong_method_405(node, method, path, allowed):
    before = node.file_bytes()
    r = node.request(method, path, body=b"" if method != "GET" else None)
    assert_error(r, 405)
    allow = r.header("Allow")
    assert allow, "405 without an Allow header: %r" % r
    assert allowed in [a.strip() for a in allow.split(",")], allow
    assert node.file_bytes() == before
    assert node.version() == 1


def test_garbage_request_does_not_hurt(node):
    with socket.create_connection(("127.0.0.1", node.mgmt_port), timeout=3) as s:
        s.sendall(b"\x00\xff garbage \r\n\r\n")
        s.settimeout(0.5)
        try:
            data = s.recv(4096)
        except (socket.timeout, ConnectionResetError):
            data = b""
    if data:
        assert data.startswith(b"HTTP/1.") and data.split()[1][:1] == b"4", data[:200]
    node.health()
    assert node.answer() == ["10.0.0.1"]


def test_idle_connection_does_not_block_others(node):
    """A client that opens a connection and sends half a request must not stall the API."""
    with socket.create_connection(("127.0.0.1", node.mgmt_port), timeout=3) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        r = http_get(node.mgmt_port, "/health", timeout=2)
        assert r.status == 200
        assert node.answer() == ["10.0.0.1"]


def test_parallel_clients(node):
    results = []

    def one():
        results.append(http_get(node.mgmt_port, "/health", timeout=5).status)

    ts = [threading.Thread(target=one) for _ in range(12)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(10)
    assert results == [200] * 12


# ---- command line --------------------------------------------------------------------------------

def test_mgmt_port_from_command_line(tmp_path):
    port = free_tcp_port()
    cfg = node_config(0)
    n = Node(tmp_path / "cli", cfg, extra_args=["--mgmt-port", str(port)], start=False)
    n.mgmt_port = port
    n.start()
    try:
        assert n.health()["status"] == "ok"
    finally:
        n.stop()


def test_mgmt_host_from_command_line(tmp_path):
    port = free_tcp_port()
    cfg = node_config(port, mgmt_host="0.0.0.0")
    n = Node(tmp_path / "cli", cfg, extra_args=["--mgmt-host", "127.0.0.1"])
    try:
        assert n.health()["status"] == "ok"
    finally:
        n.stop()


# ---- mgmt_token ----------------------------------------------------------------------------------

@pytest.fixture
def tnode(nodes):
    return nodes(node_config(free_tcp_port(), token=TOKEN))


@pytest.mark.parametrize("path", ["/health", "/ready", "/metrics", "/cluster"])
def test_token_get_stays_open(tnode, path):
    assert tnode.get(path).status == 200


def test_token_guards_config_raw(tnode):
    """The file holds the token: /config/raw without it would give the token away."""
    r = tnode.get("/config/raw")
    assert r.status == 401
    assert TOKEN.encode() not in r.body
    r = tnode.get("/config/raw", headers={"Authorization": "Bearer " + TOKEN})
    assert r.status == 200 and TOKEN.encode() in r.body


@pytest.mark.parametrize("header", [
    None, "Bearer wrong", "Bearer " + TOKEN + "x", "Bearer", "Bearer ", "Basic " + TOKEN,
    TOKEN, "bearer-" + TOKEN, "Bearer " + TOKEN[:-1],
])
def test_token_reload_refused(tnode, header):
    before = tnode.file_bytes()
    headers = {"Authorization": header} if header is not None else {}
    r = tnode.post("/reload", headers=headers, auth=False)
    assert_error(r, 401)
    assert tnode.file_bytes() == before, "a refused reload rewrote the file"
    assert tnode.version() == 1


def test_token_reload_accepted(tnode):
    body = assert_json(tnode.post("/reload"), 200)
    assert body["status"] == "reloaded" and body["version"] == 2
    assert tnode.version() == 2


def test_token_sync_refused(tnode):
    before = tnode.file_bytes()
    cfg = json.loads(before)
    cfg["server"]["config_version"] = 50
    cfg["records"][0]["value"] = "10.6.6.6"
    for headers in ({}, {"Authorization": "Bearer nope"}):
        r = tnode.post("/sync", json.dumps(cfg, indent=2).encode(), headers=headers, auth=False)
        assert_error(r, 401)
    assert tnode.file_bytes() == before
    assert tnode.version() == 1
    assert tnode.answer() == ["10.0.0.1"]


def test_token_sync_accepted(tnode):
    cfg = json.loads(tnode.file_bytes())
    cfg["server"]["config_version"] = 50
    cfg["records"][0]["value"] = "10.6.6.6"
    body = assert_json(tnode.post("/sync", json.dumps(cfg, indent=2).encode()), 200)
    assert body["status"] == "applied" and body["version"] == 50
    assert tnode.answer() == ["10.6.6.6"]


def test_token_not_logged(tnode):
    tnode.post("/reload")
    tnode.post("/reload", headers={"Authorization": "Bearer wrong-" + TOKEN}, auth=False)
    tnode.post("/sync", b"{}", headers={"Authorization": "Bearer " + TOKEN[::-1]}, auth=False)
    log = tnode.srv.log + tnode.srv.stdout
    assert TOKEN not in log and TOKEN[::-1] not in log, "the token is in the log"


# ---- HTTP details --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/health?x=1", "/ready?", "/config/raw?v=2", "/cluster?a=b"])
def test_query_string_ignored(node, path):
    """As in the original (path.split("?")[0])."""
    assert node.get(path).status == 200


def test_query_string_not_in_404(node):
    assert assert_json(node.get("/nope?x=1"), 404) == {"error": "unknown path: /nope"}


def test_keep_alive(node):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", node.mgmt_port, timeout=5)
    try:
        for path in ("/health", "/ready", "/nope", "/health"):
            conn.request("GET", path)
            r = conn.getresponse()
            json.loads(r.read())
            assert r.status == (404 if path == "/nope" else 200)
    finally:
        conn.close()


# ---- start-up ------------------------------------------------------------------------------------

def test_start_logged_as_nanodns_does(node):
    assert "Management HTTP server on 127.0.0.1:%d" % node.mgmt_port in node.srv.log


def test_mgmt_port_in_use_is_an_error(tmp_path):
    """Like a DNS port that cannot be bound: an error naming the port, exit status 1."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        cfg = tmp_path / "c.json"
        cfg.write_bytes(dump(node_config(port)))
        p = run_cli("start", "--config", cfg, "--host", "127.0.0.1", "--port", "0", timeout=20)
    assert p.returncode == 1, p.stderr
    assert str(port) in p.stderr and "ERROR" in p.stderr, p.stderr
