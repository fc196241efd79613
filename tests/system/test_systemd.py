"""systemd integration and privileges (server/systemd.c, server/privs.c, contrib/).

- Socket activation through systemd-socket-activate: passed sockets named dns (UDP and TCP),
  mgmt and update win over the configured addresses; unknown names are closed; a name on a
  socket of the wrong type is an error. systemd-socket-activate takes one socket type per
  run and passes on the sockets it was given itself, so runs are chained to pass several.
- sd_notify: READY=1 once serving, RELOADING=1 + MONOTONIC_USEC and READY=1 around a SIGHUP
  reload, STOPPING=1 on SIGTERM, WATCHDOG=1 every WATCHDOG_USEC/2 (only for WATCHDOG_PID).
  The test binds the notify socket itself.
- server.user / server.group: as root the server drops to nobody after binding, and the
  config write-back, the management API and the state store still work; unknown names and a
  non-root start as someone else fail with exit status 1.
- contrib/nanodns.service and nanodns.socket pass `systemd-analyze verify`.
"""

import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import REPO_ROOT, Server, base_server, free_port, nanodns_bin, run_cli, \
    write_config

ZONE = "sd.test"
NAME = "www." + ZONE
ADDR = "192.0.2.53"
TIMEOUT = 15.0  # a first query also waits for the exec and the start under ASan

SSA = shutil.which("systemd-socket-activate")
needs_ssa = pytest.mark.skipif(SSA is None, reason="systemd-socket-activate is not installed")
is_root = os.geteuid() == 0


def config(**server):
    return {"server": base_server(log_queries=False, **server),
            "zones": {ZONE: {"soa": {"serial": 1}}},
            "records": [{"name": NAME, "type": "A", "value": ADDR}]}


class Wrapped(Server):
    """A nanodns run through a launcher: `prefix` goes before the binary (the process execs
    into nanodns, so signals and the exit status are nanodns's own)."""

    def __init__(self, prefix, args, cwd, env=None):
        self._prefix = list(prefix)
        super().__init__(args, cwd, wait_listen=False, env=env)

    def _spawn(self):
        self.args = [*self._prefix, *self.args]
        super()._spawn()


def activated(tmp_path, listens, cfg, env=None):
    """Runs nanodns under chained systemd-socket-activate runs, one per (datagram, addr,
    name) in `listens`; each run's --fdname lists the names of every socket so far (name
    None: no --fdname, so no LISTEN_FDNAMES)."""
    path = write_config(tmp_path / "nanodns.json", cfg)
    prefix, names = [], []
    for datagram, addr, name in listens:
        names.append(name)
        fdname = ["--fdname=" + ":".join(names)] if name else []
        prefix += [SSA, *(["-d"] if datagram else []), "-l", addr, *fdname]
    srv = Wrapped(prefix, ["start", "--config", path], tmp_path, env=env)
    # the first run listens, then waits for traffic before it execs the next
    srv.wait_log(r"Listening on %s as \d+" % re.escape(listens[0][1]))
    return srv


def answer(port, tcp=False, timeout=TIMEOUT):
    q = dns.message.make_query(NAME, "A")
    send = dns.query.tcp if tcp else dns.query.udp
    m = send(q, "127.0.0.1", port=port, timeout=timeout)
    assert m.rcode() == dns.rcode.NOERROR
    return [rd.address for rr in m.answer for rd in rr]


def port_free(port):
    """Nobody holds port on 127.0.0.1, UDP or TCP: the configured address was not bound."""
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", port))
    return True


def http_get(port, path, timeout=TIMEOUT):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=timeout) as r:
        return r.status, r.read().decode()


# ---- socket activation -----------------------------------------------------------------------

@needs_ssa
@pytest.mark.parametrize("name", ["dns", None])
def test_activation_tcp(tmp_path, name):
    # without any names (LISTEN_FDNAMES unset) every passed socket counts as a DNS socket
    port, unused = free_port(), free_port()
    srv = activated(tmp_path, [(False, "127.0.0.1:%d" % port, name)], config(port=unused))
    try:
        # systemd-socket-activate execs nanodns on the first connection, which then waits
        # in the backlog of the passed socket
        assert answer(port, tcp=True) == [ADDR]
        srv.wait_log(r"DNS on the sockets systemd passed \(0 udp, 1 tcp")
        srv.wait_log(r"DNS over UDP is off")
        srv.wait_log(r"NanoDNS listening on tcp 127\.0\.0\.1:%d\b" % port)
        assert port_free(unused)
    finally:
        srv.assert_clean_exit()


@needs_ssa
def test_activation_udp(tmp_path):
    port, unused = free_port(), free_port()
    srv = activated(tmp_path, [(True, "127.0.0.1:%d" % port, "dns")], config(port=unused))
    try:
        assert answer(port) == [ADDR]
        srv.wait_log(r"DNS over TCP is off")
        srv.wait_log(r"NanoDNS listening on udp 127\.0\.0\.1:%d\b" % port)
        # a second query: the socket left blocking for the workers, which keep reading it
        for _ in range(5):
            assert answer(port, timeout=2) == [ADDR]
        assert port_free(unused)
    finally:
        srv.assert_clean_exit()


@needs_ssa
def test_activation_udp_shared_by_workers_and_tcp(tmp_path):
    port, unused = free_port(), free_port()
    addr = "127.0.0.1:%d" % port
    srv = activated(tmp_path, [(False, addr, "dns"), (True, addr, "dns")],
                    config(port=unused, workers=3))
    try:
        assert answer(port, tcp=True) == [ADDR]
        srv.wait_log(r"DNS on the sockets systemd passed \(1 udp, 1 tcp; 3 UDP workers\)")
        # many sources, so that several workers take datagrams off the one socket
        for _ in range(30):
            assert answer(port, timeout=2) == [ADDR]
        assert answer(port, tcp=True) == [ADDR]
    finally:
        srv.assert_clean_exit()


@needs_ssa
def test_activation_mgmt_turns_the_api_on(tmp_path):
    mport = free_port()
    # mgmt_port 0 (off) in the config: the passed socket turns the API on at its address
    srv = activated(tmp_path, [(False, "127.0.0.1:%d" % mport, "mgmt")],
                    config(mgmt_port=0))
    try:
        status, body = http_get(mport, "/health")
        assert status == 200 and json.loads(body)
        srv.wait_log(r"Management API on the socket systemd passed")
        srv.wait_log(r"Management HTTP server on 127\.0\.0\.1:%d\b" % mport)
        # DNS was not passed: the configured address (port 0 here) is bound as usual
        dport = int(srv.wait_log(r"NanoDNS listening on udp 127\.0\.0\.1:(\d+)").group(1))
        assert answer(dport) == [ADDR]
    finally:
        srv.assert_clean_exit()


@needs_ssa
def test_activation_update_listener(tmp_path):
    uport, configured = free_port(), free_port()
    cfg = config(update_host="127.0.0.1", update_port=configured)
    cfg["dyndns"] = [{"name": "home." + ZONE, "token": "tok-1"}]
    srv = activated(tmp_path, [(False, "127.0.0.1:%d" % uport, "update")], cfg)
    try:
        status, body = http_get(uport, "/api/update?hostname=home.%s&token=tok-1&ipv4=192.0.2.9"
                                % ZONE)
        assert (status, body) == (200, "ok")
        srv.wait_log(r"Update listener on the socket systemd passed")
        srv.wait_log(r"Update HTTP server on 127\.0\.0\.1:%d\b" % uport)
        with socket.socket() as s:
            s.bind(("127.0.0.1", configured))  # the configured port stayed free
    finally:
        srv.assert_clean_exit()


@needs_ssa
def test_activation_unknown_name_is_closed(tmp_path):
    bport = free_port()
    srv = activated(tmp_path, [(False, "127.0.0.1:%d" % bport, "bogus")], config())
    try:
        with socket.create_connection(("127.0.0.1", bport), timeout=TIMEOUT) as c:
            c.settimeout(TIMEOUT)
            srv.wait_log(r'Closing the passed socket named "bogus"')
            try:
                assert c.recv(1) == b""  # closed with the listener
            except ConnectionResetError:
                pass
        dport = int(srv.wait_log(r"NanoDNS listening on udp 127\.0\.0\.1:(\d+)").group(1))
        assert answer(dport) == [ADDR]
    finally:
        srv.assert_clean_exit()


@needs_ssa
def test_activation_wrong_type_is_an_error(tmp_path):
    port = free_port()
    srv = activated(tmp_path, [(True, "127.0.0.1:%d" % port, "mgmt")], config())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"wake up", ("127.0.0.1", port))
    srv.proc.wait(TIMEOUT)  # exits by itself
    assert srv.stop() == 1
    assert re.search(r'The passed socket named "mgmt" is not a listening stream', srv.log)


def test_listen_fds_for_another_process_are_ignored(tmp_path):
    # LISTEN_PID names another process: the variables are inherited, not meant for us
    path = write_config(tmp_path / "nanodns.json", config())
    srv = Server(["start", "--config", path, "--host", "127.0.0.1", "--port", "0"], tmp_path,
                 env={"LISTEN_FDS": "1", "LISTEN_PID": "1", "LISTEN_FDNAMES": "dns"})
    try:
        assert answer(srv.port) == [ADDR]
        assert "passed" not in srv.log
    finally:
        srv.assert_clean_exit()


# ---- sd_notify and the watchdog --------------------------------------------------------------

class NotifySocket:
    """The service manager's end: a Unix datagram socket that collects what nanodns says."""

    def __init__(self):
        # a short path: sun_path holds 108 bytes
        self.dir = tempfile.mkdtemp(prefix="nanodns-notify-")
        os.chmod(self.dir, 0o755)
        self.path = os.path.join(self.dir, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o777)
        self.seen = []

    def close(self):
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def next(self, key, timeout=TIMEOUT):
        """Reads messages until one holds `key`; returns it as a dict."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("no %s from nanodns; got %r" % (key, self.seen))
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            msg = dict(line.split("=", 1) for line in data.split("\n") if "=" in line)
            self.seen.append(msg)
            if key in msg:
                return msg

    def count(self, key, duration):
        """How many messages holding `key` arrive within `duration` seconds."""
        n, deadline = 0, time.monotonic() + duration
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                break
            n += ("\n" + data).count("\n" + key + "=")
        return n


@pytest.fixture
def notify():
    n = NotifySocket()
    yield n
    n.close()


def test_notify_ready_reload_stopping(tmp_path, notify):
    path = write_config(tmp_path / "nanodns.json", config())
    srv = Server(["start", "--config", path, "--host", "127.0.0.1", "--port", "0"], tmp_path,
                 env={"NOTIFY_SOCKET": notify.path})
    try:
        ready = notify.next("READY")
        assert ready["READY"] == "1"
        assert re.match(r"Serving config v1: 1 zones, 1 records", ready["STATUS"])
        assert answer(srv.port) == [ADDR]

        before = time.monotonic()
        srv.send_signal(signal.SIGHUP)
        reloading = notify.next("RELOADING")
        assert reloading["RELOADING"] == "1"
        usec = int(reloading["MONOTONIC_USEC"])  # CLOCK_MONOTONIC, as Python's monotonic
        assert before - 1 <= usec / 1e6 <= time.monotonic() + 1
        ready = notify.next("READY")
        assert re.match(r"Serving config v2: ", ready["STATUS"]), ready
        assert answer(srv.port) == [ADDR]

        # a reload that fails still ends the reload: READY=1 with the old config
        path.write_text("{ not json")
        srv.send_signal(signal.SIGHUP)
        notify.next("RELOADING")
        ready = notify.next("READY")
        assert ready["STATUS"].startswith("Reload failed; serving config v2"), ready

        srv.send_signal(signal.SIGTERM)
        assert notify.next("STOPPING")["STOPPING"] == "1"
        srv.proc.wait(TIMEOUT)  # a second SIGTERM from the teardown would kill it
    finally:
        srv.assert_clean_exit()


def test_watchdog_keepalives(tmp_path, notify):
    path = write_config(tmp_path / "nanodns.json", config())
    srv = Server(["start", "--config", path, "--host", "127.0.0.1", "--port", "0"], tmp_path,
                 env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "200000"})
    try:
        notify.next("READY")
        # every 100 ms: about 10 in a second; allow a slow sanitizer build some slack
        n = notify.count("WATCHDOG", 1.0)
        assert 5 <= n <= 13, n
    finally:
        srv.assert_clean_exit()


@pytest.mark.parametrize("own_pid", [True, False])
def test_watchdog_pid(tmp_path, notify, own_pid):
    # WATCHDOG_PID names the process meant to send keep-alives: nanodns's own pid (the shell
    # execs into nanodns, so $$ is it), or another process, when nanodns must stay silent
    path = write_config(tmp_path / "nanodns.json", config())
    pid = "$$" if own_pid else "1"
    srv = Wrapped(["/bin/sh", "-c", 'WATCHDOG_PID=%s exec "$0" "$@"' % pid],
                  ["start", "--config", path, "--host", "127.0.0.1", "--port", "0"], tmp_path,
                  env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "200000"})
    try:
        notify.next("READY")
        n = notify.count("WATCHDOG", 0.6)
        assert (n >= 2) if own_pid else (n == 0), n
    finally:
        srv.assert_clean_exit()


# ---- privileges ------------------------------------------------------------------------------

def proc_status(pid, task=None):
    fields = {}
    path = "/proc/%d/task/%s/status" % (pid, task) if task else "/proc/%d/status" % pid
    for line in Path(path).read_text().splitlines():
        k, _, v = line.partition(":")
        fields[k] = v.split()
    return fields


def nobody():
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        return None


@pytest.mark.skipif(not is_root or nobody() is None, reason="needs root and the user nobody")
def test_drop_to_nobody(tmp_path):
    pw = nobody()
    # nobody must reach the folder: pytest's tmp_path lies under a folder only root enters
    work = Path(tempfile.mkdtemp(prefix="nanodns-privs-"))
    try:
        os.chmod(work, 0o777)  # the config folder writable by nobody: write-back and API
        mport, uport = free_port(), free_port()
        cfg = config(user="nobody", mgmt_host="127.0.0.1", mgmt_port=mport,
                     update_host="127.0.0.1", update_port=uport)
        cfg["dyndns"] = [{"name": "home." + ZONE, "token": "tok-2"}]
        path = write_config(work / "nanodns.json", cfg)
        srv = Server(["start", "--config", path, "--host", "127.0.0.1", "--port", "0"], work)
        try:
            srv.wait_log(r"Running as user nobody \(uid %d\)" % pw.pw_uid)
            # every thread: glibc switches them all
            for task in Path("/proc/%d/task" % srv.proc.pid).iterdir():
                st = proc_status(srv.proc.pid, task.name)
                assert st["Uid"] == [str(pw.pw_uid)] * 4, (task, st["Uid"])
                assert st["Gid"] == [str(pw.pw_gid)] * 4, (task, st["Gid"])
                assert st["Groups"] == [str(pw.pw_gid)], st["Groups"]
                assert int(st["CapEff"][0], 16) == 0 and int(st["CapPrm"][0], 16) == 0
                assert st["NoNewPrivs"] == ["1"]
            assert answer(srv.port) == [ADDR]

            # the state store, opened as root, was handed to nobody and takes writes
            state = work / "nanodns-state"
            assert state.stat().st_uid == pw.pw_uid
            assert all(f.stat().st_uid == pw.pw_uid for f in state.iterdir())
            status, body = http_get(uport, "/api/update?hostname=home.%s&token=tok-2"
                                    "&ipv4=192.0.2.77" % ZONE)
            assert (status, body) == (200, "ok")
            m = dns.query.udp(dns.message.make_query("home." + ZONE, "A"), "127.0.0.1",
                              port=srv.port, timeout=5)
            assert [rd.address for rr in m.answer for rd in rr] == ["192.0.2.77"]

            # an API write: POST /reload reads the file as nobody and writes the bumped
            # version back beside it (write-temp, rename)
            req = urllib.request.Request("http://127.0.0.1:%d/reload" % mport, method="POST")
            with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
                assert r.status == 200
                assert json.loads(r.read())["version"] == 2
            assert json.loads(path.read_text())["server"]["config_version"] == 2
            assert path.stat().st_uid == pw.pw_uid
        finally:
            srv.assert_clean_exit()
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.skipif(not is_root, reason="needs root")
def test_group_only_keeps_the_user(tmp_path):
    path = write_config(tmp_path / "nanodns.json", config(group="nogroup"))
    srv = Server(["start", "--config", path, "--host", "127.0.0.1", "--port", "0"], tmp_path)
    try:
        srv.wait_log(r"Running with group nogroup \(gid \d+\); the user stays root")
        st = proc_status(srv.proc.pid)
        assert st["Uid"] == ["0"] * 4
        gid = str(os.stat("/proc/%d" % srv.proc.pid).st_gid)
        assert st["Gid"] == [gid] * 4 and st["Groups"] == [gid]
    finally:
        srv.assert_clean_exit()


@pytest.mark.parametrize("key,value,message", [
    ("user", "no-such-user-xyz", r'server\.user: no such user "no-such-user-xyz"'),
    ("group", "no-such-group-xyz", r'server\.group: no such group "no-such-group-xyz"'),
])
def test_unknown_account_exits_1(tmp_path, key, value, message):
    path = write_config(tmp_path / "nanodns.json", config(**{key: value}))
    p = run_cli("start", "--config", path, "--host", "127.0.0.1", "--port", "0", timeout=30)
    assert p.returncode == 1, p.stderr
    assert re.search(message, p.stderr), p.stderr
    assert "listening" not in p.stderr  # nothing was bound
    assert not (tmp_path / "nanodns-state").exists()


@pytest.mark.skipif(not is_root or nobody() is None, reason="needs root to start as nobody")
def test_not_root_cannot_become_someone_else(tmp_path):
    work = Path(tempfile.mkdtemp(prefix="nanodns-privs-"))
    try:
        os.chmod(work, 0o755)
        path = write_config(work / "nanodns.json", config(user="root"))
        os.chmod(path, 0o644)
        pw = nobody()

        def as_nobody():
            os.setgid(pw.pw_gid)
            os.setgroups([])
            os.setuid(pw.pw_uid)

        p = subprocess.run([nanodns_bin(), "start", "--config", str(path), "--host",
                            "127.0.0.1", "--port", "0"], capture_output=True, text=True,
                           timeout=30, cwd=work, preexec_fn=as_nobody)
        assert p.returncode == 1, p.stderr
        assert re.search(r'server\.user is "root" but nanodns was started as uid %d, not as '
                         r'root: it cannot switch users' % pw.pw_uid, p.stderr), p.stderr
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---- the unit files --------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_contrib_units_verify(tmp_path):
    contrib = REPO_ROOT / "contrib"
    service = (contrib / "nanodns.service").read_text()
    socket_unit = (contrib / "nanodns.socket").read_text()
    for line in ("Type=notify", "NotifyAccess=main", "WatchdogSec=30", "DynamicUser=yes",
                 "StateDirectory=nanodns", "ExecReload=/bin/kill -HUP $MAINPID",
                 "ExecStart=/usr/local/bin/nanodns start --config /etc/nanodns/nanodns.json"):
        assert line in service.splitlines(), line
    assert "FileDescriptorName=dns" in socket_unit.splitlines()
    # verify checks that ExecStart's binary exists: point it at the one under test
    (tmp_path / "nanodns.service").write_text(
        service.replace("/usr/local/bin/nanodns", nanodns_bin()))
    (tmp_path / "nanodns.socket").write_text(socket_unit)
    p = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "nanodns.socket"),
                        str(tmp_path / "nanodns.service")], capture_output=True, text=True,
                       timeout=60)
    out = p.stdout + p.stderr
    if p.returncode != 0 and "nanodns" not in out:
        pytest.skip("systemd-analyze verify cannot run here: %s" % out.strip()[:200])
    assert p.returncode == 0, out
    assert not [line for line in out.splitlines() if "nanodns" in line], out
