"""DNS cookies (RFC 7873) with RFC 9018 server cookies: a server cookie in every reply to a
cookie-bearing query, over UDP and TCP; the cookie held while fresh; FORMERR for malformed
options; BADCOOKIE over UDP under the "require" policy; a shared secret makes the same cookies
on two nodes; after a rotation by reload the previous secret is still accepted; dig and kdig
see the cookie as good."""

import ipaddress
import json
import os
import signal
import struct
import subprocess
import time

import dns.edns
import dns.message
import dns.opcode
import dns.rcode
import pytest

from conftest import base_server, running_server

SECRET = "e5e973e5a6b2a43f48e7dc849e37bfcf"
SECRET2 = "445536bcd2513298075a5d379663c962"
COOKIE = 10


def config(**server):
    return {
        "server": base_server(**server),
        "zones": {"c.test": {}},
        "records": [{"name": "www.c.test", "type": "A", "value": "10.0.0.1"}],
    }


def ask(srv, cookie=None, tcp=False, name="www.c.test"):
    opts = [dns.edns.GenericOption(COOKIE, cookie)] if cookie is not None else []
    q = dns.message.make_query(name, "A", use_edns=0, options=opts)
    return srv.send(q, tcp=tcp)


def reply_cookie(r):
    found = [o for o in r.options if o.otype == COOKIE]
    assert len(found) <= 1
    return found[0].to_wire() if found else None


def siphash24(key, data):
    """The reference SipHash-2-4, to check the server's cookies independently of its code."""
    mask = (1 << 64) - 1

    def rotl(x, b):
        return ((x << b) | (x >> (64 - b))) & mask

    k0, k1 = struct.unpack("<QQ", key)
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261,
         k1 ^ 0x7465646279746573]

    def rnd():
        v[0] = (v[0] + v[1]) & mask; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & mask; v[3] = rotl(v[3], 16); v[3] ^= v[2]
        v[0] = (v[0] + v[3]) & mask; v[3] = rotl(v[3], 21); v[3] ^= v[0]
        v[2] = (v[2] + v[1]) & mask; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32)

    b = len(data) << 56
    tail = len(data) - len(data) % 8
    for i in range(0, tail, 8):
        m = struct.unpack("<Q", data[i:i + 8])[0]
        v[3] ^= m; rnd(); rnd(); v[0] ^= m
    for i, c in enumerate(data[tail:]):
        b |= c << (8 * i)
    v[3] ^= b; rnd(); rnd(); v[0] ^= b
    v[2] ^= 0xFF
    for _ in range(4):
        rnd()
    return struct.pack("<Q", v[0] ^ v[1] ^ v[2] ^ v[3])


def rfc9018(secret_hex, client, ts, ip="127.0.0.1"):
    head = bytes([1, 0, 0, 0]) + struct.pack("!I", ts)
    return head + siphash24(bytes.fromhex(secret_hex),
                            client + head + ipaddress.ip_address(ip).packed)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with running_server(config(cookie_secret=SECRET), tmp_path_factory.mktemp("cookie")) as s:
        yield s


def test_reference_siphash_matches_rfc9018_vector():
    # RFC 9018 A.1, so that the checks below rest on a known-good construction.
    got = rfc9018(SECRET, bytes.fromhex("2464c4abcf10c957"), 1559731985, "198.51.100.100")
    assert got.hex() == "010000005cf79f111f8130c3eee29480"


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_client_cookie_gets_rfc9018_server_cookie(srv, tcp):
    client = os.urandom(8)
    before = int(time.time())
    r = ask(srv, client, tcp=tcp)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    c = reply_cookie(r)
    assert c is not None and len(c) == 24 and c[:8] == client
    ts = struct.unpack("!I", c[12:16])[0]
    assert before - 1 <= ts <= time.time() + 1
    assert c[8:] == rfc9018(SECRET, client, ts)


def test_valid_cookie_is_kept_and_other_options_not_echoed(srv):
    client = os.urandom(8)
    first = reply_cookie(ask(srv, client))
    q = dns.message.make_query("www.c.test", "A", use_edns=0, options=[
        dns.edns.GenericOption(100, b"x"), dns.edns.GenericOption(COOKIE, first)])
    r = srv.send(q)
    assert r.rcode() == dns.rcode.NOERROR
    assert [o.otype for o in r.options] == [COOKIE]
    assert reply_cookie(r) == first  # fresh: handed back unchanged


def test_foreign_server_cookie_replaced(srv):
    client = os.urandom(8)
    r = ask(srv, client + os.urandom(16))
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    c = reply_cookie(r)
    ts = struct.unpack("!I", c[12:16])[0]
    assert c[8:] == rfc9018(SECRET, client, ts)


def test_stale_cookie_replaced(srv):
    client = os.urandom(8)
    old = int(time.time()) - 3700
    r = ask(srv, client + rfc9018(SECRET, client, old))
    c = reply_cookie(r)
    assert struct.unpack("!I", c[12:16])[0] >= int(time.time()) - 1


@pytest.mark.parametrize("length", [1, 7, 9, 15, 41])
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_malformed_cookie_formerr(srv, length, tcp):
    r = ask(srv, os.urandom(length), tcp=tcp)
    assert r.rcode() == dns.rcode.FORMERR
    assert not r.answer
    assert r.edns == 0  # our OPT: the OPT itself was sound


def test_no_cookie_no_cookie(srv):
    r = ask(srv, None)
    assert r.rcode() == dns.rcode.NOERROR and reply_cookie(r) is None


def test_cookie_in_error_replies(srv):
    client = os.urandom(8)
    q = dns.message.make_query("www.c.test", "A", use_edns=0,
                               options=[dns.edns.GenericOption(COOKIE, client)])
    q.set_opcode(dns.opcode.STATUS)
    r = srv.send(q)
    assert r.rcode() == dns.rcode.NOTIMP
    assert reply_cookie(r)[:8] == client
    r = ask(srv, client, name="nowhere.invalid")
    assert r.rcode() == dns.rcode.REFUSED and reply_cookie(r)[:8] == client


def test_dig_and_kdig_call_the_cookie_good(srv):
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(srv.port), "www.c.test", "+cookie",
                          "+norec"], capture_output=True, text=True, timeout=10).stdout
    assert "status: NOERROR" in out
    line = [l for l in out.splitlines() if "COOKIE:" in l][0]
    assert "(good)" in line
    cookie = line.split()[2]
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(srv.port), "www.c.test",
                          "+cookie=" + cookie], capture_output=True, text=True,
                         timeout=10).stdout
    assert "status: NOERROR" in out and "(good)" in out
    out = subprocess.run(["kdig", "@127.0.0.1", "-p", str(srv.port), "www.c.test", "+cookie"],
                         capture_output=True, text=True, timeout=10).stdout
    assert "NOERROR" in out and "COOKIE" in out


def test_require_policy(start_server):
    s = start_server(config(cookies="require"))
    client = os.urandom(8)
    r = ask(s, client)
    assert r.rcode() == dns.rcode.BADCOOKIE
    assert not r.answer
    c = reply_cookie(r)
    assert c[:8] == client and len(c) == 24
    # the retry with the cookie just given is answered
    r = ask(s, c)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    # a forged server cookie: BADCOOKIE again
    r = ask(s, client + os.urandom(16))
    assert r.rcode() == dns.rcode.BADCOOKIE
    # TCP proves the address; clients without cookies are answered
    r = ask(s, client, tcp=True)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    r = ask(s, None)
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    # dig retries over TCP on BADCOOKIE... or with the cookie; either way it gets the answer
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(s.port), "www.c.test", "+cookie"],
                         capture_output=True, text=True, timeout=10).stdout
    assert "10.0.0.1" in out


def test_off_policy(start_server):
    s = start_server(config(cookies="off", cookie_secret=SECRET))
    r = ask(s, os.urandom(8))
    assert r.rcode() == dns.rcode.NOERROR and reply_cookie(r) is None


def test_shared_secret_cluster(start_server):
    a = start_server(config(cookie_secret=SECRET, cookies="require"))
    b = start_server(config(cookie_secret=SECRET, cookies="require"))
    client = os.urandom(8)
    c = reply_cookie(ask(a, client))
    r = ask(b, c)  # the other node accepts it
    assert r.rcode() == dns.rcode.NOERROR and r.answer
    assert reply_cookie(r) == c


def test_generated_secret_is_random_and_kept_across_reload(start_server):
    a = start_server(config(cookies="require"))
    b = start_server(config(cookies="require"))
    client = os.urandom(8)
    ca = reply_cookie(ask(a, client))
    cb = reply_cookie(ask(b, client))
    assert ca[8:] != cb[8:] or ca[12:16] != cb[12:16]
    assert ask(b, ca).rcode() == dns.rcode.BADCOOKIE
    cfg = json.loads(a.config_path.read_text())
    cfg["records"].append({"name": "new.c.test", "type": "A", "value": "10.0.0.2"})
    a.config_path.write_text(json.dumps(cfg))
    a.send_signal(signal.SIGHUP)
    a.wait_log("Config applied", timeout=10)
    assert ask(a, ca).rcode() == dns.rcode.NOERROR


def test_rotation_keeps_previous_secret(tmp_path):
    with running_server(config(cookie_secret=SECRET, cookies="require"), tmp_path) as s:
        client = os.urandom(8)
        old = reply_cookie(ask(s, client))
        cfg = json.loads(s.config_path.read_text())
        cfg["server"]["cookie_secret"] = SECRET2
        s.config_path.write_text(json.dumps(cfg))
        s.send_signal(signal.SIGHUP)
        s.wait_log("cookie secret changed", timeout=10)
        s.wait_log("Config applied", timeout=10)  # logged after the publish
        r = ask(s, old)
        assert r.rcode() == dns.rcode.NOERROR and r.answer  # the old secret still holds
        new = reply_cookie(r)
        ts = struct.unpack("!I", new[12:16])[0]
        assert new[8:] == rfc9018(SECRET2, client, ts)  # renewed with the new one
        assert ask(s, new).rcode() == dns.rcode.NOERROR


def cookie_probe(srv, cookie, tcp=False):
    """A query for a server cookie (RFC 7873 5.4): QDCOUNT 0, an OPT with only COOKIE."""
    opt = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 4 + len(cookie))
    opt += struct.pack("!HH", COOKIE, len(cookie)) + cookie
    data = struct.pack("!HHHHHH", 0x5A5A, 0, 0, 0, 0, 1) + opt
    raw = srv.tcp_raw(data) if tcp else srv.udp_raw(data)
    return dns.message.from_wire(raw)


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_query_for_server_cookie(srv, tcp):
    """RFC 7873 5.4: no question and a COOKIE is NOERROR with a server cookie (not FORMERR);
    a server cookie sent along is confirmed (NOERROR) or refused (BADCOOKIE, a new one)."""
    client = os.urandom(8)
    r = cookie_probe(srv, client, tcp)
    assert r.id == 0x5A5A and r.rcode() == dns.rcode.NOERROR
    assert r.question == [] and r.answer == [] and r.authority == []
    c = reply_cookie(r)
    assert c[:8] == client and len(c) == 24
    r = cookie_probe(srv, c, tcp)
    assert r.rcode() == dns.rcode.NOERROR and reply_cookie(r) == c
    r = cookie_probe(srv, client + os.urandom(16), tcp)
    assert r.rcode() == dns.rcode.BADCOOKIE
    assert reply_cookie(r)[:8] == client
    assert len(reply_cookie(r)) == 24


def test_query_for_server_cookie_policies(start_server):
    s = start_server(config(cookies="require"))
    r = cookie_probe(s, os.urandom(8))
    assert r.rcode() == dns.rcode.NOERROR and len(reply_cookie(r)) == 24
    s = start_server(config(cookies="off"))
    r = cookie_probe(s, os.urandom(8))
    assert r.rcode() == dns.rcode.FORMERR and reply_cookie(r) is None
