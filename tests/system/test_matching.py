"""Name matching (contract section 2): case, trailing dots, both kinds of wildcard, RRsets,
ANY, empty non-terminals, CNAME chains and delegations."""

import struct

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import pytest

from conftest import (addresses, assert_nodata, assert_nxdomain, assert_refused,
                      assert_soa_authority, base_server, only_rrset, running_server, rrsets)

X = "x.test."  # zone with SOA minimum 300 and ttl 3600: negative TTL 300
NEG = 300

CONFIG = {
    "server": base_server(),
    "zones": {
        "X.Test.": {"soa": {"minimum": 300}, "ns": ["ns1.x.test"], "ttl": 3600},
        "z.test": {"soa": {"minimum": 300}},
        "Case.TEST.": {},
    },
    "records": [
        {"name": "ns1.x.test", "type": "A", "value": "10.0.0.53"},
        # Case and trailing dots in the config.
        {"name": "MiXeD.X.Test.", "type": "A", "value": "10.0.0.1", "ttl": 111},
        {"name": "host.case.test", "type": "A", "value": "10.0.0.2"},
        {"name": "Upper.CASE.Test", "type": "cname", "value": "HOST.Case.Test."},
        # NanoDNS wildcard: the name itself and exactly one label below.
        {"name": "app.x.test", "type": "A", "value": "10.1.0.1", "ttl": 222, "wildcard": True},
        # RFC 4592 wildcard.
        {"name": "*.w.x.test", "type": "A", "value": "10.2.0.1", "ttl": 333},
        {"name": "*.w.x.test", "type": "TXT", "value": "from the wildcard", "ttl": 333},
        {"name": "host.w.x.test", "type": "A", "value": "10.2.0.2"},
        {"name": "a.ent.w.x.test", "type": "A", "value": "10.2.0.3"},
        {"name": "*.v.x.test", "type": "A", "value": "10.2.1.1", "wildcard": True},
        {"name": "*.cn.x.test", "type": "CNAME", "value": "target.x.test"},
        {"name": "target.x.test", "type": "A", "value": "10.2.2.2", "ttl": 444},
        # One RRset from several records, config order kept even when interleaved.
        {"name": "multi.x.test", "type": "A", "value": "10.3.0.3"},
        {"name": "multi.x.test", "type": "TXT", "value": "between"},
        {"name": "multi.x.test", "type": "A", "value": "10.3.0.1"},
        {"name": "multi.x.test", "type": "A", "value": "10.3.0.2"},
        {"name": "multi.x.test", "type": "AAAA", "value": "2001:db8::3"},
        {"name": "multi.x.test", "type": "MX", "value": "mx.z.test", "priority": 5},
        # RFC 2181 5: duplicate records collapse, and an RRset has one TTL (the lowest).
        {"name": "dup.x.test", "type": "A", "value": "10.8.0.1"},
        {"name": "dup.x.test", "type": "A", "value": "10.8.0.1"},
        {"name": "ttlmix.x.test", "type": "A", "value": "10.8.0.1", "ttl": 200},
        {"name": "ttlmix.x.test", "type": "A", "value": "10.8.0.2", "ttl": 100},
        # Empty non-terminal: ent.x.test and mid.ent.x.test exist only through this name.
        {"name": "leaf.mid.ent.x.test", "type": "A", "value": "10.4.0.1"},
        # CNAME chain across zones, ending in a third hop.
        {"name": "chain1.x.test", "type": "CNAME", "value": "chain2.z.test", "ttl": 10},
        {"name": "chain2.z.test", "type": "CNAME", "value": "chain3.x.test", "ttl": 20},
        {"name": "chain3.x.test", "type": "A", "value": "10.5.0.3", "ttl": 30},
        {"name": "mx.z.test", "type": "A", "value": "10.5.0.25"},
        # CNAME loops.
        {"name": "loop1.x.test", "type": "CNAME", "value": "loop2.x.test"},
        {"name": "loop2.x.test", "type": "CNAME", "value": "loop1.x.test"},
        {"name": "self.x.test", "type": "CNAME", "value": "self.x.test"},
        # CNAME to a missing in-zone name, and to a name outside every zone.
        {"name": "dangling.x.test", "type": "CNAME", "value": "missing.z.test", "ttl": 50},
        {"name": "outside.x.test", "type": "CNAME", "value": "www.elsewhere.example"},
        # Delegation: NS below the apex, in-zone glue, and an out-of-zone server.
        {"name": "sub.x.test", "type": "NS", "value": "ns.sub.x.test", "ttl": 900},
        {"name": "sub.x.test", "type": "NS", "value": "ns.other.example", "ttl": 900},
        {"name": "ns.sub.x.test", "type": "A", "value": "10.6.0.1", "ttl": 900},
        {"name": "ns.sub.x.test", "type": "AAAA", "value": "2001:db8::6", "ttl": 900},
        # Wildcards among local records outside every zone.
        {"name": "lw.lan", "type": "A", "value": "10.7.0.1", "wildcard": True},
        {"name": "*.rw.lan", "type": "A", "value": "10.7.0.2"},
    ],
}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with running_server(CONFIG, tmp_path_factory.mktemp("matching")) as s:
        yield s


def lower(sets):
    return [(n, t, ttl, [x.lower() for x in rds]) for n, t, ttl, rds in sets]


def ok(r):
    assert r.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(r.rcode())
    assert r.flags & dns.flags.AA
    return r


# ---- case and trailing dots ------------------------------------------------------------------

@pytest.mark.parametrize("qname", ["mixed.x.test", "MIXED.X.TEST", "MiXeD.x.TeSt."])
def test_case_insensitive_record_name(srv, qname):
    r = ok(srv.query(qname, "A"))
    a = only_rrset(r.answer, "mixed.x.test.", "A")
    assert addresses(a) == ["10.0.0.1"] and a.ttl == 111


def test_answer_owner_keeps_query_case(srv):
    r = srv.query("MIXED.x.test", "A")
    assert r.answer[0].name.to_text() == "MIXED.x.test."
    assert r.question[0].name.to_text() == "MIXED.x.test."


def test_zone_name_case_and_trailing_dot(srv):
    r = ok(srv.query("CASE.test", "SOA"))
    soa = only_rrset(r.answer, "case.test.", "SOA")
    # Names are compared without case: a compression pointer may borrow the query's case.
    assert soa[0].mname == dns.name.from_text("ns1.case.test.")
    assert_nxdomain(srv.query("nothing.case.test", "A"), "case.test.", 300)


def test_case_in_record_type_and_cname_target(srv):
    r = ok(srv.query("upper.case.test", "A"))
    assert lower(rrsets(r.answer)) == [
        ("upper.case.test.", "CNAME", 300, ["host.case.test."]),
        ("host.case.test.", "A", 300, ["10.0.0.2"]),
    ]


# ---- NanoDNS `wildcard: true` ------------------------------------------------------------------

@pytest.mark.parametrize("qname", ["app.x.test", "foo.app.x.test", "BAR.App.x.test"])
def test_nanodns_wildcard_matches_name_and_one_label(srv, qname):
    r = ok(srv.query(qname, "A"))
    a = only_rrset(r.answer, qname.lower() + ".", "A")
    assert r.answer[0].name.to_text() == qname + "."
    assert addresses(a) == ["10.1.0.1"] and a.ttl == 222


def test_nanodns_wildcard_not_two_labels(srv):
    assert_nxdomain(srv.query("a.b.app.x.test", "A"), X, NEG)


def test_nanodns_wildcard_other_type_is_nodata(srv):
    assert_nodata(srv.query("foo.app.x.test", "AAAA"), X, NEG)


# ---- RFC 4592 wildcards ------------------------------------------------------------------------

@pytest.mark.parametrize("qname", ["foo.w.x.test", "a.b.c.w.x.test", "Foo.W.x.test"])
def test_rfc4592_wildcard_any_depth(srv, qname):
    r = ok(srv.query(qname, "A"))
    assert len(r.answer) == 1
    assert r.answer[0].name.to_text() == qname + "."  # owner is the query name, never *.w
    assert r.answer[0].rdtype == dns.rdatatype.A
    assert addresses(r.answer[0]) == ["10.2.0.1"] and r.answer[0].ttl == 333
    assert r.authority == []


def test_rfc4592_wildcard_other_rrset(srv):
    r = ok(srv.query("foo.w.x.test", "TXT"))
    t = only_rrset(r.answer, "foo.w.x.test.", "TXT")
    assert t[0].strings == (b"from the wildcard",)


def test_rfc4592_wildcard_missing_type_is_nodata(srv):
    assert_nodata(srv.query("foo.w.x.test", "MX"), X, NEG)


def test_rfc4592_wildcard_any(srv):
    r = ok(srv.query("q.w.x.test", "ANY"))
    assert sorted(rrsets(r.answer)) == [
        ("q.w.x.test.", "A", 333, ["10.2.0.1"]),
        ("q.w.x.test.", "TXT", 333, ['"from the wildcard"']),
    ]


def test_rfc4592_wildcard_name_queried_literally(srv):
    r = ok(srv.query("*.w.x.test", "A"))
    a = only_rrset(r.answer, "*.w.x.test.", "A")
    assert addresses(a) == ["10.2.0.1"]


def test_wildcard_parent_is_empty_non_terminal(srv):
    assert_nodata(srv.query("w.x.test", "A"), X, NEG)


def test_no_synthesis_past_existing_name(srv):
    # host.w.x.test exists: its own data only, and nothing is synthesised below it.
    r = ok(srv.query("host.w.x.test", "A"))
    assert addresses(only_rrset(r.answer, "host.w.x.test.", "A")) == ["10.2.0.2"]
    assert_nodata(srv.query("host.w.x.test", "TXT"), X, NEG)
    assert_nxdomain(srv.query("sub.host.w.x.test", "A"), X, NEG)


def test_no_synthesis_at_or_below_empty_non_terminal(srv):
    # ent.w.x.test exists as an empty non-terminal (a.ent.w.x.test): it blocks the wildcard.
    assert_nodata(srv.query("ent.w.x.test", "A"), X, NEG)
    assert_nxdomain(srv.query("b.ent.w.x.test", "A"), X, NEG)


def test_star_name_with_wildcard_flag_means_the_same(srv):
    for qname in ("a.v.x.test", "a.b.v.x.test"):
        r = ok(srv.query(qname, "A"))
        assert r.answer[0].name.to_text() == qname + "."
        assert addresses(r.answer[0]) == ["10.2.1.1"]
    assert_nodata(srv.query("v.x.test", "A"), X, NEG)


def test_wildcard_cname_is_chased(srv):
    r = ok(srv.query("foo.bar.cn.x.test", "A"))
    assert rrsets(r.answer) == [
        ("foo.bar.cn.x.test.", "CNAME", 300, ["target.x.test."]),
        ("target.x.test.", "A", 444, ["10.2.2.2"]),
    ]


# ---- RRsets and ANY --------------------------------------------------------------------------

def wire_answer_rdata(wire):
    """(type, ttl, rdata bytes) of every answer RR, in wire order, as sent (dnspython would
    merge RRs into RRsets)."""
    msg = dns.message.from_wire(wire)
    qd, an = struct.unpack("!HH", wire[4:8])
    assert qd == 1
    pos = 12

    def skip_name(p):
        while True:
            n = wire[p]
            if n == 0:
                return p + 1
            if n & 0xC0 == 0xC0:
                return p + 2
            p += n + 1

    pos = skip_name(pos) + 4
    out = []
    for _ in range(an):
        pos = skip_name(pos)
        rtype, _cls, ttl, rdlen = struct.unpack("!HHIH", wire[pos:pos + 10])
        pos += 10
        out.append((rtype, ttl, wire[pos:pos + rdlen]))
        pos += rdlen
    return msg, out


def test_rrset_in_config_order(srv):
    q = dns.message.make_query("multi.x.test", "A")
    msg, rrs = wire_answer_rdata(srv.udp_raw(q.to_wire()))
    assert msg.rcode() == dns.rcode.NOERROR
    assert rrs == [(1, 300, bytes([10, 3, 0, 3])), (1, 300, bytes([10, 3, 0, 1])),
                   (1, 300, bytes([10, 3, 0, 2]))]
    assert len(msg.answer) == 1 and len(msg.answer[0]) == 3


def test_duplicate_records_collapse(srv):
    r = ok(srv.query("dup.x.test", "A"))
    assert rrsets(r.answer) == [("dup.x.test.", "A", 300, ["10.8.0.1"])]


def test_rrset_has_one_ttl(srv):
    q = dns.message.make_query("ttlmix.x.test", "A")
    msg, rrs = wire_answer_rdata(srv.udp_raw(q.to_wire()))
    # Both records carry the lowest TTL, in config order.
    assert rrs == [(1, 100, bytes([10, 8, 0, 1])), (1, 100, bytes([10, 8, 0, 2]))]


def test_any_returns_every_rrset(srv):
    r = ok(srv.query("multi.x.test", "ANY", tcp=True))
    assert sorted(rrsets(r.answer)) == [
        ("multi.x.test.", "A", 300, ["10.3.0.3", "10.3.0.1", "10.3.0.2"]),
        ("multi.x.test.", "AAAA", 300, ["2001:db8::3"]),
        ("multi.x.test.", "MX", 300, ["5 mx.z.test."]),
        ("multi.x.test.", "TXT", 300, ['"between"']),
    ]


def test_any_at_missing_name_is_nxdomain(srv):
    assert_nxdomain(srv.query("nothere.x.test", "ANY"), X, NEG)


# ---- empty non-terminals ---------------------------------------------------------------------

@pytest.mark.parametrize("qname", ["ent.x.test", "mid.ent.x.test"])
@pytest.mark.parametrize("rdtype", ["A", "ANY", "TXT"])
def test_empty_non_terminal_is_nodata(srv, qname, rdtype):
    assert_nodata(srv.query(qname, rdtype), X, NEG)


def test_below_leaf_is_nxdomain(srv):
    assert_nxdomain(srv.query("x.leaf.mid.ent.x.test", "A"), X, NEG)
    assert_nxdomain(srv.query("other.mid.ent.x.test", "A"), X, NEG)


# ---- CNAME chains ---------------------------------------------------------------------------

def test_cname_chain_across_zones(srv):
    r = ok(srv.query("chain1.x.test", "A"))
    assert rrsets(r.answer) == [
        ("chain1.x.test.", "CNAME", 10, ["chain2.z.test."]),
        ("chain2.z.test.", "CNAME", 20, ["chain3.x.test."]),
        ("chain3.x.test.", "A", 30, ["10.5.0.3"]),
    ]
    assert r.authority == []


def test_cname_chain_from_middle(srv):
    r = ok(srv.query("chain2.z.test", "A"))
    assert [x[0] for x in rrsets(r.answer)] == ["chain2.z.test.", "chain3.x.test."]


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_cname_loop_terminates(srv, tcp):
    r = srv.query("loop1.x.test", "A", tcp=tcp)
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    assert rrsets(r.answer) == [
        ("loop1.x.test.", "CNAME", 300, ["loop2.x.test."]),
        ("loop2.x.test.", "CNAME", 300, ["loop1.x.test."]),
    ]


def test_cname_to_itself_terminates(srv):
    r = srv.query("self.x.test", "AAAA")
    assert r.rcode() == dns.rcode.NOERROR
    assert rrsets(r.answer) == [("self.x.test.", "CNAME", 300, ["self.x.test."])]


def test_cname_to_missing_in_zone_name(srv):
    # RFC 6604: the RCODE is that of the last name in the chain; the CNAME stays.
    r = srv.query("dangling.x.test", "A")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert r.flags & dns.flags.AA
    assert rrsets(r.answer) == [("dangling.x.test.", "CNAME", 50, ["missing.z.test."])]
    assert_soa_authority(r, "z.test.", 300)


def test_cname_to_outside_name(srv):
    r = srv.query("outside.x.test", "A")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    assert rrsets(r.answer) == [("outside.x.test.", "CNAME", 300, ["www.elsewhere.example."])]
    assert r.authority == []


# ---- delegations -------------------------------------------------------------------------------

def assert_referral(r):
    assert r.rcode() == dns.rcode.NOERROR
    assert not r.flags & dns.flags.AA
    assert r.answer == []
    ns = only_rrset(r.authority, "sub.x.test.", "NS")
    assert ns.ttl == 900
    assert [rd.target.to_text() for rd in ns] == ["ns.sub.x.test.", "ns.other.example."]
    assert sorted(rrsets(r.additional)) == [
        ("ns.sub.x.test.", "A", 900, ["10.6.0.1"]),
        ("ns.sub.x.test.", "AAAA", 900, ["2001:db8::6"]),
    ]


@pytest.mark.parametrize("qname,rdtype", [
    ("www.sub.x.test", "A"), ("a.b.sub.x.test", "MX"), ("sub.x.test", "NS"),
    ("sub.x.test", "A"), ("ns.sub.x.test", "A"),
])
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_delegation_gives_referral(srv, qname, rdtype, tcp):
    assert_referral(srv.query(qname, rdtype, tcp=tcp))


def test_ds_at_delegation_answered_by_parent(srv):
    # DS belongs to the parent side of the cut (RFC 4035 3.1.4.1): NODATA here, not a referral.
    assert_nodata(srv.query("sub.x.test", "DS"), X, NEG)


def test_apex_ns_is_not_a_referral(srv):
    r = ok(srv.query("x.test", "NS"))
    assert [rd.target.to_text() for rd in only_rrset(r.answer, X, "NS")] == ["ns1.x.test."]
    assert rrsets(r.additional) == [("ns1.x.test.", "A", 300, ["10.0.0.53"])]


def test_name_outside_zones_still_refused(srv):
    assert_refused(srv.query("test", "A"))


# ---- wildcards outside every zone ---------------------------------------------------------------

@pytest.mark.parametrize("qname,addr", [
    ("lw.lan", "10.7.0.1"), ("sub.lw.lan", "10.7.0.1"),
    ("x.rw.lan", "10.7.0.2"), ("x.y.rw.lan", "10.7.0.2"),
])
def test_local_wildcards(srv, qname, addr):
    r = ok(srv.query(qname, "A"))
    assert r.answer[0].name.to_text() == qname + "."
    assert addresses(r.answer[0]) == [addr]
    assert r.authority == []


@pytest.mark.parametrize("qname", ["a.b.lw.lan", "rw.lan", "lan"])
def test_local_wildcards_do_not_reach(srv, qname):
    assert_refused(srv.query(qname, "A"))
