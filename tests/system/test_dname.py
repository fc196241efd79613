"""DNAME (RFC 6672): a name below a DNAME owner is answered with the DNAME, a CNAME
synthesized from it (the query name, case as asked, to the target with the owner's labels
replaced; the DNAME's TTL), then the answer for the new name. Resolvers (BIND, Unbound)
take such answers as they come; a plain NXDOMAIN instead would make every name below
the DNAME disappear behind them."""

import dns.flags
import dns.name
import dns.rcode
import pytest

from conftest import assert_nxdomain, base_server, rrsets, running_server

# A target so long that one more 64-byte label in front of the owner overflows 255 bytes.
LONG_TARGET = ".".join(["l" * 60] * 3) + ".example.test"

CONFIG = {
    "server": base_server(),
    "zones": {
        "example.test": {"soa": {"minimum": 300}, "ttl": 600, "ns": ["ns1.example.test"]},
        "other.test": {"soa": {"minimum": 60}, "ttl": 600, "ns": ["ns1.other.test"]},
    },
    "records": [
        {"name": "ns1.example.test", "type": "A", "value": "192.0.2.53"},
        {"name": "ns1.other.test", "type": "A", "value": "192.0.2.54"},
        {"name": "dn.example.test", "type": "DNAME", "value": "other.test.", "ttl": 900},
        {"name": "www.other.test", "type": "A", "value": "192.0.2.80", "ttl": 120},
        {"name": "local.example.test", "type": "DNAME", "value": "in.example.test.",
         "ttl": 700},
        {"name": "*.in.example.test", "type": "TXT", "value": "wild", "ttl": 100},
        {"name": "away.example.test", "type": "DNAME", "value": "elsewhere.invalid.",
         "ttl": 500},
        {"name": "long.example.test", "type": "DNAME", "value": LONG_TARGET + "."},
    ],
}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with running_server(CONFIG, tmp_path_factory.mktemp("dname")) as s:
        yield s


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_dname_into_another_zone(srv, tcp):
    r = srv.query("www.dn.example.test", "A", tcp=tcp)
    assert r.rcode() == dns.rcode.NOERROR
    assert r.flags & dns.flags.AA
    assert rrsets(r.answer) == [
        ("dn.example.test.", "DNAME", 900, ["other.test."]),
        ("www.dn.example.test.", "CNAME", 900, ["www.other.test."]),
        ("www.other.test.", "A", 120, ["192.0.2.80"]),
    ]


def test_dname_keeps_question_case(srv):
    """0x20: the synthesized CNAME's owner and target keep the labels as asked."""
    r = srv.query("WwW.Dn.ExAmPlE.TeSt", "A")
    assert r.question[0].name.to_text() == "WwW.Dn.ExAmPlE.TeSt."
    cname = r.answer[1]
    assert cname.name.to_text() == "WwW.Dn.ExAmPlE.TeSt."
    # the labels from the question keep their case (the rest may be compressed onto it)
    target = cname[0].target.to_text()
    assert target.startswith("WwW.") and target.lower() == "www.other.test."
    assert r.answer[0].name.to_text().lower() == "dn.example.test."


def test_dname_target_missing_is_nxdomain(srv):
    """RFC 6604: the RCODE is that of the last name, with that zone's SOA."""
    r = srv.query("nothere.dn.example.test", "A")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert [x[1] for x in rrsets(r.answer)] == ["DNAME", "CNAME"]
    assert rrsets(r.authority)[0][:3] == ("other.test.", "SOA", 60)


def test_dname_deeper_name_and_wildcard_target(srv):
    r = srv.query("a.b.local.example.test", "TXT")
    assert r.rcode() == dns.rcode.NOERROR
    assert rrsets(r.answer) == [
        ("local.example.test.", "DNAME", 700, ["in.example.test."]),
        ("a.b.local.example.test.", "CNAME", 700, ["a.b.in.example.test."]),
        ("a.b.in.example.test.", "TXT", 100, ['"wild"']),
    ]


def test_dname_out_of_our_data(srv):
    r = srv.query("host.away.example.test", "A")
    assert r.rcode() == dns.rcode.NOERROR
    assert r.flags & dns.flags.AA
    assert rrsets(r.answer) == [
        ("away.example.test.", "DNAME", 500, ["elsewhere.invalid."]),
        ("host.away.example.test.", "CNAME", 500, ["host.elsewhere.invalid."]),
    ]


def test_dname_owner_itself(srv):
    """The owner is an ordinary node: its DNAME answers DNAME queries, other types NODATA."""
    r = srv.query("dn.example.test", "DNAME")
    assert rrsets(r.answer) == [("dn.example.test.", "DNAME", 900, ["other.test."])]
    r = srv.query("dn.example.test", "A")
    assert r.rcode() == dns.rcode.NOERROR and r.answer == []
    r = srv.query("nx.example.test", "A")
    assert_nxdomain(r, "example.test.", 300)


def test_dname_overflow_is_yxdomain(srv):
    """RFC 6672 2.2: a substitution longer than 255 bytes is YXDOMAIN, with the DNAME."""
    fits = dns.name.from_text("x.long.example.test")
    r = srv.query(fits, "A")
    assert r.rcode() == dns.rcode.NXDOMAIN  # the new name, in example.test, does not exist
    assert r.answer[1][0].target.to_text().lower() == "x." + LONG_TARGET + "."
    too_long = dns.name.from_text(("y" * 63) + ".long.example.test")
    r = srv.query(too_long, "A")
    assert r.rcode() == dns.rcode.YXDOMAIN and r.flags & dns.flags.AA
    assert [x[1] for x in rrsets(r.answer)] == ["DNAME"]
