"""The forwarder (issue 4): names outside our data go to server.upstream through a scripted
fake upstream (fakeupstream.py), and come back rewritten for each client; the cache in front
of it; who may use it (allow_recursion, RD).

The fake records every query it receives, so "not sent upstream" is asserted on its log,
never guessed from timing. Unscripted names (the harness's start-up probe) get NXDOMAIN
without SOA from it, which is not cacheable and takes no cache slot.
"""

import signal
import socket
import struct
import threading
import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from conftest import base_server, running_server, tcp_read_msg, write_config
from fakeupstream import (FAKE_PAYLOAD, SPOOF_ADDR, FakeUpstream, compressed_reply,
                          compressed_target_reply, garbage_reply, make_rrset, soa_rr)

TIMEOUT = 0.4          # server.upstream_timeout where a test waits for timeouts
OUR_PAYLOAD = 1400     # server.udp_max_payload of the main server (not the 1232 default)

LOCAL = {
    "zones": {"local.test": {"soa": {"minimum": 300}}},
    "records": [
        {"name": "www.local.test", "type": "A", "value": "10.0.0.1"},
        {"name": "host.lan", "type": "A", "value": "10.0.0.2"},
    ],
    "rewrites": [
        {"match": "blocked.fwd.test", "action": "nxdomain"},
        {"match": "*.ads.fwd.test", "action": "nxdomain"},
        {"match": "redir.fwd.test", "action": "redirect", "value": "10.9.9.9"},
    ],
}


def config(upstream, **server):
    cfg = {"server": base_server(upstream=list(upstream), **server)}
    cfg.update(LOCAL)
    return cfg


@pytest.fixture(scope="module")
def up():
    with FakeUpstream() as f:
        yield f


@pytest.fixture(scope="module")
def srv(up, tmp_path_factory):
    cfg = config([up.addr], upstream_timeout=TIMEOUT, udp_max_payload=OUR_PAYLOAD)
    with running_server(cfg, tmp_path_factory.mktemp("fwd")) as s:
        yield s


@pytest.fixture
def fakes():
    """Factory for function-scoped fake upstreams: fakes(host="127.0.0.1")."""
    started = []

    def make(host="127.0.0.1"):
        f = FakeUpstream(host).start()
        started.append(f)
        return f

    yield make
    for f in started:
        f.stop()


# ---- helpers ----------------------------------------------------------------------------------

def ask(srv, name, rdtype="A", tcp=False, rd=True, cd=False, edns=False, do=False,
        payload=4096, qid=None, timeout=3.0):
    """Sends one query over a raw socket; returns (reply wire, parsed reply, query)."""
    kw = {}
    if edns or do:
        kw = {"use_edns": 0, "payload": payload, "want_dnssec": do}
    q = dns.message.make_query(name, rdtype, **kw)
    if not rd:
        q.flags &= ~dns.flags.RD
    if cd:
        q.flags |= dns.flags.CD
    if qid is not None:
        q.id = qid
    wire = srv.tcp_raw(q.to_wire(), timeout) if tcp else srv.udp_raw(q.to_wire(), timeout)
    r = dns.message.from_wire(wire)
    assert r.id == q.id, "reply ID %d, query ID %d" % (r.id, q.id)
    return wire, r, q


def norm(section):
    """A section as a sorted list of (owner, type, ttl, sorted rdata), case folded."""
    return sorted((r.name.to_text().lower(), dns.rdatatype.to_text(r.rdtype), r.ttl,
                   tuple(sorted(rd.to_text().lower() for rd in r))) for r in section)


def expected(items):
    return norm([make_rrset(*i) for i in items])


def counts(wire):
    """(QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT) of a reply."""
    return struct.unpack("!HHHH", wire[4:12])


def assert_forwarded_flags(r, rd=True):
    assert r.flags & dns.flags.QR
    assert r.flags & dns.flags.RA, "RA clear in a forwarded answer"
    assert not r.flags & dns.flags.AA, "AA set in a forwarded answer"
    assert bool(r.flags & dns.flags.RD) == rd


def assert_no_upstream(up, *names, settle=0.1):
    time.sleep(settle)
    for n in names:
        assert up.count(n) == 0, "%s went upstream: %s" % (n, up.queries(n))


def assert_servfail(r, q):
    assert r.rcode() == dns.rcode.SERVFAIL, dns.rcode.to_text(r.rcode())
    assert r.answer == [] and r.authority == []
    assert r.flags & dns.flags.RA and not r.flags & dns.flags.AA
    assert r.question[0].name.to_text() == q.question[0].name.to_text()


# ---- forwarding -------------------------------------------------------------------------------

TYPES = {
    "A": ["192.0.2.1", "192.0.2.2"],
    "AAAA": ["2001:db8::1"],
    "MX": ["10 mx1.example.net.", "20 mx2.example.net."],
    "TXT": ['"v=spf1 -all"', '"two" "strings"'],
    "SRV": ["10 5 5060 sip.example.net."],
    "CAA": ['0 issue "ca.example.net"'],
    "TYPE65280": ["\\# 4 deadbeef"],  # unknown to everyone: relayed as opaque bytes
}


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
@pytest.mark.parametrize("rdtype", sorted(TYPES))
def test_forward_types(srv, up, rdtype, tcp):
    name = "t-%s-%s.fwd.test" % (rdtype.lower(), "tcp" if tcp else "udp")
    up.answer(name, rdtype, TYPES[rdtype], ttl=1234)
    _, r, _ = ask(srv, name, rdtype, tcp=tcp)
    assert r.rcode() == dns.rcode.NOERROR
    assert norm(r.answer) == expected([(name + ".", 1234, rdtype, TYPES[rdtype])])
    assert r.authority == [] and r.additional == []
    assert_forwarded_flags(r)
    got = up.queries(name)
    assert [(g.qname, g.rdtype) for g in got] == [(name + ".", rdtype)]
    assert got[0].proto == "udp"  # the upstream is asked over UDP whatever the client used


@pytest.mark.parametrize("form", ["ip:port", "[v6]:port", "bare v6 + upstream_port",
                                  "bare v4 + upstream_port"])
def test_upstream_entry_forms(start_server, fakes, form):
    f = fakes("::1" if "v6" in form else "127.0.0.1")
    entry, extra = {
        "ip:port": ("127.0.0.1:%d" % f.port, {}),
        "[v6]:port": ("[::1]:%d" % f.port, {}),
        "bare v6 + upstream_port": ("::1", {"upstream_port": f.port}),
        "bare v4 + upstream_port": ("127.0.0.1", {"upstream_port": f.port}),
    }[form]
    f.answer("form.fwd.test", "A", ["192.0.2.77"])
    s = start_server(config([entry], upstream_timeout=TIMEOUT, **extra))
    _, r, _ = ask(s, "form.fwd.test")
    assert r.rcode() == dns.rcode.NOERROR
    assert [rd.address for rd in r.answer[0]] == ["192.0.2.77"]
    assert f.count("form.fwd.test") == 1


def test_client_id_and_question_case(srv, up):
    up.answer("www.example.test", "A", ["192.0.2.10"])
    for i, (name, tcp) in enumerate([("WwW.ExAmple.TEST", False), ("wWw.eXaMPLE.test", False),
                                     ("WWW.EXAMPLE.TEST", True)]):
        q = dns.message.make_query(name, "A")
        q.id = 0xA55A - i
        wire = srv.tcp_raw(q.to_wire()) if tcp else srv.udp_raw(q.to_wire())
        qwire = q.to_wire()
        assert wire[:2] == qwire[:2], "ID not kept"
        qlen = len(dns.name.from_text(name).to_wire()) + 4
        assert wire[12:12 + qlen] == qwire[12:12 + qlen], "question not echoed byte for byte"
        r = dns.message.from_wire(wire)
        assert r.question[0].name.to_text() == name + "."
        assert [rd.address for rd in r.answer[0]] == ["192.0.2.10"]
    # The first went upstream (lower-cased: one cache key), the others were cache hits.
    got = up.queries("www.example.test")
    assert len(got) == 1, got


def test_flags(srv, up):
    up.answer("flags.fwd.test", "A", ["192.0.2.11"])  # the fake sets AA and RA
    _, r, _ = ask(srv, "flags.fwd.test")
    assert_forwarded_flags(r)
    assert not r.flags & (dns.flags.TC | dns.flags.CD | dns.flags.AD)
    # CD is copied (from the cache here, and upstream for a new name).
    _, r, _ = ask(srv, "flags.fwd.test", cd=True)
    assert_forwarded_flags(r)
    assert r.flags & dns.flags.CD
    up.answer("flags-cd.fwd.test", "A", ["192.0.2.12"])
    _, r, _ = ask(srv, "flags-cd.fwd.test", cd=True)
    assert_forwarded_flags(r)
    assert r.flags & dns.flags.CD
    assert r.rcode() == dns.rcode.NOERROR and r.answer


def test_sections_intact(srv, up):
    name = "sections.fwd.test."
    answer = [(name, 600, "A", ["192.0.2.21", "192.0.2.22", "192.0.2.23"])]
    authority = [("fwd.test.", 3600, "NS", ["ns1.fwd.test.", "ns2.other.test."])]
    additional = [("ns1.fwd.test.", 7200, "A", ["192.0.2.53"]),
                  ("ns1.fwd.test.", 7200, "AAAA", ["2001:db8::53"]),
                  ("ns2.other.test.", 7200, "A", ["198.51.100.53"])]
    up.answer_sections(name, "A", answer, authority, additional)
    for tcp in (False, True):  # upstream, then from the cache
        _, r, _ = ask(srv, name, tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR
        assert norm(r.answer) == expected(answer)
        assert norm(r.authority) == expected(authority)
        assert norm(r.additional) == expected(additional)
    assert up.count(name) == 1


def test_nxdomain_with_soa_relayed(srv, up):
    up.nxdomain("gone.fwd.test", soa_ttl=900, minimum=600, zone="fwd.test")
    _, r, _ = ask(srv, "gone.fwd.test", "AAAA")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert r.answer == []
    assert norm(r.authority) == expected([soa_rr("fwd.test", 900, 600)])
    assert_forwarded_flags(r)


def test_nodata_with_soa_relayed(srv, up):
    up.nodata("nodata.fwd.test", "MX", soa_ttl=900, minimum=600, zone="fwd.test")
    _, r, _ = ask(srv, "nodata.fwd.test", "MX")
    assert r.rcode() == dns.rcode.NOERROR
    assert r.answer == []
    assert norm(r.authority) == expected([soa_rr("fwd.test", 900, 600)])
    assert_forwarded_flags(r)


# ---- EDNS between client, server and upstream -------------------------------------------------

@pytest.mark.parametrize("cached", [False, True], ids=["upstream", "cache"])
def test_client_opt_is_ours(srv, up, cached):
    """The fake answers with its own OPT (payload 4096, an NSID option): the client gets our
    OPT (server.udp_max_payload, no options, DO echoed) only when it sent EDNS."""
    kinds = [(False, False), (True, False), (True, True)]  # (EDNS, DO)
    names = ["opt-%s-%d.fwd.test" % (cached, i) for i in range(len(kinds))]
    for n in names:
        up.answer(n, "A", ["192.0.2.30"])
    if cached:  # the same question first from a client of the other kind
        for n, (edns, do) in zip(names, kinds):
            ask(srv, n, edns=not edns, do=do)
    for n, (edns, do) in zip(names, kinds):
        wire, r, _ = ask(srv, n, edns=edns, do=do)
        assert r.rcode() == dns.rcode.NOERROR and r.answer
        if not edns:
            assert r.edns == -1, "OPT in the reply to a client without EDNS"
            assert counts(wire)[3] == 0
        else:
            assert r.edns == 0
            assert r.payload == OUR_PAYLOAD != FAKE_PAYLOAD
            assert list(r.options) == [], "the upstream's EDNS options were relayed"
            assert bool(r.ednsflags & dns.flags.DO) == do
            assert counts(wire)[3] == 1, "more than our one OPT in the additional section"
        assert up.count(n) == 1


def test_upstream_query_shape(srv, up):
    """RD set, an OPT always, DO exactly when the client set DO; DO is part of the key."""
    name = "shape.fwd.test"
    up.answer(name, "A", ["192.0.2.31"])
    ask(srv, name)                        # no EDNS
    ask(srv, name, edns=True)             # EDNS, no DO: same key, a cache hit
    ask(srv, "shape2.fwd.test", do=True)  # DO
    ask(srv, name, do=True)               # DO: another key, goes upstream
    got = up.queries(name) + up.queries("shape2.fwd.test")
    assert len(got) == 3, got
    assert [g.do for g in got] == [False, True, True]
    for g in got:
        assert g.rd, "RD clear in an upstream query"
        assert g.edns, "no OPT in an upstream query"
        assert g.options == []
        assert g.wire[2] & 0x80 == 0, "QR set in an upstream query"
        assert counts(g.wire) == (1, 0, 0, 1)


def test_upstream_query_payload_is_our_limit(srv, up):
    """The upstream query advertises our own UDP limit (server.udp_max_payload): a bigger
    upstream reply than that could not be relayed over UDP anyway, and TC then TCP covers it."""
    up.answer("payload.fwd.test", "A", ["192.0.2.32"])
    ask(srv, "payload.fwd.test")
    (g,) = up.queries("payload.fwd.test")
    assert g.payload == OUR_PAYLOAD, "upstream OPT payload %s (server.udp_max_payload is %d)" % (
        g.payload, OUR_PAYLOAD)


def test_random_ids_and_source_ports(srv, up):
    names = ["rnd%02d.fwd.test" % i for i in range(20)]
    for n in names:
        up.answer(n, "A", ["192.0.2.40"])
    for n in names:
        _, r, q = ask(srv, n, qid=4242)  # the same client ID every time
        assert r.answer
    got = [up.queries(n)[0] for n in names]
    ids = {g.id for g in got}
    ports = {g.sport for g in got}
    assert len(ids) >= 15, "upstream IDs not random: %s" % sorted(ids)
    assert len(ports) >= 15, "upstream source ports not random: %s" % sorted(ports)
    assert srv.port not in ports, "queries leave from the listening socket"


# ---- truncation -------------------------------------------------------------------------------

def test_tc_then_tcp(srv, up):
    name = "tc.fwd.test."
    up.answer(name, "A", ["192.0.2.50", "192.0.2.51"], tc_udp=True)
    _, r, _ = ask(srv, name)
    assert r.rcode() == dns.rcode.NOERROR
    assert not r.flags & dns.flags.TC
    assert norm(r.answer) == expected([(name, 300, "A", ["192.0.2.50", "192.0.2.51"])])
    got = up.queries(name)
    assert [g.proto for g in got] == ["udp", "tcp"]
    assert got[1].rd and got[1].qname == name


BIG_ADDRS = ["10.%d.%d.%d" % (i // 250, i % 250, 7) for i in range(200)]


def test_big_answer(srv, up):
    """A 3000+ byte answer: the fake truncates it over UDP, the server fetches it over TCP;
    a UDP client gets TC with the question only (with or without EDNS), TCP the full answer."""
    for n in ("big1.fwd.test.", "big2.fwd.test."):
        up.answer(n, "A", BIG_ADDRS)
    full = expected([("big1.fwd.test.", 300, "A", BIG_ADDRS)])

    for edns in (True, False, True):  # upstream, then the cache, twice
        wire, r, q = ask(srv, "big1.fwd.test", edns=edns, payload=4096)
        assert r.flags & dns.flags.TC, "an answer over the client's limit without TC"
        assert r.rcode() == dns.rcode.NOERROR
        assert counts(wire) == (1, 0, 0, 1 if edns else 0)
        assert r.question[0].name == q.question[0].name
        assert len(wire) <= (OUR_PAYLOAD if edns else 512)
        assert (r.edns == 0) == edns
        assert_forwarded_flags(r)
    wire, r, _ = ask(srv, "big1.fwd.test", tcp=True)
    assert len(wire) > 3000
    assert not r.flags & dns.flags.TC
    assert norm(r.answer) == full
    assert [g.proto for g in up.queries("big1.fwd.test")] == ["udp", "tcp"]

    # A TCP client first: the server's own UDP try is truncated, then it asks over TCP.
    wire, r, _ = ask(srv, "big2.fwd.test", tcp=True)
    assert len(wire) > 3000 and not r.flags & dns.flags.TC
    assert norm(r.answer) == expected([("big2.fwd.test.", 300, "A", BIG_ADDRS)])
    assert [g.proto for g in up.queries("big2.fwd.test")] == ["udp", "tcp"]


def test_udp_limit_is_the_clients_payload(srv, up):
    """About 1000 bytes: over the 512 of a client without EDNS or with EDNS 512, within
    1232; the limit is min(client's payload, server.udp_max_payload)."""
    name = "mid.fwd.test."
    addrs = BIG_ADDRS[:60]
    up.answer(name, "A", addrs)
    for payload, tc in [(1232, False), (None, True), (512, True), (400, True), (900, True),
                        (4096, False)]:
        wire, r, _ = ask(srv, name, edns=payload is not None, payload=payload or 0)
        assert bool(r.flags & dns.flags.TC) == tc, (payload, len(wire))
        if tc:
            assert r.answer == [] and counts(wire)[1:3] == (0, 0)
        else:
            assert 1000 < len(wire) <= 1232
            assert norm(r.answer) == expected([(name, 300, "A", addrs)])
    assert up.count(name, proto="udp") == 1


# ---- spoofing ---------------------------------------------------------------------------------

SPOOFS = ["wrong_id", "wrong_question", "other_port", "other_addr"]


@pytest.mark.parametrize("spoof", SPOOFS + ["all"])
def test_spoofed_reply_ignored(srv, up, spoof):
    name = "spoof-%s.fwd.test" % spoof.replace("_", "-")
    kinds = tuple(SPOOFS) if spoof == "all" else (spoof,)
    up.answer(name, "A", ["192.0.2.60"], spoof=kinds, delay=0.1)
    _, r, _ = ask(srv, name)
    assert r.rcode() == dns.rcode.NOERROR
    assert [rd.address for rd in r.answer[0]] == ["192.0.2.60"], "a spoofed reply was taken"
    assert up.count(name) == 1  # the attempt kept waiting instead of moving on
    _, r, _ = ask(srv, name)  # and what the cache holds is the right answer
    assert [rd.address for rd in r.answer[0]] == ["192.0.2.60"]


@pytest.mark.parametrize("spoof", ["other_port", "all"])
def test_only_spoofed_replies_servfail(srv, up, spoof):
    name = "spoofonly-%s.fwd.test" % spoof.replace("_", "-")
    up.answer(name, "A", ["192.0.2.61"], spoof=tuple(SPOOFS) if spoof == "all" else (spoof,),
              spoof_only=True)
    t = time.monotonic()
    _, r, q = ask(srv, name)
    assert time.monotonic() - t >= TIMEOUT * 0.9
    assert_servfail(r, q)
    _, r, q = ask(srv, name)  # SERVFAIL is not cached
    assert_servfail(r, q)
    assert up.count(name) == 2


# ---- compression inside RDATA -----------------------------------------------------------------

def test_compressed_rdata_relayed(srv, up):
    name = "cmp.fwd.test"
    up.raw(name, "MX", compressed_reply)
    _, r1, _ = ask(srv, "CmP.fwd.TEST", "MX")
    (g,) = up.queries(name)
    sent = dns.message.from_wire(compressed_reply(dns.message.from_wire(g.wire)))
    assert len(sent.answer) == 2 and len(sent.authority) == 2  # the fixture is what we think
    for r in (r1, ask(srv, name, "MX", tcp=True)[1], ask(srv, name.upper(), "MX", edns=True)[1]):
        assert r.rcode() == dns.rcode.NOERROR
        assert norm(r.answer) == norm(sent.answer)
        assert norm(r.authority) == norm(sent.authority)
        assert norm(r.additional) == norm(sent.additional)
    assert up.count(name) == 1


@pytest.mark.parametrize("rdtype", ["PTR", "SRV", "NAPTR", "RP", "AFSDB", "MINFO"])
def test_compressed_names_in_other_types(srv, up, rdtype):
    name = "cmp-%s.fwd.test" % rdtype.lower()
    up.raw(name, rdtype, compressed_target_reply)
    _, r, _ = ask(srv, name, rdtype)
    (g,) = up.queries(name)
    sent = dns.message.from_wire(compressed_target_reply(dns.message.from_wire(g.wire)))
    assert r.rcode() == dns.rcode.NOERROR
    assert norm(r.answer) == norm(sent.answer)
    assert name + "." in sent.answer[0].to_text()  # the names really pointed at the question


def upper_reply(q):
    """The fake's answer written with the question (and owner) in upper case, as a server
    that echoes a 0x20-randomised name might; names compare case-insensitively."""
    r = dns.message.make_response(q, recursion_available=True)
    n = dns.name.from_text(q.question[0].name.to_text().upper())
    r.question = [dns.rrset.RRset(n, dns.rdataclass.IN, q.question[0].rdtype)]
    r.answer.append(make_rrset(n, 300, "A", ["192.0.2.65"]))
    return r.to_wire()


def test_upstream_reply_in_other_case_accepted(srv, up):
    up.raw("upper.fwd.test", "A", upper_reply)
    _, r, _ = ask(srv, "Upper.fwd.test")
    assert r.rcode() == dns.rcode.NOERROR
    assert [rd.address for rd in r.answer[0]] == ["192.0.2.65"]
    assert r.question[0].name.to_text() == "Upper.fwd.test."
    assert up.count("upper.fwd.test") == 1


def test_ttl_over_2_31_is_zero(srv, up):
    """RFC 2181 section 8: a TTL with the top bit set counts as 0; relayed as 0, not cached."""
    up.answer("bigttl.fwd.test", "A", ["192.0.2.66"], ttl=0x80000000)
    for n in (1, 2):
        _, r, _ = ask(srv, "bigttl.fwd.test")
        assert r.answer[0].ttl == 0
        assert up.count("bigttl.fwd.test") == n


# ---- failover ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """Two fakes, a server asking the first, then the second."""
    with FakeUpstream() as a, FakeUpstream() as b:
        cfg = config([a.addr, b.addr], upstream_timeout=TIMEOUT)
        with running_server(cfg, tmp_path_factory.mktemp("failover")) as s:
            yield s, a, b


def test_failover_first_silent(pair):
    s, a, b = pair
    a.silent("fo-silent.fwd.test")
    b.answer("fo-silent.fwd.test", "A", ["192.0.2.70"])
    t = time.monotonic()
    _, r, _ = ask(s, "fo-silent.fwd.test")
    elapsed = time.monotonic() - t
    assert [rd.address for rd in r.answer[0]] == ["192.0.2.70"]
    assert TIMEOUT * 0.9 <= elapsed < TIMEOUT + 1.0, elapsed
    assert a.count("fo-silent.fwd.test") == 1 and b.count("fo-silent.fwd.test") == 1
    assert b.queries("fo-silent.fwd.test")[0].time - a.queries("fo-silent.fwd.test")[0].time \
        >= TIMEOUT * 0.9


@pytest.mark.parametrize("how", ["SERVFAIL", "REFUSED", "FORMERR", "NOTIMP", "garbage"])
def test_failover_first_fails(pair, how):
    s, a, b = pair
    name = "fo-%s.fwd.test" % how.lower()
    if how == "garbage":
        a.raw(name, "A", garbage_reply)
    else:
        a.rcode(name, dns.rcode.from_text(how))
    b.answer(name, "A", ["192.0.2.71"])
    t = time.monotonic()
    _, r, _ = ask(s, name)
    assert r.rcode() == dns.rcode.NOERROR
    assert [rd.address for rd in r.answer[0]] == ["192.0.2.71"]
    assert time.monotonic() - t < TIMEOUT * 0.9, "waited for the timeout after a failure"
    assert a.count(name) == 1 and b.count(name) == 1


def test_failover_tc_then_tcp_fails(pair):
    s, a, b = pair
    a.answer("fo-tcp.fwd.test", "A", ["192.0.2.74"], tc_udp=True, tcp_close=True)
    b.answer("fo-tcp.fwd.test", "A", ["192.0.2.75"])
    t = time.monotonic()
    _, r, _ = ask(s, "fo-tcp.fwd.test")
    assert [rd.address for rd in r.answer[0]] == ["192.0.2.75"]
    assert time.monotonic() - t < TIMEOUT * 0.9, "waited for the timeout after a closed TCP"
    assert [g.proto for g in a.queries("fo-tcp.fwd.test")] == ["udp", "tcp"]
    assert b.count("fo-tcp.fwd.test") == 1


def test_nxdomain_is_final(pair):
    s, a, b = pair
    a.nxdomain("fo-nx.fwd.test", soa_ttl=60, minimum=60)
    b.answer("fo-nx.fwd.test", "A", ["192.0.2.72"])
    _, r, _ = ask(s, "fo-nx.fwd.test")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert b.count("fo-nx.fwd.test") == 0


@pytest.mark.parametrize("how", ["silent", "servfail"])
def test_all_upstreams_fail_servfail_not_cached(pair, how):
    s, a, b = pair
    name = "fo-all-%s.fwd.test" % how
    for f in (a, b):
        if how == "silent":
            f.silent(name)
        else:
            f.rcode(name, dns.rcode.SERVFAIL)
    for n in (1, 2):
        t = time.monotonic()
        _, r, q = ask(s, name, edns=True, do=True)
        if how == "silent":
            assert time.monotonic() - t >= 2 * TIMEOUT * 0.9
        assert_servfail(r, q)
        assert r.edns == 0 and r.ednsflags & dns.flags.DO
        assert a.count(name) == n and b.count(name) == n, "SERVFAIL was cached"


def test_no_upstreams_refused(start_server, up):
    s = start_server(config([]))
    up.answer("noup.fwd.test", "A", ["192.0.2.73"])
    for tcp in (False, True):
        _, r, _ = ask(s, "noup.fwd.test", tcp=tcp)
        assert r.rcode() == dns.rcode.REFUSED
        assert r.answer == [] and not r.flags & (dns.flags.AA | dns.flags.RA)
    _, r, _ = ask(s, "www.local.test")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    assert_no_upstream(up, "noup.fwd.test")


# ---- concurrency ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def slow_srv(up, tmp_path_factory):
    """A server that waits long enough for the fake's delayed answers."""
    cfg = config([up.addr], upstream_timeout=3)
    with running_server(cfg, tmp_path_factory.mktemp("slow")) as s:
        yield s


def test_identical_questions_deduplicated(slow_srv, up):
    name = "dedupe.fwd.test"
    up.answer(name, "A", ["192.0.2.80"], delay=0.5)
    socks, queries = [], []
    try:
        for i in range(10):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(3)
            s.connect(("127.0.0.1", slow_srv.port))
            socks.append(s)
            # Each its own ID and case; same lower-cased name, type, class, DO.
            qn = "".join(c.upper() if (i >> (k % 4)) & 1 else c for k, c in enumerate(name))
            q = dns.message.make_query(qn, "A")
            q.id = 1000 + i
            queries.append(q)
        t = time.monotonic()
        for s, q in zip(socks, queries):
            s.send(q.to_wire())
        replies = [dns.message.from_wire(s.recv(65535)) for s in socks]
        elapsed = time.monotonic() - t
    finally:
        for s in socks:
            s.close()
    for q, r in zip(queries, replies):
        assert r.id == q.id
        assert r.question[0].name.to_text() == q.question[0].name.to_text()
        assert [rd.address for rd in r.answer[0]] == ["192.0.2.80"]
    assert elapsed < 1.5, elapsed
    assert up.count(name) == 1, "identical pending questions went upstream %d times" \
        % up.count(name)


def test_dedupe_keeps_do_apart(slow_srv, up):
    """DO is part of the question: 6 concurrent clients, 3 with DO and 3 without, make two
    upstream queries (one with DO), and each client gets its own DO echoed."""
    name = "dedupe-do.fwd.test"
    up.answer(name, "A", ["192.0.2.81"], delay=0.4)
    socks, queries = [], []
    try:
        for i in range(6):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(3)
            s.connect(("127.0.0.1", slow_srv.port))
            socks.append(s)
            q = dns.message.make_query(name, "A", use_edns=0, payload=1232,
                                       want_dnssec=bool(i % 2))
            queries.append(q)
        for s, q in zip(socks, queries):
            s.send(q.to_wire())
        replies = [dns.message.from_wire(s.recv(65535)) for s in socks]
    finally:
        for s in socks:
            s.close()
    for q, r in zip(queries, replies):
        assert r.id == q.id and r.answer
        assert bool(r.ednsflags & dns.flags.DO) == bool(q.ednsflags & dns.flags.DO)
    assert sorted(g.do for g in up.queries(name)) == [False, True]


def test_slow_upstream_delays_nothing_else(slow_srv, up):
    up.answer("slow.fwd.test", "A", ["192.0.2.90"], delay=1.2)
    up.answer("fast.fwd.test", "A", ["192.0.2.91"])
    result = {}

    def slow():
        result["r"] = ask(slow_srv, "slow.fwd.test")[1]

    th = threading.Thread(target=slow)
    th.start()
    try:
        assert up.wait_queries("slow.fwd.test", 1), "the slow question never went upstream"
        for name, tcp in [("www.local.test", False), ("www.local.test", True),
                          ("redir.fwd.test", False), ("fast.fwd.test", False)]:
            t = time.monotonic()
            _, r, _ = ask(slow_srv, name, tcp=tcp)
            assert time.monotonic() - t < 0.5, "%s waited for the slow upstream" % name
            assert r.rcode() == dns.rcode.NOERROR and r.answer
            assert th.is_alive(), "the slow question is not pending any more"
    finally:
        th.join(5)
    assert [rd.address for rd in result["r"].answer[0]] == ["192.0.2.90"]


def test_tcp_pipelined_forwards_answered_out_of_order(slow_srv, up):
    """Two forwarded queries on one connection: the fast one may overtake (RFC 7766 6.2.1.1);
    both are answered, each with its own ID."""
    up.answer("pipe-slow.fwd.test", "A", ["192.0.2.92"], delay=0.6)
    up.answer("pipe-fast.fwd.test", "A", ["192.0.2.93"])
    q1 = dns.message.make_query("pipe-slow.fwd.test", "A")
    q2 = dns.message.make_query("pipe-fast.fwd.test", "A")
    q1.id, q2.id = 0x1111, 0x2222
    with slow_srv.tcp_connect(timeout=3) as c:
        for q in (q1, q2):
            w = q.to_wire()
            c.sendall(struct.pack("!H", len(w)) + w)
        got = [dns.message.from_wire(tcp_read_msg(c)) for _ in range(2)]
    assert [r.id for r in got] == [0x2222, 0x1111]
    assert [[rd.address for rd in r.answer[0]] for r in got] == [["192.0.2.93"], ["192.0.2.92"]]


def test_tcp_client_gone_before_the_answer(slow_srv, up):
    """A TCP client that closes while its question is upstream: the late answer has nowhere
    to go, and the server goes on (ASan checks the connection's memory at teardown)."""
    up.answer("gone-early.fwd.test", "A", ["192.0.2.94"], delay=0.3)
    q = dns.message.make_query("gone-early.fwd.test", "A").to_wire()
    with slow_srv.tcp_connect() as c:
        c.sendall(struct.pack("!H", len(q)) + q)
        assert up.wait_queries("gone-early.fwd.test", 1)
    time.sleep(0.5)
    _, r, _ = ask(slow_srv, "gone-early.fwd.test", tcp=True)  # cached by the first one
    assert [rd.address for rd in r.answer[0]] == ["192.0.2.94"]
    assert up.count("gone-early.fwd.test") == 1
    assert slow_srv.alive()


def test_stop_with_questions_pending(tmp_path, up):
    """SIGTERM while clients wait on the upstream: a clean exit, nothing leaked."""
    up.silent("pending.fwd.test")
    cfg = config([up.addr], upstream_timeout=5)
    with running_server(cfg, tmp_path) as s:
        q = dns.message.make_query("pending.fwd.test", "A").to_wire()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c = s.tcp_connect()
        try:
            u.sendto(q, ("127.0.0.1", s.port))
            c.sendall(struct.pack("!H", len(q)) + q)
            assert len(up.wait_queries("pending.fwd.test", 1)) == 1
            t = time.monotonic()
            s.assert_clean_exit()
            assert time.monotonic() - t < 3, "the exit waited for the upstream timeout"
        finally:
            u.close()
            c.close()


# ---- the cache --------------------------------------------------------------------------------

def test_cache_hit_ttl_counts_down(srv, up):
    name = "ttl.fwd.test."
    up.answer_sections(name, "A", answer=[(name, 300, "A", ["192.0.2.100"])],
                       authority=[("fwd.test.", 600, "NS", ["ns1.fwd.test."])],
                       additional=[("ns1.fwd.test.", 900, "A", ["192.0.2.53"])])
    _, r, _ = ask(srv, name)
    assert [x.ttl for x in r.answer + r.authority + r.additional] == [300, 600, 900]
    _, r, _ = ask(srv, name)
    assert [x.ttl for x in r.answer + r.authority + r.additional] == [300, 600, 900]
    time.sleep(2.1)
    _, r, _ = ask(srv, name)
    ttls = [x.ttl for x in r.answer + r.authority + r.additional]
    assert ttls in ([298, 598, 898], [297, 597, 897]), ttls
    assert up.count(name) == 1


def test_cache_lifetimes(srv, up):
    """Positive answers live as long as the lowest TTL in the message (TTL 0: not cached);
    NXDOMAIN and NODATA min(SOA TTL, SOA MINIMUM) seconds, and without an SOA not at all.
    Names marked "long" must still be cached after the sleep, the others must not."""
    cases = {
        "neg-nx-min.fwd.test": dict(kind="nx", soa_ttl=300, minimum=1),
        "neg-nx-ttl.fwd.test": dict(kind="nx", soa_ttl=1, minimum=300),
        "neg-nd-min.fwd.test": dict(kind="nd", soa_ttl=300, minimum=1),
        "neg-nd-ttl.fwd.test": dict(kind="nd", soa_ttl=1, minimum=300),
        "neg-nx-long.fwd.test": dict(kind="nx", soa_ttl=300, minimum=300),
        "neg-nd-long.fwd.test": dict(kind="nd", soa_ttl=300, minimum=300),
        "neg-nx-nosoa.fwd.test": dict(kind="nx", soa=False),
        "neg-nd-nosoa.fwd.test": dict(kind="nd", soa=False),
        "pos-add.fwd.test": dict(kind="pos", additional=[("ns.fwd.test.", 1, "A", ["192.0.2.9"])]),
        "pos-auth.fwd.test": dict(kind="pos", authority=[("fwd.test.", 1, "NS", ["ns.fwd.test."])]),
        "pos-long.fwd.test": dict(kind="pos", authority=[("fwd.test.", 300, "NS", ["n.fwd.test."])]),
        "pos-ttl0-nosoa.fwd.test": dict(kind="pos", ttl=0),
    }
    want_rcode = {"nx": dns.rcode.NXDOMAIN, "nd": dns.rcode.NOERROR, "pos": dns.rcode.NOERROR}
    for name, c in cases.items():
        c = dict(c)
        kind = c.pop("kind")
        if kind == "pos":
            up.answer(name, "A", ["192.0.2.170"], ttl=c.pop("ttl", 300), **c)
        else:
            (up.nxdomain if kind == "nx" else up.nodata)(name, **c)
    for _ in range(2):
        for name, c in cases.items():
            _, r, _ = ask(srv, name)
            assert r.rcode() == want_rcode[c["kind"]]
            assert bool(r.answer) == (c["kind"] == "pos")
    got = {n: up.count(n) for n in cases}
    assert got == {n: (2 if "nosoa" in n else 1) for n in cases}
    time.sleep(1.2)
    for name in cases:
        ask(srv, name)
    got = {n: up.count(n) for n in cases}
    assert got == {n: (1 if "long" in n else 3 if "nosoa" in n else 2) for n in cases}


@pytest.mark.parametrize("how", ["cache_enabled false", "--no-cache", "cache_size 0"])
def test_cache_disabled(start_server, up, how):
    server = {"upstream_timeout": TIMEOUT}
    args = ()
    if how == "cache_enabled false":
        server["cache_enabled"] = False
    elif how == "cache_size 0":
        server["cache_size"] = 0
    else:
        args = ("--no-cache",)
    s = start_server(config([up.addr], **server), extra_args=args)
    name = "nocache-%s.fwd.test" % how.split()[0].strip("-").replace("_", "-")
    up.answer(name, "A", ["192.0.2.110"])
    for n in (1, 2, 3):
        _, r, _ = ask(s, name)
        assert [rd.address for rd in r.answer[0]] == ["192.0.2.110"]
        assert up.count(name) == n


def test_cache_ttl_caps_lifetime(start_server, up):
    s = start_server(config([up.addr], upstream_timeout=TIMEOUT, cache_ttl=1))
    up.answer("cap.fwd.test", "A", ["192.0.2.120"], ttl=300)
    for _ in range(2):  # cache_ttl caps the lifetime, not the TTLs relayed to clients
        _, r, _ = ask(s, "cap.fwd.test")
        assert 299 <= r.answer[0].ttl <= 300, r.answer[0]
    assert up.count("cap.fwd.test") == 1
    time.sleep(1.5)
    ask(s, "cap.fwd.test")
    assert up.count("cap.fwd.test") == 2


def test_cache_eviction_lru(start_server, up):
    s = start_server(config([up.addr], upstream_timeout=TIMEOUT, cache_size=2))
    for n in "abc":
        up.answer("ev-%s.fwd.test" % n, "A", ["192.0.2.13%d" % "abc".index(n)])

    def q(n):
        _, r, _ = ask(s, "ev-%s.fwd.test" % n)
        assert r.answer
        return {x: up.count("ev-%s.fwd.test" % x) for x in "abc"}

    assert q("a") == {"a": 1, "b": 0, "c": 0}
    assert q("b") == {"a": 1, "b": 1, "c": 0}
    assert q("a") == {"a": 1, "b": 1, "c": 0}  # hit: A is marked
    assert q("c") == {"a": 1, "b": 1, "c": 1}  # full: the hand passes A, evicts B
    assert q("a") == {"a": 1, "b": 1, "c": 1}  # A survived
    assert q("c") == {"a": 1, "b": 1, "c": 1}  # C is cached
    assert q("b") == {"a": 1, "b": 2, "c": 1}  # B was evicted


def test_reload_flushes_cache(start_server, up):
    s = start_server(config([up.addr], upstream_timeout=TIMEOUT))
    up.answer("flush.fwd.test", "A", ["192.0.2.140"])
    ask(s, "flush.fwd.test")
    ask(s, "flush.fwd.test")
    assert up.count("flush.fwd.test") == 1
    mark = len(s.log)
    s.send_signal(signal.SIGHUP)
    s.wait_log(r"Config applied", start=mark)
    ask(s, "flush.fwd.test")
    assert up.count("flush.fwd.test") == 2
    ask(s, "flush.fwd.test")
    assert up.count("flush.fwd.test") == 2


def reload(s, cfg):
    write_config(s.config_path, cfg)
    mark = len(s.log)
    s.send_signal(signal.SIGHUP)
    s.wait_log(r"Config applied", start=mark)


def test_reload_applies_upstream_and_cache_enabled(start_server, fakes):
    """server.upstream and server.cache_enabled are live: after a reload new questions go
    to the new upstream, and the cache is off, then on again."""
    one, two = fakes(), fakes()
    for f in (one, two):
        f.answer("live.fwd.test", "A", ["192.0.2.141"])
    s = start_server(config([one.addr], upstream_timeout=TIMEOUT))
    ask(s, "live.fwd.test")
    assert (one.count("live.fwd.test"), two.count("live.fwd.test")) == (1, 0)

    reload(s, config([two.addr], upstream_timeout=TIMEOUT, cache_enabled=False))
    for n in (1, 2, 3):
        _, r, _ = ask(s, "live.fwd.test")
        assert r.answer
        assert (one.count("live.fwd.test"), two.count("live.fwd.test")) == (1, n)

    reload(s, config([two.addr], upstream_timeout=TIMEOUT, cache_enabled=True))
    for _ in range(3):
        ask(s, "live.fwd.test")
    assert (one.count("live.fwd.test"), two.count("live.fwd.test")) == (1, 4)


# ---- who may recurse --------------------------------------------------------------------------

def test_rd0_cache_only(srv, up):
    name = "rd0.fwd.test"
    up.answer(name, "A", ["192.0.2.150"])
    _, r, _ = ask(srv, name, rd=False)
    assert r.rcode() == dns.rcode.REFUSED
    assert r.answer == [] and not r.flags & (dns.flags.AA | dns.flags.RD)
    assert_no_upstream(up, name)
    ask(srv, name)  # RD=1: fetched and cached
    time.sleep(0.05)  # see test_rd0_right_after_the_answer
    for tcp in (False, True):
        _, r, _ = ask(srv, name, rd=False, tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR
        assert [rd.address for rd in r.answer[0]] == ["192.0.2.150"]
        assert_forwarded_flags(r, rd=False)
    assert up.count(name) == 1


def test_rd0_right_after_the_answer(slow_srv, up):
    """Once a client has its answer, the answer is in the cache: an RD=0 query sent right
    after it must be a hit. Some 900 queries wait on one question (the fake answers after
    0.2 s), so the server has hundreds of answers still to send after the first one: an RD=0
    query sent on the first answer's arrival lands while it is busy with them, before the
    entry is stored if it is stored after answering (then about 9 tries in 10 fail; 4 tries)."""
    for attempt in range(4):
        name = "rd0-race-%d.fwd.test" % attempt
        up.answer(name, "A", ["192.0.2.151"], delay=0.2)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as many, \
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as one:
            many.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            many.connect(("127.0.0.1", slow_srv.port))
            one.connect(("127.0.0.1", slow_srv.port))
            many.settimeout(3)
            one.settimeout(3)
            q = dns.message.make_query(name, "A")
            q0 = dns.message.make_query(name, "A")
            q0.flags &= ~dns.flags.RD
            w0 = q0.to_wire()
            for i in range(900):
                q.id = i
                many.send(q.to_wire())
            first = many.recv(65535)
            one.send(w0)
            r0 = dns.message.from_wire(one.recv(65535))
            assert dns.message.from_wire(first).answer
            assert r0.rcode() == dns.rcode.NOERROR, \
                "RD=0 right after an answer: %s" % dns.rcode.to_text(r0.rcode())
            assert [rd.address for rd in r0.answer[0]] == ["192.0.2.151"]
        assert up.count(name) == 1


def test_client_outside_allow_recursion(start_server, up):
    s = start_server(config([up.addr], upstream_timeout=TIMEOUT,
                            allow_recursion=["10.99.0.0/16"]))
    up.answer("norec.fwd.test", "A", ["192.0.2.160"])
    for tcp in (False, True):
        _, r, _ = ask(s, "norec.fwd.test", tcp=tcp)
        assert r.rcode() == dns.rcode.REFUSED
        assert r.answer == [] and not r.flags & (dns.flags.RA | dns.flags.AA)
        _, r, _ = ask(s, "www.local.test", tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR
        assert [rd.address for rd in r.answer[0]] == ["10.0.0.1"]
        assert r.flags & dns.flags.AA and not r.flags & dns.flags.RA
    assert_no_upstream(up, "norec.fwd.test")


def test_local_data_never_forwarded(srv, up):
    names = [("blocked.fwd.test", "A", dns.rcode.NXDOMAIN),
             ("x.ads.fwd.test", "A", dns.rcode.NXDOMAIN),
             ("redir.fwd.test", "A", dns.rcode.NOERROR),
             ("redir.fwd.test", "AAAA", dns.rcode.NOERROR),
             ("www.local.test", "A", dns.rcode.NOERROR),
             ("www.local.test", "MX", dns.rcode.NOERROR),
             ("nothing.local.test", "A", dns.rcode.NXDOMAIN),
             ("host.lan", "A", dns.rcode.NOERROR)]
    for name, rdtype, _ in names:
        up.answer(name, rdtype, [SPOOF_ADDR] if rdtype == "A" else [])
    for name, rdtype, rc in names:
        for tcp in (False, True):
            _, r, _ = ask(srv, name, rdtype, tcp=tcp)
            assert r.rcode() == rc, (name, rdtype, dns.rcode.to_text(r.rcode()))
            assert r.flags & dns.flags.AA, (name, rdtype)
            for rrset in r.answer:
                assert SPOOF_ADDR not in rrset.to_text()
    assert_no_upstream(up, *{n for n, _, _ in names})
