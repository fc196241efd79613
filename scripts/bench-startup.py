#!/usr/bin/python3
"""Start-to-first-answer and idle memory of nanodns on the example config.

    scripts/bench-startup.py [BINARY] [RUNS]

Writes the example config (`nanodns init`) to a temporary folder, pointed at 127.0.0.1 on a
free port with the management API on another, and RUNS times: starts the binary, sends an
A query for web.internal.lan every 0.1 ms until the first NOERROR answer arrives (the time
from fork to that answer is "start to first answer"), waits a second, and reads the
process's private memory (USS: Private_Clean + Private_Dirty of /proc/PID/smaps_rollup; clean
pages of a library that no other process maps count as private), its private dirty memory and
RSS.
Prints the medians as a markdown table and as one JSON line (prefix "json: ").
"""
import json
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time


def free_port():
    """A port free on 127.0.0.1 for UDP and TCP a moment ago."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                    t.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("bench-startup: no free port")


def query_packet(qid):
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in b"web.internal.lan".split(b"."):
        q += bytes([len(label)]) + label
    return q + b"\x00" + struct.pack(">HH", 1, 1)


def smaps(pid):
    out = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                out[parts[0][:-1]] = int(parts[1])
    return out


def one_run(binary, folder):
    port, mport = free_port(), free_port()
    cfg = os.path.join(folder, "nanodns.json")
    with open(cfg) as f:
        c = json.load(f)
    c["server"].update({"host": "127.0.0.1", "port": port, "mgmt_host": "127.0.0.1",
                        "mgmt_port": mport, "upstream": []})
    with open(cfg, "w") as f:
        json.dump(c, f)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    pkt = query_packet(0x4242)
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "start", "--config", cfg], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    took = None
    try:
        while time.perf_counter() - t0 < 10:
            try:
                s.sendto(pkt, ("127.0.0.1", port))
            except OSError:
                pass
            # Poll every 0.2 ms, sleeping in between: a busy loop would take a CPU from the
            # server it is timing (this machine may have only two).
            deadline = time.perf_counter() + 0.0002
            while time.perf_counter() < deadline:
                try:
                    data = s.recv(4096)
                except OSError:  # nothing yet, or ICMP port unreachable before the bind
                    time.sleep(0.00005)
                    continue
                if len(data) >= 12 and data[:2] == pkt[:2] and (data[3] & 0xF) == 0 and \
                        struct.unpack(">H", data[6:8])[0] > 0:
                    took = time.perf_counter() - t0
                    break
            if took is not None:
                break
        time.sleep(1.0)
        m = smaps(p.pid)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(10)
        s.close()
    if took is None:
        raise SystemExit("bench-startup: no answer within 10 s")
    return (took * 1000.0, m.get("Private_Clean", 0) + m.get("Private_Dirty", 0), m.get("Rss", 0),
            m.get("Private_Dirty", 0))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "build", "nanodns")
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([binary, "init", os.path.join(d, "nanodns.json")], check=True,
                       stdout=subprocess.DEVNULL)
        res = [one_run(binary, d) for _ in range(runs)]
        # The same, timed by build/bench/startprobe (C, posix_spawn, a query every 0.1 ms):
        # the figure without Python's own fork/exec and polling in it.
        probe = os.path.join(here, "..", "build", "bench", "startprobe")
        cfg = os.path.join(d, "nanodns.json")
        cprobe = []
        if os.access(probe, os.X_OK):
            for _ in range(runs):
                port = json.load(open(cfg))["server"]["port"]
                out = subprocess.run([probe, str(port), "web.internal.lan", binary, "start",
                                      "--config", cfg], capture_output=True, text=True)
                if out.returncode == 0:
                    cprobe.append(float(out.stdout))
    # What the Python measurement itself costs: its fork/exec of a program that does nothing.
    spawn = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(["/bin/true"], check=True)
        spawn.append((time.perf_counter() - t0) * 1000.0)
    spawn_ms = statistics.median(spawn)
    start_c = statistics.median(cprobe) if cprobe else None
    start = statistics.median(r[0] for r in res)
    priv = statistics.median(r[1] for r in res)
    rss = statistics.median(r[2] for r in res)
    dirty = statistics.median(r[3] for r in res)
    print("| example config (%d runs, medians) | value | target |" % runs)
    print("|---|---:|---:|")
    if start_c is not None:
        print("| start to first answer (C probe, %d runs) | %.2f ms | <= 5 ms |"
              % (len(cprobe), start_c))
    print("| start to first answer (Python probe) | %.2f ms | |" % start)
    print("| Python's spawn of /bin/true alone | %.2f ms | |" % spawn_ms)
    print("| idle private memory | %.2f MB (%d KiB) | <= 1.5 MB |" % (priv / 1024.0, priv))
    print("| idle private dirty (anonymous, written) | %.2f MB | |" % (dirty / 1024.0))
    print("| idle RSS | %.2f MB | |" % (rss / 1024.0))
    print("json: " + json.dumps({"start_ms": round(start_c if start_c is not None else start, 3),
                                 "start_python_ms": round(start, 3),
                                 "spawn_ms": round(spawn_ms, 3),
                                 "private_kib": priv,
                                 "private_dirty_kib": dirty, "rss_kib": rss,
                                 "runs": runs}))


if __name__ == "__main__":
    main()
