"""Interoperability with real clients: dig (BIND) and kdig (Knot), parsed from their output."""

import re
import shutil
import subprocess

import pytest

from conftest import base_server, running_server

DIG = shutil.which("dig")
KDIG = shutil.which("kdig")
# `make test` installs both (scripts/deps.sh); a missing tool is a failure, not a skip.
need_dig = pytest.mark.usefixtures("dig_installed")
need_kdig = pytest.mark.usefixtures("kdig_installed")


@pytest.fixture
def dig_installed():
    assert DIG, "dig not found: install bind9-dnsutils (scripts/deps.sh test)"


@pytest.fixture
def kdig_installed():
    assert KDIG, "kdig not found: install knot-dnsutils (scripts/deps.sh test)"

LONG_TXT = "".join("%03d|" % i for i in range(100))  # 400 characters

CONFIG = {
    "server": base_server(),
    "zones": {"dig.test": {"soa": {"mname": "ns1.dig.test", "rname": "hostmaster.dig.test",
                                   "serial": 2024060101, "minimum": 120},
                           "ns": ["ns1.dig.test"], "ttl": 3600}},
    "records": [
        {"name": "ns1.dig.test", "type": "A", "value": "192.0.2.53", "ttl": 3600},
        {"name": "web.dig.test", "type": "A", "value": "192.0.2.10", "ttl": 300},
        {"name": "web.dig.test", "type": "AAAA", "value": "2001:db8::10", "ttl": 300},
        {"name": "api.dig.test", "type": "CNAME", "value": "web.dig.test", "ttl": 60},
        {"name": "dig.test", "type": "MX", "value": "mail.dig.test", "priority": 10},
        {"name": "mail.dig.test", "type": "A", "value": "192.0.2.25"},
        {"name": "long.dig.test", "type": "TXT", "value": LONG_TXT},
        {"name": "_sip._tcp.dig.test", "type": "SRV", "value": "10 5 5060 sip.dig.test."},
    ] + [{"name": "big.dig.test", "type": "A", "value": "10.9.%d.%d" % (i // 250, i % 250 + 1)}
         for i in range(120)],
    "rewrites": [{"match": "*.ads.dig.test", "action": "nxdomain"}],
}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with running_server(CONFIG, tmp_path_factory.mktemp("dig")) as s:
        yield s


def run(tool, srv, *args):
    retry = "+tries=1" if tool == DIG else "+retry=0"
    p = subprocess.run([tool, "@127.0.0.1", "-p", str(srv.port), "+time=2", retry, *args],
                       capture_output=True, text=True, timeout=20)
    return p


def dig(srv, *args):
    p = run(DIG, srv, *args)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def kdig(srv, *args):
    p = run(KDIG, srv, *args)
    return p.stdout + p.stderr


def dig_header(out):
    """(status, set of flags, {section: count}) from dig's full output."""
    m = re.search(r"->>HEADER<<- opcode: (\w+), status: (\w+), id: \d+", out)
    assert m, out
    f = re.search(r";; flags:([^;]*); QUERY: (\d+), ANSWER: (\d+), AUTHORITY: (\d+), "
                  r"ADDITIONAL: (\d+)", out)
    assert f, out
    counts = dict(zip(("query", "answer", "authority", "additional"),
                      map(int, f.groups()[1:])))
    return m.group(2), set(f.group(1).split()), counts


def kdig_header(out):
    m = re.search(r"->>HEADER<<- opcode: (\w+); status: (\w+); id: \d+", out)
    assert m, out
    f = re.search(r";; Flags:([^;]*); QUERY: (\d+); ANSWER: (\d+); AUTHORITY: (\d+); "
                  r"ADDITIONAL: (\d+)", out)
    assert f, out
    counts = dict(zip(("query", "answer", "authority", "additional"),
                      map(int, f.groups()[1:])))
    return m.group(2), set(f.group(1).split()), counts


def records(out, section):
    """[(owner, ttl, type, rdata)] of one section of dig/kdig output."""
    m = re.search(r";; %s SECTION:\n(.*?)(?:\n\n|\Z)" % section, out, re.S)
    if not m:
        return []
    rows = []
    for line in m.group(1).splitlines():
        if line.startswith(";") or not line.strip():
            continue
        owner, ttl, cls, rtype, rdata = line.split(None, 4)
        assert cls == "IN"
        rows.append((owner, int(ttl), rtype, rdata.strip()))
    return rows


# ---- dig ----------------------------------------------------------------------------------

@need_dig
def test_dig_short_a(srv):
    assert dig(srv, "+short", "web.dig.test", "A") == "192.0.2.10\n"
    assert dig(srv, "+short", "web.dig.test", "AAAA") == "2001:db8::10\n"


@need_dig
def test_dig_short_cname_chain(srv):
    assert dig(srv, "+short", "api.dig.test", "A").splitlines() == ["web.dig.test.", "192.0.2.10"]


@need_dig
def test_dig_short_txt_split(srv):
    out = dig(srv, "+short", "long.dig.test", "TXT").strip()
    parts = re.findall(r'"([^"]*)"', out)
    assert [len(x) for x in parts] == [255, 145]
    assert "".join(parts) == LONG_TXT


@need_dig
def test_dig_short_srv(srv):
    assert dig(srv, "+short", "_sip._tcp.dig.test", "SRV") == "10 5 5060 sip.dig.test.\n"


@need_dig
def test_dig_tcp_answer(srv):
    out = dig(srv, "+tcp", "dig.test", "MX")
    status, flags, counts = dig_header(out)
    assert status == "NOERROR"
    assert flags == {"qr", "aa", "rd"}
    assert counts["answer"] == 1
    assert records(out, "ANSWER") == [("dig.test.", 300, "MX", "10 mail.dig.test.")]
    assert records(out, "ADDITIONAL") == [("mail.dig.test.", 300, "A", "192.0.2.25")]
    assert "(TCP)" in out
    assert "; EDNS: version: 0, flags:; udp: 1232" in out


@need_dig
def test_dig_norecurse(srv):
    status, flags, _ = dig_header(dig(srv, "+norecurse", "web.dig.test"))
    assert status == "NOERROR" and flags == {"qr", "aa"}


@need_dig
def test_dig_nxdomain(srv):
    out = dig(srv, "nope.dig.test", "A")
    status, flags, counts = dig_header(out)
    assert status == "NXDOMAIN" and "aa" in flags and "ra" not in flags
    assert counts["answer"] == 0 and counts["authority"] == 1
    assert records(out, "AUTHORITY") == [
        ("dig.test.", 120, "SOA",
         "ns1.dig.test. hostmaster.dig.test. 2024060101 3600 900 604800 120")]


@need_dig
def test_dig_nodata(srv):
    out = dig(srv, "web.dig.test", "MX")
    status, flags, counts = dig_header(out)
    assert status == "NOERROR" and "aa" in flags
    assert counts["answer"] == 0
    assert [r[2] for r in records(out, "AUTHORITY")] == ["SOA"]


@need_dig
def test_dig_refused_outside(srv):
    status, flags, counts = dig_header(dig(srv, "www.example.org", "A"))
    assert status == "REFUSED" and "aa" not in flags and counts["answer"] == 0


@need_dig
def test_dig_rewrite(srv):
    status, flags, _ = dig_header(dig(srv, "x.ads.dig.test", "A"))
    assert status == "NXDOMAIN" and "aa" in flags


@need_dig
def test_dig_truncation_falls_back_to_tcp(srv):
    out = dig(srv, "big.dig.test", "A")
    assert ";; Truncated, retrying in TCP mode." in out
    status, flags, counts = dig_header(out)
    assert status == "NOERROR" and "tc" not in flags
    assert counts["answer"] == 120
    assert len(records(out, "ANSWER")) == 120


@need_dig
@pytest.mark.parametrize("opts", [["+bufsize=4096"], ["+noedns"], ["+bufsize=512"]])
def test_dig_truncated_reply(srv, opts):
    out = dig(srv, "+ignore", *opts, "big.dig.test", "A")
    status, flags, counts = dig_header(out)
    assert status == "NOERROR"
    assert "tc" in flags and "aa" in flags
    assert counts["answer"] == 0
    m = re.search(r"MSG SIZE\s+rcvd: (\d+)", out)
    limit = 512 if opts != ["+bufsize=4096"] else 1232
    assert m and int(m.group(1)) <= limit


@need_dig
def test_dig_badvers_retry(srv):
    out = dig(srv, "+edns=1", "web.dig.test")
    assert "BADVERS, retrying with EDNS version 0." in out
    status, _, _ = dig_header(out)
    assert status == "NOERROR"
    assert records(out, "ANSWER") == [("web.dig.test.", 300, "A", "192.0.2.10")]


@need_dig
def test_dig_axfr_refused(srv):
    p = run(DIG, srv, "dig.test", "AXFR")
    assert "Transfer failed." in p.stdout
    assert "SOA" not in p.stdout.split("Transfer failed.")[0].split("global options")[1]


# ---- kdig ---------------------------------------------------------------------------------

@need_kdig
def test_kdig_tcp(srv):
    out = kdig(srv, "+tcp", "web.dig.test", "A")
    status, flags, counts = kdig_header(out)
    assert status == "NOERROR" and flags == {"qr", "aa", "rd"}
    assert records(out, "ANSWER") == [("web.dig.test.", 300, "A", "192.0.2.10")]
    assert "(TCP)" in out


@need_kdig
def test_kdig_edns_do(srv):
    out = kdig(srv, "+edns", "+dnssec", "+bufsize=4096", "api.dig.test", "AAAA")
    status, flags, counts = kdig_header(out)
    assert status == "NOERROR" and "aa" in flags
    assert ";; Version: 0; flags: do; UDP size: 1232 B; ext-rcode: NOERROR" in out
    assert records(out, "ANSWER") == [
        ("api.dig.test.", 60, "CNAME", "web.dig.test."),
        ("web.dig.test.", 300, "AAAA", "2001:db8::10"),
    ]


@need_kdig
def test_kdig_no_edns(srv):
    out = kdig(srv, "+noedns", "web.dig.test", "A")
    status, _, counts = kdig_header(out)
    assert status == "NOERROR" and counts["additional"] == 0
    assert "EDNS PSEUDOSECTION" not in out


@need_kdig
def test_kdig_badvers(srv):
    out = kdig(srv, "+edns=1", "web.dig.test", "A")
    status, flags, counts = kdig_header(out)
    assert status == "BADVERS"
    assert "aa" not in flags and counts["answer"] == 0
    assert ";; Version: 0; flags: ; UDP size: 1232 B; ext-rcode: BADVERS" in out


@need_kdig
def test_kdig_nxdomain_soa(srv):
    out = kdig(srv, "+tcp", "nope.dig.test", "TXT")
    status, flags, _ = kdig_header(out)
    assert status == "NXDOMAIN" and "aa" in flags
    assert [(r[0], r[1], r[2]) for r in records(out, "AUTHORITY")] == [("dig.test.", 120, "SOA")]


@need_kdig
def test_kdig_ns_with_glue(srv):
    out = kdig(srv, "dig.test", "NS")
    assert records(out, "ANSWER") == [("dig.test.", 3600, "NS", "ns1.dig.test.")]
    assert records(out, "ADDITIONAL") == [("ns1.dig.test.", 3600, "A", "192.0.2.53")]


@need_kdig
def test_kdig_truncated_udp(srv):
    out = kdig(srv, "+bufsize=1232", "+ignore", "big.dig.test", "A")
    status, flags, counts = kdig_header(out)
    assert "tc" in flags and counts["answer"] == 0
    out = kdig(srv, "+tcp", "big.dig.test", "A")
    status, flags, counts = kdig_header(out)
    assert "tc" not in flags and counts["answer"] == 120
