"""UDP workers (issue 6): server.workers threads, each on its own SO_REUSEPORT socket; the
default is one per CPU the process may run on; every worker answers; a port held by another
program is still refused; a bad value is a `check` error."""

import os
import socket
import threading

import dns.message
import pytest

from conftest import Server, base_server, run_cli, write_config

ZONE = {"w.test": {}}
RECORDS = [{"name": "www.w.test", "type": "A", "value": "192.0.2.7"}]


def udp_threads(pid):
    names = []
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
            names.append(f.read().strip())
    return sorted(n for n in names if n.startswith("nanodns-udp"))


def udp_sockets(pid, port):
    """How many UDP sockets of this process are bound to 127.0.0.1:port."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if t.startswith("socket:["):
            inodes.add(t[8:-1])
    want = "0100007F:%04X" % port
    n = 0
    with open("/proc/net/udp") as f:
        for line in f.readlines()[1:]:
            cols = line.split()
            if cols[1] == want and cols[9] in inodes:
                n += 1
    return n


@pytest.mark.parametrize("workers", [1, 3])
def test_workers_each_have_a_socket_and_answer(start_server, workers):
    srv = start_server({"server": base_server(workers=workers, log_queries=False),
                        "zones": ZONE, "records": RECORDS})
    srv.wait_ready()
    pid = srv.proc.pid
    assert udp_threads(pid) == ["nanodns-udp%d" % i for i in range(workers)]
    assert udp_sockets(pid, srv.port) == workers
    # Many source ports spread over the sockets (the kernel hashes the 4-tuple): every
    # query from every one is answered.
    errors = []

    def client():
        try:
            for _ in range(20):
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    s.settimeout(2.0)
                    q = dns.message.make_query("www.w.test", "A")
                    s.sendto(q.to_wire(), ("127.0.0.1", srv.port))
                    r = dns.message.from_wire(s.recv(4096))
                    assert r.id == q.id
                    assert [rd.to_text() for rr in r.answer for rd in rr] == ["192.0.2.7"]
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    ts = [threading.Thread(target=client) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    assert errors == []


def test_default_is_one_worker_per_cpu(start_server):
    srv = start_server({"server": base_server(log_queries=False), "zones": ZONE,
                        "records": RECORDS})
    srv.wait_ready()
    assert len(udp_threads(srv.proc.pid)) == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("bad", [-1, 257, "2", 1.5])
def test_bad_workers_value_is_a_check_error(tmp_path, bad):
    cfg = write_config(tmp_path / "c.json", {"server": {"workers": bad}})
    p = run_cli("check", cfg)
    assert p.returncode == 1
    assert "server.workers" in p.stderr, p.stderr


def test_port_held_by_another_reuseport_socket_is_refused(tmp_path):
    """SO_REUSEPORT must not let nanodns share a port that another program (same user, also
    with SO_REUSEPORT) holds: that would split that program's traffic."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        cfg = write_config(tmp_path / "c.json", {"server": base_server(workers=2)})
        p = run_cli("start", "-c", cfg, "--host", "127.0.0.1", "--port", port, timeout=20)
    assert p.returncode == 1
    assert "address already in use" in p.stderr.lower(), p.stderr


# ---- steering (server.udp_steering) -----------------------------------------------------------

def worker_wakeups(pid):
    """{thread name: voluntary context switches} of the UDP workers: one per wake-up."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        base = "/proc/%d/task/%s/" % (pid, tid)
        with open(base + "comm") as f:
            name = f.read().strip()
        if name.startswith("nanodns-udp"):
            with open(base + "status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        out[name] = int(line.split()[1])
    return out


def queries_from_cpu(port, cpu, n=150):
    """n queries, each from a new source port, sent by this process while it runs on `cpu`
    only: on loopback the datagram is received on the sending CPU."""
    old = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        for _ in range(n):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(2.0)
                q = dns.message.make_query("www.w.test", "A")
                s.sendto(q.to_wire(), ("127.0.0.1", port))
                assert dns.message.from_wire(s.recv(4096)).id == q.id
    finally:
        os.sched_setaffinity(0, old)


def woke_per_worker(srv, cpu):
    before = worker_wakeups(srv.proc.pid)
    queries_from_cpu(srv.port, cpu)
    after = worker_wakeups(srv.proc.pid)
    return {w: after[w] - before[w] for w in after}


needs_two_cpus = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2,
                                    reason="needs two CPUs to receive on")


@needs_two_cpus
def test_cpu_steering_sends_a_cpus_datagrams_to_one_worker(start_server):
    cpus = sorted(os.sched_getaffinity(0))[:2]
    srv = start_server({"server": base_server(workers=2, udp_steering="cpu", log_queries=False),
                        "zones": ZONE, "records": RECORDS})
    srv.wait_ready()
    for cpu in cpus:
        woke = woke_per_worker(srv, cpu)
        mine = "nanodns-udp%d" % (cpu % 2)
        other = "nanodns-udp%d" % (1 - cpu % 2)
        # every query woke the worker of the receiving CPU, the other slept throughout
        assert woke[mine] >= 100 and woke[other] == 0, (cpu, woke)


@needs_two_cpus
def test_hash_steering_spreads_one_cpus_datagrams(start_server):
    cpu = sorted(os.sched_getaffinity(0))[0]
    srv = start_server({"server": base_server(workers=2, udp_steering="hash", log_queries=False),
                        "zones": ZONE, "records": RECORDS})
    srv.wait_ready()
    woke = woke_per_worker(srv, cpu)
    assert all(v >= 20 for v in woke.values()), woke


def test_auto_steering_by_cpu_when_workers_outnumber_cpus(tmp_path):
    """Started on one CPU with 2 workers: every datagram goes to one worker, whichever CPU
    received it (under "hash" they would be split between two threads sharing the core, and
    under "cpu" a datagram received on another CPU, a sender's on loopback, would wake the
    second one)."""
    cpu = sorted(os.sched_getaffinity(0))[0]
    cfg = write_config(tmp_path / "c.json", {"server": base_server(workers=2, log_queries=False),
                                             "zones": ZONE, "records": RECORDS})
    old = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})  # the server inherits it
    try:
        srv = Server(["start", "--config", cfg, "--host", "127.0.0.1", "--port", "0"],
                     cwd=tmp_path)
    finally:
        os.sched_setaffinity(0, old)
    try:
        srv.wait_ready()
        for sender in sorted(os.sched_getaffinity(0))[:2]:
            woke = woke_per_worker(srv, sender)
            assert woke["nanodns-udp0"] >= 100, (sender, woke)
            assert woke["nanodns-udp1"] == 0, (sender, woke)
    finally:
        srv.assert_clean_exit()


def test_bad_steering_value_is_a_check_error(tmp_path):
    cfg = write_config(tmp_path / "c.json", {"server": {"udp_steering": "round-robin"}})
    p = run_cli("check", cfg)
    assert p.returncode == 1
    assert 'server.udp_steering: unknown UDP steering "round-robin"' in p.stderr, p.stderr
