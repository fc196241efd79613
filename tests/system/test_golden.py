"""Golden responses: zones full of edge cases (tests/data/zones: wildcards, ENTs, delegation
with and without glue, CNAME loops, escapes, $INCLUDE, $GENERATE, JSON records added to a
zone file) are loaded and the full response to every query of tests/data/golden/queries.txt
(header, every section in order) is compared with tests/data/golden/answers.golden.
After a deliberate change, `UPDATE_GOLDEN=1 make system` rewrites the golden file: review
its diff before committing it."""

import os
from pathlib import Path

import dns.flags
import dns.message
import dns.query
import dns.rcode

from conftest import base_server, running_server

DATA = Path(__file__).resolve().parent.parent / "data"
ZONES = DATA / "zones"
QUERIES = DATA / "golden" / "queries.txt"
GOLDEN = DATA / "golden" / "answers.golden"


def render(r):
    flags = dns.flags.to_text(r.flags).lower()
    out = ["rcode %s flags %s" % (dns.rcode.to_text(r.rcode()), flags)]
    for title, section in (("answer", r.answer), ("authority", r.authority),
                           ("additional", r.additional)):
        for rrset in section:
            for line in rrset.to_text().splitlines():
                out.append("%s: %s" % (title, line))
    return out


def test_golden(tmp_path):
    config = {"server": base_server(log_queries=False),
              "zones": {"edge.test": {"file": str(ZONES / "edge.test.zone")},
                        "gen.test": {"file": str(ZONES / "gen.test.zone")}},
              "records": [{"name": "json.edge.test", "type": "A", "value": "192.0.2.200"}]}
    lines = []
    with running_server(config, tmp_path) as srv:
        for q in QUERIES.read_text().splitlines():
            if not q.strip() or q.startswith(";"):
                continue
            name, rdtype = q.split()
            query = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)
            query.flags &= ~dns.flags.RD
            query.id = 4242
            r = dns.query.udp(query, "127.0.0.1", port=srv.port, timeout=2)
            lines.append(";; %s %s" % (name, rdtype))
            lines += render(r)
    text = "\n".join(lines) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert GOLDEN.exists(), "no golden file: run with UPDATE_GOLDEN=1 and review it"
    want = GOLDEN.read_text().splitlines()
    got = text.splitlines()
    assert got == want
