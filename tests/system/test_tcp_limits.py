"""TCP and HTTP defences against connection exhaustion and slowloris clients.

DNS over TCP: server.tcp_max_clients with eviction of the connection idle the longest,
server.tcp_max_per_ip, and server.tcp_idle_timeout restarted only by complete messages and
written replies (a client dripping bytes is closed like an idle one), back-pressure on a client
that never reads. HTTP (management API and update listener): server.http_max_per_ip, an
overall request deadline of server.http_timeout (a client dripping header bytes is closed),
and server.http_max_clients with eviction of the oldest connection not being answered. The
counters tcp_refused, tcp_evicted, tcp_timeouts, http_evicted and http_timeouts show in
GET /metrics (JSON and Prometheus).

Linux routes all of 127/8 to lo, so a client socket bound to 127.0.0.2 is "another address".
"""

import socket
import ssl
import struct
import subprocess
import time

import dns.message
import dns.rcode
import pytest

from conftest import Server, base_server, free_port, tcp_read_msg, write_config
from fakeupstream import FakeUpstream
from mgmthelp import free_tcp_port, http_get

# 14 TXT records of 250 bytes each: a reply of about 3.6 kB.
BIG_TXT = ["%02d" % i + chr(ord("a") + i) * 248 for i in range(14)]

# 200 more: a reply of about 51 kB.
HUGE_TXT = ["%03d" % i + chr(ord("a") + i % 26) * 247 for i in range(200)]

RECORDS = ([{"name": "h%d.t.test" % i, "type": "A", "value": "10.0.0.%d" % i}
            for i in range(1, 6)]
           + [{"name": "big.t.test", "type": "TXT", "value": v} for v in BIG_TXT]
           + [{"name": "huge.t.test", "type": "TXT", "value": v} for v in HUGE_TXT])


def config(**server):
    return {"server": base_server(**server), "zones": {"t.test": {"soa": {"minimum": 300}}},
            "records": RECORDS}


def with_mgmt(**server):
    """A config with the management API on a free port (returned too)."""
    port = free_tcp_port()
    return config(mgmt_host="127.0.0.1", mgmt_port=port, **server), port


def frame(name, rdtype="A", qid=0):
    m = dns.message.make_query(name, rdtype)
    m.id = qid
    w = m.to_wire()
    return struct.pack("!H", len(w)) + w


def connect(srv, src="127.0.0.1", timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", srv.port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def ask(s, qid, name="h1.t.test"):
    """One query on an open connection; returns the reply (which must match)."""
    s.sendall(frame(name, qid=qid))
    r = dns.message.from_wire(tcp_read_msg(s))
    assert r.id == qid and r.rcode() == dns.rcode.NOERROR, r
    return r


def closed_within(s, limit):
    """Seconds until the server closes s (EOF or reset), or None if it is still open after
    `limit` seconds. Data the server sends first is a failure."""
    t0 = time.monotonic()
    s.settimeout(limit)
    try:
        data = s.recv(1)
    except (ConnectionResetError, BrokenPipeError):
        data = b""
    except socket.timeout:
        return None
    assert data == b"", "unexpected data: %r" % data
    return time.monotonic() - t0


def refused(s, payload):
    """Sends `payload` and expects the connection closed without any answer."""
    try:
        s.sendall(payload)
    except (ConnectionResetError, BrokenPipeError):
        return True
    return closed_within(s, 2.0) is not None


def metrics(port):
    """(JSON queries object, Prometheus text) from the management API."""
    j = http_get(port, "/metrics").json["queries"]
    text = http_get(port, "/metrics?format=prometheus").body.decode()
    return j, text


def prom_value(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(float(line.split()[1]))
    raise AssertionError("%s not in the Prometheus text" % name)


@pytest.fixture
def server(tmp_path):
    """Factory: server(config) -> a running Server, stopped and checked at teardown."""
    started = []

    def start(cfg):
        d = tmp_path / ("srv%d" % len(started))
        d.mkdir()
        path = write_config(d / "nanodns.json", cfg)
        s = Server(["start", "--config", path, "--host", "127.0.0.1", "--port", "0"], cwd=d)
        started.append(s)
        return s

    yield start
    for s in started:
        s.assert_clean_exit()


# ---- DNS over TCP ----------------------------------------------------------------------------

def test_slowloris_connections_evicted_for_new_client(server):
    cfg, mport = with_mgmt(tcp_max_clients=20, tcp_max_per_ip=0)
    srv = server(cfg)
    # 20 connections that hold a slot without asking anything: silent ones, and ones that
    # sent a byte of the length prefix, the prefix, or the start of a message.
    partial = [b"", b"\x00", b"\x00\x1d", frame("h1.t.test")[:5]]
    idle = []
    for i in range(20):
        s = connect(srv)
        if partial[i % 4]:
            s.sendall(partial[i % 4])
        idle.append(s)
    try:
        # The new clients are answered at once: each closes the connection idle the longest.
        a = connect(srv)
        t0 = time.monotonic()
        ask(a, 1)
        b = connect(srv)
        ask(b, 2, "h2.t.test")
        assert time.monotonic() - t0 < 1.5
        assert closed_within(idle[0], 2.0) is not None, "the oldest idle connection was kept"
        assert closed_within(idle[1], 2.0) is not None, "the second oldest was kept"
        assert closed_within(idle[2], 0.2) is None, "a younger idle connection was closed"
        # The answered clients stay usable.
        ask(a, 3, "h3.t.test")
        ask(b, 4, "h4.t.test")
        a.close()
        b.close()
    finally:
        for s in idle:
            s.close()
    j, text = metrics(mport)
    assert j["tcp_evicted"] >= 2, j
    assert prom_value(text, "nanodns_tcp_evicted_total") == j["tcp_evicted"]


def test_active_connection_not_evicted(server):
    # The first connection is the oldest, but it keeps asking: it is never the one idle the
    # longest, so each newcomer evicts the previous newcomer instead.
    srv = server(config(tcp_max_clients=3, tcp_max_per_ip=0))
    active = connect(srv)
    ask(active, 100)
    others = []
    try:
        for i in range(6):
            s = connect(srv)
            ask(s, i, "h%d.t.test" % (i % 5 + 1))
            others.append(s)
            ask(active, 101 + i)
        # Three slots: the active one and the two newest; the rest were evicted in order.
        for s in others[:-2]:
            assert closed_within(s, 2.0) is not None
        for s in others[-2:]:
            ask(s, 7)
        ask(active, 200)
    finally:
        active.close()
        for s in others:
            s.close()


def test_busy_connections_not_evicted(server):
    # Connections waiting for a forwarded answer are busy: with every slot busy, a new
    # connection is closed at once, and the busy ones still get their answers.
    with FakeUpstream() as up:
        # Two names: the forwarder would merge two questions for one name into one.
        for i in range(2):
            up.silent("hang%d.fwd.test" % i)
        cfg, mport = with_mgmt(tcp_max_clients=2, tcp_max_per_ip=0, upstream=[up.addr],
                               upstream_timeout=1.0)
        srv = server(cfg)
        busy = [connect(srv, timeout=8) for _ in range(2)]
        try:
            for i, s in enumerate(busy):
                s.sendall(frame("hang%d.fwd.test" % i, qid=50 + i))
            for i in range(2):
                up.wait_queries("hang%d.fwd.test" % i)
            c = connect(srv)
            assert refused(c, frame("h1.t.test", qid=1)), "a busy connection was evicted"
            c.close()
            for i, s in enumerate(busy):
                r = dns.message.from_wire(tcp_read_msg(s))
                assert r.id == 50 + i and r.rcode() == dns.rcode.SERVFAIL
            # Idle again: a newcomer now evicts one of them.
            with connect(srv) as c:
                ask(c, 2)
        finally:
            for s in busy:
                s.close()
        j, text = metrics(mport)
        assert j["tcp_refused"] >= 1 and j["tcp_evicted"] >= 1, j
        assert prom_value(text, "nanodns_tcp_refused_total") == j["tcp_refused"]


def test_per_address_limit(server):
    cfg, mport = with_mgmt(tcp_max_per_ip=3)
    srv = server(cfg)
    held = [connect(srv) for _ in range(3)]
    try:
        for i, s in enumerate(held):
            ask(s, i)
        # A fourth from 127.0.0.1 is closed without an answer...
        c = connect(srv)
        assert refused(c, frame("h1.t.test", qid=9)), "a 4th connection from one address"
        c.close()
        # ... while another address is served.
        with connect(srv, src="127.0.0.2") as other:
            ask(other, 10)
        # Once one closes, the address may connect again (the server notices the close
        # asynchronously, hence the retries).
        held.pop().close()
        deadline = time.monotonic() + 3
        while True:
            try:
                with connect(srv) as c:
                    ask(c, 11)
                break
            except (EOFError, ConnectionResetError, BrokenPipeError):
                assert time.monotonic() < deadline, "no slot for 127.0.0.1 after a close"
                time.sleep(0.05)
        ask(held[0], 12)
    finally:
        for s in held:
            s.close()
    j, text = metrics(mport)
    assert j["tcp_refused"] >= 1, j
    assert prom_value(text, "nanodns_tcp_refused_total") == j["tcp_refused"]
    srv.wait_log(r"WARNING\] nanodns\.server: TCP connection limits hit: .* 1 refused over 3 "
                 r"per address")


def test_drip_feeding_client_closed(server):
    # One byte every 0.5 s never completes a message: with tcp_idle_timeout 1 the
    # connection ends after about a second although the client keeps sending.
    cfg, mport = with_mgmt(tcp_idle_timeout=1)
    srv = server(cfg)
    data = frame("drip-drip-drip-drip.t.test", qid=5)
    with connect(srv) as s:
        t0 = time.monotonic()
        closed = None
        for i in range(len(data)):
            try:
                s.sendall(data[i:i + 1])
            except (ConnectionResetError, BrokenPipeError):
                closed = time.monotonic() - t0
                break
            if closed_within(s, 0.5) is not None:
                closed = time.monotonic() - t0
                break
            assert time.monotonic() - t0 < 4, "a dripping client kept its connection"
        assert closed is not None and 0.8 <= closed <= 2.5, closed
    # The timeout still counts from the last complete message, not from the connection's
    # start: a client that asks every 0.5 s stays.
    with connect(srv) as s:
        for i in range(5):
            ask(s, i)
            time.sleep(0.5)
        ask(s, 9)
    j, text = metrics(mport)
    assert j["tcp_timeouts"] >= 1, j
    assert prom_value(text, "nanodns_tcp_timeouts_total") == j["tcp_timeouts"]


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_client_not_reading_is_bounded(server):
    # A client that pipelines 400 queries with 51 kB answers (20 MB) and reads nothing must
    # not make the server buffer them all: answering pauses at a bound per connection, and
    # resumes, in order, when the client reads. What the kernel takes into the socket
    # buffers (up to net.ipv4.tcp_wmem's 4 MB) is freed by the server, but ASan's
    # quarantine keeps it in RSS, hence the margin.
    srv = server(config())
    n = 400
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect(("127.0.0.1", srv.port))
    with s:
        before = rss_kb(srv.proc.pid)
        s.sendall(b"".join(frame("huge.t.test", "TXT", qid=i) for i in range(n)))
        time.sleep(0.5)
        grown = rss_kb(srv.proc.pid) - before
        assert grown < 10 * 1024, "server grew by %d kB for a client that does not read" % grown
        for i in range(n):
            r = dns.message.from_wire(tcp_read_msg(s))
            assert r.id == i and len(r.answer[0]) == len(HUGE_TXT)


# ---- HTTP ------------------------------------------------------------------------------------

def update_config(port, **server):
    cfg = config(update_host="127.0.0.1", update_port=port, **server)
    cfg["dyndns"] = [{"name": "home.t.test", "token": "s3cret-T0ken"}]
    return cfg


@pytest.mark.parametrize("listener", ["mgmt", "update"])
def test_http_limits(server, listener):
    port = free_tcp_port() if listener == "mgmt" else free_port()
    limits = {"http_max_per_ip": 2, "http_timeout": 2}
    if listener == "mgmt":
        cfg = config(mgmt_host="127.0.0.1", mgmt_port=port, **limits)
        path = "/health"
    else:
        cfg = update_config(port, **limits)
        path = "/api/update"
    srv = server(cfg)
    srv.wait_log(r"(Management|Update) HTTP server on 127\.0\.0\.1:%d" % port)
    assert http_get(port, path).status in (200, 400, 401, 403)  # served

    def http_connect():
        return socket.create_connection(("127.0.0.1", port), timeout=5)

    request = b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path.encode()
    # Two idle connections. The server forgets the request above's connection in its own
    # time: one taken as a third may be closed at once, and is then opened again.
    held, opened = [], []
    deadline = time.monotonic() + 3
    while len(held) < 2:
        t = time.monotonic()
        s = http_connect()
        if closed_within(s, 0.3) is None:
            held.append(s)
            opened.append(t)
        else:
            s.close()
            assert time.monotonic() < deadline, "the first request's connection stays counted"
    try:
        c = http_connect()
        assert refused(c, request), "a third connection from one address was served"
        c.close()
        # Idle connections end after http_timeout (2 s), counted from their last traffic.
        for s, t in zip(held, opened):
            assert closed_within(s, 5) is not None, "an idle HTTP connection was kept"
            assert 1.5 <= time.monotonic() - t <= 4.0, time.monotonic() - t
    finally:
        for s in held:
            s.close()
    # Served again once the server has cleaned the closed connections up (in its own time).
    deadline = time.monotonic() + 3
    while True:
        try:
            assert http_get(port, path).status in (200, 400, 401, 403)
            break
        except (ConnectionResetError, BrokenPipeError):
            assert time.monotonic() < deadline, "no HTTP slot after the idle ones closed"
            time.sleep(0.05)


def http_connect_from(port, src="127.0.0.1", timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def http_read_response(s):
    """(status, body) of one response read from s (Content-Length framing)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        assert chunk, "connection closed before a response: %r" % data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    while len(body) < length:
        chunk = s.recv(4096)
        assert chunk, "connection closed inside a response body"
        body += chunk
    assert len(body) == length, "more than one response"
    return status, body


def http_ask(s, path="/health", close=False):
    s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n"
              % (path.encode(), b"Connection: close\r\n" if close else b""))
    return http_read_response(s)


# A request header that never ends: a slow client sends it a byte at a time.
DRIP = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"z" * 200


def tls_files(d):
    """A self-signed certificate and key in d: (cert path, key path)."""
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=localhost"], check=True, capture_output=True)
    return cert, key


@pytest.mark.parametrize("listener", ["mgmt", "update", "update-tls"])
def test_http_drip_feeding_client_closed(server, tmp_path, listener):
    # A byte every 0.5 s keeps libmicrohttpd's inactivity timer from ever firing; the
    # request deadline (http_timeout 2 s from the connection's start) still ends it.
    mport = free_tcp_port()
    if listener == "mgmt":
        port = mport
        cfg = config(mgmt_host="127.0.0.1", mgmt_port=mport, http_timeout=2)
    else:
        port = free_port()
        cfg = update_config(port, mgmt_host="127.0.0.1", mgmt_port=mport, http_timeout=2)
    if listener == "update-tls":
        cert, key = tls_files(tmp_path)
        cfg["server"].update(update_tls_cert=str(cert), update_tls_key=str(key))
    srv = server(cfg)
    srv.wait_log(r"(Management|Update) HTTPS? server on 127\.0\.0\.1:%d" % port)
    s = http_connect_from(port)
    if listener == "update-tls":
        ctx = ssl.create_default_context(cafile=str(cert))
        ctx.check_hostname = False
        s = ctx.wrap_socket(s)  # each byte below then goes in a TLS record of its own
    with s:
        t0 = time.monotonic()
        closed = None
        for i in range(len(DRIP)):
            try:
                s.sendall(DRIP[i:i + 1])
                gone = closed_within(s, 0.5) is not None
            except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
                gone = True
            if gone:
                closed = time.monotonic() - t0
                break
            assert time.monotonic() - t0 < 5, "a dripping HTTP client kept its connection"
        assert closed is not None and 1.8 <= closed <= 3.2, closed
    j, text = metrics(mport)
    assert j["http_timeouts"] >= 1, j
    assert prom_value(text, "nanodns_http_timeouts_total") == j["http_timeouts"]


def test_http_slow_clients_evicted_for_new_one(server):
    # Four slow clients from four addresses fill http_max_clients mid-request; a fifth
    # from yet another address is answered at once, and the oldest slow one makes room.
    port = free_tcp_port()
    srv = server(config(mgmt_host="127.0.0.1", mgmt_port=port, http_max_clients=4,
                        http_max_per_ip=0, http_timeout=8))
    srv.wait_log(r"Management HTTP server on 127\.0\.0\.1:%d" % port)
    slow = []
    try:
        for i in range(4):
            s = http_connect_from(port, "127.0.0.%d" % (i + 1))
            s.sendall(DRIP[:30])
            slow.append(s)
            time.sleep(0.1)  # a clear order of age
        t0 = time.monotonic()
        with http_connect_from(port, "127.0.0.5") as c:
            status, body = http_ask(c, close=True)
        assert status == 200 and b"\"ok\"" in body, (status, body)
        assert time.monotonic() - t0 < 1.0, "the new client waited %.1f s" % (
            time.monotonic() - t0)
        assert closed_within(slow[0], 1.0) is not None, "the oldest slow client was kept"
        for s in slow[1:]:
            assert closed_within(s, 0.1) is None, "a younger slow client was closed"
    finally:
        for s in slow:
            s.close()
    j, text = metrics(port)
    assert j["http_evicted"] >= 1, j
    assert prom_value(text, "nanodns_http_evicted_total") == j["http_evicted"]


def test_http_keepalive_client_undisturbed(server):
    # A keep-alive client asking every 0.4 s for longer than http_timeout keeps its
    # connection: each answered request restarts its deadline. When a newcomer needs a
    # slot, the slow client that connected before it goes, not the keep-alive one.
    port = free_tcp_port()
    srv = server(config(mgmt_host="127.0.0.1", mgmt_port=port, http_max_clients=2,
                        http_max_per_ip=0, http_timeout=2))
    srv.wait_log(r"Management HTTP server on 127\.0\.0\.1:%d" % port)
    with http_connect_from(port, "127.0.0.1") as k:
        assert http_ask(k)[0] == 200
        slow = http_connect_from(port, "127.0.0.2")
        with slow:
            slow.sendall(DRIP[:30])
            t0 = time.monotonic()
            n = 0
            while time.monotonic() - t0 < 3.2:
                time.sleep(0.4)
                status, body = http_ask(k)
                assert status == 200 and b"\"ok\"" in body, (status, body)
                n += 1
                if n == 2:
                    # The newcomer evicts the slow client (older than k's last request).
                    with http_connect_from(port, "127.0.0.3") as c:
                        assert http_ask(c, close=True)[0] == 200
                    assert closed_within(slow, 1.0) is not None, "the slow client was kept"
            assert n >= 6
