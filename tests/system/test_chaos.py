"""CHAOS TXT (version.bind, version.server, hostname.bind, id.server) and the RFC 5001 NSID
option, with server.identity / server.version set, defaulted and hidden."""

import socket
import subprocess

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import pytest

from conftest import base_server, nanodns_bin, run_cli

ZONES = {"chaos.test": {"ns": ["ns1.chaos.test"]}}
RECORDS = [{"name": "ns1.chaos.test", "type": "A", "value": "192.0.2.1"}]


def chaos(srv, name, rdtype="TXT", tcp=False):
    return srv.query(name, rdtype, tcp=tcp, rdclass="CH")


def txt_of(r):
    assert r.rcode() == dns.rcode.NOERROR
    assert r.flags & dns.flags.AA
    assert len(r.answer) == 1
    rrset = r.answer[0]
    assert rrset.rdclass == dns.rdataclass.CH and rrset.ttl == 0
    return b"".join(rrset[0].strings).decode()


def nsid_of(r):
    opts = [o for o in r.options if o.otype == dns.edns.NSID]
    assert len(opts) <= 1
    return bytes(opts[0].data) if opts else None


def version_text():
    return run_cli("--version").stdout.strip()  # "nanodns <version>"


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_configured_texts(start_server, tcp):
    srv = start_server({"server": base_server(identity="ns7.example", version="secret-1"),
                        "zones": ZONES, "records": RECORDS})
    assert txt_of(chaos(srv, "version.bind", tcp=tcp)) == "secret-1"
    assert txt_of(chaos(srv, "VERSION.server", tcp=tcp)) == "secret-1"
    assert txt_of(chaos(srv, "hostname.bind", tcp=tcp)) == "ns7.example"
    assert txt_of(chaos(srv, "id.server", tcp=tcp)) == "ns7.example"


def test_defaults(start_server):
    srv = start_server({"server": base_server(), "zones": ZONES, "records": RECORDS})
    assert txt_of(chaos(srv, "version.bind")) == version_text()
    assert txt_of(chaos(srv, "hostname.bind")) == socket.gethostname()
    r = srv.query("ns1.chaos.test", "A", use_edns=0, options=[dns.edns.GenericOption(3, b"")])
    assert nsid_of(r) == socket.gethostname().encode()


def test_hidden(start_server):
    srv = start_server({"server": base_server(identity=False, version=False),
                        "zones": ZONES, "records": RECORDS})
    for name in ("version.bind", "version.server", "hostname.bind", "id.server"):
        r = chaos(srv, name)
        assert r.rcode() == dns.rcode.REFUSED and not r.answer
    r = srv.query("ns1.chaos.test", "A", use_edns=0, options=[dns.edns.GenericOption(3, b"")])
    assert r.rcode() == dns.rcode.NOERROR and nsid_of(r) is None


def test_other_chaos_names_and_types(start_server):
    srv = start_server({"server": base_server(), "zones": ZONES, "records": RECORDS})
    for name in ("authors.bind", "ns1.chaos.test", "bind"):
        assert chaos(srv, name).rcode() == dns.rcode.REFUSED
    r = chaos(srv, "version.bind", "A")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer
    assert txt_of(chaos(srv, "version.bind", "ANY"))


def test_nsid_only_when_asked(start_server):
    srv = start_server({"server": base_server(identity="ns-a"), "zones": ZONES,
                        "records": RECORDS})
    r = srv.query("ns1.chaos.test", "A", use_edns=0)
    assert r.answer and nsid_of(r) is None
    for tcp in (False, True):
        r = srv.query("ns1.chaos.test", "A", tcp=tcp, use_edns=0,
                      options=[dns.edns.GenericOption(3, b"")])
        assert r.answer and nsid_of(r) == b"ns-a"


def test_dig_and_kdig(start_server):
    srv = start_server({"server": base_server(identity="ns-dig", version="v-dig"),
                        "zones": ZONES, "records": RECORDS})
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(srv.port), "+short", "version.bind",
                          "CH", "TXT"], capture_output=True, text=True, timeout=20).stdout
    assert out.strip() == '"v-dig"'
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(srv.port), "+nsid", "ns1.chaos.test"],
                         capture_output=True, text=True, timeout=20).stdout
    assert '; NSID: 6e 73 2d 64 69 67 ("ns-dig")' in out
    out = subprocess.run(["kdig", "@127.0.0.1", "-p", str(srv.port), "+nsid", "ns1.chaos.test"],
                         capture_output=True, text=True, timeout=20).stdout
    assert '"ns-dig"' in out and "NSID" in out


@pytest.mark.parametrize("value", ['""', '"' + "x" * 256 + '"', "1", "null"])
def test_bad_values_rejected(tmp_path, value):
    cfg = tmp_path / "c.json"
    cfg.write_text('{"server": {"identity": %s}}' % value)
    p = subprocess.run([nanodns_bin(), "check", str(cfg)], capture_output=True, text=True)
    assert p.returncode == 1
    assert "FAIL Config error: server.identity: expected a string of at most 255 bytes, " \
           "true or false" in p.stderr
