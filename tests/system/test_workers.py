"""UDP workers (issue 6): server.workers threads, each on its own SO_REUSEPORT socket; the
default is one per CPU the process may run on; every worker answers; a port held by another
program is still refused; a bad value is a `check` error."""

import os
import socket
import threading

import dns.message
import pytest

from conftest import base_server, run_cli, write_config

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
