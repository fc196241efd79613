"""The server's behaviour to odd queries, checked the way ISC's DNS compliance tests
(genreport) check an authoritative server, with `dig` sending their queries:

  dns        plain query, no EDNS: NOERROR, AA, the SOA, no OPT
  zflag      Z bit set in the query: clear in the reply, answered
  edns       EDNS version 0: OPT version 0 in the reply
  edns1      EDNS version 1: BADVERS, OPT version 0, no answer
  edns@512   EDNS with a 512-byte buffer: answered (TC when it does not fit)
  ednsopt    unknown EDNS option 100: ignored, not echoed
  edns1opt   version 1 with option 100: BADVERS, not echoed
  do         DO bit: echoed
  ednsflags  an unknown EDNS flag (0x80): ignored, not echoed (MBZ clear)
  optlist    NSID, ECS, EXPIRE and COOKIE together: the cookie answered with a server cookie
  ednstcp    EDNS over TCP
  opcode     an unknown opcode (15): NOTIMP, the question echoed, with and without EDNS
  typelist   a type nobody has (TYPE1000): NODATA
plus the reserved header bits and TC behaviour over UDP."""

import re
import subprocess

import pytest

from conftest import base_server, running_server

ZONE = "cmp.test"
BIG = ["10.9.%d.%d" % (i // 200, i % 200 + 1) for i in range(60)]
CONFIG = {
    "server": base_server(identity="ns1.cmp.test"),
    "zones": {ZONE: {}},
    "records": [{"name": "www.cmp.test", "type": "A", "value": "10.0.0.1"}]
    + [{"name": "big.cmp.test", "type": "A", "value": a} for a in BIG],
}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with running_server(CONFIG, tmp_path_factory.mktemp("compliance")) as s:
        yield s


def dig(srv, *args, name=ZONE, rdtype="SOA"):
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(srv.port), "+norec", "+tries=1",
                          "+time=3", *args, name, rdtype],
                         capture_output=True, text=True, timeout=15).stdout
    assert ";; Got answer" in out, out
    return out


def status(out):
    return re.search(r"status: (\w+)", out).group(1)


def flags(out):
    return re.search(r";; flags: ([a-z ]*);", out).group(1).split()


def count(out, section):
    return int(re.search(section + r": (\d+)", out).group(1))


def edns(out):
    """(version, flags) of the reply's OPT, or None."""
    m = re.search(r"; EDNS: version: (\d+), flags:([a-z ]*);", out)
    return (int(m.group(1)), m.group(2).split()) if m else None


def test_dns(srv):
    out = dig(srv, "+noedns")
    assert status(out) == "NOERROR" and "aa" in flags(out)
    assert count(out, "ANSWER") == 1 and "SOA" in out.split("ANSWER SECTION")[1]
    assert edns(out) is None


def test_zflag(srv):
    out = dig(srv, "+noedns", "+zflag")
    assert status(out) == "NOERROR" and count(out, "ANSWER") == 1
    assert "z" not in flags(out) and "MBZ" not in out


def test_edns(srv):
    out = dig(srv, "+edns=0", "+nocookie")
    assert status(out) == "NOERROR" and count(out, "ANSWER") == 1
    assert edns(out) == (0, [])


def test_edns1(srv):
    out = dig(srv, "+edns=1", "+noednsneg", "+nocookie")
    assert status(out) == "BADVERS"
    assert edns(out)[0] == 0 and count(out, "ANSWER") == 0


def test_edns_512(srv):
    out = dig(srv, "+edns=0", "+bufsize=512", "+nocookie", "+ignore", name="big.cmp.test",
              rdtype="A")
    assert status(out) == "NOERROR" and "tc" in flags(out)
    assert edns(out) == (0, [])
    out = dig(srv, "+edns=0", "+bufsize=512", "+nocookie")
    assert status(out) == "NOERROR" and "tc" not in flags(out) and count(out, "ANSWER") == 1


def test_ednsopt(srv):
    out = dig(srv, "+edns=0", "+nocookie", "+ednsopt=100")
    assert status(out) == "NOERROR" and count(out, "ANSWER") == 1
    assert "OPT=100" not in out


def test_edns1opt(srv):
    out = dig(srv, "+edns=1", "+noednsneg", "+nocookie", "+ednsopt=100")
    assert status(out) == "BADVERS" and edns(out)[0] == 0
    assert "OPT=100" not in out


def test_do(srv):
    out = dig(srv, "+edns=0", "+nocookie", "+dnssec")
    assert status(out) == "NOERROR" and edns(out) == (0, ["do"])


def test_ednsflags(srv):
    out = dig(srv, "+edns=0", "+nocookie", "+ednsflags=0x80")
    assert status(out) == "NOERROR" and edns(out) == (0, [])
    assert "MBZ" not in out


def test_ednsflags_with_version1(srv):
    out = dig(srv, "+edns=1", "+noednsneg", "+nocookie", "+ednsflags=0x80")
    assert status(out) == "BADVERS" and "MBZ" not in out


def test_optlist(srv):
    out = dig(srv, "+edns=0", "+nsid", "+subnet=0.0.0.0/0", "+expire", "+cookie")
    assert status(out) == "NOERROR" and count(out, "ANSWER") == 1
    cookie = re.search(r"; COOKIE: ([0-9a-f]+) \(good\)", out)
    assert cookie and len(cookie.group(1)) == 48
    assert 'NSID: ' in out and "ns1.cmp.test" in out
    assert "CLIENT-SUBNET" not in out and "EXPIRE" not in out


def test_ednstcp(srv):
    out = dig(srv, "+edns=0", "+nocookie", "+tcp")
    assert status(out) == "NOERROR" and edns(out) == (0, []) and count(out, "ANSWER") == 1
    assert "(TCP)" in out


@pytest.mark.parametrize("opt", ["+noedns", "+edns=0"])
def test_unknown_opcode(srv, opt):
    out = dig(srv, opt, "+nocookie", "+opcode=15", "+qr")
    reply = out.split(";; Got answer:")[1]
    assert status(reply) == "NOTIMP" and "aa" not in flags(reply)
    assert count(reply, "QUERY") == 1 and ";cmp.test.\t" in reply.replace("\t\t", "\t")
    assert (edns(reply) is not None) == (opt == "+edns=0")


def test_typelist(srv):
    out = dig(srv, "+edns=0", "+nocookie", rdtype="TYPE1000", name="www.cmp.test")
    assert status(out) == "NOERROR" and count(out, "ANSWER") == 0 and count(out, "AUTHORITY") == 1


def test_reserved_header_bits_cleared(srv):
    # AD in a query to an authoritative server without DNSSEC: not set in the reply; CD
    # copied (RFC 6840 5.9), RD copied.
    out = dig(srv, "+noedns", "+adflag", "+cdflag", "+rec")
    assert status(out) == "NOERROR"
    f = flags(out)
    assert "ad" not in f and "cd" in f and "rd" in f
