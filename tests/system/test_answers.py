"""Answers from local data: the contract's section 3 table, rows that apply without forwarding."""

import socket
import struct

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from conftest import (addresses, assert_nodata, assert_nxdomain, assert_refused,
                      assert_soa_authority, base_server, only_rrset, running_server, rrsets,
                      tcp_read_msg)

# 600 characters with a position-dependent pattern, so that a wrong split point shows.
LONG_TXT = "".join("%03d|" % i for i in range(150))
assert len(LONG_TXT) == 600
TXT_255 = ("0123456789" * 26)[:255]

CONFIG = {
    "server": base_server(),
    "zones": {
        "example.test": {
            "soa": {"mname": "ns1.example.test", "rname": "hostmaster.example.test",
                    "serial": 2024050501, "refresh": 7200, "retry": 1800,
                    "expire": 1209600, "minimum": 600},
            "ns": ["ns1.example.test", "ns2.example.test"],
            "ttl": 3600,
        },
        "short.test": {"soa": {"minimum": 900}, "ttl": 120},
        "empty.test": {},
        "nsdef.test": {"soa": {"minimum": 450}, "ns": ["ns.nsdef.test"]},
    },
    "records": [
        {"name": "ns1.example.test", "type": "A", "value": "192.0.2.53", "ttl": 3600},
        {"name": "ns2.example.test", "type": "AAAA", "value": "2001:db8::53", "ttl": 3600},
        {"name": "www.example.test", "type": "A", "value": "192.0.2.10", "ttl": 300},
        {"name": "www.example.test", "type": "AAAA", "value": "2001:db8::10", "ttl": 300},
        {"name": "alias.example.test", "type": "CNAME", "value": "www.example.test", "ttl": 120},
        {"name": "example.test", "type": "MX", "value": "mail.example.test", "priority": 20,
         "ttl": 3600},
        {"name": "mail.example.test", "type": "A", "value": "192.0.2.25", "ttl": 300},
        {"name": "example.test", "type": "TXT", "value": "v=spf1 -all", "ttl": 3600},
        {"name": "long.example.test", "type": "TXT", "value": LONG_TXT, "ttl": 300},
        {"name": "exact.example.test", "type": "TXT", "value": TXT_255, "ttl": 300},
        {"name": "_sip._udp.example.test", "type": "SRV", "value": "10 5 5060 sip.example.test",
         "ttl": 300},
        {"name": "sip.example.test", "type": "A", "value": "192.0.2.60", "ttl": 300},
        {"name": "example.test", "type": "CAA", "value": "0 issue \"ca.example.net\"",
         "ttl": 3600},
        {"name": "host.short.test", "type": "A", "value": "192.0.2.70", "ttl": 300},
        {"name": "local.lan", "type": "A", "value": "10.0.0.1", "ttl": 60},
        {"name": "ns.nsdef.test", "type": "A", "value": "192.0.2.54"},
        {"name": "quote.example.test", "type": "TXT", "value": 'say "hi" \\ back'},
        {"name": "utf8.example.test", "type": "TXT", "value": "h\u00e9llo"},
        {"name": "blank.example.test", "type": "TXT", "value": ""},
        {"name": "10.2.0.192.in-addr.example.test", "type": "PTR", "value": "www.example.test"},
    ],
}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with running_server(CONFIG, tmp_path_factory.mktemp("answers")) as s:
        yield s


def test_a_answer(srv):
    r = srv.query("www.example.test", "A")
    assert r.rcode() == dns.rcode.NOERROR
    assert r.flags & dns.flags.QR and r.flags & dns.flags.AA
    a = only_rrset(r.answer, "www.example.test.", "A")
    assert addresses(a) == ["192.0.2.10"] and a.ttl == 300
    assert r.authority == [] and r.additional == []


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_aaaa_answer(srv, tcp):
    r = srv.query("www.example.test", "AAAA", tcp=tcp)
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    a = only_rrset(r.answer, "www.example.test.", "AAAA")
    assert addresses(a) == ["2001:db8::10"] and a.ttl == 300


def test_nodata_soa_ttl_is_soa_minimum(srv):
    # zone ttl 3600, SOA minimum 600: the negative TTL is min(3600, 600).
    r = srv.query("www.example.test", "MX")
    assert_nodata(r, "example.test.", 600)
    soa = r.authority[0][0]
    assert soa.mname.to_text() == "ns1.example.test."
    assert soa.rname.to_text() == "hostmaster.example.test."
    assert (soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum) == \
        (2024050501, 7200, 1800, 1209600, 600)


def test_nodata_soa_ttl_is_zone_ttl_when_lower(srv):
    # zone ttl 120, SOA minimum 900: the negative TTL is min(120, 900).
    assert_nodata(srv.query("host.short.test", "TXT"), "short.test.", 120)


def test_nodata_default_zone(srv):
    # "{}" is a zone with every SOA default; its SOA TTL defaults to the minimum (300).
    r = srv.query("empty.test", "A")
    soa = assert_soa_authority(r, "empty.test.", 300)
    assert_nodata(r, "empty.test.", 300)
    assert soa.mname.to_text() == "ns1.empty.test."
    assert soa.rname.to_text() == "admin.empty.test."
    assert (soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum) == \
        (2024010101, 3600, 900, 604800, 300)


@pytest.mark.parametrize("rdtype", ["TYPE65400", "HINFO", "SSHFP", "DS", "NAPTR"])
def test_unknown_type_in_zone_is_nodata(srv, rdtype):
    assert_nodata(srv.query("www.example.test", rdtype), "example.test.", 600)


def test_unknown_type_at_missing_name_is_nxdomain(srv):
    assert_nxdomain(srv.query("missing.example.test", "TYPE65400"), "example.test.", 600)


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_nxdomain_in_zone(srv, tcp):
    r = srv.query("nope.example.test", "A", tcp=tcp)
    assert_nxdomain(r, "example.test.", 600)
    assert r.additional == []
    assert_nxdomain(srv.query("deep.below.www.example.test", "AAAA"), "example.test.", 600)
    assert_nxdomain(srv.query("nothing.empty.test", "A"), "empty.test.", 300)


def test_cname_chased_for_a(srv):
    r = srv.query("alias.example.test", "A")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    assert rrsets(r.answer) == [
        ("alias.example.test.", "CNAME", 120, ["www.example.test."]),
        ("www.example.test.", "A", 300, ["192.0.2.10"]),
    ]
    assert r.authority == []


def test_cname_chased_for_aaaa(srv):
    r = srv.query("alias.example.test", "AAAA")
    assert rrsets(r.answer) == [
        ("alias.example.test.", "CNAME", 120, ["www.example.test."]),
        ("www.example.test.", "AAAA", 300, ["2001:db8::10"]),
    ]


def test_cname_query_gets_only_the_cname(srv):
    r = srv.query("alias.example.test", "CNAME")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    assert rrsets(r.answer) == [("alias.example.test.", "CNAME", 120, ["www.example.test."])]


def test_cname_to_nodata_target(srv):
    # The target exists without the type: the CNAME, then NODATA for the target.
    r = srv.query("alias.example.test", "MX")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    assert rrsets(r.answer) == [("alias.example.test.", "CNAME", 120, ["www.example.test."])]
    assert_soa_authority(r, "example.test.", 600)


def test_apex_ns_from_zone_ns_list(srv):
    r = srv.query("example.test", "NS")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    ns = only_rrset(r.answer, "example.test.", "NS")
    assert [rd.target.to_text() for rd in ns] == ["ns1.example.test.", "ns2.example.test."]
    assert ns.ttl == 3600
    assert sorted(rrsets(r.additional)) == [
        ("ns1.example.test.", "A", 3600, ["192.0.2.53"]),
        ("ns2.example.test.", "AAAA", 3600, ["2001:db8::53"]),
    ]


def test_apex_ns_and_soa_ttl_default_to_soa_minimum(srv):
    r = srv.query("nsdef.test", "NS")
    ns = only_rrset(r.answer, "nsdef.test.", "NS")
    assert ns.ttl == 450 and [rd.target.to_text() for rd in ns] == ["ns.nsdef.test."]
    assert rrsets(r.additional) == [("ns.nsdef.test.", "A", 300, ["192.0.2.54"])]
    soa = only_rrset(srv.query("nsdef.test", "SOA").answer, "nsdef.test.", "SOA")
    assert soa.ttl == 450


def test_apex_soa(srv):
    r = srv.query("example.test", "SOA")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    soa = only_rrset(r.answer, "example.test.", "SOA")
    assert soa.ttl == 3600
    assert soa[0].to_text() == \
        "ns1.example.test. hostmaster.example.test. 2024050501 7200 1800 1209600 600"
    assert r.authority == []


def test_apex_soa_defaults(srv):
    r = srv.query("empty.test", "SOA")
    soa = only_rrset(r.answer, "empty.test.", "SOA")
    assert soa.ttl == 300
    assert soa[0].to_text() == "ns1.empty.test. admin.empty.test. 2024010101 3600 900 604800 300"


def test_soa_below_apex_is_nodata(srv):
    assert_nodata(srv.query("www.example.test", "SOA"), "example.test.", 600)


def test_mx_with_additional_address(srv):
    r = srv.query("example.test", "MX")
    mx = only_rrset(r.answer, "example.test.", "MX")
    assert [(rd.preference, rd.exchange.to_text()) for rd in mx] == [(20, "mail.example.test.")]
    assert mx.ttl == 3600
    assert rrsets(r.additional) == [("mail.example.test.", "A", 300, ["192.0.2.25"])]


def test_srv_presentation_value(srv):
    r = srv.query("_sip._udp.example.test", "SRV")
    s = only_rrset(r.answer, "_sip._udp.example.test.", "SRV")
    assert s[0].to_text() == "10 5 5060 sip.example.test."
    assert rrsets(r.additional) == [("sip.example.test.", "A", 300, ["192.0.2.60"])]


def test_caa_presentation_value(srv):
    r = srv.query("example.test", "CAA")
    c = only_rrset(r.answer, "example.test.", "CAA")
    assert c[0].to_text() == '0 issue "ca.example.net"'


def test_txt_short(srv):
    r = srv.query("example.test", "TXT")
    t = only_rrset(r.answer, "example.test.", "TXT")
    assert [rd.strings for rd in t] == [(b"v=spf1 -all",)]


@pytest.mark.parametrize("name,strings", [
    ("quote.example.test", (b'say "hi" \\ back',)),    # literal text, no escapes
    ("utf8.example.test", ("h\u00e9llo".encode(),)),    # UTF-8 bytes as they are
    ("blank.example.test", (b"",)),                      # one empty string
])
def test_txt_value_is_literal(srv, name, strings):
    t = only_rrset(srv.query(name, "TXT").answer, name + ".", "TXT")
    assert [rd.strings for rd in t] == [strings]


def test_ptr(srv):
    r = srv.query("10.2.0.192.in-addr.example.test", "PTR")
    p = only_rrset(r.answer, "10.2.0.192.in-addr.example.test.", "PTR")
    assert p[0].target.to_text() == "www.example.test."


def test_txt_over_255_is_split(srv):
    r = srv.query("long.example.test", "TXT", use_edns=0, payload=1232)
    assert not r.flags & dns.flags.TC
    t = only_rrset(r.answer, "long.example.test.", "TXT")
    assert len(t) == 1
    strings = t[0].strings
    assert [len(x) for x in strings] == [255, 255, 90]
    assert b"".join(strings) == LONG_TXT.encode()


def test_txt_of_exactly_255_is_one_string(srv):
    t = only_rrset(srv.query("exact.example.test", "TXT").answer, "exact.example.test.", "TXT")
    assert t[0].strings == (TXT_255.encode(),)


def test_any_at_apex(srv):
    r = srv.query("example.test", "ANY", tcp=True)
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    types = sorted(dns.rdatatype.to_text(x.rdtype) for x in r.answer)
    assert types == ["CAA", "MX", "NS", "SOA", "TXT"]


@pytest.mark.parametrize("name,rdtype", [
    ("www.example.test", "A"), ("nope.example.test", "A"), ("www.example.test", "MX"),
    ("unrelated.org", "A"),
])
def test_rd_copied(srv, name, rdtype):
    with_rd = srv.query(name, rdtype, flags=dns.flags.RD)
    assert with_rd.flags & dns.flags.RD
    without = srv.query(name, rdtype, flags=0)
    assert not without.flags & dns.flags.RD
    assert with_rd.rcode() == without.rcode()


@pytest.mark.parametrize("name,rdtype", [
    ("www.example.test", "A"), ("nope.example.test", "A"), ("www.example.test", "MX"),
    ("unrelated.org", "A"), ("local.lan", "A"), ("alias.example.test", "A"),
])
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_ra_never_set(srv, name, rdtype, tcp):
    r = srv.query(name, rdtype, tcp=tcp, flags=dns.flags.RD)
    assert not r.flags & dns.flags.RA
    assert not r.flags & dns.flags.AD and not r.flags & dns.flags.TC


def test_cd_copied(srv):
    r = srv.query("www.example.test", "A", flags=dns.flags.RD | dns.flags.CD)
    assert r.flags & dns.flags.CD


@pytest.mark.parametrize("name", ["unrelated.org", "example", "test", ".", "example.testx"])
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_outside_every_zone_is_refused(srv, name, tcp):
    r = srv.query(name, "A", tcp=tcp)
    assert_refused(r)
    assert r.question[0].name == dns.name.from_text(name)


def test_local_record_outside_zones(srv):
    r = srv.query("local.lan", "A")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    a = only_rrset(r.answer, "local.lan.", "A")
    assert addresses(a) == ["10.0.0.1"] and a.ttl == 60
    assert r.authority == []


def test_local_record_other_type(srv):
    r = srv.query("local.lan", "AAAA")
    assert r.rcode() == dns.rcode.NOERROR
    assert r.answer == [] and r.authority == []


def test_below_local_record_is_refused(srv):
    assert_refused(srv.query("below.local.lan", "A"))
    assert_refused(srv.query("lan", "A"))


def test_question_echoed_with_case(srv):
    r = srv.query("WwW.ExAmPlE.TeSt", "A")
    assert r.question[0].name.to_text() == "WwW.ExAmPlE.TeSt."
    assert addresses(r.answer[0]) == ["192.0.2.10"]


def test_response_packet_gets_no_answer(srv):
    q = dns.message.make_query("www.example.test", "A")
    q.flags |= dns.flags.QR
    srv.udp_no_reply(q.to_wire())
    # The same packet with QR clear is answered (so the drop is about QR alone).
    q.flags &= ~dns.flags.QR
    r = dns.message.from_wire(srv.udp_raw(q.to_wire()))
    assert r.id == q.id and addresses(r.answer[0]) == ["192.0.2.10"]


def test_response_packet_over_tcp_gets_no_answer(srv):
    q = dns.message.make_query("www.example.test", "A")
    q.flags |= dns.flags.QR
    q.id = 1111
    ok = dns.message.make_query("www.example.test", "AAAA")
    ok.id = 2222
    with srv.tcp_connect() as s:
        for m in (q, ok):
            w = m.to_wire()
            s.sendall(struct.pack("!H", len(w)) + w)
        r = dns.message.from_wire(tcp_read_msg(s))
        # The first reply on the connection is the one to the real query.
        assert r.id == ok.id
        assert addresses(r.answer[0]) == ["2001:db8::10"]
        s.settimeout(0.3)
        try:
            extra = s.recv(1)
        except socket.timeout:
            extra = None
        assert not extra, "unexpected data after the only expected reply"
