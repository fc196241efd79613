"""A reference authoritative server for comparison tests: Knot DNS's knotd (Debian package
knot, installed by scripts/deps.sh test), started by the test on 127.0.0.1 with its own
temporary config, serving the same zone files as nanodns."""

import contextlib
import shutil
import subprocess
import time
from pathlib import Path

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from conftest import free_port

KNOTD = shutil.which("knotd") or ("/usr/sbin/knotd" if Path("/usr/sbin/knotd").exists() else None)


def knotd_path():
    assert KNOTD, "knotd not found: install knot (scripts/deps.sh test)"
    return KNOTD


def compared(r):
    """The parts of a response that comparison tests hold equal between servers: AA, TC and
    each section as sorted rows of owner, TTL, type and RDATA (names and RDATA in lower case,
    RRsets and records in any order)."""
    sections = []
    for section in (r.answer, r.authority, r.additional):
        rows = []
        for rrset in section:
            for rd in rrset:
                rows.append("%s %d %s %s" % (rrset.name.to_text().lower(), rrset.ttl,
                                             dns.rdatatype.to_text(rrset.rdtype),
                                             rd.to_text().lower()))
        sections.append(sorted(rows))
    return {"aa": bool(r.flags & dns.flags.AA), "tc": bool(r.flags & dns.flags.TC),
            "answer": sections[0], "authority": sections[1], "additional": sections[2]}


def _copy_zones(workdir, zones):
    """Copies the zone files of `zones` (and any file beside them, for $INCLUDE) into
    workdir, which it creates."""
    workdir.mkdir(parents=True, exist_ok=True)
    for origin, path in zones.items():
        for f in Path(path).parent.iterdir():
            if f.is_file():
                shutil.copy(f, workdir / f.name)


@contextlib.contextmanager
def _serving(what, argv, out, port, zones, logs):
    """Starts `argv` (output to the open file `out`), waits until it answers SOA for every
    origin of `zones` on 127.0.0.1:port, yields, and stops it. `logs()` gives its logs for
    the failure messages."""
    proc = subprocess.Popen(argv, stdout=out, stderr=out, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        pending = set(zones)
        while pending:
            assert proc.poll() is None, "%s exited:\n%s" % (what, logs())
            assert time.monotonic() < deadline, \
                "%s did not serve %s:\n%s" % (what, pending, logs())
            for origin in list(pending):
                try:
                    r = dns.query.udp(dns.message.make_query(origin, "SOA"), "127.0.0.1",
                                      port=port, timeout=0.2)
                    if r.rcode() == dns.rcode.NOERROR and r.answer:
                        pending.discard(origin)
                except Exception:
                    pass
            time.sleep(0.05)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()


@contextlib.contextmanager
def knotd(workdir, zones):
    """Runs knotd on `zones` ({origin: zone file path}) and yields its port. The zone files
    (and any file beside them, for $INCLUDE) are copied into workdir."""
    workdir = Path(workdir)
    _copy_zones(workdir, zones)
    port = free_port()
    conf = workdir / "knot.conf"
    lines = [
        "server:",
        "    listen: 127.0.0.1@%d" % port,
        "    rundir: %s" % workdir,
        "log:",
        "  - target: stderr",
        "    any: warning",
        "database:",
        "    storage: %s" % workdir,
        "template:",
        "  - id: default",
        "    storage: %s" % workdir,
        "    zonefile-sync: -1",
        "    journal-content: none",
        "zone:",
    ]
    for origin, path in zones.items():
        lines += ["  - domain: %s" % origin, "    file: %s" % (workdir / Path(path).name)]
    conf.write_text("\n".join(lines) + "\n")
    log = open(workdir / "knotd.log", "w+")
    with _serving("knotd", [knotd_path(), "-c", str(conf)], log, port, zones,
                  lambda: (workdir / "knotd.log").read_text()):
        yield port


NSD = shutil.which("nsd") or ("/usr/sbin/nsd" if Path("/usr/sbin/nsd").exists() else None)


def nsd_path():
    assert NSD, "nsd not found: install nsd (scripts/deps.sh test)"
    return NSD


@contextlib.contextmanager
def nsd(workdir, zones):
    """Runs NSD on `zones` ({origin: zone file path}) in the foreground and yields its port,
    as knotd() does. `minimal-responses: yes` leaves the NS RRset out of the authority
    section of positive answers, as Knot and nanodns do."""
    workdir = Path(workdir)
    _copy_zones(workdir, zones)
    port = free_port()
    conf = workdir / "nsd.conf"
    lines = [
        "server:",
        "    ip-address: 127.0.0.1@%d" % port,
        "    do-ip6: no",
        "    server-count: 1",
        "    username: \"\"",
        "    chroot: \"\"",
        "    zonesdir: \"%s\"" % workdir,
        "    database: \"\"",
        "    pidfile: \"%s\"" % (workdir / "nsd.pid"),
        "    xfrdfile: \"%s\"" % (workdir / "xfrd.state"),
        "    zonelistfile: \"%s\"" % (workdir / "zone.list"),
        "    logfile: \"%s\"" % (workdir / "nsd.log"),
        "    verbosity: 1",
        "    minimal-responses: yes",
        "remote-control:",
        "    control-enable: no",
    ]
    for origin, path in zones.items():
        lines += ["zone:", "    name: \"%s\"" % origin,
                  "    zonefile: \"%s\"" % (workdir / Path(path).name)]
    conf.write_text("\n".join(lines) + "\n")
    log = open(workdir / "nsd.out", "w+")

    def logs():
        return "".join(p.read_text() for p in (workdir / "nsd.out", workdir / "nsd.log")
                       if p.exists())

    with _serving("nsd", [nsd_path(), "-d", "-c", str(conf)], log, port, zones, logs):
        yield port
