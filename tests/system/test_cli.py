"""The command line (contract section 4), logs (section 8) and signals."""

import json
import re
import signal
import socket
import time

import dns.flags
import dns.rcode
import pytest

from conftest import (REFERENCE_DIR, REPO_ROOT, Server, addresses, free_port, only_rrset,
                      run_cli, running_server, write_config)

EXAMPLE_SUMMARY = (
    "OK Config is valid.\n"
    "  Records : 8\n"
    "  Zones   : 1\n"
    "  Rewrites: 2\n"
    "  Upstream: ['8.8.8.8', '1.1.1.1']\n"
    "  Listen  : 0.0.0.0:53\n"
)
LOG_PREFIX = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d "


@pytest.fixture
def example(tmp_path):
    """The example config, written by `nanodns init`."""
    out = tmp_path / "example.json"
    p = run_cli("init", out)
    assert p.returncode == 0, p.stderr
    return out


def example_dict(example):
    return json.loads(example.read_text())


def serving_example(example, **server):
    """The example config, made safe to serve in tests (no upstream, no file watching)."""
    c = example_dict(example)
    c["server"].update({"upstream": [], "hot_reload": False, "mgmt_port": 0})
    c["server"].update(server)
    return c


def check(tmp_path, config, name="c.json"):
    path = write_config(tmp_path / name, config)
    return path, run_cli("check", path)


# ---- --version --------------------------------------------------------------------------------

@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag):
    p = run_cli(flag)
    assert p.returncode == 0
    assert re.fullmatch(r"nanodns \d+\.\d+\.\d+\n", p.stdout), p.stdout
    mk = (REPO_ROOT / "Makefile").read_text()
    m = re.search(r"^VERSION\s*:?=\s*(\S+)", mk, re.M)
    if m:
        assert p.stdout == "nanodns %s\n" % m.group(1)


# ---- init ----------------------------------------------------------------------------------

def test_init_writes_example(tmp_path):
    out = tmp_path / "out.json"
    p = run_cli("init", out)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "Example config written to: %s\n" % out
    c = json.loads(out.read_text())
    assert c["server"]["upstream"] == ["8.8.8.8", "1.1.1.1"]
    assert len(c["records"]) == 8


@pytest.mark.skipif(not REFERENCE_DIR.is_dir(), reason="../shared/reference not present")
def test_init_matches_reference_bytes(tmp_path):
    out = tmp_path / "out.json"
    assert run_cli("init", out).returncode == 0
    assert out.read_bytes() == (REFERENCE_DIR / "example-config.json").read_bytes()


def test_init_default_output_name(tmp_path):
    p = run_cli("init", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "Example config written to: nanodns.json\n"
    assert (tmp_path / "nanodns.json").is_file()


def test_init_refuses_to_overwrite(tmp_path):
    out = tmp_path / "existing.json"
    out.write_text("keep me\n")
    p = run_cli("init", out)
    assert p.returncode == 1
    assert str(out) in p.stderr
    assert out.read_text() == "keep me\n"
    assert p.stdout == ""


def test_init_force_overwrites(tmp_path, example):
    out = tmp_path / "existing.json"
    out.write_text("keep me\n")
    p = run_cli("init", "--force", out)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "Example config written to: %s\n" % out
    assert out.read_bytes() == example.read_bytes()


# ---- check ---------------------------------------------------------------------------------

def test_check_example(example):
    p = run_cli("check", example)
    assert p.returncode == 0, p.stderr
    assert p.stdout == EXAMPLE_SUMMARY
    assert p.stderr == ""


def test_check_summary_counts(tmp_path):
    cfg = {"server": {"host": "127.0.0.1", "port": 5353, "upstream": ["9.9.9.9:5300"]},
           "zones": {"a.test": {}, "b.test": {}},
           "records": [{"name": "x.a.test", "type": "A", "value": "10.0.0.1"}]}
    _, p = check(tmp_path, cfg)
    assert p.returncode == 0, p.stderr
    assert p.stdout == ("OK Config is valid.\n  Records : 1\n  Zones   : 2\n  Rewrites: 0\n"
                        "  Upstream: ['9.9.9.9:5300']\n  Listen  : 127.0.0.1:5353\n")


def test_check_broken_json_names_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "server": {\n    "port": 53,\n  }\n}\n')
    p = run_cli("check", path)
    assert p.returncode == 1
    assert p.stdout == ""
    assert p.stderr.startswith("FAIL Config error: ")
    # The stray "}" after the trailing comma is at line 4, column 3.
    assert "%s:4:3" % path in p.stderr, p.stderr


def test_check_invalid_ipv4(tmp_path, example):
    c = example_dict(example)
    c["records"][3]["type"] = "A"
    c["records"][3]["value"] = "10.0.0.300"
    _, p = check(tmp_path, c)
    assert p.returncode == 1
    assert p.stdout == ""
    assert p.stderr.splitlines() == [
        'FAIL Config error: records[3].value: invalid IPv4 address "10.0.0.300"']


def test_check_warns_about_unknown_keys(tmp_path, example):
    c = example_dict(example)
    c["server"]["prot"] = 5353
    c["recods"] = []
    c["records"][0]["wildcrd"] = True
    c["zones"]["internal.lan"]["soa"]["minimun"] = 5
    c["rewrites"][1]["vaule"] = "x"
    _, p = check(tmp_path, c)
    assert p.returncode == 0, p.stderr
    assert p.stdout == EXAMPLE_SUMMARY
    warnings = p.stderr.splitlines()
    assert len(warnings) == 5, p.stderr
    for path in ("server.prot", "recods", "records[0].wildcrd",
                 'zones["internal.lan"].soa.minimun', "rewrites[1].vaule"):
        assert sum(path in w for w in warnings) == 1, (path, p.stderr)
    assert all("FAIL" not in w for w in warnings), p.stderr


def test_check_unknown_record_type(tmp_path, example):
    c = example_dict(example)
    c["records"][6]["type"] = "AAA"
    _, p = check(tmp_path, c)
    assert p.returncode == 1
    assert p.stderr.startswith("FAIL Config error: ")
    assert "records[6].type" in p.stderr and "AAA" in p.stderr


def test_check_type_is_case_insensitive(tmp_path, example):
    c = example_dict(example)
    c["records"][6]["type"] = "aaaa"
    _, p = check(tmp_path, c)
    assert p.returncode == 0, p.stderr


def test_check_cname_next_to_other_data(tmp_path, example):
    c = example_dict(example)
    c["records"].append({"name": "API.internal.lan.", "type": "A", "value": "10.0.0.1"})
    _, p = check(tmp_path, c)
    assert p.returncode == 1
    assert p.stderr.startswith("FAIL Config error: ")
    assert "CNAME" in p.stderr
    assert "records[3]" in p.stderr and "records[8]" in p.stderr


def test_check_unknown_rewrite_action(tmp_path, example):
    c = example_dict(example)
    c["rewrites"][1]["action"] = "block"
    _, p = check(tmp_path, c)
    assert p.returncode == 1
    assert p.stderr.startswith("FAIL Config error: ")
    assert "rewrites[1].action" in p.stderr and "block" in p.stderr


def test_check_missing_file(tmp_path):
    path = tmp_path / "nope.json"
    p = run_cli("check", path)
    assert p.returncode == 1
    assert p.stdout == ""
    assert p.stderr.startswith("FAIL ")
    assert str(path) in p.stderr


# ---- start: failures -------------------------------------------------------------------------

def run_start_expect_fail(args, cwd):
    t0 = time.monotonic()
    p = run_cli("start", *args, cwd=cwd, timeout=15)
    return p, time.monotonic() - t0


def test_start_on_bound_udp_port_fails(tmp_path, example):
    cfg = write_config(tmp_path / "c.json", serving_example(example))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        p, took = run_start_expect_fail(["-c", cfg, "--host", "127.0.0.1", "--port", port],
                                        tmp_path)
    assert p.returncode == 1, p.stderr
    assert took < 10
    assert "127.0.0.1:%d" % port in p.stderr
    assert re.search(r"(?i)address already in use", p.stderr), p.stderr


def test_start_on_bound_tcp_port_fails(tmp_path, example):
    cfg = write_config(tmp_path / "c.json", serving_example(example))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        p, _ = run_start_expect_fail(["-c", cfg, "--host", "127.0.0.1", "--port", port],
                                     tmp_path)
    assert p.returncode == 1, p.stderr
    assert "tcp 127.0.0.1:%d" % port in p.stderr
    assert re.search(r"(?i)address already in use", p.stderr), p.stderr


def test_start_with_invalid_config_fails(tmp_path, example):
    c = example_dict(example)
    c["records"][0]["value"] = "10.0.0.300"
    cfg = write_config(tmp_path / "c.json", c)
    p, _ = run_start_expect_fail(["-c", cfg, "--host", "127.0.0.1", "--port", "0"], tmp_path)
    assert p.returncode == 1
    assert 'records[0].value: invalid IPv4 address "10.0.0.300"' in p.stderr


def test_start_with_missing_config_fails(tmp_path):
    p, _ = run_start_expect_fail(["-c", tmp_path / "none.json", "--host", "127.0.0.1",
                                  "--port", "0"], tmp_path)
    assert p.returncode == 1
    assert "none.json" in p.stderr


# ---- start: serving ----------------------------------------------------------------------------

def test_start_without_config_serves_embedded_example(tmp_path):
    srv = Server(["start", "--host", "127.0.0.1", "--port", "0"], cwd=tmp_path)
    try:
        r = srv.query("web.internal.lan", "A")
        assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
        a = only_rrset(r.answer, "web.internal.lan.", "A")
        assert addresses(a) == ["192.168.1.100"] and a.ttl == 300
        r = srv.query("foo.wildcard.internal.lan", "A")
        assert addresses(r.answer[0]) == ["192.168.1.200"]
        r = srv.query("blocked.example.com", "A")
        assert r.rcode() == dns.rcode.NXDOMAIN
        r = srv.query("internal.lan", "NS")
        assert [rd.target.to_text() for rd in r.answer[0]] == ["ns1.internal.lan."]
        assert "embedded example" in srv.log
    finally:
        srv.assert_clean_exit()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_signal_stops_with_status_0(tmp_path, example, sig):
    with running_server(serving_example(example), tmp_path, check_exit=False) as srv:
        assert srv.query("web.internal.lan", "A").rcode() == dns.rcode.NOERROR
        srv.assert_clean_exit(sig)
        assert re.search(r"nanodns\.server: NanoDNS stopped$", srv.log, re.M)


# ---- logs ----------------------------------------------------------------------------------

def test_listening_line_format(tmp_path, example):
    with running_server(serving_example(example), tmp_path) as srv:
        lines = srv.log_lines()
        udp = [x for x in lines if "listening on udp" in x]
        tcp = [x for x in lines if "listening on tcp" in x]
        assert len(udp) == 1 and len(tcp) == 1
        assert re.fullmatch(LOG_PREFIX + r"\[INFO\] nanodns\.server: NanoDNS listening on udp "
                            r"127\.0\.0\.1:\d+", udp[0]), udp[0]
        assert re.fullmatch(LOG_PREFIX + r"\[INFO\] nanodns\.server: NanoDNS listening on tcp "
                            r"127\.0\.0\.1:%d" % srv.port, tcp[0]), tcp[0]


def test_query_log_line(tmp_path, example):
    with running_server(serving_example(example), tmp_path) as srv:
        srv.query("web.internal.lan", "A")
        m = srv.wait_log(r"^.*nanodns\.handler: Query: web\.internal\.lan A$")
        assert re.fullmatch(LOG_PREFIX + r"\[INFO\] nanodns\.handler: Query: "
                            r"web\.internal\.lan A", m.group(0)), m.group(0)
        srv.query("internal.lan", "MX", tcp=True)
        srv.wait_log(r"nanodns\.handler: Query: internal\.lan MX$")


def stopped_log(srv):
    """Stops srv (checking its exit) and returns its complete log."""
    srv.assert_clean_exit()
    return srv.log


def test_log_queries_false(tmp_path, example):
    with running_server(serving_example(example, log_queries=False), tmp_path,
                        check_exit=False) as srv:
        for tcp in (False, True):
            assert srv.query("web.internal.lan", "A", tcp=tcp).rcode() == dns.rcode.NOERROR
        log = stopped_log(srv)
    assert "Query:" not in log
    assert "listening on udp" in log


def test_log_level_warning_suppresses_query_lines(tmp_path, example):
    cfg = write_config(tmp_path / "c.json", serving_example(example))
    port = free_port()
    srv = Server(["start", "-c", cfg, "--host", "127.0.0.1", "--port", port,
                  "--log-level", "WARNING"], cwd=tmp_path, port=port, wait_listen=False)
    try:
        srv.wait_ready("web.internal.lan")
        for tcp in (False, True):
            assert srv.query("web.internal.lan", "A", tcp=tcp).rcode() == dns.rcode.NOERROR
    finally:
        log = stopped_log(srv)
    assert "Query:" not in log
    assert "[INFO]" not in log


def test_json_log_format(tmp_path, example):
    with running_server(serving_example(example, log_format="json"), tmp_path,
                        check_exit=False) as srv:
        srv.query("web.internal.lan", "A")
        srv.wait_log(r"Query: web\.internal\.lan A")
        log = stopped_log(srv)
    objs = []
    for line in log.splitlines():
        obj = json.loads(line)  # every line is one JSON object
        assert isinstance(obj, dict)
        objs.append(obj)
    msgs = [(o.get("level"), o.get("logger"), o.get("msg")) for o in objs]
    assert ("INFO", "nanodns.server", "NanoDNS listening on udp 127.0.0.1:%d" % srv.port) in msgs
    assert ("INFO", "nanodns.handler", "Query: web.internal.lan A") in msgs


# ---- reload ----------------------------------------------------------------------------------

def answer_of(srv, name="web.internal.lan"):
    r = srv.query(name, "A")
    return addresses(r.answer[0]) if r.answer else dns.rcode.to_text(r.rcode())


def wait_answer(srv, expected, name="web.internal.lan", timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        got = answer_of(srv, name)
        if got == expected or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def test_reload_sighup(tmp_path, example):
    c = serving_example(example)
    with running_server(c, tmp_path) as srv:
        assert answer_of(srv) == ["192.168.1.100"]
        c["records"][1]["value"] = "192.168.1.111"
        c["records"].append({"name": "new.internal.lan", "type": "A", "value": "10.1.1.1"})
        write_config(srv.config_path, c)
        mark = len(srv.log)
        srv.send_signal(signal.SIGHUP)
        srv.wait_log(r"Config applied", start=mark)
        assert answer_of(srv) == ["192.168.1.111"]
        assert answer_of(srv, "new.internal.lan") == ["10.1.1.1"]
        # A broken file: an error is logged and the previous config keeps serving.
        srv.config_path.write_text('{"records": [ {"name": "x", }')
        mark = len(srv.log)
        srv.send_signal(signal.SIGHUP)
        srv.wait_log(r"\[ERROR\] nanodns\.config: .*", start=mark)
        srv.wait_log(r"Config not applied", start=mark)
        assert answer_of(srv) == ["192.168.1.111"]
        assert answer_of(srv, "new.internal.lan") == ["10.1.1.1"]
        # An invalid (but well-formed) file: the same.
        bad = dict(c, records=c["records"] + [{"name": "y.internal.lan", "type": "A",
                                               "value": "1.2.3"}])
        write_config(srv.config_path, bad)
        mark = len(srv.log)
        srv.send_signal(signal.SIGHUP)
        srv.wait_log(r"Config not applied", start=mark)
        assert answer_of(srv) == ["192.168.1.111"]
        assert answer_of(srv, "y.internal.lan") == "NXDOMAIN"
        assert srv.alive()


def test_command_line_overrides_survive_reload(tmp_path, example):
    c = serving_example(example)
    cfg = write_config(tmp_path / "c.json", c)
    port = free_port()
    srv = Server(["start", "-c", cfg, "--host", "127.0.0.1", "--port", port,
                  "--log-level", "WARNING"], cwd=tmp_path, port=port, wait_listen=False)
    try:
        srv.wait_ready("web.internal.lan")
        c["records"][1]["value"] = "192.168.1.112"
        write_config(cfg, c)
        srv.send_signal(signal.SIGHUP)
        assert wait_answer(srv, ["192.168.1.112"]) == ["192.168.1.112"]
        # Still on the command-line port and still at WARNING after the reload.
        srv.query("db.internal.lan", "A", tcp=True)
    finally:
        log = stopped_log(srv)
    assert "Query:" not in log and "[INFO]" not in log
