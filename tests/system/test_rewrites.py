"""Rewrite rules (contract sections 1 and 2): nxdomain and redirect, exact and `*.suffix`
matches, first rule wins, rewrites before local data."""

import dns.flags
import dns.rcode
import pytest

from conftest import addresses, assert_refused, base_server, only_rrset, running_server, rrsets

CONFIG = {
    "server": base_server(),
    "zones": {"zone.test": {"soa": {"minimum": 300}}},
    "records": [
        {"name": "override.zone.test", "type": "A", "value": "10.0.0.1"},
        {"name": "kept.zone.test", "type": "A", "value": "10.0.0.2"},
        {"name": "redir.zone.test", "type": "A", "value": "10.0.0.3"},
        {"name": "local.lan", "type": "A", "value": "10.0.0.4"},
    ],
    "rewrites": [
        {"match": "blocked.example.com", "action": "nxdomain", "comment": "Block this domain"},
        {"match": "*.ads.example.com", "action": "nxdomain"},
        {"match": "first.rw.test", "action": "redirect", "value": "10.9.0.1"},
        {"match": "first.rw.test", "action": "nxdomain"},
        {"match": "*.order.test", "action": "nxdomain"},
        {"match": "keep.order.test", "action": "redirect", "value": "10.9.0.2"},
        {"match": "exact.pre.test", "action": "redirect", "value": "10.9.0.5"},
        {"match": "*.pre.test", "action": "nxdomain"},
        {"match": "v6.rw.test", "action": "redirect", "value": "2001:db8::99"},
        {"match": "ttl.rw.test", "action": "redirect", "value": "10.9.0.3", "ttl": 5},
        {"match": "*.redir.test", "action": "redirect", "value": "10.9.0.4"},
        {"match": "override.zone.test", "action": "nxdomain"},
        {"match": "Redir.Zone.Test.", "action": "redirect", "value": "10.9.0.6", "ttl": 7},
        {"match": "local.lan", "action": "redirect", "value": "10.9.0.7"},
    ],
}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with running_server(CONFIG, tmp_path_factory.mktemp("rewrites")) as s:
        yield s


def assert_rw_nxdomain(r):
    assert r.rcode() == dns.rcode.NXDOMAIN, dns.rcode.to_text(r.rcode())
    assert r.flags & dns.flags.AA
    assert r.answer == []


def assert_redirect(r, qname, rdtype, addr, ttl):
    assert r.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(r.rcode())
    assert r.flags & dns.flags.AA
    a = only_rrset(r.answer, qname, rdtype)
    assert r.answer[0].name.to_text().lower() == qname.lower()
    assert addresses(a) == [addr]
    assert a.ttl == ttl


def assert_rw_nodata(r):
    assert r.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(r.rcode())
    assert r.flags & dns.flags.AA
    assert r.answer == []


@pytest.mark.parametrize("rdtype", ["A", "AAAA", "MX", "TXT"])
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_nxdomain_exact(srv, rdtype, tcp):
    assert_rw_nxdomain(srv.query("blocked.example.com", rdtype, tcp=tcp))


def test_match_is_case_insensitive(srv):
    assert_rw_nxdomain(srv.query("BLOCKED.Example.COM", "A"))
    assert_redirect(srv.query("redir.zone.test", "A"), "redir.zone.test.", "A", "10.9.0.6", 7)


def test_exact_match_does_not_cover_children(srv):
    # Outside every zone, not matched, no upstream: REFUSED.
    assert_refused(srv.query("sub.blocked.example.com", "A"))


@pytest.mark.parametrize("qname", ["a.ads.example.com", "x.y.z.ads.example.com",
                                   "*.ads.example.com"])
def test_suffix_matches_any_depth(srv, qname):
    assert_rw_nxdomain(srv.query(qname, "A"))


def test_suffix_does_not_match_itself(srv):
    assert_refused(srv.query("ads.example.com", "A"))
    assert_refused(srv.query("xads.example.com", "A"))


def test_first_rule_wins_redirect_before_nxdomain(srv):
    assert_redirect(srv.query("first.rw.test", "A"), "first.rw.test.", "A", "10.9.0.1", 60)


def test_first_rule_wins_suffix_before_exact(srv):
    assert_rw_nxdomain(srv.query("keep.order.test", "A"))


def test_first_rule_wins_exact_before_suffix(srv):
    assert_redirect(srv.query("exact.pre.test", "A"), "exact.pre.test.", "A", "10.9.0.5", 60)
    assert_rw_nxdomain(srv.query("other.pre.test", "A"))


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_redirect_ipv4(srv, tcp):
    assert_redirect(srv.query("first.rw.test", "A", tcp=tcp), "first.rw.test.", "A",
                    "10.9.0.1", 60)


@pytest.mark.parametrize("rdtype", ["AAAA", "MX", "TXT", "CNAME", "TYPE65400"])
def test_redirect_ipv4_other_types_nodata(srv, rdtype):
    assert_rw_nodata(srv.query("first.rw.test", rdtype))


def test_redirect_ipv6(srv):
    assert_redirect(srv.query("v6.rw.test", "AAAA"), "v6.rw.test.", "AAAA", "2001:db8::99", 60)


@pytest.mark.parametrize("rdtype", ["A", "MX", "TXT"])
def test_redirect_ipv6_other_types_nodata(srv, rdtype):
    assert_rw_nodata(srv.query("v6.rw.test", rdtype))


def test_redirect_ttl(srv):
    assert_redirect(srv.query("ttl.rw.test", "A"), "ttl.rw.test.", "A", "10.9.0.3", 5)


@pytest.mark.parametrize("qname", ["foo.redir.test", "a.b.c.redir.test", "MiXed.Redir.Test"])
def test_suffix_redirect_owner_is_query_name(srv, qname):
    r = srv.query(qname, "A")
    assert_redirect(r, qname + ".", "A", "10.9.0.4", 60)
    assert r.answer[0].name.to_text() == qname + "."
    assert_refused(srv.query("redir.test", "A"))


def test_rewrite_before_zone_data(srv):
    assert_rw_nxdomain(srv.query("override.zone.test", "A"))
    # A sibling without a rule is answered from the zone.
    r = srv.query("kept.zone.test", "A")
    assert r.rcode() == dns.rcode.NOERROR
    assert rrsets(r.answer) == [("kept.zone.test.", "A", 300, ["10.0.0.2"])]


def test_rewrite_before_local_record(srv):
    assert_redirect(srv.query("local.lan", "A"), "local.lan.", "A", "10.9.0.7", 60)


def test_rewrite_logged_query_still_answered_over_edns(srv):
    r = srv.query("blocked.example.com", "A", use_edns=0, payload=1232)
    assert_rw_nxdomain(r)
    assert r.edns == 0
