"""Reloads under load: many reloads in a row while several clients query, over UDP (on
several worker threads) and over one long-lived TCP connection. Every reply must be valid and
must match the config of its moment.

Generation i (i = 0..RELOADS) of the config has its own data, so that a reply names the
generation it was built from, and a reply built from two generations (a torn read, a CNAME
chased in another snapshot than its start) is seen:

    gen.load.test     A      10.i.0.1 and 10.i.0.2        (both must be from one generation)
    alias.load.test   CNAME  gen.load.test                (the chased A RRset: one generation)
    hop.load.test     CNAME  h<i>.load.test               (the target exists in generation i
    h<i>.load.test    A      10.i.0.3                      only: a chase must not cross)
    txt.load.test     TXT    "gen=i"
    odd.load.test     A      10.i.0.5, in odd generations only; NXDOMAIN in even ones, with
                             the SOA (serial 1000+i) in authority
    load.test         SOA    serial 1000+i
    f<k>.load.test    A      10.i.(100+k/200).(1+k%200)   (filler: a bigger snapshot to build)

The test keeps two clocks: `started` (the generation whose file is being written and
reloaded; set before the file is written) and `published` (the last generation whose
POST /reload returned). A client reads `published` before it sends a query and `started`
after the reply came: the generation in the reply must lie between the two (a query sent
after reload i returned never sees an older generation; nothing is served before it is
loaded), and it never goes backwards for one client (each client asks one question at a
time). After each reload the main thread waits until every client has had two queries
answered that were sent after the reload returned (so every client sees every generation,
and the final one), then goes on to the next reload. Every query must be answered: no
timeouts, no retries.

The UDP clients each spread their queries over several source ports, so that the kernel's
SO_REUSEPORT hash hands them to both worker threads (checked through the workers' CPU time).
"""

import collections
import json
import os
import random
import socket
import threading
import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import pytest

from conftest import base_server, tcp_read_msg
from mgmthelp import NO_PULL, free_tcp_port, nodes  # noqa: F401

ZONE = "load.test"
RELOADS = 40                 # generations 1..RELOADS after generation 0
FILLER = 400                 # filler A records per generation
UDP_CLIENTS = 4
SOCKETS_PER_CLIENT = 4       # source ports per UDP client, spread over the workers
QUERY_TIMEOUT = 2.0          # per query, no retries
PER_GEN_QUERIES = 2          # answered queries per client sent after each reload returned
MIN_UDP_QUERIES = 4000       # in total over the UDP clients
RUN_LIMIT = 25.0             # seconds: a client gives up after this (the test then fails)
BARRIER_TIMEOUT = 10.0       # seconds for every client to see a new generation


def gen_config(mgmt_port, workers, i):
    """Generation i of the config (see the module docstring)."""
    s = base_server(mgmt_host="127.0.0.1", mgmt_port=mgmt_port, peers=[],
                    config_version=max(i, 1), workers=workers, udp_steering="hash",
                    log_queries=False)
    s.update(NO_PULL)
    records = [
        {"name": "ns1.load.test", "type": "A", "value": "192.0.2.53"},
        {"name": "gen.load.test", "type": "A", "value": "10.%d.0.1" % i},
        {"name": "gen.load.test", "type": "A", "value": "10.%d.0.2" % i},
        {"name": "alias.load.test", "type": "CNAME", "value": "gen.load.test"},
        {"name": "hop.load.test", "type": "CNAME", "value": "h%d.load.test" % i},
        {"name": "h%d.load.test" % i, "type": "A", "value": "10.%d.0.3" % i},
        {"name": "txt.load.test", "type": "TXT", "value": "gen=%d" % i},
    ]
    if i % 2:
        records.append({"name": "odd.load.test", "type": "A", "value": "10.%d.0.5" % i})
    records += [{"name": "f%d.load.test" % k, "type": "A", "value": filler_ip(i, k)}
                for k in range(FILLER)]
    zones = {ZONE: {"soa": {"serial": 1000 + i, "minimum": 60}, "ns": ["ns1.load.test"]}}
    return {"server": s, "zones": zones, "records": records}


def filler_ip(i, k):
    return "10.%d.%d.%d" % (i, 100 + k // 200, 1 + k % 200)


# ---- the checker: which generation a reply comes from --------------------------------------------

class Bad(Exception):
    """A reply that is wrong whatever the generation."""


def _n(text):
    return dns.name.from_text(text)


GEN, ALIAS, HOP, TXT, ODD, APEX = (_n(x) for x in (
    "gen.load.test", "alias.load.test", "hop.load.test", "txt.load.test", "odd.load.test",
    ZONE))


def _rrsets(section):
    return [(rr.name, rr.rdtype, sorted(rd.to_text() for rd in rr)) for rr in section]


def _octet_gen(ip, last):
    """The generation in an address 10.<gen>.0.<last>."""
    p = ip.split(".")
    if len(p) != 4 or p[0] != "10" or p[2] != "0" or p[3] != str(last):
        raise Bad("unexpected address %s" % ip)
    return int(p[1])


def _gen_a(name, rrset):
    """gen.load.test's A RRset: both addresses, one generation."""
    rname, rtype, texts = rrset
    if rname != name or rtype != dns.rdatatype.A or len(texts) != 2:
        raise Bad("expected the two A records of %s, got %r" % (name, rrset))
    gens = {}
    for ip in texts:
        p = ip.split(".")
        if len(p) != 4 or p[0] != "10" or p[2] != "0" or p[3] not in ("1", "2"):
            raise Bad("unexpected address %s" % ip)
        gens[p[3]] = int(p[1])
    if sorted(gens) != ["1", "2"]:
        raise Bad("expected 10.<gen>.0.1 and 10.<gen>.0.2, got %r" % texts)
    if gens["1"] != gens["2"]:
        raise Bad("torn A RRset: generations %d and %d in %r" % (gens["1"], gens["2"], texts))
    return gens["1"]


def _soa_gen(rrset):
    rname, rtype, texts = rrset
    if rname != APEX or rtype != dns.rdatatype.SOA or len(texts) != 1:
        raise Bad("expected the SOA of %s, got %r" % (ZONE, rrset))
    serial = int(texts[0].split()[2])
    if serial < 1000:
        raise Bad("SOA serial %d" % serial)
    return serial - 1000


def generation(qname, qtype, r):
    """The generation a reply was built from; Bad when it is not a valid reply of any one
    generation."""
    if not r.flags & dns.flags.QR or len(r.question) != 1 or r.question[0].name != qname \
            or r.question[0].rdtype != qtype:
        raise Bad("reply does not match the question")
    rc = r.rcode()
    if not r.flags & dns.flags.AA:
        raise Bad("AA not set on authoritative data")
    ans = _rrsets(r.answer)
    if qname == ODD:
        if rc == dns.rcode.NXDOMAIN:
            if ans:
                raise Bad("NXDOMAIN with an answer")
            auth = _rrsets(r.authority)
            if len(auth) != 1:
                raise Bad("NXDOMAIN authority is not the SOA alone: %r" % auth)
            g = _soa_gen(auth[0])
            if g % 2:
                raise Bad("NXDOMAIN for odd.load.test in odd generation %d" % g)
            return g
        if rc != dns.rcode.NOERROR or len(ans) != 1:
            raise Bad("odd.load.test: %s %r" % (dns.rcode.to_text(rc), ans))
        rname, rtype, texts = ans[0]
        if rname != ODD or rtype != dns.rdatatype.A or len(texts) != 1:
            raise Bad("odd.load.test: answer %r" % ans)
        g = _octet_gen(texts[0], 5)
        if g % 2 == 0:
            raise Bad("odd.load.test answered in even generation %d" % g)
        return g
    if rc != dns.rcode.NOERROR:
        raise Bad("rcode %s" % dns.rcode.to_text(rc))
    if qname == GEN:
        if len(ans) != 1:
            raise Bad("answer %r" % ans)
        return _gen_a(GEN, ans[0])
    if qname == ALIAS:
        if len(ans) != 2 or ans[0] != (ALIAS, dns.rdatatype.CNAME, ["gen.load.test."]):
            raise Bad("alias.load.test: answer %r" % ans)
        return _gen_a(GEN, ans[1])
    if qname == HOP:
        if len(ans) != 2 or ans[0][:2] != (HOP, dns.rdatatype.CNAME) or len(ans[0][2]) != 1:
            raise Bad("hop.load.test: answer %r" % ans)
        target = ans[0][2][0]
        if not (target.startswith("h") and target.endswith(".load.test.")):
            raise Bad("hop.load.test: target %s" % target)
        g = int(target[1:-len(".load.test.")])
        if ans[1] != (_n(target), dns.rdatatype.A, ["10.%d.0.3" % g]):
            raise Bad("hop.load.test: the chase ended outside generation %d: %r" % (g, ans))
        return g
    if qname == TXT:
        if len(ans) != 1 or ans[0][:2] != (TXT, dns.rdatatype.TXT) or len(ans[0][2]) != 1:
            raise Bad("txt.load.test: answer %r" % ans)
        t = ans[0][2][0]
        if not (t.startswith('"gen=') and t.endswith('"')):
            raise Bad("txt.load.test: %s" % t)
        return int(t[5:-1])
    if qname == APEX:
        if len(ans) != 1:
            raise Bad("SOA answer %r" % ans)
        return _soa_gen(ans[0])
    # a filler name f<k>.load.test
    k = int(qname.labels[0][1:])
    if len(ans) != 1 or ans[0][:2] != (qname, dns.rdatatype.A) or len(ans[0][2]) != 1:
        raise Bad("%s: answer %r" % (qname, ans))
    ip = ans[0][2][0]
    g = int(ip.split(".")[1])
    if ip != filler_ip(g, k):
        raise Bad("%s: address %s" % (qname, ip))
    return g


def questions(rng):
    """An endless mix of the questions above."""
    fixed = [(GEN, dns.rdatatype.A), (ALIAS, dns.rdatatype.A), (HOP, dns.rdatatype.A),
             (TXT, dns.rdatatype.TXT), (ODD, dns.rdatatype.A), (APEX, dns.rdatatype.SOA)]
    while True:
        if rng.random() < 0.2:
            yield _n("f%d.load.test" % rng.randrange(FILLER)), dns.rdatatype.A
        else:
            yield rng.choice(fixed)


# ---- clients -------------------------------------------------------------------------------------

class Clock:
    """`started`: the newest generation whose reload has begun (set before its file is
    written); `published`: the newest whose POST /reload returned."""

    def __init__(self):
        self.started = 0
        self.published = 0


class Client(threading.Thread):
    """One client: sequential queries, each checked against the clock and the client's
    previous reply."""

    def __init__(self, name, clock, stop, port, seed):
        super().__init__(daemon=True, name=name)
        self.clock, self.stop, self.port = clock, stop, port
        self.rng = random.Random(seed)
        self.sent = 0
        self.answered = 0
        self.timeouts = []
        self.errors = []
        self.bad = []
        self.last_gen = 0
        self.seen = collections.Counter()       # generation -> replies
        # (`published` at send, replies to queries sent with it): `published` only grows,
        # and the tuple is replaced in one step, so the main thread may read it any time
        self.progress = (0, 0)
        self.in_reload = [0, 0]  # replies to queries that met a reload: [old gen, new gen]

    def record(self, qname, qtype, lo, r):
        """Checks one reply; lo is `published` when the query was sent."""
        hi = self.clock.started
        self.answered += 1
        p = self.progress
        self.progress = (lo, p[1] + 1) if p[0] == lo else (lo, 1)
        try:
            g = generation(qname, qtype, r)
            if not lo <= g <= hi:
                raise Bad("generation %d outside [published at send %d, started at reply %d]"
                          % (g, lo, hi))
            if g < self.last_gen:
                raise Bad("generation went back from %d to %d" % (self.last_gen, g))
        except (Bad, ValueError, IndexError) as e:
            if len(self.bad) < 20:
                self.bad.append("%s %s %s: %s\n%s" % (self.name, qname,
                                                      dns.rdatatype.to_text(qtype), e, r))
            else:
                self.bad.append(None)
            return
        self.last_gen = g
        self.seen[g] += 1
        if lo < hi:
            self.in_reload[1 if g == hi else 0] += 1

    def running(self, t0, after_stop):
        """Goes on until stopped and `after_stop` holds, or the run limit is reached."""
        if time.monotonic() - t0 > RUN_LIMIT:
            self.errors.append("%s: still running after %ss" % (self.name, RUN_LIMIT))
            return False
        return not (self.stop.is_set() and after_stop())


class UdpClient(Client):
    def __init__(self, *a, min_queries=0, **kw):
        super().__init__(*a, **kw)
        self.min_queries = min_queries

    def run(self):
        t0 = time.monotonic()
        socks = []
        try:
            for _ in range(SOCKETS_PER_CLIENT):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.connect(("127.0.0.1", self.port))
                s.settimeout(QUERY_TIMEOUT)
            qs = questions(self.rng)
            while self.running(t0, lambda: self.sent >= self.min_queries):
                s = socks[self.sent % len(socks)]
                qname, qtype = next(qs)
                q = dns.message.make_query(qname, qtype)
                lo = self.clock.published
                s.send(q.to_wire())
                self.sent += 1
                try:
                    while True:
                        r = dns.message.from_wire(s.recv(65535))
                        if r.id == q.id:
                            break
                except socket.timeout:
                    self.timeouts.append("%s: %s %s (published %d) unanswered after %ss"
                                         % (self.name, qname, dns.rdatatype.to_text(qtype),
                                            lo, QUERY_TIMEOUT))
                    if len(self.timeouts) > 5:
                        return
                    continue
                self.record(qname, qtype, lo, r)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.errors.append("%s: %r" % (self.name, e))
        finally:
            for s in socks:
                s.close()


class TcpClient(Client):
    def __init__(self, *a, connect, **kw):
        super().__init__(*a, **kw)
        self.connect = connect

    def run(self):
        t0 = time.monotonic()
        try:
            with self.connect(timeout=QUERY_TIMEOUT) as s:
                qs = questions(self.rng)
                while self.running(t0, lambda: True):
                    qname, qtype = next(qs)
                    q = dns.message.make_query(qname, qtype)
                    w = q.to_wire()
                    lo = self.clock.published
                    s.sendall(len(w).to_bytes(2, "big") + w)
                    self.sent += 1
                    try:
                        r = dns.message.from_wire(tcp_read_msg(s))
                    except socket.timeout:
                        # the connection cannot be trusted after a lost reply: stop here
                        self.timeouts.append("%s: %s %s (published %d) unanswered after %ss"
                                             % (self.name, qname,
                                                dns.rdatatype.to_text(qtype), lo,
                                                QUERY_TIMEOUT))
                        return
                    if r.id != q.id:
                        self.errors.append("%s: reply id %d for query id %d"
                                           % (self.name, r.id, q.id))
                        return
                    self.record(qname, qtype, lo, r)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.errors.append("%s: %r" % (self.name, e))


# ---- the worker threads' CPU time ----------------------------------------------------------------

def udp_worker_ticks(pid):
    """{thread name: utime + stime in clock ticks} for the nanodns-udp* threads."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                comm = f.read().strip()
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                stat = f.read()
        except OSError:
            continue
        if comm.startswith("nanodns-udp"):
            fields = stat[stat.rindex(")") + 2:].split()
            out[comm] = int(fields[11]) + int(fields[12])  # utime, stime
    return out


# ---- the test ------------------------------------------------------------------------------------

@pytest.mark.parametrize("workers", [2, 1])
def test_reloads_under_load_every_reply_matches_its_generation(nodes, workers):
    mgmt_port = free_tcp_port()
    n = nodes(gen_config(mgmt_port, workers, 0))
    pid = n.srv.proc.pid
    ticks0 = udp_worker_ticks(pid)
    assert sorted(ticks0) == ["nanodns-udp%d" % k for k in range(workers)], ticks0
    assert n.version() == 1

    clock = Clock()
    stop = threading.Event()
    per_client = -(-MIN_UDP_QUERIES // UDP_CLIENTS)
    clients = [UdpClient("udp%d" % k, clock, stop, n.port, seed=k, min_queries=per_client)
               for k in range(UDP_CLIENTS)]
    clients.append(TcpClient("tcp", clock, stop, n.port, seed=99, connect=n.srv.tcp_connect))

    def barrier(i):
        """Waits until every client has had PER_GEN_QUERIES replies to queries sent after
        reload i returned; a client that died or had a timeout ends the wait at once."""
        deadline = time.monotonic() + BARRIER_TIMEOUT
        while True:
            dead = ["%s: %s" % (c.name, (c.errors + c.timeouts)[:3]) for c in clients
                    if not c.is_alive() or c.errors or c.timeouts]
            assert not dead, "generation %d: a client failed: %s (bad replies: %s)" % (
                i, dead, [b for c in clients for b in c.bad[:1]])
            if all(c.progress[0] >= i and c.progress[1] >= PER_GEN_QUERIES for c in clients):
                return
            assert time.monotonic() < deadline, \
                "the clients did not all see generation %d within %ss" % (i, BARRIER_TIMEOUT)
            time.sleep(0.005)

    rng = random.Random(7)
    reload_times = []
    t_start = time.monotonic()
    for c in clients:
        c.start()
    try:
        barrier(0)
        for i in range(1, RELOADS + 1):
            clock.started = i
            cfg = gen_config(mgmt_port, workers, i)
            (n.write if i % 2 else n.write_atomic)(cfg)
            t = time.monotonic()
            body = n.reload()
            reload_times.append(time.monotonic() - t)
            assert body["status"] == "reloaded" and body["version"] == i + 1, body
            assert body["records"] == len(cfg["records"]), body
            clock.published = i
            barrier(i)
            # sometimes the next reload follows at once, sometimes the clients get a while
            time.sleep(rng.choice((0, 0, 0.02, 0.1)))
    finally:
        stop.set()
        for c in clients:
            c.join(RUN_LIMIT + 2 * QUERY_TIMEOUT + 5)
    elapsed = time.monotonic() - t_start
    ticks1 = udp_worker_ticks(pid)

    udp = [c for c in clients if isinstance(c, UdpClient)]
    udp_total = sum(c.answered for c in udp)
    summary = ("workers=%d: %.1f s, %d UDP + %d TCP queries, reloads %.0f ms on average "
               "(max %.0f ms), worker CPU ticks %s -> %s" % (
                   workers, elapsed, udp_total, clients[-1].answered,
                   1000 * sum(reload_times) / max(len(reload_times), 1),
                   1000 * max(reload_times, default=0), ticks0, ticks1))
    print(summary)
    for c in clients:
        print("  %s: %d answered, generations seen %d, replies per generation: min %d, "
              "during a reload: %d old + %d new" % (
                  c.name, c.answered, len(c.seen), min(c.seen.values(), default=0),
                  *c.in_reload))

    assert not any(c.is_alive() for c in clients), "a client did not stop"
    for c in clients:
        assert c.timeouts == [], c.timeouts
        assert c.errors == [], c.errors
    for c in clients:
        bad = [b for b in c.bad if b]
        assert c.bad == [], "%d bad replies on %s, the first ones:\n%s" % (
            len(c.bad), c.name, "\n\n".join(bad))
    for c in clients:
        assert c.answered == c.sent
        # the barrier made every client see every generation, the final one last
        assert sorted(c.seen) == list(range(RELOADS + 1)), (c.name, sorted(c.seen))
        assert c.last_gen == RELOADS, (c.name, c.last_gen)
    assert udp_total >= MIN_UDP_QUERIES, summary
    # queries did meet the reloads (were in flight while one ran)
    assert sum(sum(c.in_reload) for c in clients) > 0, summary
    # the UDP queries (several source ports per client) reached every worker thread
    for w, t in ticks1.items():
        assert t > ticks0.get(w, 0), "worker %s never ran: %s" % (w, summary)

    # and the server still answers with the final generation, over both transports
    for tcp in (False, True):
        r = n.query("alias.load.test", "A", tcp=tcp)
        assert generation(ALIAS, dns.rdatatype.A, r) == RELOADS
    assert n.version() == RELOADS + 1
    assert json.loads(n.file_bytes())["server"]["config_version"] == RELOADS + 1
