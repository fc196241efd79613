"""No malloc on the UDP hot path: a burst of UDP queries of every kind makes no heap
allocation on the UDP worker threads.

The release binary ($NANODNS_REL_BIN; the ASan build owns malloc and cannot take a shim)
runs with LD_PRELOAD=$NANODNS_ALLOC_SHIM (tests/alloc/alloccount.c), which counts malloc &
co. on threads named nanodns-udp* and writes its count to $ALLOC_COUNT_FILE on SIGUSR2.
The test warms every worker up with every kind of query (first-use allocations would be
allowed there; none are made today), reads the count, sends a burst of many thousands of
queries of the same kinds from several sockets, reads the count again and asserts that it
did not move. On failure it prints the call stacks the shim recorded, resolved with
addr2line. It runs with the query log off and on.

The test was checked against a known allocation: with an upstream configured, every
forwarded query mallocs its pending entry in udp_forward (src/net/udp.c), and each shows up
in the count and in the call sites. Here "upstream" is [] so nothing is forwarded.

`make system` builds both files and sets both variables (mk/alloc.mk).
"""

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from conftest import Server, base_server, write_config

WORKERS = 2
SOCKETS = 16   # client sockets (source ports spread over the workers' SO_REUSEPORT group)
WINDOW = 16    # datagrams in flight per socket (more overflows a worker's receive buffer)
ROUNDS = 96    # windows per socket in the burst: 16 * 96 * 16 = 24576 datagrams
REPLY_TIMEOUT = 3.0
LOSS_TIMEOUT = 1.0  # in the burst, a reply not back by then was dropped by the kernel

ZONE = "alloc.test"
# 5 x 200 bytes: over 512, under the server's default udp_max_payload (1232)
BIG_TXT = ["%02d-" % i + "x" * 196 for i in range(5)]

CONFIG_ZONES = {
    ZONE: {"soa": {"minimum": 300}, "ns": ["ns1.alloc.test"], "ttl": 3600},
}
CONFIG_RECORDS = [
    {"name": "ns1.alloc.test", "type": "A", "value": "192.0.2.53"},
    {"name": "www.alloc.test", "type": "A", "value": "192.0.2.10", "ttl": 300},
    {"name": "www.alloc.test", "type": "A", "value": "192.0.2.11", "ttl": 300},
    {"name": "www.alloc.test", "type": "AAAA", "value": "2001:db8::10", "ttl": 300},
    {"name": "alloc.test", "type": "MX", "value": "mail.alloc.test", "priority": 10},
    {"name": "mail.alloc.test", "type": "A", "value": "192.0.2.25"},
    {"name": "alloc.test", "type": "TXT", "value": "v=spf1 -all"},
    # CNAME chain c1 -> c2 -> c3 -> www
    {"name": "c1.alloc.test", "type": "CNAME", "value": "c2.alloc.test"},
    {"name": "c2.alloc.test", "type": "CNAME", "value": "c3.alloc.test"},
    {"name": "c3.alloc.test", "type": "CNAME", "value": "www.alloc.test"},
    # RFC 4592 wildcard and a NanoDNS `wildcard: true` record
    {"name": "*.wild.alloc.test", "type": "A", "value": "192.0.2.80"},
    {"name": "app.alloc.test", "type": "A", "value": "192.0.2.81", "wildcard": True},
    # delegation with in-zone glue and an out-of-zone server
    {"name": "sub.alloc.test", "type": "NS", "value": "ns.sub.alloc.test", "ttl": 900},
    {"name": "sub.alloc.test", "type": "NS", "value": "ns.other.example", "ttl": 900},
    {"name": "ns.sub.alloc.test", "type": "A", "value": "192.0.2.90", "ttl": 900},
    {"name": "ns.sub.alloc.test", "type": "AAAA", "value": "2001:db8::90", "ttl": 900},
    # local record outside every zone
    {"name": "host.lan", "type": "A", "value": "10.0.0.1"},
] + [{"name": "big.alloc.test", "type": "TXT", "value": v} for v in BIG_TXT]
CONFIG_REWRITES = [{"match": "blocked.alloc.example", "action": "nxdomain"}]


# ---- the query kinds -------------------------------------------------------------------------

def q(name, rdtype="A", rdclass="IN", **kw):
    return dns.message.make_query(name, rdtype, rdclass, **kw).to_wire()


def hdr(qid=0, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def qsec(name, rdtype, rdclass=1):
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return wire + struct.pack("!HH", rdtype, rdclass)


def opt_rr(payload=1232, ttl=0, rdata=b""):
    return b"\0" + struct.pack("!HHIH", 41, payload, ttl, len(rdata)) + rdata


def parsed(wire):
    return dns.message.from_wire(wire)


def rc(wire):
    return parsed(wire).rcode()


def answer_types(wire):
    return sorted(dns.rdatatype.to_text(r.rdtype) for r in parsed(wire).answer)


def is_tc(wire):
    return bool(struct.unpack("!H", wire[2:4])[0] & dns.flags.TC)


def check_answer(*types, tc=False):
    def check(w):
        m = parsed(w)
        assert m.rcode() == dns.rcode.NOERROR and m.flags & dns.flags.AA, m
        assert answer_types(w) == sorted(types), m
        assert is_tc(w) == tc
    return check


def check_rcode(rcode, tc=False):
    def check(w):
        assert (struct.unpack("!H", w[2:4])[0] & 0xF) == (rcode & 0xF), w
        if rcode != dns.rcode.FORMERR:
            assert rc(w) == rcode, parsed(w)
        assert is_tc(w) == tc
    return check


def check_nodata(w):
    m = parsed(w)
    assert m.rcode() == dns.rcode.NOERROR and m.answer == [] and m.flags & dns.flags.AA, m
    assert [dns.rdatatype.to_text(r.rdtype) for r in m.authority] == ["SOA"], m


def check_nxdomain(w):
    m = parsed(w)
    assert m.rcode() == dns.rcode.NXDOMAIN and m.answer == [], m


def check_referral(w):
    m = parsed(w)
    assert m.rcode() == dns.rcode.NOERROR and not m.flags & dns.flags.AA and m.answer == [], m
    assert [dns.rdatatype.to_text(r.rdtype) for r in m.authority] == ["NS"], m
    assert sorted(dns.rdatatype.to_text(r.rdtype) for r in m.additional) == ["A", "AAAA"], m


def check_edns(do):
    def check(w):
        m = parsed(w)
        assert m.edns == 0 and bool(m.ednsflags & dns.flags.DO) == do, m
        assert answer_types(w) == ["A"], m
    return check


def check_big(tc):
    def check(w):
        m = parsed(w)
        assert m.rcode() == dns.rcode.NOERROR and is_tc(w) == tc, m
        if tc:
            assert len(w) <= 512
        else:
            assert len(m.answer) == 1 and len(m.answer[0]) == len(BIG_TXT), m
    return check


def check_refused(w):
    m = parsed(w)
    assert m.rcode() == dns.rcode.REFUSED, m
    assert not m.flags & dns.flags.RA, "forwarding is on: %s" % m


def check_any(w):
    m = parsed(w)
    assert m.rcode() == dns.rcode.NOERROR and m.answer, m


def check_chaos(w):
    m = parsed(w)
    assert m.rcode() == dns.rcode.NOERROR and answer_types(w) == ["TXT"], m


# (name, datagram, check of the reply, or None: no reply may come)
KINDS = [
    ("a-hit", q("www.alloc.test"), check_answer("A")),
    ("aaaa-hit", q("www.alloc.test", "AAAA"), check_answer("AAAA")),
    ("mixed-case", q("WwW.AlLoC.TeSt"), check_answer("A")),
    ("mx", q("alloc.test", "MX"), check_answer("MX")),
    ("txt", q("alloc.test", "TXT"), check_answer("TXT")),
    ("any", q("alloc.test", "ANY"), check_any),
    ("ns-apex", q("alloc.test", "NS"), check_answer("NS")),
    ("soa", q("alloc.test", "SOA"), check_answer("SOA")),
    ("nxdomain", q("nope.alloc.test"), check_nxdomain),
    ("nodata", q("www.alloc.test", "MX"), check_nodata),
    ("wildcard", q("anything.wild.alloc.test"), check_answer("A")),
    ("wildcard-nodata", q("anything.wild.alloc.test", "AAAA"), check_nodata),
    ("nanodns-wildcard", q("x.app.alloc.test"), check_answer("A")),
    ("cname-chain", q("c1.alloc.test"), check_answer("CNAME", "CNAME", "CNAME", "A")),
    ("referral", q("www.sub.alloc.test"), check_referral),
    ("referral-cut", q("sub.alloc.test", "NS"), check_referral),
    ("local", q("host.lan"), check_answer("A")),
    ("rewrite", q("blocked.alloc.example"), check_nxdomain),
    ("refused-outside", q("www.example.org"), check_refused),
    ("edns", q("www.alloc.test", use_edns=0, payload=1232), check_edns(False)),
    ("edns-do", q("www.alloc.test", use_edns=0, payload=1232, want_dnssec=True),
     check_edns(True)),
    ("edns-nsid", q("www.alloc.test", use_edns=0, payload=1232,
                    options=[dns.edns.GenericOption(dns.edns.NSID, b"")]), check_edns(False)),
    ("big-tc-512", q("big.alloc.test", "TXT"), check_big(tc=True)),
    ("big-edns-512", q("big.alloc.test", "TXT", use_edns=0, payload=512), check_big(tc=True)),
    ("big-edns-4096", q("big.alloc.test", "TXT", use_edns=0, payload=4096),
     check_big(tc=False)),
    ("chaos", q("version.bind", "TXT", "CH"), check_chaos),
    ("axfr-udp", q("alloc.test", "AXFR"), check_rcode(dns.rcode.REFUSED)),
    ("class-hs", q("www.alloc.test", "A", "HS"), check_rcode(dns.rcode.REFUSED)),
    ("badvers", hdr(ar=1) + qsec("www.alloc.test", 1) + opt_rr(ttl=1 << 16),
     check_rcode(dns.rcode.BADVERS)),
    ("notimp-opcode", hdr(flags=2 << 11) + qsec("www.alloc.test", 1),
     check_rcode(dns.rcode.NOTIMP)),
    ("formerr-qd2", hdr(qd=2) + qsec("www.alloc.test", 1) * 2, check_rcode(dns.rcode.FORMERR)),
    ("formerr-qd0", hdr(qd=0), check_rcode(dns.rcode.FORMERR)),
    ("formerr-cut-name", hdr() + b"\x03www\x05all", check_rcode(dns.rcode.FORMERR)),
    ("formerr-qtype-opt", hdr() + qsec("www.alloc.test", 41), check_rcode(dns.rcode.FORMERR)),
    ("formerr-bad-opt", hdr(ar=1) + qsec("www.alloc.test", 1)
     + opt_rr(rdata=struct.pack("!HH", 3, 10)), check_rcode(dns.rcode.FORMERR)),
    ("formerr-two-opt", hdr(ar=2) + qsec("www.alloc.test", 1) + opt_rr() + opt_rr(),
     check_rcode(dns.rcode.FORMERR)),
    ("drop-short", b"\x12\x34\x01\x00\x00", None),
    ("drop-response", hdr(flags=0x8180) + qsec("www.alloc.test", 1), None),
    ("drop-oversize", hdr() + qsec("www.alloc.test", 1) + b"\0" * 5000, None),
]
NO_REPLY = {"drop-short", "drop-response", "drop-oversize"}

CHECKS = {name: check for name, _, check in KINDS}


def with_id(wire, qid):
    return struct.pack("!H", qid) + wire[2:]


# ---- the shim's report ---------------------------------------------------------------------

def proc_threads(pid):
    """{tid: name} of the process's threads."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                out[int(tid)] = f.read().strip()
        except OSError:
            pass
    return out


def udp_drops(port):
    """Datagrams the kernel dropped on the sockets bound to 127.0.0.1:port (full buffers)."""
    want = "0100007F:%04X" % port
    with open("/proc/net/udp") as f:
        rows = [line.split() for line in f.readlines()[1:]]
    return sum(int(r[-1]) for r in rows if r[1] == want)


def voluntary_switches(pid, tid):
    with open("/proc/%d/task/%d/status" % (pid, tid)) as f:
        m = re.search(r"^voluntary_ctxt_switches:\s+(\d+)", f.read(), re.M)
    return int(m.group(1))


def read_report(srv, path, timeout=5.0):
    """Sends SIGUSR2 and returns the shim's report: {"count", "frees", "sites": [...]}."""
    path = Path(path)
    if path.exists():
        path.unlink()
    srv.send_signal(signal.SIGUSR2)
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert srv.alive(), "nanodns died on SIGUSR2 (shim not loaded?); stderr:\n%s" % srv.log
        assert time.monotonic() < deadline, \
            "the allocation shim wrote no report to %s within %ss" % (path, timeout)
        time.sleep(0.02)
    lines = path.read_text().splitlines()
    assert lines and lines[-1] == "end", lines
    head = lines[0].split()
    assert head[:2] == ["alloccount", "1"] and int(head[3]) == srv.proc.pid, lines[0]
    rep = {"sites": []}
    for line in lines[1:-1]:
        f = line.split()
        if f[0] in ("count", "frees", "sites"):
            rep[f[0] if f[0] != "sites" else "nsites"] = int(f[1])
        elif f[0] == "site":
            rep["sites"].append({"fn": f[1], "hits": int(f[2]), "size": int(f[3]),
                                 "frames": [int(x, 16) for x in f[4:]]})
    return rep


def resolve_frames(pid, frames):
    """'addr module+offset function file:line' for each frame (while the process lives)."""
    maps = []
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            p = line.split()
            if len(p) >= 6 and p[5].startswith("/"):
                lo, hi = (int(x, 16) for x in p[0].split("-"))
                maps.append((lo, hi, int(p[2], 16), p[5]))
    out = []
    for a in frames:
        # a return address points after the call: look one byte back for the call's line
        hit = next(((lo, off, path) for lo, hi, off, path in maps if lo <= a - 1 < hi), None)
        if not hit:
            out.append("%#x ?" % a)
            continue
        lo, off, path = hit
        vaddr = a - 1 - lo + off
        where = ""
        if shutil.which("addr2line"):
            try:
                r = subprocess.run(["addr2line", "-f", "-i", "-C", "-p", "-e", path,
                                    "%#x" % vaddr], capture_output=True, text=True, timeout=20)
                where = " ".join(r.stdout.split())
            except (OSError, subprocess.SubprocessError) as e:
                where = "(addr2line: %s)" % e
        out.append("%#x %s+%#x %s" % (a, os.path.basename(path), vaddr, where))
    return out


def describe_sites(pid, rep):
    lines = []
    for s in rep["sites"]:
        lines.append("%s(%d) x%d:" % (s["fn"], s["size"], s["hits"]))
        lines += ["    " + f for f in resolve_frames(pid, s["frames"])]
    return "\n".join(lines) or "(no call sites recorded)"


# ---- traffic ---------------------------------------------------------------------------------

class Clients:
    """SOCKETS connected UDP sockets, each talking from its own source port, so that they
    spread over the workers (the kernel hashes the 4-tuple over the SO_REUSEPORT group)."""

    def __init__(self, port):
        self.port = port
        self.socks = []
        for _ in range(SOCKETS):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.settimeout(REPLY_TIMEOUT)
            s.connect(("127.0.0.1", port))
            self.socks.append(s)

    def close(self):
        for s in self.socks:
            s.close()

    def run(self, fn):
        """Runs fn(index, sock) on every socket at once; returns the errors."""
        errors = []

        def body(i, s):
            try:
                fn(i, s)
            except Exception as e:  # noqa: BLE001 - collected and reported
                errors.append("socket %d: %r" % (i, e))

        ts = [threading.Thread(target=body, args=(i, s)) for i, s in enumerate(self.socks)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        assert not any(t.is_alive() for t in ts), "a client thread hung"
        return errors

    def settle(self):
        """Two queries in turn on every socket: the second one's answer means the worker
        has finished the batch that held the first, and so every earlier datagram of that
        socket, query log included (it is written after the replies are sent)."""
        def fn(i, s):
            for k in range(2):
                qid = 0xF000 + k
                s.send(with_id(KINDS[0][1], qid))
                while True:
                    r = s.recv(65535)
                    if struct.unpack("!H", r[:2])[0] == qid:
                        break
        errors = self.run(fn)
        assert errors == [], errors
        time.sleep(0.2)


def warm_up(clients):
    """Every kind from every socket, one at a time, each reply checked in full. Returns the
    expected header flags of each kind's reply (they do not depend on the ID)."""
    flags = {}
    lock = threading.Lock()

    def fn(i, s):
        for n, (name, wire, _) in enumerate(KINDS):
            qid = (i * 256 + n) & 0xFFFF
            s.send(with_id(wire, qid))
            if name in NO_REPLY:
                continue
            r = s.recv(65535)
            assert struct.unpack("!H", r[:2])[0] == qid, (name, r)
            try:
                CHECKS[name](r)
            except AssertionError as e:
                raise AssertionError("kind %s: %s" % (name, e)) from None
            with lock:
                prev = flags.setdefault(name, r[2:4])
            assert prev == r[2:4], (name, prev, r[2:4])
        # nothing came back for the kinds that must be dropped
        s.settimeout(0.2)
        try:
            extra = s.recv(65535)
            raise AssertionError("reply to a datagram that must be dropped: %r" % extra[:32])
        except socket.timeout:
            pass
        finally:
            s.settimeout(REPLY_TIMEOUT)

    errors = clients.run(fn)
    assert errors == [], "warm-up failed:\n" + "\n".join(errors[:3])
    return flags


def burst(clients, flags):
    """ROUNDS windows of WINDOW datagrams per socket, all kinds interleaved; every reply is
    matched by ID and its header flags (RCODE, TC, AA...) compared with the warm-up's.
    A datagram the kernel drops (a worker's receive buffer can fill) is only counted.
    Returns ({kind: datagrams sent}, replies received, replies lost)."""
    sent = {name: 0 for name, _, _ in KINDS}
    totals = {"received": 0, "lost": 0}
    lock = threading.Lock()

    def fn(i, s):
        mine = {name: 0 for name, _, _ in KINDS}
        received = lost = 0
        seq = i * 7
        s.settimeout(LOSS_TIMEOUT)
        try:
            for rnd in range(ROUNDS):
                outstanding = {}
                for j in range(WINDOW):
                    name, wire, _ = KINDS[(seq + j) % len(KINDS)]
                    qid = (rnd * WINDOW + j) & 0xFFFF
                    s.send(with_id(wire, qid))
                    mine[name] += 1
                    if name not in NO_REPLY:
                        outstanding[qid] = name
                seq += WINDOW + 1
                while outstanding:
                    try:
                        r = s.recv(65535)
                    except socket.timeout:
                        lost += len(outstanding)
                        break
                    qid = struct.unpack("!H", r[:2])[0]
                    if qid < rnd * WINDOW:
                        continue  # late, from a round already given up (counted as lost)
                    name = outstanding.pop(qid, None)
                    assert name is not None, "unexpected reply id %d in round %d" % (qid, rnd)
                    assert r[2:4] == flags[name], (name, r[2:4], flags[name])
                    received += 1
        finally:
            s.settimeout(REPLY_TIMEOUT)
            with lock:
                for k, v in mine.items():
                    sent[k] += v
                totals["received"] += received
                totals["lost"] += lost

    errors = clients.run(fn)
    assert errors == [], "burst failed:\n" + "\n".join(errors[:3])
    return sent, totals["received"], totals["lost"]


# ---- the test --------------------------------------------------------------------------------

def env_path(var):
    p = os.environ.get(var)
    if not p or not os.path.isfile(p):
        pytest.fail("%s is not set to a built file (got %r): run the system tests through "
                    "`make system`, which builds the release binary and the allocation shim "
                    "(mk/alloc.mk)" % (var, p))
    return p


@pytest.mark.parametrize("log_queries", [False, True], ids=["nolog", "log_queries"])
def test_no_allocation_on_udp_hot_path(tmp_path, monkeypatch, log_queries):
    rel_bin = env_path("NANODNS_REL_BIN")
    shim = env_path("NANODNS_ALLOC_SHIM")
    assert os.access(rel_bin, os.X_OK), rel_bin
    monkeypatch.setenv("NANODNS_BIN", rel_bin)  # the harness runs $NANODNS_BIN
    count_file = tmp_path / "alloc-count.txt"

    config = {
        "server": base_server(workers=WORKERS, udp_steering="hash", log_queries=log_queries, log_level="INFO"),
        "zones": CONFIG_ZONES,
        "records": CONFIG_RECORDS,
        "rewrites": CONFIG_REWRITES,
    }
    assert config["server"]["upstream"] == []  # nothing may be forwarded (udp_forward mallocs)
    cfg = write_config(tmp_path / "nanodns.json", config)
    srv = Server(["start", "--config", cfg, "--host", "127.0.0.1", "--port", "0"],
                 cwd=tmp_path,
                 env={"LD_PRELOAD": shim, "ALLOC_COUNT_FILE": str(count_file)})
    clients = None
    try:
        pid = srv.proc.pid
        with open("/proc/%d/maps" % pid) as f:
            assert os.path.realpath(shim) in f.read(), "the allocation shim is not loaded"
        udp = {tid: n for tid, n in proc_threads(pid).items() if n.startswith("nanodns-udp")}
        assert sorted(udp.values()) == ["nanodns-udp%d" % i for i in range(WORKERS)], \
            "the shim counts threads named nanodns-udp*; threads: %s" % proc_threads(pid)

        start = read_report(srv, count_file)
        clients = Clients(srv.port)
        flags = warm_up(clients)
        clients.settle()
        before = read_report(srv, count_file)  # the shim records call sites from here
        log_before = srv.log.count("Query: ")
        switches = {tid: voluntary_switches(pid, tid) for tid in udp}
        drops = udp_drops(srv.port)

        t0 = time.monotonic()
        sent, received, lost = burst(clients, flags)
        clients.settle()
        elapsed = time.monotonic() - t0
        after = read_report(srv, count_file)

        total = sum(sent.values())
        woke = {udp[tid]: voluntary_switches(pid, tid) - n for tid, n in switches.items()}
        drops = udp_drops(srv.port) - drops
        diff = after["count"] - before["count"]
        print("\nlog_queries=%s: allocations on UDP workers: %d at start, %d after warm-up, "
              "%d after a burst of %d datagrams (%d kinds, %d replies, %d lost, %d dropped by the "
              "kernel on full server sockets, %.1fs); "
              "UDP thread frees %d -> %d; worker wake-ups during the burst %s"
              % (log_queries, start["count"], before["count"], after["count"], total,
                 len(KINDS), received, lost, drops, elapsed, before["frees"], after["frees"], woke))
        sites = describe_sites(pid, after) if diff else ""
        if diff:
            print("allocation call sites during the burst:\n" + sites)

        # the burst was answered, reached every worker, and was logged when asked
        assert received >= 0.9 * (received + lost), "%d of %d replies lost" % (
            lost, received + lost)
        for name, n in woke.items():
            assert n >= 10, "worker %s saw almost none of the burst: %s" % (name, woke)
        logged = srv.log.count("Query: ") - log_before
        if log_queries:
            assert logged >= total // 2, "query log lines: %d for %d datagrams" % (logged, total)
        else:
            assert logged == 0, "query log lines with log_queries false: %d" % logged

        assert diff == 0, ("%d allocations on the UDP workers during a burst of %d datagrams "
                           "(log_queries=%s); call sites:\n%s" % (diff, total, log_queries, sites))
    finally:
        if clients:
            clients.close()
        srv.assert_clean_exit()
