"""EDNS(0) (RFC 6891) and UDP truncation: OPT in replies, DO echo, BADVERS, payload limits,
TC answers that parse and the same answer in full over TCP."""

import struct

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import pytest

from conftest import addresses, assert_nodata, base_server, only_rrset, running_server

BIG = {n: ["10.1.%d.%d" % (n, i) for i in range(1, n + 1)] for n in (20, 40, 100)}

CONFIG = {
    "server": base_server(),
    "zones": {"e.test": {"soa": {"minimum": 300}, "ttl": 3600}},
    "records": [{"name": "small.e.test", "type": "A", "value": "10.0.0.1"}]
    + [{"name": "big%d.e.test" % n, "type": "A", "value": a}
       for n, addrs in BIG.items() for a in addrs],
}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with running_server(CONFIG, tmp_path_factory.mktemp("edns")) as s:
        yield s


def raw_query(srv, msg, tcp=False):
    """Sends msg, returns (wire bytes, parsed reply)."""
    wire = srv.tcp_raw(msg.to_wire()) if tcp else srv.udp_raw(msg.to_wire())
    r = dns.message.from_wire(wire)
    assert r.id == msg.id
    return wire, r


def assert_opt(r, do=False):
    assert r.edns == 0, "no OPT (or version %s) in the reply" % r.edns
    assert r.payload == 1232
    assert bool(r.ednsflags & dns.flags.DO) == do
    assert list(r.options) == []


# ---- OPT in replies ------------------------------------------------------------------------------

@pytest.mark.parametrize("qname,rdtype,rclass,rcode", [
    ("small.e.test", "A", "IN", dns.rcode.NOERROR),
    ("small.e.test", "MX", "IN", dns.rcode.NOERROR),
    ("nothing.e.test", "A", "IN", dns.rcode.NXDOMAIN),
    ("outside.example", "A", "IN", dns.rcode.REFUSED),
    ("small.e.test", "A", "CH", dns.rcode.REFUSED),
    ("e.test", "AXFR", "IN", dns.rcode.REFUSED),
    ("big100.e.test", "A", "IN", dns.rcode.NOERROR),
])
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_opt_in_every_reply(srv, qname, rdtype, rclass, rcode, tcp):
    q = dns.message.make_query(qname, rdtype, rclass, use_edns=0, payload=1232)
    _, r = raw_query(srv, q, tcp=tcp)
    assert r.rcode() == rcode, dns.rcode.to_text(r.rcode())
    assert_opt(r)


@pytest.mark.parametrize("do", [False, True])
def test_opt_in_notimp_reply(srv, do):
    # RFC 6891 6.1.1: an OPT in the request means an OPT in the reply, errors included.
    q = dns.message.make_query("small.e.test", "A", use_edns=0, payload=1232, want_dnssec=do)
    q.set_opcode(dns.opcode.NOTIFY)
    _, r = raw_query(srv, q)
    assert r.rcode() == dns.rcode.NOTIMP
    assert r.opcode() == dns.opcode.NOTIFY
    assert_opt(r, do=do)


def test_opt_in_formerr_reply_without_question(srv):
    wire = struct.pack("!HHHHHH", 0x2222, 0x0100, 0, 0, 0, 1) + opt_rr()
    r = dns.message.from_wire(srv.udp_raw(wire))
    assert r.id == 0x2222 and r.rcode() == dns.rcode.FORMERR
    assert r.question == []
    assert_opt(r)


def test_no_opt_without_edns(srv):
    r = srv.query("small.e.test", "A")
    assert r.edns == -1
    assert len(r.additional) == 0


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_do_bit_echoed(srv, tcp):
    r = srv.query("small.e.test", "A", tcp=tcp, use_edns=0, want_dnssec=True)
    assert_opt(r, do=True)
    assert addresses(only_rrset(r.answer, "small.e.test.", "A")) == ["10.0.0.1"]
    r = srv.query("small.e.test", "A", tcp=tcp, use_edns=0, want_dnssec=False)
    assert_opt(r, do=False)


def edns_query(qname, rdtype, version=0, ednsflags=0, payload=1232, options=None):
    """make_query's want_dnssec resets the EDNS flags and version, so set them afterwards."""
    q = dns.message.make_query(qname, rdtype)
    q.use_edns(version, ednsflags=ednsflags, payload=payload, options=options)
    assert q.edns == version and q.ednsflags & 0xFFFF == ednsflags
    return q


def test_other_edns_flags_not_echoed(srv):
    _, r = raw_query(srv, edns_query("small.e.test", "A", ednsflags=0x4000 | dns.flags.DO))
    assert r.ednsflags == dns.flags.DO
    _, r = raw_query(srv, edns_query("small.e.test", "A", ednsflags=0x7FFF))
    assert r.ednsflags == 0


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_badvers(srv, tcp):
    _, r = raw_query(srv, edns_query("small.e.test", "A", version=1), tcp=tcp)
    assert r.rcode() == dns.rcode.BADVERS
    assert r.edns == 0
    assert r.answer == [] and r.authority == []
    assert not r.flags & dns.flags.AA


def test_unknown_option_ignored_and_not_echoed(srv):
    opts = [dns.edns.GenericOption(65001, b"hello, server"), dns.edns.GenericOption(65002, b"")]
    r = srv.query("small.e.test", "A", use_edns=0, payload=1232, options=opts)
    assert r.rcode() == dns.rcode.NOERROR
    assert_opt(r)
    assert addresses(r.answer[0]) == ["10.0.0.1"]


def opt_rr(payload=1232, owner=b"\x00", rdata=b"", ttl=0):
    return owner + struct.pack("!HHIH", 41, payload, ttl, len(rdata)) + rdata


def query_with_additional(extra, count, qid=0x1234):
    q = dns.message.make_query("small.e.test", "A")
    q.id = qid
    wire = bytearray(q.to_wire())
    wire[10:12] = struct.pack("!H", count)
    return bytes(wire) + extra


@pytest.mark.parametrize("extra,count", [
    (opt_rr() + opt_rr(), 2),                              # two OPT records
    (opt_rr(owner=b"\x01a\x00"), 1),                       # OPT not owned by the root
    (opt_rr(rdata=struct.pack("!HH", 10, 8) + b"abc"), 1),  # option overruns the RDATA
], ids=["two-opt", "opt-owner", "opt-overrun"])
def test_bad_opt_is_formerr_without_opt(srv, extra, count):
    wire = srv.udp_raw(query_with_additional(extra, count))
    r = dns.message.from_wire(wire)
    assert r.id == 0x1234 and r.flags & dns.flags.QR
    assert r.rcode() == dns.rcode.FORMERR
    assert r.edns == -1


# ---- payload size and truncation -------------------------------------------------------------

def assert_truncated(wire, q, r, limit, edns):
    """A TC reply: parseable (r), within the limit, question echoed, and, as the server
    writes RRsets whole or not at all (RFC 2181 9), without the RRset that did not fit."""
    assert r.flags & dns.flags.TC
    assert len(wire) <= limit, "reply of %d bytes over the %d limit" % (len(wire), limit)
    assert r.rcode() == dns.rcode.NOERROR
    assert r.flags & dns.flags.AA
    assert r.question == q.question
    assert r.answer == [], "partial RRset in a truncated reply"
    if edns:
        assert_opt(r)
    else:
        assert r.edns == -1


def test_truncation_without_edns(srv):
    q = dns.message.make_query("big40.e.test", "A")
    wire, r = raw_query(srv, q)
    assert_truncated(wire, q, r, 512, edns=False)


def test_no_truncation_within_512(srv):
    q = dns.message.make_query("big20.e.test", "A")
    wire, r = raw_query(srv, q)
    assert not r.flags & dns.flags.TC
    assert addresses(r.answer[0]) == BIG[20]
    assert len(wire) <= 512


def test_truncation_at_client_edns_size(srv):
    q = dns.message.make_query("big40.e.test", "A", use_edns=0, payload=600)
    wire, r = raw_query(srv, q)
    assert_truncated(wire, q, r, 600, edns=True)


def test_client_edns_size_large_enough(srv):
    q = dns.message.make_query("big40.e.test", "A", use_edns=0, payload=1232)
    wire, r = raw_query(srv, q)
    assert not r.flags & dns.flags.TC
    assert 512 < len(wire) <= 1232
    assert addresses(r.answer[0]) == BIG[40]
    assert_opt(r)


def test_client_edns_size_below_512_counts_as_512(srv):
    q = dns.message.make_query("big20.e.test", "A", use_edns=0, payload=100)
    wire, r = raw_query(srv, q)
    assert len(wire) > 100
    assert not r.flags & dns.flags.TC
    assert addresses(r.answer[0]) == BIG[20]


@pytest.mark.parametrize("payload", [1233, 4096, 65535])
def test_client_edns_size_capped_at_1232(srv, payload):
    q = dns.message.make_query("big100.e.test", "A", use_edns=0, payload=payload)
    wire, r = raw_query(srv, q)
    assert_truncated(wire, q, r, 1232, edns=True)


@pytest.mark.parametrize("n,edns", [(40, False), (100, True)])
def test_tcp_gives_full_answer(srv, n, edns):
    kw = {"use_edns": 0, "payload": 1232} if edns else {}
    r = srv.query("big%d.e.test" % n, "A", tcp=True, **kw)
    assert not r.flags & dns.flags.TC
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    assert addresses(only_rrset(r.answer, "big%d.e.test." % n, "A")) == BIG[n]
    assert r.edns == (0 if edns else -1)


def test_nodata_with_edns(srv):
    r = srv.query("big40.e.test", "TXT", use_edns=0, payload=1232)
    assert_nodata(r, "e.test.", 300)
    assert_opt(r)


def test_udp_max_payload_setting(start_server):
    s = start_server(dict(CONFIG, server=base_server(udp_max_payload=600)))
    q = dns.message.make_query("big40.e.test", "A", use_edns=0, payload=4096)
    wire, r = raw_query(s, q)
    assert r.flags & dns.flags.TC
    assert len(wire) <= 600
    assert r.payload == 600
    q = dns.message.make_query("big20.e.test", "A", use_edns=0, payload=4096)
    wire, r = raw_query(s, q)
    assert not r.flags & dns.flags.TC and addresses(r.answer[0]) == BIG[20]

