"""RFC 2136 UPDATE over UDP and TCP with TSIG (RFC 8945): nsupdate from bind9-dnsutils and
dnspython against a zone open to a key and one open to 127.0.0.0/8; prerequisites, the
update operations and their rules, the answers for bad requests, and durability."""

import base64
import signal
import struct
import subprocess
import threading
import time
from unittest import mock

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update
import pytest

from conftest import Server, assert_nodata, base_server, only_rrset, rcode, write_config

SECRET = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
KEYRING = dns.tsigkeyring.from_text({"k1.": ("hmac-sha256", SECRET)})
WRONG = dns.tsigkeyring.from_text({"k1.": ("hmac-sha256", base64.b64encode(b"x" * 32).decode())})
UNKNOWN = dns.tsigkeyring.from_text({"k9.": ("hmac-sha256", SECRET)})


def config():
    return {
        "server": base_server(log_queries=False),
        "tsig_keys": {"k1": {"algorithm": "hmac-sha256", "secret": SECRET}},
        "zones": {
            "key.test": {"soa": {"serial": 10}, "ns": ["ns1.key.test", "ns2.key.test"],
                         "allow_update": ["key:k1"]},
            "open.test": {"soa": {"serial": 20}, "ns": ["ns1.open.test"],
                          "allow_update": ["127.0.0.0/8"]},
            "closed.test": {"soa": {"serial": 30}},
        },
        "records": [
            {"name": "ns1.key.test", "type": "A", "value": "10.0.0.53"},
            {"name": "ns2.key.test", "type": "A", "value": "10.0.0.54"},
            {"name": "ns1.open.test", "type": "A", "value": "10.0.1.53"},
            {"name": "www.key.test", "type": "A", "value": "10.0.0.1"},
            {"name": "www.key.test", "type": "A", "value": "10.0.0.2"},
            {"name": "alias.key.test", "type": "CNAME", "value": "www.key.test"},
            {"name": "www.open.test", "type": "A", "value": "10.0.1.1"},
        ],
    }


class Node:
    def __init__(self, tmp_path):
        self.dir = tmp_path
        self.cfg = write_config(tmp_path / "nanodns.json", config())
        self.start()

    def start(self):
        self.srv = Server(["start", "--config", self.cfg, "--host", "127.0.0.1", "--port", "0"],
                          cwd=self.dir)

    def send(self, upd, tcp=False):
        f = dns.query.tcp if tcp else dns.query.udp
        return f(upd, "127.0.0.1", port=self.srv.port, timeout=5)

    def serial(self, zone):
        m = self.srv.query(zone, "SOA")
        return only_rrset(m.answer, zone + ".", "SOA")[0].serial

    def values(self, name, rdtype):
        m = self.srv.query(name, rdtype)
        if rcode(m) != dns.rcode.NOERROR:
            return dns.rcode.to_text(rcode(m))
        return sorted(r.to_text() for rs in m.answer
                      if rs.rdtype == dns.rdatatype.from_text(rdtype) for r in rs)

    def nsupdate(self, script, key=True, tcp=False):
        args = ["nsupdate"] + (["-v"] if tcp else [])
        if key:
            args += ["-y", "hmac-sha256:k1:" + SECRET]
        p = subprocess.run(args, input="server 127.0.0.1 %d\n%s\nsend\n" % (self.srv.port, script),
                           capture_output=True, text=True, timeout=30)
        return p.returncode, p.stdout + p.stderr


@pytest.fixture
def node(tmp_path):
    n = Node(tmp_path)
    yield n
    if n.srv.alive():
        n.srv.assert_clean_exit()


def raw_reply(node, wire, keyring, request_mac):
    """Sends wire over UDP and parses the reply with its TSIG (dnspython's udp() keeps
    waiting past a reply whose TSIG it refuses, to resist spoofing)."""
    import socket
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(wire, ("127.0.0.1", node.srv.port))
        data = s.recv(65535)
    return dns.message.from_wire(data, keyring=keyring, request_mac=request_mac)


def upd(zone, keyring=KEYRING, keyname="k1."):
    u = dns.update.UpdateMessage(zone)
    if keyring is not None:
        u.use_tsig(keyring, keyname=keyname, algorithm=dns.tsig.HMAC_SHA256)
    return u


# ---- nsupdate -----------------------------------------------------------------------------

@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_nsupdate_with_key_adds_and_raises_serial(node, tcp):
    rc, out = node.nsupdate("zone key.test\nupdate add new.key.test 300 A 192.0.2.10\n"
                            "update add new.key.test 300 TXT \"hello\"", tcp=tcp)
    assert rc == 0, out  # nsupdate also checks the TSIG of our reply
    assert node.values("new.key.test", "A") == ["192.0.2.10"]
    assert node.values("new.key.test", "TXT") == ['"hello"']
    assert node.serial("key.test") == 11
    rc, out = node.nsupdate("zone key.test\nupdate delete new.key.test A", tcp=tcp)
    assert rc == 0, out
    assert_nodata(node.srv.query("new.key.test", "A"), "key.test.", 300)
    assert node.serial("key.test") == 12


def test_nsupdate_without_key_is_refused_where_a_key_is_needed(node):
    rc, out = node.nsupdate("zone key.test\nupdate add x.key.test 300 A 192.0.2.1", key=False)
    assert rc != 0 and "REFUSED" in out, out
    assert node.values("x.key.test", "A") == "NXDOMAIN"
    assert node.serial("key.test") == 10


def test_nsupdate_unsigned_from_an_allowed_address(node):
    rc, out = node.nsupdate("zone open.test\nprereq nxdomain h.open.test\n"
                            "update add h.open.test 60 AAAA 2001:db8::5", key=False)
    assert rc == 0, out
    assert node.values("h.open.test", "AAAA") == ["2001:db8::5"]
    rc, out = node.nsupdate("zone open.test\nprereq nxdomain h.open.test\n"
                            "update add h.open.test 60 AAAA 2001:db8::6", key=False)
    assert rc != 0 and "YXDOMAIN" in out, out
    assert node.values("h.open.test", "AAAA") == ["2001:db8::5"]
    assert node.serial("open.test") == 21


def test_nsupdate_wrong_secret_is_badsig(node):
    p = subprocess.run(["nsupdate", "-y", "hmac-sha256:k1:" + base64.b64encode(b"y" * 32).decode()],
                       input="server 127.0.0.1 %d\nzone key.test\nupdate add x.key.test 300 A "
                             "192.0.2.1\nsend\n" % node.srv.port,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "BADSIG" in p.stdout + p.stderr
    assert node.values("x.key.test", "A") == "NXDOMAIN"


def test_knsupdate_with_a_stale_clock_is_badtime(node):
    # faketime moves the client's clock an hour back: its Time Signed is outside our fudge.
    # (Knot's knsupdate: BIND's nsupdate does not run under libfaketime.) The reply is
    # signed and carries our time, which knsupdate prints.
    p = subprocess.run(["faketime", "-f", "-1h", "knsupdate", "-y", "hmac-sha256:k1:" + SECRET],
                       input="server 127.0.0.1 %d\nzone key.test.\nupdate add x.key.test. 300 A "
                             "192.0.2.1\nsend\n" % node.srv.port,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "BADTIME" in p.stdout + p.stderr, p.stdout + p.stderr
    assert node.values("x.key.test", "A") == "NXDOMAIN"


def test_knsupdate_from_knot(node):
    # Knot's client checks our signed reply too
    p = subprocess.run(["knsupdate", "-y", "hmac-sha256:k1:" + SECRET],
                       input="server 127.0.0.1 %d\nzone key.test.\nupdate add kn.key.test. 300 A "
                             "192.0.2.99\nsend\n" % node.srv.port,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    assert node.values("kn.key.test", "A") == ["192.0.2.99"]


# ---- TSIG answers (dnspython) ----------------------------------------------------------------

def test_unknown_key_is_badkey(node):
    u = upd("key.test", UNKNOWN, "k9.")
    u.add("x.key.test.", 300, "A", "192.0.2.1")
    wire = u.to_wire()
    with pytest.raises(dns.tsig.PeerBadKey):
        raw_reply(node, wire, u.keyring, u.mac)


def test_wrong_secret_is_badsig(node):
    u = upd("key.test", WRONG)
    u.add("x.key.test.", 300, "A", "192.0.2.1")
    wire = u.to_wire()
    with pytest.raises(dns.tsig.PeerBadSignature):
        raw_reply(node, wire, u.keyring, u.mac)
    assert node.values("x.key.test", "A") == "NXDOMAIN"


def test_stale_time_is_badtime(node):
    u = upd("key.test")
    u.add("x.key.test.", 300, "A", "192.0.2.1")
    with mock.patch("time.time", return_value=time.time() - 3600):
        wire = u.to_wire()
    # the reply is signed (over our MAC): dnspython checks it, then raises for the error
    with pytest.raises(dns.tsig.PeerBadTime):
        raw_reply(node, wire, u.keyring, u.mac)
    assert node.values("x.key.test", "A") == "NXDOMAIN"


def test_signed_reply_verifies(node):
    u = upd("key.test")
    u.add("s.key.test.", 300, "A", "192.0.2.9")
    r = node.send(u)  # dnspython verifies the reply's TSIG with the request's MAC
    assert r.rcode() == dns.rcode.NOERROR
    assert r.opcode() == dns.opcode.UPDATE
    assert r.had_tsig


# ---- prerequisites ---------------------------------------------------------------------------

@pytest.mark.parametrize("pre,expect", [
    (lambda u: u.present("www.key.test."), dns.rcode.NOERROR),           # name in use
    (lambda u: u.present("nope.key.test."), dns.rcode.NXDOMAIN),
    (lambda u: u.absent("nope.key.test."), dns.rcode.NOERROR),            # name not in use
    (lambda u: u.absent("www.key.test."), dns.rcode.YXDOMAIN),
    (lambda u: u.present("www.key.test.", "A"), dns.rcode.NOERROR),      # RRset exists
    (lambda u: u.present("www.key.test.", "MX"), dns.rcode.NXRRSET),
    (lambda u: u.absent("www.key.test.", "MX"), dns.rcode.NOERROR),       # RRset does not exist
    (lambda u: u.absent("www.key.test.", "A"), dns.rcode.YXRRSET),
    (lambda u: u.present("www.key.test.", "A", "10.0.0.2", "10.0.0.1"),   # value dependent
     dns.rcode.NOERROR),
    (lambda u: u.present("www.key.test.", "A", "10.0.0.1"), dns.rcode.NXRRSET),
    (lambda u: u.present("www.key.test.", "A", "10.0.0.1", "10.0.0.9"), dns.rcode.NXRRSET),
    (lambda u: u.present("www.other.test.", "A"), dns.rcode.NOTZONE),
], ids=["yxdomain-ok", "yxdomain-fail", "nxdomain-ok", "nxdomain-fail", "yxrrset-ok",
        "yxrrset-fail", "nxrrset-ok", "nxrrset-fail", "value-ok", "value-missing",
        "value-extra", "notzone"])
def test_prerequisites(node, pre, expect):
    u = upd("key.test")
    pre(u)
    u.add("p.key.test.", 300, "A", "192.0.2.7")
    r = node.send(u)
    assert r.rcode() == expect
    if expect == dns.rcode.NOERROR:
        assert node.values("p.key.test", "A") == ["192.0.2.7"]
        assert node.serial("key.test") == 11
    else:
        assert node.values("p.key.test", "A") == "NXDOMAIN"
        assert node.serial("key.test") == 10


# ---- update operations and their rules -------------------------------------------------------

def test_delete_rr_rrset_and_name(node):
    u = upd("key.test")
    u.delete("www.key.test.", "A", "10.0.0.1")                 # one RR (class NONE)
    assert node.send(u).rcode() == dns.rcode.NOERROR
    assert node.values("www.key.test", "A") == ["10.0.0.2"]
    u = upd("key.test")
    u.add("www.key.test.", 300, "TXT", "t")
    u.delete("www.key.test.", "A")                            # the RRset (class ANY)
    assert node.send(u).rcode() == dns.rcode.NOERROR
    assert_nodata(node.srv.query("www.key.test", "A"), "key.test.", 300)
    assert node.values("www.key.test", "TXT") == ['"t"']
    u = upd("key.test")
    u.delete("www.key.test.")                                 # the name (class ANY, type ANY)
    assert node.send(u).rcode() == dns.rcode.NOERROR
    assert node.values("www.key.test", "TXT") == "NXDOMAIN"
    assert node.serial("key.test") == 13


def test_apex_soa_and_ns_rules(node):
    u = upd("key.test")
    u.delete("key.test.")                                     # everything at the apex
    u.delete("key.test.", "NS")
    u.delete("key.test.", "SOA")
    u.delete("key.test.", "NS", "ns1.key.test.")
    u.delete("key.test.", "NS", "ns2.key.test.")              # the last NS stays
    assert node.send(u).rcode() == dns.rcode.NOERROR
    assert len(node.values("key.test", "NS")) == 1
    assert node.values("key.test", "SOA") != "NXDOMAIN"
    # a SOA with an older serial is ignored; a newer one sets the serial
    u = upd("key.test")
    u.add("key.test.", 300, "SOA", "ns1.key.test. admin.key.test. 5 3600 900 604800 300")
    assert node.send(u).rcode() == dns.rcode.NOERROR
    assert node.serial("key.test") == 11  # only the NS change above moved it
    u = upd("key.test")
    u.add("key.test.", 300, "SOA", "ns1.key.test. admin.key.test. 2025010100 3600 900 604800 300")
    assert node.send(u).rcode() == dns.rcode.NOERROR
    assert node.serial("key.test") == 2025010100


def test_cname_rules(node):
    u = upd("key.test")
    u.add("alias.key.test.", 300, "A", "192.0.2.1")       # beside a CNAME: ignored
    u.add("www.key.test.", 300, "CNAME", "x.key.test.")   # beside other data: ignored
    assert node.send(u).rcode() == dns.rcode.NOERROR
    assert node.serial("key.test") == 10
    m = node.srv.query("alias.key.test", "CNAME")
    assert only_rrset(m.answer, "alias.key.test.", "CNAME")[0].target.to_text() == "www.key.test."
    u = upd("key.test")
    u.add("alias.key.test.", 300, "CNAME", "other.key.test.")  # replaces the CNAME
    assert node.send(u).rcode() == dns.rcode.NOERROR
    m = node.srv.query("alias.key.test", "CNAME")
    assert only_rrset(m.answer, "alias.key.test.", "CNAME")[0].target.to_text() == "other.key.test."


def test_zone_checks(node):
    u = upd("other.test")
    u.add("x.other.test.", 300, "A", "192.0.2.1")
    assert node.send(u).rcode() == dns.rcode.NOTAUTH
    u = upd("closed.test")                                  # no allow_update
    u.add("x.closed.test.", 300, "A", "192.0.2.1")
    assert node.send(u).rcode() == dns.rcode.REFUSED
    u = upd("key.test")
    u.add("x.open.test.", 300, "A", "192.0.2.1")            # outside the zone
    assert node.send(u).rcode() == dns.rcode.NOTZONE
    u = upd("key.test")
    u.add("x.key.test.", 300, "ANY", r"\# 0")               # not a type one can add
    assert node.send(u).rcode() == dns.rcode.FORMERR
    u = upd("key.test")
    u.add("x.key.test.", 300, "A", "192.0.2.1")
    u.present("x.key.test.", "ANY", r"\# 0")                 # class IN prerequisite of type ANY
    assert node.send(u).rcode() == dns.rcode.FORMERR
    # a zone section that is not SOA: FORMERR
    q = dns.message.make_query("key.test", "A")
    q.set_opcode(dns.opcode.UPDATE)
    wire = q.to_wire()
    data = node.srv.udp_raw(wire)  # dnspython does not parse such a reply: by hand
    qid, flags, zo, pr, up, ad = struct.unpack("!HHHHHH", data[:12])
    assert qid == q.id and flags & 0x8000
    assert (flags >> 11) & 0xF == 5 and flags & 0xF == dns.rcode.FORMERR
    assert (zo, pr, up, ad) == (1, 0, 0, 0) and data[12:] == wire[12:]


def test_update_changes_survive_restart(node):
    rc, out = node.nsupdate("zone key.test\nupdate add keep.key.test 300 A 192.0.2.77\n"
                            "update delete www.key.test A 10.0.0.1")
    assert rc == 0, out
    node.srv.assert_clean_exit()
    node.start()
    assert node.values("keep.key.test", "A") == ["192.0.2.77"]
    assert node.values("www.key.test", "A") == ["10.0.0.2"]
    assert node.serial("key.test") == 11


def test_kill_9_during_a_stream_of_updates(node):
    acked = []
    stop = threading.Event()

    def stream():
        i = 0
        while not stop.is_set():
            i += 1
            u = upd("key.test")
            u.add("h%d.key.test." % i, 300, "A", "192.0.2.%d" % (i % 250 + 1))
            try:
                r = node.send(u, tcp=True)
            except Exception:
                return
            if r.rcode() == dns.rcode.NOERROR:
                acked.append(i)

    t = threading.Thread(target=stream)
    t.start()
    deadline = time.time() + 30
    while len(acked) < 15 and time.time() < deadline:
        time.sleep(0.05)
    node.srv.send_signal(signal.SIGKILL)
    node.srv.proc.wait(10)
    stop.set()
    t.join(30)
    assert len(acked) >= 15
    node.start()
    for i in acked:
        assert node.values("h%d.key.test" % i, "A") == ["192.0.2.%d" % (i % 250 + 1)], i
    assert node.serial("key.test") >= 10 + len(acked)



@pytest.mark.parametrize("zone", ["type-a", "none"])
def test_formerr_for_the_zone_section_is_signed(node, zone):
    # RFC 8945 5.3: the reply to a signed request that verified is signed, FORMERR too
    q = dns.message.make_query("key.test", "A")
    q.set_opcode(dns.opcode.UPDATE)
    if zone == "none":
        q.question = []
    q.use_tsig(KEYRING, keyname="k1.", algorithm=dns.tsig.HMAC_SHA256)
    data = node.srv.udp_raw(q.to_wire())
    flags, arcount = struct.unpack("!H", data[2:4])[0], struct.unpack("!H", data[10:12])[0]
    assert flags & 0xF == dns.rcode.FORMERR and arcount == 1
    if zone == "type-a":  # dnspython parses no UPDATE whose zone is not SOA: the MAC is there
        assert data[-40:-38] == struct.pack("!H", 32) and data[-6:] == data[:2] + b"\0" * 4
        return
    # dnspython checks the reply's MAC over the request's while it parses
    r = dns.message.from_wire(data, keyring=KEYRING, request_mac=q.mac)
    assert r.had_tsig and r.rcode() == dns.rcode.FORMERR


def test_an_update_that_changes_nothing_keeps_the_serial(node):
    # as BIND: the serial moves only when the zone's data does (RFC 2136 3.6)
    u = upd("key.test")
    u.add("alias.key.test.", 300, "CNAME", "www.key.test.")   # the CNAME replaced by itself
    assert node.send(u).rcode() == dns.rcode.NOERROR
    u = upd("key.test")
    u.add("n.key.test.", 60, "A", "192.0.2.3")                 # added, then deleted
    u.delete("n.key.test.", "A")
    assert node.send(u).rcode() == dns.rcode.NOERROR
    u = upd("key.test")
    u.delete("www.key.test.", "A")                            # deleted, then put back
    u.add("www.key.test.", 300, "A", "10.0.0.2")
    u.add("www.key.test.", 300, "A", "10.0.0.1")
    assert node.send(u).rcode() == dns.rcode.NOERROR
    assert node.serial("key.test") == 10
    assert node.values("n.key.test", "A") == "NXDOMAIN"
    assert node.values("www.key.test", "A") == ["10.0.0.1", "10.0.0.2"]
    u = upd("key.test")
    u.add("alias.key.test.", 60, "CNAME", "www.key.test.")    # a new TTL is a change
    assert node.send(u).rcode() == dns.rcode.NOERROR
    assert node.serial("key.test") == 11


def test_zone_class_any_is_notauth(node):
    # RFC 2136 3.1.1: ZNAME and ZCLASS must name a zone of ours, else NOTAUTH; ours are IN
    u = upd("open.test", None)
    u.add("x.open.test.", 300, "A", "192.0.2.1")
    wire = bytearray(u.to_wire())
    at = 12 + len(dns.name.from_text("open.test.").to_wire()) + 2
    assert wire[at:at + 2] == struct.pack("!H", 1)
    wire[at:at + 2] = struct.pack("!H", 255)                  # ZCLASS ANY
    data = node.srv.udp_raw(bytes(wire))
    assert struct.unpack("!H", data[2:4])[0] & 0xF == dns.rcode.NOTAUTH
    assert node.values("x.open.test", "A") == "NXDOMAIN"
    assert node.serial("open.test") == 20


def test_an_rrset_too_large_to_answer_is_refused(node):
    # two updates of 200 TXT RRs of 250 bytes: the RRset would exceed any DNS message and
    # could never be answered, even over TCP; the second update fails and changes nothing
    def txts(part):
        u = upd("key.test")
        for i in range(200):
            u.add("big.key.test.", 300, "TXT", '"%d-%03d%s"' % (part, i, "x" * 245))
        return node.send(u, tcp=True).rcode()
    assert txts(0) == dns.rcode.NOERROR
    assert txts(1) == dns.rcode.SERVFAIL
    assert node.serial("key.test") == 11
    m = node.srv.query("big.key.test", "TXT", tcp=True)
    assert not m.flags & dns.flags.TC and len(only_rrset(m.answer, "big.key.test.", "TXT")) == 200
