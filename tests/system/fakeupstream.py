"""A scriptable fake upstream DNS server for the forwarder's system tests.

One FakeUpstream listens on UDP and TCP on the same random port of 127.0.0.1 (or ::1), in
background threads, and answers each name the way the test scripted it:

    with FakeUpstream() as up:
        up.answer("www.fwd.test", "A", ["192.0.2.1"], ttl=300)
        up.nxdomain("gone.fwd.test", soa_ttl=300, minimum=60)
        up.silent("hang.fwd.test")
        ...
        up.queries("www.fwd.test")   # every query it received for that name

Behaviours (one per name, or per name and type):
  answer   the given RRs (answer, authority, additional sections), AA set; with `tc_udp`
           the UDP reply is truncated (TC, question only) and the full answer comes over TCP;
           an answer bigger than the query's EDNS payload (512 without EDNS) is truncated the
           same way over UDP, as a real server does
  nxdomain / nodata   with an SOA in the authority section (or without, soa=False)
  rcode    an empty reply with that RCODE (SERVFAIL, REFUSED, FORMERR, NOTIMP, ...)
  silent   never answers
  raw      a reply built by a function from the query (hand-made wire, garbage)
`tcp_close` makes the TCP side close the connection without answering.
Every behaviour takes `delay` (seconds before the right reply) and `spoof`: replies sent
before the right one that a forwarder must ignore - "wrong_id" (ID + 1), "wrong_question"
(another name, right ID), "other_port" (right ID and question, from another socket of the
same address), "other_addr" (from 127.0.0.2, same port); each carries SPOOF_ADDR as its
data. `spoof_only` leaves out the right reply.

Unscripted names get NXDOMAIN without SOA (not cacheable), so the harness's start-up probe
(conftest.PROBE_NAME) is answered at once and takes no cache slot.

Every query is recorded as a Received (protocol, wire, source port, ID, RD, EDNS, DO,
payload, name as received, type, arrival time).
"""

import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

SPOOF_ADDR = "203.0.113.66"
# The OPT the fake puts in its replies: a forwarder must never relay it.
FAKE_PAYLOAD = 4096
FAKE_NSID = b"fake-upstream"


@dataclass
class Received:
    proto: str              # "udp" or "tcp"
    wire: bytes
    sport: int
    id: int
    qname: Optional[str]    # as received (case kept), with the trailing dot; None: unparsable
    rdtype: Optional[str]
    rd: bool
    edns: bool
    do: bool
    payload: Optional[int]  # EDNS UDP payload, None without EDNS
    options: list
    time: float


@dataclass
class Script:
    kind: str                                   # answer nxdomain nodata rcode silent raw
    answer: list = field(default_factory=list)  # [(name, ttl, type, [rdata text])]
    authority: list = field(default_factory=list)
    additional: list = field(default_factory=list)
    rcode: int = dns.rcode.NOERROR
    tc_udp: bool = False
    delay: float = 0.0
    spoof: tuple = ()
    spoof_only: bool = False
    raw: Optional[Callable] = None              # raw(query: dns.message.Message) -> bytes
    aa: bool = True
    tcp_close: bool = False                     # over TCP: close without answering


def soa_rr(zone, ttl=300, minimum=300, serial=2024010101):
    zone = zone.rstrip(".") + "."
    return (zone, ttl, "SOA", ["ns1.%s hostmaster.%s %d 3600 900 604800 %d"
                               % (zone, zone, serial, minimum)])


def make_rrset(name, ttl, rdtype, values):
    return dns.rrset.from_text_list(name, ttl, "IN", rdtype, list(values))


def parent_zone(name):
    labels = name.rstrip(".").split(".")
    return ".".join(labels[1:]) + "." if len(labels) > 1 else "."


class FakeUpstream:
    def __init__(self, host="127.0.0.1"):
        self.host = host
        self.family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.scripts = {}
        self.received = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = []
        self.udp = None
        self.tcp = None
        self.port = None

    # ---- life cycle ---------------------------------------------------------------------------
    def start(self):
        for _ in range(50):
            u = socket.socket(self.family, socket.SOCK_DGRAM)
            u.bind((self.host, 0))
            port = u.getsockname()[1]
            t = socket.socket(self.family, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                t.bind((self.host, port))
            except OSError:
                u.close()
                t.close()
                continue
            t.listen(64)
            self.udp, self.tcp, self.port = u, t, port
            break
        else:
            raise RuntimeError("no free port for the fake upstream")
        self.udp.settimeout(0.05)
        self.tcp.settimeout(0.05)
        self._spawn(self._udp_loop)
        self._spawn(self._tcp_loop)
        return self

    def stop(self):
        self.stopping.set()
        for t in list(self.threads):
            t.join(5)
        self.udp.close()
        self.tcp.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _spawn(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        with self.lock:
            self.threads = [x for x in self.threads if x.is_alive()]
            self.threads.append(t)
        t.start()
        return t

    @property
    def addr(self):
        """The upstream entry for a config: "127.0.0.1:PORT" or "[::1]:PORT"."""
        if self.family == socket.AF_INET6:
            return "[%s]:%d" % (self.host, self.port)
        return "%s:%d" % (self.host, self.port)

    # ---- scripting ----------------------------------------------------------------------------
    @staticmethod
    def _key(name, rdtype=None):
        name = name.lower().rstrip(".") + "."
        return (name, dns.rdatatype.from_text(rdtype) if rdtype else None)

    def script(self, name, rdtype, s):
        with self.lock:
            self.scripts[self._key(name, rdtype)] = s
        return s

    def answer(self, name, rdtype, values, ttl=300, authority=(), additional=(), **kw):
        """`values`: rdata texts of the answer RRset (owner `name`). authority/additional:
        [(name, ttl, type, [rdata text])]."""
        name = name.rstrip(".") + "."
        return self.script(name, rdtype, Script(
            "answer", answer=[(name, ttl, rdtype, list(values))] if values else [],
            authority=list(authority), additional=list(additional), **kw))

    def answer_sections(self, name, rdtype, answer=(), authority=(), additional=(), **kw):
        return self.script(name, rdtype, Script("answer", answer=list(answer),
                                                authority=list(authority),
                                                additional=list(additional), **kw))

    def nxdomain(self, name, rdtype=None, soa=True, soa_ttl=300, minimum=300, zone=None, **kw):
        auth = [soa_rr(zone or parent_zone(name), soa_ttl, minimum)] if soa else []
        return self.script(name, rdtype, Script("answer", rcode=dns.rcode.NXDOMAIN,
                                                authority=auth, **kw))

    def nodata(self, name, rdtype=None, soa=True, soa_ttl=300, minimum=300, zone=None, **kw):
        auth = [soa_rr(zone or parent_zone(name), soa_ttl, minimum)] if soa else []
        return self.script(name, rdtype, Script("answer", authority=auth, **kw))

    def rcode(self, name, rcode, rdtype=None, **kw):
        return self.script(name, rdtype, Script("answer", rcode=rcode, **kw))

    def silent(self, name, rdtype=None):
        return self.script(name, rdtype, Script("silent"))

    def raw(self, name, rdtype, fn, **kw):
        return self.script(name, rdtype, Script("raw", raw=fn, **kw))

    def _lookup(self, qname, rdtype):
        with self.lock:
            k = self._key(qname)
            return (self.scripts.get((k[0], rdtype)) or self.scripts.get(k)
                    or Script("answer", rcode=dns.rcode.NXDOMAIN))

    # ---- the query log ------------------------------------------------------------------------
    def queries(self, name=None, rdtype=None, proto=None):
        """Queries received, oldest first; filtered by name (any case), type, protocol."""
        with self.lock:
            out = list(self.received)
        if name is not None:
            n = name.lower().rstrip(".") + "."
            out = [r for r in out if r.qname is not None and r.qname.lower() == n]
        if rdtype is not None:
            out = [r for r in out if r.rdtype == rdtype]
        if proto is not None:
            out = [r for r in out if r.proto == proto]
        return out

    def count(self, name=None, rdtype=None, proto=None):
        return len(self.queries(name, rdtype, proto))

    def wait_queries(self, name, n=1, timeout=3.0, rdtype=None, proto=None):
        """Waits until at least n queries for name arrived; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.queries(name, rdtype, proto)
            if len(got) >= n or time.monotonic() > deadline:
                return got
            time.sleep(0.01)

    def clear(self):
        with self.lock:
            self.received = []

    def _record(self, proto, wire, sport):
        rec = Received(proto, wire, sport, None, None, None, False, False, False, None, [],
                       time.monotonic())
        q = None
        try:
            q = dns.message.from_wire(wire)
        except Exception:
            if len(wire) >= 2:
                rec.id = struct.unpack("!H", wire[:2])[0]
        if q is not None:
            rec.id = q.id
            rec.rd = bool(q.flags & dns.flags.RD)
            rec.edns = q.edns >= 0
            rec.do = bool(q.ednsflags & dns.flags.DO)
            rec.payload = q.payload if q.edns >= 0 else None
            rec.options = list(q.options)
            if q.question:
                rec.qname = q.question[0].name.to_text()
                rec.rdtype = dns.rdatatype.to_text(q.question[0].rdtype)
        with self.lock:
            self.received.append(rec)
        return q

    # ---- replies ------------------------------------------------------------------------------
    def _response(self, q, s):
        r = dns.message.make_response(q, recursion_available=True)
        if s.aa:
            r.flags |= dns.flags.AA
        r.set_rcode(s.rcode)
        if q.edns >= 0:
            r.use_edns(0, 0, FAKE_PAYLOAD,
                       options=[dns.edns.GenericOption(dns.edns.NSID, FAKE_NSID)])
        for sect, items in ((r.answer, s.answer), (r.authority, s.authority),
                            (r.additional, s.additional)):
            for name, ttl, rdtype, values in items:
                sect.append(make_rrset(name, ttl, rdtype, values))
        return r

    @staticmethod
    def _truncated(q):
        r = dns.message.make_response(q, recursion_available=True)
        r.flags |= dns.flags.TC | dns.flags.AA
        if q.edns >= 0:
            r.use_edns(0, 0, FAKE_PAYLOAD)
        return r.to_wire()

    def _reply_wire(self, q, s, proto):
        if s.kind == "raw":
            return s.raw(q)
        full = self._response(q, s).to_wire(max_size=65535)
        if proto == "udp":
            limit = max(q.payload, 512) if q.edns >= 0 else 512
            if s.tc_udp or len(full) > limit:
                return self._truncated(q)
        return full

    def _spoof_wire(self, q, kind):
        r = dns.message.make_response(q, recursion_available=True)
        r.flags |= dns.flags.AA
        qn = q.question[0].name
        if kind == "wrong_question":
            qn = dns.name.Name([b"spoofed"]).concatenate(qn)
            r.question = [dns.rrset.RRset(qn, dns.rdataclass.IN, q.question[0].rdtype)]
        if kind == "wrong_id":
            r.id = (q.id + 1) & 0xFFFF
        r.answer.append(make_rrset(qn, 300, "A", [SPOOF_ADDR]))
        return r.to_wire()

    def _send_spoofs(self, q, s, peer):
        for kind in s.spoof:
            wire = self._spoof_wire(q, kind)
            if kind in ("wrong_id", "wrong_question"):
                self.udp.sendto(wire, peer)
            elif kind in ("other_port", "other_addr"):
                src = (self.host, 0)
                if kind == "other_addr":
                    assert self.family == socket.AF_INET
                    src = ("127.0.0.2", self.port)
                with socket.socket(self.family, socket.SOCK_DGRAM) as o:
                    o.bind(src)
                    o.sendto(wire, peer)
            else:
                raise ValueError("unknown spoof %r" % kind)

    def _handle_udp(self, wire, peer):
        q = self._record("udp", wire, peer[1])
        if q is None or not q.question:
            return
        s = self._lookup(q.question[0].name.to_text(), q.question[0].rdtype)
        if s.kind == "silent":
            return
        try:
            if s.spoof:
                self._send_spoofs(q, s, peer)
            if s.delay:
                self.stopping.wait(s.delay)
            if s.spoof_only or self.stopping.is_set():
                return
            self.udp.sendto(self._reply_wire(q, s, "udp"), peer)
        except OSError:
            pass

    def _udp_loop(self):
        while not self.stopping.is_set():
            try:
                wire, peer = self.udp.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self._spawn(self._handle_udp, wire, peer)

    def _tcp_loop(self):
        while not self.stopping.is_set():
            try:
                conn, peer = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self._spawn(self._handle_tcp, conn, peer)

    def _handle_tcp(self, conn, peer):
        conn.settimeout(0.1)
        buf = b""
        with conn:
            while not self.stopping.is_set():
                try:
                    data = conn.recv(65535)
                except socket.timeout:
                    continue
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                    n = struct.unpack("!H", buf[:2])[0]
                    wire, buf = buf[2:2 + n], buf[2 + n:]
                    q = self._record("tcp", wire, peer[1])
                    if q is None or not q.question:
                        return
                    s = self._lookup(q.question[0].name.to_text(), q.question[0].rdtype)
                    if s.tcp_close:
                        return
                    if s.kind == "silent" or s.spoof_only:
                        continue
                    if s.delay:
                        self.stopping.wait(s.delay)
                    out = self._reply_wire(q, s, "tcp")
                    try:
                        conn.sendall(struct.pack("!H", len(out)) + out)
                    except OSError:
                        return


# ---- hand-made wire -----------------------------------------------------------------------------

def _label_seq(text):
    out = b""
    for label in text.split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out


def _ptr(off):
    return struct.pack("!H", 0xC000 | off)


def compressed_reply(q, ttl=300):
    """A reply to `q` (an MX question for N) written by hand, with compression pointers in
    RDATA everywhere a name may be compressed (RFC 3597 section 4: the RFC 1035 types):

      answer      N CNAME target.N                 (target: "target" + pointer to N)
                  target.N MX 10 mail.target.N     (owner and exchange: pointers)
      authority   parent(N) NS ns1.parent(N)        (owner pointer into the question)
                  parent(N) SOA ns1.parent(N) hostmaster.parent(N) ...  (both compressed)
      additional  ns1.parent(N) A 192.0.2.53       (owner: pointer into the NS RDATA)

    Copying this RDATA byte for byte into another message would point at the wrong bytes."""
    qname = q.question[0].name.to_wire()  # uncompressed, as the forwarder asked it
    qtype = q.question[0].rdtype
    hdr = struct.pack("!HHHHHH", q.id, 0x8400 | (q.flags & 0x0100) | 0x0080, 1, 2, 2, 1)
    msg = bytearray(hdr)
    q_off = len(msg)
    msg += qname + struct.pack("!HH", qtype, 1)
    parent_off = q_off + 1 + qname[0]  # the name after the first label

    def rr(owner, rtype, rdata):
        msg.extend(owner + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)))
        start = len(msg)
        msg.extend(rdata)
        return start

    # N CNAME target.N
    t = rr(_ptr(q_off), dns.rdatatype.CNAME, _label_seq("target") + _ptr(q_off))
    target_off = t
    # target.N MX 10 mail.target.N
    rr(_ptr(target_off), dns.rdatatype.MX, struct.pack("!H", 10) + _label_seq("mail")
       + _ptr(target_off))
    # parent NS ns1.parent
    ns = rr(_ptr(parent_off), dns.rdatatype.NS, _label_seq("ns1") + _ptr(parent_off))
    ns1_off = ns
    # parent SOA ns1.parent hostmaster.parent 7 3600 900 604800 60
    rr(_ptr(parent_off), dns.rdatatype.SOA, _ptr(ns1_off) + _label_seq("hostmaster")
       + _ptr(parent_off) + struct.pack("!IIIII", 7, 3600, 900, 604800, 60))
    # ns1.parent A 192.0.2.53
    rr(_ptr(ns1_off), dns.rdatatype.A, socket.inet_aton("192.0.2.53"))
    return bytes(msg)


def compressed_target_reply(q, ttl=300):
    """A reply to `q` with one answer RR of the question's type (PTR, SRV, NAPTR, RP, AFSDB,
    KX, PX, MINFO...) whose RDATA names are compressed against the question name: each is
    "<label>" + a pointer to the question name. Compression is forbidden for these types
    after RFC 1035 but seen in the wild; a forwarder must read them and write them out
    whole."""
    qname = q.question[0].name.to_wire()
    qtype = q.question[0].rdtype
    name = lambda label: _label_seq(label) + _ptr(12)
    rdata = {
        dns.rdatatype.PTR: name("host"),
        dns.rdatatype.SRV: struct.pack("!HHH", 0, 5, 5060) + name("sip"),
        dns.rdatatype.NAPTR: struct.pack("!HH", 100, 10) + b"\x01S" + b"\x07SIP+D2U" + b"\x00"
        + name("_sip._udp"),
        dns.rdatatype.RP: name("mbox") + name("txt"),
        dns.rdatatype.AFSDB: struct.pack("!H", 1) + name("afs"),
        dns.rdatatype.MINFO: name("rmail") + name("email"),
    }[qtype]
    hdr = struct.pack("!HHHHHH", q.id, 0x8400 | (q.flags & 0x0100) | 0x0080, 1, 1, 0, 0)
    return (hdr + qname + struct.pack("!HH", qtype, 1) + _ptr(12)
            + struct.pack("!HHIH", qtype, 1, ttl, len(rdata)) + rdata)


def garbage_reply(q):
    """Right ID and question, then an answer count of 1 and a record cut short."""
    qname = q.question[0].name.to_wire()
    hdr = struct.pack("!HHHHHH", q.id, 0x8180, 1, 1, 0, 0)
    return hdr + qname + struct.pack("!HH", q.question[0].rdtype, 1) + b"\xc0\x0c\x00\x01\x00"
