"""Response rate limiting (server.rate_limit*, src/net/rrl.c): a burst of UDP queries from one
client for one name gets about `rate_limit` answers a second; the rest are dropped or, every
`rate_limit_slip`-th one, answered truncated (TC=1, no records). TCP is never limited;
rate_limit 0 never drops; the metrics count both kinds; a client that proves its address with
a valid server cookie is not limited."""

import os
import socket
import time

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import pytest

from conftest import base_server
from mgmthelp import free_tcp_port, http_get, wait_until

ZONE = "rrl.test"
NAME = "www.rrl.test"
ADDR = "192.0.2.80"
BURST = 60
COOKIE = 10


def config(rate=5, slip=2, **server):
    s = base_server(workers=1, log_queries=False, rate_limit=rate, rate_limit_slip=slip)
    s.update(server)
    return {"server": s, "zones": {ZONE: {}},
            "records": [{"name": NAME, "type": "A", "value": ADDR}]}


def burst(srv, n=BURST, make=None, wait=0.5, rcode=dns.rcode.NOERROR, answer=(ADDR,)):
    """Sends n queries from one socket as fast as it can (`make(i)` builds the i-th), then
    collects replies until `wait` seconds pass without one. A normal reply has `rcode` and
    the `answer` addresses. Returns (answered normally, truncated, not answered)."""
    make = make or (lambda i: dns.message.make_query(NAME, "A"))
    queries = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("127.0.0.1", srv.port))
        for i in range(n):
            q = make(i)
            q.id = i + 1
            queries[q.id] = q
            s.send(q.to_wire())
        s.settimeout(wait)
        replies = {}
        try:
            while len(replies) < n:
                r = dns.message.from_wire(s.recv(65535))
                assert r.id in queries and r.id not in replies, r
                replies[r.id] = r
        except socket.timeout:
            pass
    normal = tc = 0
    for r in replies.values():
        if r.flags & dns.flags.TC:
            # Header and question only (and the OPT for an EDNS query), rcode kept.
            assert r.rcode() == rcode
            assert [q.name for q in r.question] == [q.name for q in queries[r.id].question]
            assert r.answer == [] and r.authority == [] and r.additional == []
            assert (r.edns >= 0) == (queries[r.id].edns >= 0)
            tc += 1
        else:
            assert r.rcode() == rcode, r
            assert [rd.to_text() for rr in r.answer for rd in rr] == list(answer), r
            normal += 1
    return normal, tc, n - normal - tc


def test_burst_is_limited_with_slip(start_server):
    srv = start_server(config(rate=5, slip=2))
    normal, tc, dropped = burst(srv)
    # 5 a second; a burst that straddles a second boundary may get 5 more.
    assert 5 <= normal <= 10, (normal, tc, dropped)
    # Every second limited response slips.
    assert abs(tc - dropped) <= 1, (normal, tc, dropped)
    assert tc >= 20 and dropped >= 20


def test_slip_zero_only_drops(start_server):
    srv = start_server(config(rate=5, slip=0))
    normal, tc, dropped = burst(srv)
    assert 5 <= normal <= 10 and tc == 0 and dropped == BURST - normal


def test_slip_one_always_truncates(start_server):
    srv = start_server(config(rate=5, slip=1))
    normal, tc, dropped = burst(srv)
    assert 5 <= normal <= 10 and dropped == 0 and tc == BURST - normal


def test_off_never_drops(start_server):
    srv = start_server(config(rate=0))
    assert burst(srv) == (BURST, 0, 0)


def test_exempt_prefix(start_server):
    srv = start_server(config(rate=5, rate_limit_exempt=["127.0.0.0/8"]))
    assert burst(srv) == (BURST, 0, 0)


def test_tcp_is_never_limited(start_server):
    srv = start_server(config(rate=5, slip=0))
    normal, _, _ = burst(srv)
    assert normal <= 10
    # While UDP is limited for this client and name, TCP answers every time.
    with srv.tcp_connect() as s:
        for i in range(30):
            q = dns.message.make_query(NAME, "A")
            q.id = 1000 + i
            w = q.to_wire()
            s.sendall(len(w).to_bytes(2, "big") + w)
            n = int.from_bytes(s.recv(2, socket.MSG_WAITALL), "big")
            r = dns.message.from_wire(s.recv(n, socket.MSG_WAITALL))
            assert r.id == q.id and not r.flags & dns.flags.TC
            assert [rd.to_text() for rr in r.answer for rd in rr] == [ADDR]


def test_other_names_and_kinds_have_their_own_buckets(start_server):
    srv = start_server(config(rate=5, slip=2))
    normal, _, _ = burst(srv)
    assert normal <= 10
    # Another name of the same client is answered.
    r = srv.query("other." + ZONE, "A")
    assert r.rcode() == dns.rcode.NXDOMAIN
    # NXDOMAIN for random names shares one bucket per zone (the one just used).
    normal, tc, dropped = burst(srv, make=lambda i: dns.message.make_query(
        "nope-%d.%s" % (i, ZONE), "A"), rcode=dns.rcode.NXDOMAIN, answer=())
    assert 4 <= normal <= 10 and tc >= 20 and dropped >= 20, (normal, tc, dropped)


def test_metrics_count_drops_and_slips(start_server):
    port = free_tcp_port()
    srv = start_server(config(rate=5, slip=2, mgmt_host="127.0.0.1", mgmt_port=port))
    wait_until(lambda: http_get(port, "/health", timeout=1.0).status == 200, 10,
               what="the management API")
    # The harness's start-up probes (REFUSED) count too, if any was limited: take a delta.
    q0 = http_get(port, "/metrics").json["queries"]
    _, tc, dropped = burst(srv)
    assert tc > 0 and dropped > 0
    q = http_get(port, "/metrics").json["queries"]
    assert q["rrl_dropped"] - q0["rrl_dropped"] == dropped, q
    assert q["rrl_slipped"] - q0["rrl_slipped"] == tc, q
    assert q["dropped"] - q0["dropped"] == dropped, q
    text = http_get(port, "/metrics?format=prometheus").body.decode()
    assert "nanodns_rrl_dropped_total %d\n" % q["rrl_dropped"] in text
    assert "nanodns_rrl_slipped_total %d\n" % q["rrl_slipped"] in text


def test_rrl_cookie_valid_server_cookie_is_not_limited(start_server):
    """DNS cookies: a client that sends back a valid server cookie has proven its address, so
    its responses are never rate limited (while the same client without the cookie is)."""
    srv = start_server(config(rate=5, slip=0))
    client = os.urandom(8)
    first = srv.send(dns.message.make_query(NAME, "A", use_edns=0,
                                            options=[dns.edns.GenericOption(COOKIE, client)]))
    got = [o.to_wire() for o in first.options if o.otype == COOKIE]
    assert got and len(got[0]) == 24 and got[0][:8] == client, "no server cookie: %r" % first
    full = got[0]

    def with_cookie(i):
        return dns.message.make_query(NAME, "A", use_edns=0,
                                      options=[dns.edns.GenericOption(COOKIE, full)])

    assert burst(srv, make=with_cookie) == (BURST, 0, 0)
    normal, _, dropped = burst(srv)
    assert normal <= 10 and dropped >= BURST - 10
    assert burst(srv, make=with_cookie) == (BURST, 0, 0)


def test_rrl_cookie_slipped_reply_carries_a_cookie(start_server):
    """A truncated (slipped) reply keeps the OPT, so a client that sent a client cookie gets a
    server cookie with it, and its next query with that cookie goes through unlimited."""
    srv = start_server(config(rate=5, slip=1))
    client = os.urandom(8)

    def client_only(i):
        return dns.message.make_query(NAME, "A", use_edns=0,
                                      options=[dns.edns.GenericOption(COOKIE, client)])

    got = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("127.0.0.1", srv.port))
        s.settimeout(2)
        for i in range(30):
            q = client_only(i)
            s.send(q.to_wire())
            r = dns.message.from_wire(s.recv(65535))
            if r.flags & dns.flags.TC:
                cookies = [o.to_wire() for o in r.options if o.otype == COOKIE]
                assert len(cookies) == 1 and cookies[0][:8] == client, r
                got["cookie"] = cookies[0]
    assert "cookie" in got, "no slipped reply in 30 queries at 5 a second"
    full = got["cookie"]

    def with_cookie(i):
        return dns.message.make_query(NAME, "A", use_edns=0,
                                      options=[dns.edns.GenericOption(COOKIE, full)])

    assert burst(srv, make=with_cookie) == (BURST, 0, 0)
