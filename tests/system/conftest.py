"""System-test harness: runs the real nanodns binary on 127.0.0.1.

The binary comes from $NANODNS_BIN (the Makefile's `make system` points it at the
ASan+UBSan build). Every server is started with `--host 127.0.0.1 --port 0`; the port it
picked is read from its "NanoDNS listening on udp 127.0.0.1:PORT" log line. stderr and
stdout are drained by background threads so that the per-query log never fills a pipe.

At teardown a server gets SIGTERM and must exit with status 0 within 10 s, and its output
must hold no AddressSanitizer, LeakSanitizer or UBSan report.

A server counts as started once it has logged both 'listening' lines and answered one UDP
query (the lines are logged before its signal handlers are installed).

Tests talk to 127.0.0.1 only; configs set "upstream": [] so nothing could be forwarded.
"""

import contextlib
import json
import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdataclass
import dns.rcode
import dns.rdatatype
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# The shared reference folder lives beside the repository (../shared/reference).
REFERENCE_DIR = REPO_ROOT.parent / "shared" / "reference"

QUERY_TIMEOUT = 2.0
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0

LISTEN_RE = re.compile(r"NanoDNS listening on udp 127\.0\.0\.1:(\d+)")
LISTEN_TCP_RE = r"NanoDNS listening on tcp 127\.0\.0\.1:%d\b"
PROBE_NAME = "nanodns-test-probe.invalid."

SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error",
                     "UndefinedBehaviorSanitizer")


def nanodns_bin():
    path = os.environ.get("NANODNS_BIN")
    if not path:
        for cand in (REPO_ROOT / "build" / "san" / "nanodns", REPO_ROOT / "build" / "nanodns"):
            if cand.exists():
                path = str(cand)
                break
    if not path or not os.access(path, os.X_OK):
        pytest.fail("NANODNS_BIN is not set to an executable nanodns binary (got %r)" % path)
    return path


def sanitizer_report(text):
    """Returns the first sanitizer marker found in text, or None."""
    for m in SANITIZER_MARKERS:
        if m in text:
            return m
    return None


def run_cli(*args, timeout=20, cwd=None, input=None):
    """Runs a short-lived nanodns command; fails the test on a sanitizer report."""
    p = subprocess.run([nanodns_bin(), *map(str, args)], capture_output=True, text=True,
                       timeout=timeout, cwd=cwd, input=input)
    marker = sanitizer_report(p.stderr + p.stdout)
    assert marker is None, "sanitizer report (%s) from nanodns %s:\n%s" % (marker, args, p.stderr)
    return p


def free_port():
    """A port that was free on 127.0.0.1 for both UDP and TCP a moment ago (only for the tests
    whose log level hides the 'listening' line)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                    t.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


class _Drain(threading.Thread):
    """Reads a pipe into a buffer until EOF."""

    def __init__(self, pipe):
        super().__init__(daemon=True)
        self.pipe = pipe
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.chunks = []

    def run(self):
        while True:
            data = self.pipe.read1(65536) if hasattr(self.pipe, "read1") else self.pipe.read(4096)
            if not data:
                break
            with self.cond:
                self.chunks.append(data)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def text(self):
        with self.lock:
            return b"".join(self.chunks).decode("utf-8", "replace")


class Server:
    """A running nanodns process."""

    def __init__(self, args, cwd, port=None, wait_listen=True, env=None):
        self.args = [nanodns_bin(), *map(str, args)]
        self.cwd = cwd
        self.env = dict(os.environ)
        # Make sure leaks are reported and any sanitizer report ends the process.
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        if env:
            self.env.update(env)
        self.port = port
        self.returncode = None
        self._spawn()
        if not wait_listen:
            return
        try:
            self.port = self._wait_listening()
        except BaseException:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._err.join(2)
            raise

    def _spawn(self):
        self.proc = subprocess.Popen(self.args, cwd=self.cwd, env=self.env,
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._err = _Drain(self.proc.stderr)
        self._out = _Drain(self.proc.stdout)
        self._err.start()
        self._out.start()

    # ---- output ---------------------------------------------------------------------------
    @property
    def log(self):
        """Everything the server wrote to stderr so far."""
        return self._err.text()

    @property
    def stdout(self):
        return self._out.text()

    def log_lines(self):
        return self.log.splitlines()

    def wait_log(self, pattern, timeout=10.0, start=0):
        """Waits until `pattern` (regex) matches the log after character offset `start`."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        with self._err.cond:
            while True:
                text = b"".join(self._err.chunks).decode("utf-8", "replace")
                m = rx.search(text, start)
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._err.is_alive()):
                    raise AssertionError("log never matched %r; log:\n%s" % (pattern, text))
                self._err.cond.wait(min(left, 0.2))

    def _wait_listening(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            m = LISTEN_RE.search(self.log)
            if m and re.search(LISTEN_TCP_RE % int(m.group(1)), self.log):
                self.port = int(m.group(1))
                # The 'listening' lines come before the server has installed its signal
                # handlers and started its UDP worker; an answer over UDP shows both are
                # done, so that a signal sent from now on is handled.
                self.wait_ready(PROBE_NAME, timeout=deadline - time.monotonic())
                return self.port
            if self.proc.poll() is not None:
                self._err.join(2)
                raise AssertionError("nanodns exited with status %s before listening; stderr:\n%s"
                                     % (self.proc.returncode, self.log))
            with self._err.cond:
                self._err.cond.wait(0.1)
        self.proc.kill()
        self.proc.wait()
        raise AssertionError("nanodns did not log its listening port within %ss; stderr:\n%s"
                             % (START_TIMEOUT, self.log))

    def wait_ready(self, name=PROBE_NAME, rdtype="A", timeout=START_TIMEOUT):
        """Polls over UDP until a query is answered (also for servers whose port was chosen
        up front and whose log level hides the 'listening' line)."""
        deadline = time.monotonic() + max(timeout, 1.0)
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("nanodns exited with status %s; stderr:\n%s"
                                     % (self.proc.returncode, self.log))
            try:
                return self.query(name, rdtype, timeout=0.3)
            except (dns.exception.Timeout, OSError):
                if time.monotonic() > deadline:
                    raise AssertionError("nanodns did not answer a query over UDP on port %s "
                                         "in time; stderr:\n%s" % (self.port, self.log))

    # ---- queries --------------------------------------------------------------------------
    def make_query(self, name, rdtype="A", rdclass="IN", **kw):
        return dns.message.make_query(name, rdtype, rdclass, **kw)

    def send(self, msg, tcp=False, timeout=QUERY_TIMEOUT, **kw):
        """Sends a dnspython message and returns the parsed reply."""
        if tcp:
            return dns.query.tcp(msg, "127.0.0.1", port=self.port, timeout=timeout, **kw)
        return dns.query.udp(msg, "127.0.0.1", port=self.port, timeout=timeout, **kw)

    def query(self, name, rdtype="A", tcp=False, timeout=QUERY_TIMEOUT, rdclass="IN", **kw):
        """query(name, type, tcp=False, **make_query kwargs) -> dns.message.Message."""
        q = self.make_query(name, rdtype, rdclass, **kw)
        return self.send(q, tcp=tcp, timeout=timeout)

    def udp_raw(self, data, timeout=QUERY_TIMEOUT):
        """Sends raw bytes over UDP and returns the reply bytes (timeout raises)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.connect(("127.0.0.1", self.port))
            s.send(data)
            return s.recv(65535)

    def udp_no_reply(self, data, timeout=QUERY_TIMEOUT):
        """Asserts that `data` gets no reply: sends it, then a sentinel query on the same
        socket; the first datagram back must be the sentinel's answer (the server reads one
        socket in order, so an answer to `data` would come first), and nothing else may
        follow it."""
        sentinel = dns.message.make_query("sentinel.invalid.", "A")
        sentinel.id = 0xBEEF if struct.unpack("!H", (data + b"\0\0")[:2])[0] != 0xBEEF else 0xBEEE
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.connect(("127.0.0.1", self.port))
            s.send(data)
            s.send(sentinel.to_wire())
            first = s.recv(65535)
            assert first[:2] == struct.pack("!H", sentinel.id), \
                "got a reply to a packet that must be dropped: %r" % first
            s.settimeout(0.2)
            with pytest.raises(socket.timeout):
                extra = s.recv(65535)
                print("unexpected extra datagram", extra)

    def tcp_connect(self, timeout=QUERY_TIMEOUT):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def tcp_raw(self, data, timeout=QUERY_TIMEOUT):
        """Sends one message (framed here) over a new TCP connection; returns the reply."""
        with self.tcp_connect(timeout) as s:
            s.sendall(struct.pack("!H", len(data)) + data)
            return tcp_read_msg(s)

    # ---- lifecycle ------------------------------------------------------------------------
    def alive(self):
        return self.proc.poll() is None

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends `sig`, waits for the exit and returns the status (None if it was already
        collected)."""
        if self.returncode is None:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
            try:
                self.returncode = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._err.join(2)
                raise AssertionError("nanodns did not exit within %ss of signal %s; stderr:\n%s"
                                     % (timeout, sig, self.log))
            self._err.join(5)
            self._out.join(5)
        return self.returncode

    def assert_clean_exit(self, sig=signal.SIGTERM):
        rc = self.stop(sig)
        log = self.log + self.stdout
        marker = sanitizer_report(log)
        assert marker is None, "sanitizer report (%s) in nanodns output:\n%s" % (marker, log)
        assert rc == 0, "nanodns exited with status %s; stderr:\n%s" % (rc, self.log)


def tcp_recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def tcp_read_msg(s):
    (n,) = struct.unpack("!H", tcp_recv_exact(s, 2))
    return tcp_recv_exact(s, n)


def write_config(path, config):
    path = Path(path)
    if isinstance(config, (bytes, str)):
        path.write_bytes(config.encode() if isinstance(config, str) else config)
    else:
        path.write_text(json.dumps(config, indent=2))
    return path


def base_server(**extra):
    """A server section for tests: loopback, no forwarding, no file watching."""
    s = {"host": "127.0.0.1", "port": 0, "upstream": [], "hot_reload": False}
    s.update(extra)
    return s


@contextlib.contextmanager
def running_server(config, workdir, extra_args=(), check_exit=True):
    """Writes `config` to workdir/nanodns.json and runs `nanodns start` on it."""
    workdir = Path(workdir)
    cfg = write_config(workdir / "nanodns.json", config)
    srv = Server(["start", "--config", cfg, "--host", "127.0.0.1", "--port", "0", *extra_args],
                 cwd=workdir)
    srv.config_path = cfg
    try:
        yield srv
    finally:
        if check_exit:
            srv.assert_clean_exit()
        else:
            srv.stop()


@pytest.fixture
def start_server(tmp_path):
    """Factory: start_server(config, extra_args=()) -> Server, stopped (and checked) at
    teardown."""
    stack = contextlib.ExitStack()
    count = [0]

    def start(config, extra_args=()):
        count[0] += 1
        d = tmp_path / ("srv%d" % count[0])
        d.mkdir()
        return stack.enter_context(running_server(config, d, extra_args))

    with stack:
        yield start


# ---- assertion helpers shared by the test files ----------------------------------------------

def rcode(msg):
    return msg.rcode()


def has_flag(msg, flag):
    return bool(msg.flags & flag)


def rrsets(section):
    """[(name_text_lower, type_text, ttl, [rdata text...])] in wire order."""
    return [(r.name.to_text().lower(), dns.rdatatype.to_text(r.rdtype), r.ttl,
             [rd.to_text() for rd in r]) for r in section]


def only_rrset(section, name, rdtype):
    """The single RRset in `section`, which must be (name, rdtype)."""
    assert len(section) == 1, "expected one RRset, got %s" % rrsets(section)
    r = section[0]
    assert r.name == dns.name.from_text(name), (r.name, name)
    assert r.rdtype == dns.rdatatype.from_text(rdtype), r
    assert r.rdclass == dns.rdataclass.IN
    return r


def assert_soa_authority(msg, zone, ttl):
    """The authority section is exactly the zone's SOA with the given TTL."""
    soa = only_rrset(msg.authority, zone, "SOA")
    assert soa.ttl == ttl, "SOA TTL %s, expected %s" % (soa.ttl, ttl)
    assert len(soa) == 1
    return soa[0]


def assert_nodata(msg, zone, ttl):
    assert msg.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(msg.rcode())
    assert msg.answer == []
    assert msg.flags & dns.flags.AA
    assert_soa_authority(msg, zone, ttl)


def assert_nxdomain(msg, zone, ttl):
    assert msg.rcode() == dns.rcode.NXDOMAIN, dns.rcode.to_text(msg.rcode())
    assert msg.answer == []
    assert msg.flags & dns.flags.AA
    assert_soa_authority(msg, zone, ttl)


def assert_refused(msg):
    assert msg.rcode() == dns.rcode.REFUSED, dns.rcode.to_text(msg.rcode())
    assert not msg.flags & dns.flags.AA
    assert msg.answer == [] and msg.authority == []


def addresses(rrset):
    return [rd.address for rd in rrset]

