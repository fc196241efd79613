"""The HTTP update API (`/api/update`, ../shared/reference/dyndns-compat.md) row by row, and
the commit path behind it: answers after the change, the serial rising, durability across a
restart and `kill -9`, expiry, the failed-attempt limit and the update listener's 404/501."""

import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import dns.rcode
import dns.rdatatype
import pytest

from conftest import (Server, assert_nodata, base_server, free_port, only_rrset, rcode,
                      write_config)

ZONE = "dyn.example.test"
HOST = "home." + ZONE
TOKEN = "s3cret-T0ken"


def config(update_port, **dyn):
    host = {"name": HOST, "token": TOKEN, "expire": 86400, "ttl": 60}
    host.update(dyn)
    return {
        "server": base_server(update_host="127.0.0.1", update_port=update_port,
                              log_queries=False),
        "zones": {ZONE: {"soa": {"serial": 100}}},
        "records": [{"name": "www." + ZONE, "type": "A", "value": "10.0.0.1"},
                    {"name": "static." + ZONE, "type": "A", "value": "10.0.0.2"}],
        "dyndns": [host, {"name": "other." + ZONE, "token": "other-token"}],
    }


class Node:
    """A running server with its update port; restartable on the same folder."""

    def __init__(self, tmp_path, **dyn):
        self.dir = tmp_path
        self.uport = free_port()
        self.cfg = write_config(tmp_path / "nanodns.json", config(self.uport, **dyn))
        self.srv = None
        self.start()

    def start(self):
        self.srv = Server(["start", "--config", self.cfg, "--host", "127.0.0.1", "--port", "0"],
                          cwd=self.dir)
        self.srv.wait_log(r"Update HTTP server on 127\.0\.0\.1:%d" % self.uport)

    def url(self, query, path="/api/update"):
        return "http://127.0.0.1:%d%s%s" % (self.uport, path, ("?" + query) if query else "")

    def get(self, query, path="/api/update", method="GET"):
        req = urllib.request.Request(self.url(query, path), method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode(), r.headers.get("Content-Type")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), e.headers.get("Content-Type")

    def update(self, **params):
        return self.get(urllib.parse.urlencode(params))

    def addrs(self, name, rdtype):
        m = self.srv.query(name, rdtype)
        if rcode(m) != dns.rcode.NOERROR:
            return dns.rcode.to_text(rcode(m))
        rs = [r for r in m.answer if r.rdtype == dns.rdatatype.from_text(rdtype)]
        return sorted(x.address for r in rs for x in r)

    def serial(self):
        m = self.srv.query(ZONE, "SOA")
        return only_rrset(m.answer, ZONE + ".", "SOA")[0].serial


@pytest.fixture
def node(tmp_path):
    n = Node(tmp_path)
    yield n
    if n.srv and n.srv.alive():
        n.srv.assert_clean_exit()


def test_success_sets_both_records_and_raises_the_serial(node):
    assert node.serial() == 100
    assert node.update(hostname=HOST, token=TOKEN, ipv4="192.0.2.7",
                       ipv6="2001:db8::7") == (200, "ok", "text/plain; charset=utf-8")
    assert node.addrs(HOST, "A") == ["192.0.2.7"]
    assert node.addrs(HOST, "AAAA") == ["2001:db8::7"]
    m = node.srv.query(HOST, "A")
    assert only_rrset(m.answer, HOST + ".", "A").ttl == 60
    assert node.serial() == 101
    # the same addresses again: a refresh, not a change
    assert node.update(hostname=HOST, token=TOKEN, ipv4="192.0.2.7", ipv6="2001:db8::7")[0] == 200
    assert node.serial() == 101
    assert node.update(hostname=HOST, token=TOKEN, ipv4="192.0.2.8")[:2] == (200, "ok")
    assert node.serial() == 102
    # ipv6 absent removes the AAAA; the name still exists
    assert node.addrs(HOST, "A") == ["192.0.2.8"]
    assert_nodata(node.srv.query(HOST, "AAAA"), ZONE + ".", 300)
    # static data is untouched
    assert node.addrs("www." + ZONE, "A") == ["10.0.0.1"]


def test_neither_address_clears_the_host_to_nodata(node):
    assert node.update(hostname=HOST, token=TOKEN, ipv4="192.0.2.1")[0] == 200
    assert node.update(hostname=HOST, token=TOKEN)[:2] == (200, "ok")
    assert_nodata(node.srv.query(HOST, "A"), ZONE + ".", 300)
    assert_nodata(node.srv.query(HOST, "AAAA"), ZONE + ".", 300)


def test_fritzbox_url_with_percent_encoding(node):
    # as a Fritz!Box sends it: <domain>, <ipaddr>, <ip6addr>, <pass> filled in, IPv6 escaped
    q = "hostname=%s&ipv4=198.51.100.4&ipv6=2001%%3Adb8%%3A%%3A44&token=%s" % (
        HOST.upper() + ".", urllib.parse.quote(TOKEN))
    assert node.get(q)[:2] == (200, "ok")
    assert node.addrs(HOST, "A") == ["198.51.100.4"]
    assert node.addrs(HOST, "AAAA") == ["2001:db8::44"]


@pytest.mark.parametrize("query,status,body", [
    ("token=%s&ipv4=192.0.2.1" % TOKEN, 400, "hostname required"),
    ("hostname=%s&ipv4=192.0.2.1" % HOST, 403, "authorization required"),
    ("hostname=%s&token=%s&ipv4=192.0.2.300" % (HOST, TOKEN), 400, "bad ipv4 address"),
    ("hostname=%s&token=%s&ipv4=" % (HOST, TOKEN), 400, "bad ipv4 address"),
    ("hostname=%s&token=%s&ipv6=" % (HOST, TOKEN), 400, "bad ipv6 address"),
    ("hostname=%s&token=%s&ipv6=1.2.3.4" % (HOST, TOKEN), 400, "bad ipv6 address"),
    ("hostname=bad..name&token=%s" % TOKEN, 400, "bad request"),
    ("hostname=.&token=%s" % TOKEN, 400, "bad request"),
    ("hostname=nobody.%s&token=%s&ipv4=192.0.2.1" % (ZONE, TOKEN), 403, "forbidden"),
    ("hostname=static.%s&token=%s&ipv4=192.0.2.1" % (ZONE, TOKEN), 403, "forbidden"),
    ("hostname=%s&token=wrong&ipv4=192.0.2.1" % HOST, 403, "forbidden"),
    ("hostname=%s&token=%s&ipv4=192.0.2.1" % (HOST, "other-token"), 403, "forbidden"),
    ("hostname=host.elsewhere.test&token=%s&ipv4=192.0.2.1" % TOKEN, 403, "forbidden"),
])
def test_error_rows(node, query, status, body):
    assert node.get(query)[:2] == (status, body)
    # nothing changed
    assert node.serial() == 100
    assert node.addrs("static." + ZONE, "A") == ["10.0.0.2"]
    assert rcode(node.srv.query(HOST, "A")) == dns.rcode.NXDOMAIN


def test_other_paths_and_methods(node):
    assert node.get("", path="/")[:2] == (404, "error")
    assert node.get("hostname=x", path="/api/updates")[:2] == (404, "error")
    assert node.get("hostname=x", path="/health")[:2] == (404, "error")
    assert node.get("", method="PUT")[:2] == (501, "error")
    assert node.get("", method="DELETE")[:2] == (501, "error")
    # POST works like GET, parameters from the query string
    q = urllib.parse.urlencode({"hostname": HOST, "token": TOKEN, "ipv4": "192.0.2.9"})
    assert node.get(q, method="POST")[:2] == (200, "ok")
    assert node.addrs(HOST, "A") == ["192.0.2.9"]


def test_token_never_logged(node):
    node.update(hostname=HOST, token=TOKEN, ipv4="192.0.2.1")
    node.update(hostname=HOST, token="guess-" + TOKEN, ipv4="192.0.2.1")
    assert TOKEN not in node.srv.log


def test_failed_attempts_are_limited_per_source(node):
    for _ in range(10):
        assert node.update(hostname=HOST, token="wrong", ipv4="192.0.2.1")[0] == 403
    # now even the right token is turned away for the rest of the window
    assert node.update(hostname=HOST, token=TOKEN, ipv4="192.0.2.1")[0] == 429
    assert rcode(node.srv.query(HOST, "A")) == dns.rcode.NXDOMAIN


def test_changes_survive_restart(node):
    assert node.update(hostname=HOST, token=TOKEN, ipv4="192.0.2.5", ipv6="2001:db8::5")[0] == 200
    assert node.serial() == 101
    node.srv.assert_clean_exit()
    node.start()
    assert node.addrs(HOST, "A") == ["192.0.2.5"]
    assert node.addrs(HOST, "AAAA") == ["2001:db8::5"]
    assert node.serial() == 101
    assert node.update(hostname=HOST, token=TOKEN, ipv4="192.0.2.6")[0] == 200
    assert node.serial() == 102


def test_damaged_store_stops_the_start_and_is_left_as_it_is(node):
    assert node.update(hostname=HOST, token=TOKEN, ipv4="192.0.2.9")[0] == 200
    node.srv.assert_clean_exit()
    data = node.dir / "nanodns-state" / "data.mdb"
    whole = data.read_bytes()
    data.write_bytes(whole[:len(whole) // 2])  # cut short, as by a full disk
    srv = Server(["start", "--config", node.cfg, "--host", "127.0.0.1", "--port", "0"],
                 cwd=node.dir, wait_listen=False)
    assert srv.proc.wait(30) != 0
    srv._err.join(5)
    assert "Cannot open the dynamic DNS state" in srv.log, srv.log
    assert "damaged" in srv.log, srv.log
    assert data.read_bytes() == whole[:len(whole) // 2]
    # put back whole, the data is all there
    data.write_bytes(whole)
    node.start()
    assert node.addrs(HOST, "A") == ["192.0.2.9"]
    assert node.serial() == 101


def test_kill_9_during_a_stream_of_updates_loses_no_acknowledged_change(node):
    acked = []
    stop = threading.Event()

    def stream():
        i = 0
        while not stop.is_set():
            i += 1
            addr = "10.9.%d.%d" % (i // 250, i % 250 + 1)
            try:
                st, body, _ = node.update(hostname=HOST, token=TOKEN, ipv4=addr)
            except OSError:
                return
            if st == 200:
                acked.append(addr)

    t = threading.Thread(target=stream)
    t.start()
    deadline = time.time() + 30
    while len(acked) < 20 and time.time() < deadline:
        time.sleep(0.05)
    node.srv.send_signal(signal.SIGKILL)
    node.srv.proc.wait(10)
    stop.set()
    t.join(30)
    assert len(acked) >= 20
    node.start()
    # the last acknowledged change (or one that was durable but not yet answered) is served
    got = node.addrs(HOST, "A")
    assert len(got) == 1
    last = acked[-1]
    lastn = tuple(int(x) for x in last.split("."))
    gotn = tuple(int(x) for x in got[0].split("."))
    assert gotn >= lastn, (got, last)
    assert node.serial() >= 100 + len(acked)


def test_expiry_leaves_nodata_until_the_next_update(tmp_path):
    n = Node(tmp_path, expire=2)
    try:
        assert n.update(hostname=HOST, token=TOKEN, ipv4="192.0.2.3")[0] == 200
        assert n.addrs(HOST, "A") == ["192.0.2.3"]
        deadline = time.time() + 10
        while time.time() < deadline and rcode(n.srv.query(HOST, "A")) == dns.rcode.NOERROR and \
                n.srv.query(HOST, "A").answer:
            time.sleep(0.2)
        assert_nodata(n.srv.query(HOST, "A"), ZONE + ".", 300)
        assert n.update(hostname=HOST, token=TOKEN, ipv4="192.0.2.4")[0] == 200
        assert n.addrs(HOST, "A") == ["192.0.2.4"]
    finally:
        n.srv.assert_clean_exit()


# ---- dyndns2: /nic/update with HTTP Basic auth --------------------------------------------

def nic(node, query, user=HOST, password=TOKEN):
    import base64
    req = urllib.request.Request(node.url(query, "/nic/update"))
    if password is not None:
        cred = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        req.add_header("Authorization", "Basic " + cred)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_dyndns2_good_then_nochg(node):
    assert nic(node, "hostname=%s&myip=192.0.2.44" % HOST) == (200, "good 192.0.2.44")
    assert node.addrs(HOST, "A") == ["192.0.2.44"]
    assert node.serial() == 101
    assert nic(node, "hostname=%s&myip=192.0.2.44" % HOST) == (200, "nochg 192.0.2.44")
    assert node.serial() == 101
    # an IPv6 myip sets AAAA and leaves the A alone; any user name will do
    assert nic(node, "hostname=%s&myip=2001:db8::44" % HOST, user="ddclient") == \
        (200, "good 2001:db8::44")
    assert node.addrs(HOST, "A") == ["192.0.2.44"]
    assert node.addrs(HOST, "AAAA") == ["2001:db8::44"]
    assert nic(node, "hostname=%s&myip=192.0.2.45,2001:db8::45" % HOST) == \
        (200, "good 192.0.2.45,2001:db8::45")
    assert node.addrs(HOST, "AAAA") == ["2001:db8::45"]


def test_dyndns2_without_myip_uses_the_source_address(node):
    assert nic(node, "hostname=%s" % HOST) == (200, "good 127.0.0.1")
    assert node.addrs(HOST, "A") == ["127.0.0.1"]


def test_dyndns2_errors(node):
    assert nic(node, "hostname=%s&myip=192.0.2.1" % HOST, password=None) == (401, "badauth")
    assert nic(node, "hostname=%s&myip=192.0.2.1" % HOST, password="nope") == (200, "badauth")
    assert nic(node, "hostname=nobody.%s&myip=192.0.2.1" % ZONE) == (200, "nohost")
    assert nic(node, "hostname=bad..name&myip=192.0.2.1") == (200, "notfqdn")
    assert nic(node, "myip=192.0.2.1") == (200, "notfqdn")
    assert rcode(node.srv.query(HOST, "A")) == dns.rcode.NXDOMAIN
    assert node.serial() == 100


def test_dyndns2_several_hosts(node):
    st, body = nic(node, "hostname=%s,nobody.%s,other.%s&myip=198.51.100.1" % (HOST, ZONE, ZONE))
    assert st == 200
    # one line per host; other.<zone> has its own token, so this password is wrong there
    assert body.split("\n") == ["good 198.51.100.1", "nohost", "badauth"]
    assert node.addrs(HOST, "A") == ["198.51.100.1"]
    assert rcode(node.srv.query("other." + ZONE, "A")) == dns.rcode.NXDOMAIN


def test_https_listener(tmp_path):
    import ssl
    import subprocess
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem"), "-days", "2", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    uport = free_port()
    cfg = config(uport)
    cfg["server"]["update_tls_cert"] = "cert.pem"
    cfg["server"]["update_tls_key"] = "key.pem"
    path = write_config(tmp_path / "nanodns.json", cfg)
    srv = Server(["start", "--config", path, "--host", "127.0.0.1", "--port", "0"], cwd=tmp_path)
    try:
        srv.wait_log(r"Update HTTPS server on 127\.0\.0\.1:%d" % uport)
        ctx = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        ctx.check_hostname = False
        url = "https://127.0.0.1:%d/api/update?%s" % (uport, urllib.parse.urlencode(
            {"hostname": HOST, "token": TOKEN, "ipv4": "203.0.113.5"}))
        with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
            assert (r.status, r.read().decode()) == (200, "ok")
        m = srv.query(HOST, "A")
        assert sorted(x.address for x in only_rrset(m.answer, HOST + ".", "A")) == ["203.0.113.5"]
        # plain HTTP is not served on it
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            urllib.request.urlopen("http://127.0.0.1:%d/api/update" % uport, timeout=5).read()
    finally:
        srv.assert_clean_exit()


# ---- metrics ---------------------------------------------------------------------------------

def test_metrics_count_updates_by_front_end_and_result(tmp_path):
    import json

    import dns.message
    import dns.update

    mport = free_port()
    n = Node.__new__(Node)
    n.dir, n.uport = tmp_path, free_port()
    cfg = config(n.uport)
    cfg["server"].update(mgmt_host="127.0.0.1", mgmt_port=mport)
    n.cfg = write_config(tmp_path / "nanodns.json", cfg)
    n.start()
    try:
        assert n.update(hostname=HOST, token=TOKEN, ipv4="10.9.0.1")[0] == 200
        assert n.update(hostname=HOST, token="wrong", ipv4="10.9.0.2")[0] in (401, 403)
        assert nic(n, "hostname=%s&myip=10.9.0.3" % HOST, HOST, "wrong")[1] == "badauth"
        assert nic(n, "hostname=%s&myip=10.9.0.4" % HOST, HOST, TOKEN)[1].startswith("good")
        up = dns.update.UpdateMessage(ZONE)  # the zone has no allow_update: REFUSED
        up.add("x." + ZONE, 60, "A", "10.9.0.5")
        assert n.srv.send(up).rcode() == dns.rcode.REFUSED

        def metrics(fmt=""):
            url = "http://127.0.0.1:%d/metrics%s" % (mport, fmt)
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.read().decode()

        m = json.loads(metrics())["updates"]
        assert m["http"] == {"applied": 1, "rejected": 1, "failed": 0}
        assert m["dyndns2"] == {"applied": 1, "rejected": 1, "failed": 0}
        assert m["rfc2136"] == {"applied": 0, "rejected": 1, "failed": 0}
        text = metrics("?format=prometheus")
        assert 'nanodns_updates_total{source="http",result="applied"} 1' in text
        assert 'nanodns_updates_total{source="rfc2136",result="rejected"} 1' in text
    finally:
        n.srv.stop()
