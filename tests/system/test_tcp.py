"""DNS over TCP (RFC 7766): framing, pipelining, split segments, large answers, idle timeout."""

import socket
import struct
import time

import dns.flags
import dns.message
import dns.rcode
import pytest

from conftest import (addresses, base_server, only_rrset,
                      running_server, tcp_read_msg, tcp_recv_exact)

# 14 TXT records of 250 bytes each: a reply of about 3.6 kB.
BIG_TXT = ["%02d" % i + chr(ord("a") + i) * 248 for i in range(14)]

CONFIG = {
    "server": base_server(),
    "zones": {"t.test": {"soa": {"minimum": 300}}},
    "records": [{"name": "h%d.t.test" % i, "type": "A", "value": "10.0.0.%d" % i}
                for i in range(1, 11)]
    + [{"name": "big.t.test", "type": "TXT", "value": v} for v in BIG_TXT],
}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with running_server(CONFIG, tmp_path_factory.mktemp("tcp")) as s:
        yield s


def frame(msg):
    w = msg.to_wire()
    return struct.pack("!H", len(w)) + w


def q(name, rdtype="A", qid=None):
    m = dns.message.make_query(name, rdtype)
    if qid is not None:
        m.id = qid
    return m


def test_framing_single_query(srv):
    with srv.tcp_connect() as s:
        s.sendall(frame(q("h1.t.test", qid=7)))
        hdr = tcp_recv_exact(s, 2)
        (n,) = struct.unpack("!H", hdr)
        body = tcp_recv_exact(s, n)
        r = dns.message.from_wire(body)  # exactly the framed length parses as one message
        assert r.id == 7 and r.rcode() == dns.rcode.NOERROR
        assert addresses(only_rrset(r.answer, "h1.t.test.", "A")) == ["10.0.0.1"]


def test_connection_reused_sequentially(srv):
    with srv.tcp_connect() as s:
        for i in range(1, 6):
            s.sendall(frame(q("h%d.t.test" % i, qid=100 + i)))
            r = dns.message.from_wire(tcp_read_msg(s))
            assert r.id == 100 + i
            assert addresses(r.answer[0]) == ["10.0.0.%d" % i]


def test_pipelined_queries_all_answered_in_order(srv):
    queries = [q("h%d.t.test" % (i % 10 + 1), qid=1000 + i) for i in range(30)]
    queries.insert(5, q("missing.t.test", qid=999))
    with srv.tcp_connect() as s:
        s.sendall(b"".join(frame(m) for m in queries))  # all in one write
        replies = [dns.message.from_wire(tcp_read_msg(s)) for _ in queries]
    assert [r.id for r in replies] == [m.id for m in queries]
    for m, r in zip(queries, replies):
        assert r.question == m.question
        if m.id == 999:
            assert r.rcode() == dns.rcode.NXDOMAIN
        else:
            i = (m.id - 1000) % 10 + 1
            assert addresses(r.answer[0]) == ["10.0.0.%d" % i]


@pytest.mark.parametrize("cuts", [
    [1],             # the length prefix split in two
    [2],             # prefix, then the message
    [1, 2, 5, 13],   # several small pieces
    "bytewise",
])
def test_query_split_across_segments(srv, cuts):
    data = frame(q("h3.t.test", qid=4242))
    if cuts == "bytewise":
        cuts = list(range(1, len(data)))
    pieces = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
    with srv.tcp_connect() as s:
        for p in pieces:
            s.sendall(p)
            time.sleep(0.005)  # give each piece its own segment; correctness does not depend on it
        r = dns.message.from_wire(tcp_read_msg(s))
    assert r.id == 4242
    assert addresses(r.answer[0]) == ["10.0.0.3"]


def test_two_messages_split_across_one_boundary(srv):
    data = frame(q("h1.t.test", qid=1)) + frame(q("h2.t.test", qid=2))
    mid = len(data) // 2 + 3  # inside the second message
    with srv.tcp_connect() as s:
        s.sendall(data[:mid])
        time.sleep(0.01)
        s.sendall(data[mid:])
        r1 = dns.message.from_wire(tcp_read_msg(s))
        r2 = dns.message.from_wire(tcp_read_msg(s))
    assert (r1.id, r2.id) == (1, 2)
    assert addresses(r2.answer[0]) == ["10.0.0.2"]


def test_large_answer_over_tcp(srv):
    with srv.tcp_connect() as s:
        s.sendall(frame(q("big.t.test", "TXT", qid=55)))
        body = tcp_read_msg(s)
    assert len(body) > 3000
    r = dns.message.from_wire(body)
    assert r.id == 55 and not r.flags & dns.flags.TC and r.flags & dns.flags.AA
    t = only_rrset(r.answer, "big.t.test.", "TXT")
    assert [b"".join(rd.strings).decode() for rd in t] == BIG_TXT


def test_large_answer_truncated_over_udp(srv):
    r = srv.query("big.t.test", "TXT", use_edns=0, payload=1232)
    assert r.flags & dns.flags.TC and r.answer == []
    full = srv.query("big.t.test", "TXT", tcp=True, use_edns=0, payload=1232)
    assert not full.flags & dns.flags.TC and len(full.answer[0]) == len(BIG_TXT)


def test_zero_length_frame(srv):
    # A zero-length message is not DNS. The server may close the connection or skip the
    # frame, but it must do one of them (not hang), and keep serving.
    with srv.tcp_connect() as s:
        s.sendall(b"\x00\x00" + frame(q("h1.t.test", qid=3)))
        try:
            r = dns.message.from_wire(tcp_read_msg(s))
            assert r.id == 3 and addresses(r.answer[0]) == ["10.0.0.1"]
        except (EOFError, ConnectionResetError):
            pass  # closed: allowed
    r = srv.query("h1.t.test", "A", tcp=True)
    assert addresses(r.answer[0]) == ["10.0.0.1"]


def test_many_large_answers_pipelined(srv):
    # About 700 kB of answers to queries sent before reading anything: the server must
    # apply back-pressure rather than drop or reorder replies.
    n = 200
    with srv.tcp_connect(timeout=10) as s:
        s.sendall(b"".join(frame(q("big.t.test", "TXT", qid=i)) for i in range(n)))
        for i in range(n):
            r = dns.message.from_wire(tcp_read_msg(s))
            assert r.id == i and len(r.answer[0]) == len(BIG_TXT)


def test_half_close_after_many_large_queries(srv):
    # RFC 7766 6.2.4 style: the client sends its queries and shuts down its side; every
    # reply must still arrive before the server closes.
    n = 100
    with srv.tcp_connect(timeout=10) as s:
        s.sendall(b"".join(frame(q("big.t.test", "TXT", qid=i)) for i in range(n)))
        s.shutdown(socket.SHUT_WR)
        got = []
        for i in range(n):
            r = dns.message.from_wire(tcp_read_msg(s))
            got.append(r.id)
        assert got == list(range(n))
        assert s.recv(1) == b""


def test_client_half_close_still_answered(srv):
    with srv.tcp_connect() as s:
        s.sendall(frame(q("h4.t.test", qid=44)))
        s.shutdown(socket.SHUT_WR)
        r = dns.message.from_wire(tcp_read_msg(s))
        assert r.id == 44 and addresses(r.answer[0]) == ["10.0.0.4"]


def wait_closed(s, limit):
    """Seconds until the peer closes s (EOF or reset); fails after `limit` seconds."""
    t0 = time.monotonic()
    s.settimeout(limit)
    try:
        data = s.recv(1)
    except ConnectionResetError:
        data = b""
    except socket.timeout:
        pytest.fail("server kept an idle TCP connection open for %ss" % limit)
    assert data == b"", "unexpected data on an idle connection: %r" % data
    return time.monotonic() - t0


def test_idle_timeout_closes_connection(start_server):
    s = start_server(dict(CONFIG, server=base_server(tcp_idle_timeout=1)))
    # A connection that never sends anything.
    with s.tcp_connect() as c:
        wait_closed(c, 8)
    # A connection that goes idle after a query.
    with s.tcp_connect() as c:
        c.sendall(frame(q("h1.t.test", qid=9)))
        assert dns.message.from_wire(tcp_read_msg(c)).id == 9
        wait_closed(c, 8)
    # A connection stuck in the middle of a message.
    with s.tcp_connect() as c:
        c.sendall(frame(q("h1.t.test"))[:7])
        wait_closed(c, 8)
    # The server still serves.
    assert addresses(s.query("h2.t.test", "A", tcp=True).answer[0]) == ["10.0.0.2"]


def test_tcp_max_clients(start_server):
    # At the limit a new connection closes the one idle the longest to make room
    # (test_tcp_limits.py has the details: busy connections, per-address limit, slowloris).
    s = start_server(dict(CONFIG, server=base_server(tcp_max_clients=2)))
    a = s.tcp_connect()
    b = s.tcp_connect()
    try:
        for i, c in enumerate((a, b)):
            c.sendall(frame(q("h1.t.test", qid=i)))
            assert dns.message.from_wire(tcp_read_msg(c)).id == i
        with s.tcp_connect() as c:
            c.sendall(frame(q("h3.t.test", qid=33)))
            r = dns.message.from_wire(tcp_read_msg(c))
        assert r.id == 33 and addresses(r.answer[0]) == ["10.0.0.3"]
        wait_closed(a, 2)  # idle the longest: evicted
        b.sendall(frame(q("h2.t.test", qid=34)))
        assert dns.message.from_wire(tcp_read_msg(b)).id == 34
        # UDP is not affected.
        assert addresses(s.query("h2.t.test", "A").answer[0]) == ["10.0.0.2"]
    finally:
        a.close()
        b.close()


def test_shutdown_with_open_tcp_connection(tmp_path):
    with running_server(CONFIG, tmp_path, check_exit=False) as s:
        with s.tcp_connect() as busy, s.tcp_connect() as idle:
            busy.sendall(frame(q("h1.t.test", qid=1)))
            assert dns.message.from_wire(tcp_read_msg(busy)).id == 1
            assert idle.fileno() >= 0
            s.assert_clean_exit()
