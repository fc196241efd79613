"""Helpers for the management API, hot reload, HA sync and metrics tests (issue 5).

A Node is one nanodns process with the management API on 127.0.0.1:<a free TCP port chosen
here> (written into its config file as server.mgmt_port, not passed on the command line, so
that the port is node-local data the sync code must keep). DNS runs on the harness's
`--host 127.0.0.1 --port 0`.

    from mgmthelp import nodes          # the fixture, imported into the test module
    node = nodes(config_dict)           # factory; every node is stopped and checked at teardown
    r = node.get("/health")             # Resp(status, headers, body); r.json
    r = node.post("/reload")            # sends the node's mgmt_token when it has one
    wait_until(lambda: node.version() == 3, timeout=2, what="version 3")

Everything runs on 127.0.0.1. Waiting is always polling against a deadline.
"""

import hashlib
import http.client
import json
import os
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.rdatatype
import pytest

from conftest import Server, base_server, write_config

MGMT_TIMEOUT = 10.0     # seconds for the management API to come up after the DNS side
HTTP_TIMEOUT = 5.0

ZONE = "ha.test"
NAME = "www.ha.test"
# Sync timings for a node that must never pull on its own during a test.
NO_PULL = {"sync_startup_delay": 3600, "sync_interval": 3600}
# ... and for a node that should pull quickly.
FAST_PULL = {"sync_startup_delay": 0.2, "sync_interval": 0.5}


def free_tcp_port():
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dead_port():
    """A TCP port on 127.0.0.1 where (most likely) nothing listens: connections are refused."""
    return free_tcp_port()


def checksum(data):
    """NanoDNS's checksum: the first 16 hex digits of SHA-256 over the config bytes."""
    return hashlib.sha256(data).hexdigest()[:16]


def wait_until(pred, timeout=5.0, interval=0.02, what=None):
    """Polls pred() until it returns a true value (returned) or the deadline passes
    (AssertionError naming `what` and the last value or exception)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = pred()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - reported if the deadline passes
            last = e
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ss waiting for %s (last: %r)"
                                 % (timeout, what or pred, last))
        time.sleep(interval)


def stays(pred, duration, interval=0.05, what=None):
    """Asserts that pred() stays true for `duration` seconds (for "does not change")."""
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        v = pred()
        assert v, "%s became false" % (what or pred)
        time.sleep(interval)


# ---- HTTP ----------------------------------------------------------------------------------------

@dataclass
class Resp:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise AssertionError("HTTP %d body is not JSON (%s): %r"
                                 % (self.status, e, self.body[:500])) from None

    @property
    def ctype(self):
        return self.headers.get("Content-Type", "")

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def __repr__(self):
        return "Resp(%d, %r, %r)" % (self.status, self.ctype, self.body[:300])


def http_request(port, method, path, body=None, headers=None, timeout=HTTP_TIMEOUT,
                 host="127.0.0.1"):
    """One HTTP/1.1 request on a new connection; returns Resp (any status, no exceptions for
    4xx/5xx)."""
    h = {"Connection": "close"}
    if headers:
        h.update(headers)
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        return Resp(r.status, r.headers, data)
    finally:
        conn.close()


def http_get(port, path, headers=None, timeout=HTTP_TIMEOUT):
    return http_request(port, "GET", path, headers=headers, timeout=timeout)


def http_post(port, path, body=b"", headers=None, timeout=HTTP_TIMEOUT):
    return http_request(port, "POST", path, body=body, headers=headers, timeout=timeout)


def assert_json(r, status):
    """Checks the status and the JSON content type; returns the parsed body."""
    assert r.status == status, "expected HTTP %d, got %r" % (status, r)
    assert r.ctype.split(";")[0].strip().lower() == "application/json", r
    return r.json


def assert_error(r, status):
    body = assert_json(r, status)
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body
    return body


# ---- configs -------------------------------------------------------------------------------------

def node_config(mgmt_port, value="10.0.0.1", version=1, peers=(), token=None, records=None,
                zones=None, **server):
    """A small config: zone ha.test, www.ha.test A <value> and two more records; the
    management API on 127.0.0.1:<mgmt_port>."""
    s = base_server(mgmt_host="127.0.0.1", mgmt_port=mgmt_port, peers=list(peers),
                    config_version=version)
    s.update(NO_PULL)
    if token is not None:
        s["mgmt_token"] = token
    s.update(server)
    if records is None:
        records = [
            {"name": NAME, "type": "A", "value": value, "ttl": 60},
            {"name": "mail.ha.test", "type": "A", "value": "10.0.0.25"},
            {"name": "ha.test", "type": "MX", "value": "mail.ha.test", "priority": 10},
        ]
    if zones is None:
        zones = {ZONE: {"soa": {"minimum": 60}, "ns": ["ns1.ha.test"]}}
    return {"server": s, "zones": zones, "records": records}


def with_value(cfg, value, version=None, name=NAME):
    """A copy of cfg whose A record for `name` has `value` (and config_version `version`)."""
    c = json.loads(json.dumps(cfg))
    for r in c["records"]:
        if r["name"] == name and r["type"] == "A":
            r["value"] = value
    if version is not None:
        c["server"]["config_version"] = version
    return c


def dump(cfg):
    """The bytes a test writes for a config dict (2-space indent, like NanoDNS)."""
    return (json.dumps(cfg, indent=2) + "\n").encode()


# ---- nodes ---------------------------------------------------------------------------------------

class Node:
    """A nanodns process with the management API on; see the module docstring.

    `config`: a dict (written with 2-space indent), bytes, or None to use the nanodns.json
    already in `workdir`. `dns_args` replace the harness's --host/--port (a test of
    restart_required needs the port from the file). `token`: sent by post() (default: the
    config's server.mgmt_token)."""

    def __init__(self, workdir, config, extra_args=(), token=None, start=True,
                 check_exit=True, dns_args=("--host", "127.0.0.1", "--port", "0")):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / "nanodns.json"
        if config is not None:
            write_config(self.path, config if isinstance(config, bytes) else dump(config))
        cfg = json.loads(self.path.read_bytes())
        self.mgmt_port = cfg["server"]["mgmt_port"]
        self.token = token if token is not None else cfg["server"].get("mgmt_token")
        self.extra_args = list(extra_args)
        self.dns_args = list(dns_args)
        self.check_exit = check_exit
        self.srv = None
        if start:
            self.start()

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.mgmt_port

    @property
    def port(self):
        return self.srv.port

    def start(self, wait_mgmt=True):
        assert self.srv is None or not self.srv.alive()
        self.srv = Server(["start", "--config", self.path, *self.dns_args, *self.extra_args],
                          cwd=self.dir)
        if wait_mgmt:
            self.wait_mgmt()
        return self

    def wait_mgmt(self, timeout=MGMT_TIMEOUT):
        def up():
            assert self.srv.alive(), "nanodns exited:\n%s" % self.srv.log
            return self.get("/health", timeout=1.0).status == 200
        try:
            wait_until(up, timeout, what="the management API on %s" % self.addr)
        except AssertionError as e:
            raise AssertionError("%s\nlog:\n%s" % (e, self.srv.log)) from None

    def stop(self, sig=signal.SIGTERM):
        if self.srv is None:
            return None
        if sig == signal.SIGTERM and self.check_exit:
            self.srv.assert_clean_exit()
            return 0
        return self.srv.stop(sig)

    def kill(self):
        return self.srv.stop(signal.SIGKILL)

    # ---- HTTP --------------------------------------------------------------------------------
    def _auth(self, headers, auth):
        h = dict(headers or {})
        if auth and self.token and "Authorization" not in h:
            h["Authorization"] = "Bearer " + self.token
        return h

    def get(self, path, headers=None, timeout=HTTP_TIMEOUT):
        return http_get(self.mgmt_port, path, headers, timeout)

    def post(self, path, body=b"", headers=None, auth=True, timeout=HTTP_TIMEOUT):
        return http_post(self.mgmt_port, path, body, self._auth(headers, auth), timeout)

    def request(self, method, path, body=None, headers=None, auth=True, timeout=HTTP_TIMEOUT):
        return http_request(self.mgmt_port, method, path, body, self._auth(headers, auth),
                            timeout)

    def health(self):
        return assert_json(self.get("/health"), 200)

    def version(self):
        return self.health()["version"]

    def ready(self):
        return assert_json(self.get("/ready"), 200)

    def raw(self):
        r = self.get("/config/raw")
        assert r.status == 200, r
        return r.body

    def reload(self, status=200):
        r = self.post("/reload")
        return assert_json(r, status)

    def sync(self, body, auth=True, headers=None):
        return self.post("/sync", body, headers=headers, auth=auth)

    # ---- the file ----------------------------------------------------------------------------
    def file_bytes(self):
        return self.path.read_bytes()

    def file_json(self):
        return json.loads(self.path.read_bytes())

    def write(self, cfg):
        """Rewrites the config file in place (truncate + write), as `echo > file` does."""
        data = cfg if isinstance(cfg, bytes) else dump(cfg)
        with open(self.path, "wb") as f:
            f.write(data)
        return data

    def write_atomic(self, cfg):
        """Replaces the config file by rename, as most editors do."""
        data = cfg if isinstance(cfg, bytes) else dump(cfg)
        tmp = self.path.with_name(".edit.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, self.path)
        return data

    # ---- DNS ---------------------------------------------------------------------------------
    def query(self, *a, **kw):
        return self.srv.query(*a, **kw)

    def answer(self, name=NAME, rdtype="A", timeout=2.0):
        """The sorted rdata texts of the answer for name/type (None on a timeout)."""
        try:
            r = self.srv.query(name, rdtype, timeout=timeout)
        except dns.exception.Timeout:
            return None
        out = []
        for rrset in r.answer:
            if rrset.rdtype == dns.rdatatype.from_text(rdtype):
                out.extend(rd.to_text() for rd in rrset)
        return sorted(out)

    def wait_answer(self, value, name=NAME, rdtype="A", timeout=3.0):
        return wait_until(lambda: self.answer(name, rdtype, timeout=0.5) == [value], timeout,
                          what="%s %s = %s on %s" % (name, rdtype, value, self.addr))

    def wait_version(self, version, timeout=3.0):
        return wait_until(lambda: self.version() == version, timeout,
                          what="version %s on %s" % (version, self.addr))


@pytest.fixture
def nodes(tmp_path):
    """Factory: nodes(config, name=None, extra_args=(), start=True) -> Node. Every node is
    stopped at teardown and must exit cleanly (status 0, no sanitizer report)."""
    made = []
    count = [0]

    def make(config, name=None, **kw):
        count[0] += 1
        n = Node(tmp_path / (name or "node%d" % count[0]), config, **kw)
        made.append(n)
        return n

    yield make
    errors = []
    for n in made:
        if n.srv is None:
            continue
        try:
            n.stop()
        except AssertionError as e:
            errors.append(str(e))
    if errors:
        pytest.fail("\n\n".join(errors))


# ---- JSON layout ---------------------------------------------------------------------------------

def key_order(obj):
    """Every object's key order, recursively: [(json path, [keys])] (from a JSON text parsed
    with object_pairs_hook)."""
    out = []

    def walk(o, path):
        if isinstance(o, _Pairs):
            out.append((path, [k for k, _ in o]))
            for k, v in o:
                walk(v, path + "." + k)
        elif isinstance(o, list):
            for i, v in enumerate(o):
                walk(v, "%s[%d]" % (path, i))

    walk(obj, "$")
    return out


class _Pairs(list):
    pass


def parse_pairs(data):
    return json.loads(data, object_pairs_hook=_Pairs)


def indentation_errors(text):
    """Lines whose indentation is not 2 spaces per nesting level (one JSON value per line,
    as json.dumps(indent=2) writes); returns [(line number, line)]."""
    errors = []
    depth = 0
    for no, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip(" ")
        if not stripped:
            continue
        if "\t" in line[: len(line) - len(stripped)]:
            errors.append((no, line))
            continue
        lead = depth
        if stripped[0] in "]}":
            lead = depth - 1
        if len(line) - len(stripped) != 2 * lead:
            errors.append((no, line))
        # update depth from the brackets outside strings
        in_str = esc = False
        for ch in stripped:
            if in_str:
                if esc:
                    esc = False
                elif ch == "\\":
                    esc = True
                elif ch == '"':
                    in_str = False
            elif ch == '"':
                in_str = True
            elif ch in "[{":
                depth += 1
            elif ch in "]}":
                depth -= 1
    return errors
