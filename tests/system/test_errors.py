"""Malformed and unsupported requests: NOTIMP, FORMERR, REFUSED, silent drops, and a
deterministic burst of garbage that the server must survive."""

import random
import socket
import struct

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import pytest

from conftest import addresses, assert_refused, base_server, only_rrset, running_server

CONFIG = {
    "server": base_server(),
    "zones": {"err.test": {"soa": {"minimum": 300}, "ns": ["ns1.err.test"]}},
    "records": [
        {"name": "ns1.err.test", "type": "A", "value": "10.0.0.53"},
        {"name": "www.err.test", "type": "A", "value": "10.0.0.80"},
        {"name": "www.err.test", "type": "TXT", "value": "hello"},
        {"name": "alias.err.test", "type": "CNAME", "value": "www.err.test"},
    ],
    "rewrites": [{"match": "*.blocked.test", "action": "nxdomain"}],
}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with running_server(CONFIG, tmp_path_factory.mktemp("errors")) as s:
        yield s


def header(qid=0x4321, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


QUESTION = dns.name.from_text("www.err.test").to_wire() + struct.pack("!HH", 1, 1)


def exchange(srv, wire, tcp=False):
    data = srv.tcp_raw(wire) if tcp else srv.udp_raw(wire)
    return data, dns.message.from_wire(data)


def assert_alive(srv, udp_tries=1):
    """The server is running and answers a normal query correctly over UDP and TCP. After a
    burst, the first UDP query may be lost by the kernel while the server's socket buffer is
    still full (counted as a UDP drop, not a server fault): udp_tries allows for that."""
    for attempt in range(udp_tries):
        try:
            srv.query("www.err.test", "A")
            break
        except dns.exception.Timeout:
            if attempt == udp_tries - 1:
                raise
    for tcp in (False, True):
        r = srv.query("www.err.test", "A", tcp=tcp)
        assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
        assert addresses(only_rrset(r.answer, "www.err.test.", "A")) == ["10.0.0.80"]
    assert srv.alive()


# ---- opcodes ------------------------------------------------------------------------------

# UPDATE (5) is answered by the RFC 2136 code: tests/system/test_rfc2136.py.
@pytest.mark.parametrize("opcode", [1, 2, 3, 4, 6, 15])
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_unknown_opcode_notimp(srv, opcode, tcp):
    wire = header(flags=(opcode << 11) | 0x0100) + QUESTION
    data = srv.tcp_raw(wire) if tcp else srv.udp_raw(wire)
    # Parsed by hand: dnspython does not parse every opcode.
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", data[:12])
    assert qid == 0x4321
    assert flags & 0x8000, "QR not set"
    assert (flags >> 11) & 0xF == opcode, "opcode not echoed"
    assert flags & 0xF == dns.rcode.NOTIMP
    assert not flags & 0x0400, "AA set"
    assert flags & 0x0100, "RD not copied"
    assert (qd, an, ns, ar) == (1, 0, 0, 0)
    assert data[12:] == QUESTION  # the question echoed, byte for byte


# ---- FORMERR --------------------------------------------------------------------------------

@pytest.mark.parametrize("qd,body", [
    (0, b""),
    (2, QUESTION + QUESTION),
    (2, QUESTION),  # claims two, holds one
], ids=["qd0", "qd2", "qd2-short"])
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_qdcount_not_one_is_formerr(srv, qd, body, tcp):
    data, r = exchange(srv, header(qd=qd) + body, tcp)
    assert r.id == 0x4321 and r.flags & dns.flags.QR
    assert r.rcode() == dns.rcode.FORMERR
    assert r.answer == [] and r.authority == []


@pytest.mark.parametrize("cut", [1, 4, 9, len(QUESTION) - 3, len(QUESTION) - 1])
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_truncated_question_is_formerr(srv, cut, tcp):
    data, r = exchange(srv, header(qid=0xA55A) + QUESTION[:cut], tcp)
    assert r.id == 0xA55A and r.flags & dns.flags.QR
    assert r.rcode() == dns.rcode.FORMERR
    assert r.question == [] and r.answer == []


@pytest.mark.parametrize("name_wire", [
    b"\x03www\xc0\x0c",              # compression pointer into the header
    b"\x03www\xc0\x0c"[:-1],         # pointer cut short
    b"\x40" + b"a" * 64 + b"\x00",   # label length 64 (reserved bits)
    b"\x80abc\x00",                  # reserved label type
    (b"\x3f" + b"a" * 63) * 4 + b"\x00",  # 257-byte name
], ids=["ptr-header", "ptr-cut", "label64", "label-type", "name-too-long"])
def test_bad_question_name_is_formerr(srv, name_wire):
    data, r = exchange(srv, header(qid=0x0BAD) + name_wire + struct.pack("!HH", 1, 1))
    assert r.id == 0x0BAD and r.rcode() == dns.rcode.FORMERR


def test_record_in_answer_section_that_does_not_parse_is_formerr(srv):
    data, r = exchange(srv, header(an=1) + QUESTION + b"\x00\x00\x01")
    assert r.rcode() == dns.rcode.FORMERR and r.id == 0x4321


def test_trailing_bytes_ignored(srv):
    data, r = exchange(srv, header() + QUESTION + b"\x00garbage")
    assert r.rcode() == dns.rcode.NOERROR
    assert addresses(r.answer[0]) == ["10.0.0.80"]


@pytest.mark.parametrize("rdtype", ["OPT", "TSIG", "TKEY"])
def test_meta_qtype_is_formerr(srv, rdtype):
    wire = header() + dns.name.from_text("www.err.test").to_wire() + \
        struct.pack("!HH", dns.rdatatype.from_text(rdtype), 1)
    data, r = exchange(srv, wire)
    assert r.rcode() == dns.rcode.FORMERR


# ---- silently dropped --------------------------------------------------------------------

@pytest.mark.parametrize("length", [0, 1, 2, 5, 11])
def test_shorter_than_header_gets_no_reply(srv, length):
    srv.udp_no_reply((header() + QUESTION)[:length])


def test_short_tcp_message_gets_no_reply(srv):
    with srv.tcp_connect() as s:
        s.sendall(struct.pack("!H", 5) + b"\x12\x34\x01\x00\x00")
        s.settimeout(2)
        try:
            data = s.recv(100)
        except ConnectionResetError:
            data = b""
        assert data == b""  # no reply; the connection is closed
    assert_alive(srv)


# ---- REFUSED ------------------------------------------------------------------------------

@pytest.mark.parametrize("rdclass", ["CH", "HS", "NONE", "ANY", "CLASS42"])
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_non_in_class_refused(srv, rdclass, tcp):
    name = "www.err.test"  # class CH answers only the CHAOS names (test_chaos.py)
    r = srv.query(name, "TXT", tcp=tcp, rdclass=rdclass)
    assert_refused(r)
    assert r.question[0].rdclass == dns.rdataclass.from_text(rdclass)


@pytest.mark.parametrize("rdtype", ["AXFR", "IXFR"])
@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_zone_transfer_refused(srv, rdtype, tcp):
    q = dns.message.make_query("err.test", rdtype)
    data, r = exchange(srv, q.to_wire(), tcp)
    assert r.id == q.id
    assert_refused(r)
    assert r.question[0].rdtype == dns.rdatatype.from_text(rdtype)


@pytest.mark.parametrize("rdtype", ["MAILA", "MAILB"])
def test_mail_meta_types_notimp(srv, rdtype):
    r = srv.query("www.err.test", rdtype)
    assert r.rcode() == dns.rcode.NOTIMP


# ---- garbage burst ---------------------------------------------------------------------------

def valid_queries():
    out = []
    for name, t in [("www.err.test", "A"), ("alias.err.test", "A"), ("err.test", "NS"),
                    ("x.blocked.test", "A"), ("nope.err.test", "TXT"), ("err.test", "ANY")]:
        q = dns.message.make_query(name, t, use_edns=0, payload=1232, want_dnssec=True)
        out.append(q.to_wire())
        out.append(dns.message.make_query(name, t).to_wire())
    return out


def mutate(rng, base):
    b = bytearray(base)
    kind = rng.randrange(6)
    if kind == 0:  # bit flips
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == 1:  # truncation
        b = b[:rng.randrange(len(b))]
    elif kind == 2:  # random counts
        b[4:12] = bytes(rng.randrange(256) for _ in range(8))
    elif kind == 3:  # random bytes overwrite
        i = rng.randrange(len(b))
        for k in range(i, min(len(b), i + rng.randint(1, 6))):
            b[k] = rng.randrange(256)
    elif kind == 4:  # random tail
        b += bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    else:  # compression-pointer soup
        i = rng.randrange(12, len(b))
        b[i:i + 2] = bytes([0xC0 | rng.randrange(64), rng.randrange(256)])
    # Keep QR clear half of the time so most packets reach the parser.
    if len(b) > 2 and rng.random() < 0.5:
        b[2] &= 0x7F
    return bytes(b)


def garbage(rng, n):
    bases = valid_queries()
    out = []
    for i in range(n):
        r = rng.random()
        if r < 0.25:
            out.append(bytes(rng.randrange(256) for _ in range(rng.randrange(0, 600))))
        else:
            out.append(mutate(rng, rng.choice(bases)))
    return out


def test_udp_garbage_burst(srv):
    rng = random.Random(20241122)
    packets = garbage(rng, 2000)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("127.0.0.1", srv.port))
        s.setblocking(False)
        for i, p in enumerate(packets):
            try:
                s.send(p)
            except BlockingIOError:
                pass
            # Read back whatever arrived, so our own buffer never stops the server's sends.
            while True:
                try:
                    data = s.recv(65535)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                # Every reply must at least be a DNS header with QR set.
                assert len(data) >= 12 and data[2] & 0x80, data
    assert_alive(srv, udp_tries=5)


def test_tcp_garbage_burst(srv):
    rng = random.Random(7766)
    packets = garbage(rng, 400)
    for chunk in range(0, len(packets), 20):
        with srv.tcp_connect() as s:
            stream = b"".join(struct.pack("!H", len(p)) + p for p in packets[chunk:chunk + 20])
            if rng.random() < 0.3:
                stream = stream[:rng.randrange(len(stream))]
            try:
                s.sendall(stream)
                s.shutdown(socket.SHUT_WR)
                s.settimeout(5)
                while s.recv(65535):
                    pass
            except (ConnectionResetError, BrokenPipeError):
                pass
    # Raw random bytes as a TCP stream (random lengths, random prefixes).
    for _ in range(10):
        with srv.tcp_connect() as s:
            try:
                s.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000))))
                s.shutdown(socket.SHUT_WR)
                s.settimeout(5)
                while s.recv(65535):
                    pass
            except (ConnectionResetError, BrokenPipeError):
                pass
    assert_alive(srv)


def test_alive_after_all(srv):
    assert_alive(srv)
    r = srv.query("alias.err.test", "A", use_edns=0, payload=1232)
    assert [x.rdtype for x in r.answer] == [dns.rdatatype.CNAME, dns.rdatatype.A]

