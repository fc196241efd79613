"""Zone files in the config (zones.<name>.file): relative paths, JSON records added to the
file's data, `nanodns check` reporting every problem as file:line:col (named-checkzone's
file:line with the column of the token at fault), and
a reload that keeps the old zone serving when the new file is broken."""

import signal

import dns.rcode

from conftest import base_server, run_cli, running_server, write_config

ZONE = """$ORIGIN example.test.
$TTL 300
@       SOA ns1 hostmaster ( 1 7200 3600 1209600 60 )
        NS  ns1
ns1     A   192.0.2.1
www     A   192.0.2.2
"""


def check(tmp_path, zone_text, extra=None, name="db.example"):
    (tmp_path / name).write_text(zone_text)
    config = {"zones": {"example.test": {"file": name}}}
    config.update(extra or {})
    cfg = write_config(tmp_path / "nanodns.json", config)
    return run_cli("check", cfg, cwd="/")


def errors(p):
    return [line for line in p.stderr.splitlines() if line.startswith("FAIL")]


def warnings(p):
    return [line for line in p.stderr.splitlines() if line.startswith("WARN")]


def test_check_good_zone(tmp_path):
    p = check(tmp_path, ZONE)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[-1] == "  Zone files: 1 (4 records)"
    assert "Zones   : 1" in p.stdout and not p.stderr


def test_relative_path_is_beside_the_config(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "db.example").write_text(ZONE)
    cfg = write_config(tmp_path / "sub" / "nanodns.json",
                       {"zones": {"example.test": {"file": "db.example"}}})
    assert run_cli("check", cfg, cwd="/").returncode == 0


def test_missing_file(tmp_path):
    cfg = write_config(tmp_path / "nanodns.json",
                       {"zones": {"example.test": {"file": "nope.zone"}}})
    p = run_cli("check", cfg)
    assert p.returncode == 1
    assert errors(p) == ["FAIL Config error: %s/nope.zone: cannot open \"%s/nope.zone\": "
                         "No such file or directory" % (tmp_path, tmp_path)]


def test_every_error_with_file_line_and_column(tmp_path):
    zone = ZONE + "\n".join([
        "bad   A    10.0.0.300",       # line 7
        "typo  AAA  192.0.2.3",        # line 8
        "x     CH   TXT \"c\"",        # line 9
        "y     A    192.0.2.4 )",      # line 10
        "www.other.test. A 192.0.2.5",  # line 11: outside the zone, a warning
    ]) + "\n"
    p = check(tmp_path, zone)
    path = tmp_path / "db.example"
    assert p.returncode == 1
    assert errors(p) == [
        "FAIL Config error: %s:7:12: invalid IPv4 address \"10.0.0.300\"" % path,
        "FAIL Config error: %s:8:7: unknown type \"AAA\"" % path,
        "FAIL Config error: %s:9:7: class CH does not match the zone's class IN" % path,
        "FAIL Config error: %s:10:22: unbalanced parentheses" % path,
    ]
    assert warnings(p) == [
        "WARN Config warning: %s:11:1: www.other.test. is outside the zone example.test. "
        "(ignored)" % path]


def test_missing_soa(tmp_path):
    p = check(tmp_path, "$TTL 300\n@ NS ns1.example.test.\nns1 A 192.0.2.1\n")
    assert p.returncode == 1
    assert errors(p) == ["FAIL Config error: %s: no SOA record at the zone apex example.test."
                         % (tmp_path / "db.example")]


def test_soa_rules(tmp_path):
    p = check(tmp_path, ZONE + "@ SOA a b 2 1 1 1 1\nsub SOA a b 3 1 1 1 1\n")
    path = tmp_path / "db.example"
    assert errors(p) == [
        "FAIL Config error: %s:7: a second SOA record (first: %s:3)" % (path, path),
        "FAIL Config error: %s:8:1: an SOA record below the zone apex (sub.example.test.)" % path,
    ]


def test_cname_beside_other_data(tmp_path):
    p = check(tmp_path, ZONE + "www CNAME ns1\n")
    path = tmp_path / "db.example"
    assert p.returncode == 1
    assert errors(p) == [
        "FAIL Config error: %s:7: a CNAME cannot share its name with other data (%s:6); "
        "RFC 1034 3.6.2" % (path, path)]


def test_cname_in_json_beside_file_data(tmp_path):
    p = check(tmp_path, ZONE, {"records": [{"name": "www.example.test", "type": "CNAME",
                                            "value": "ns1.example.test"}]})
    assert errors(p) == [
        "FAIL Config error: records[0]: a CNAME cannot share its name with other data (%s:6); "
        "RFC 1034 3.6.2" % (tmp_path / "db.example")]


def test_name_server_without_address(tmp_path):
    zone = ZONE + "@ NS ns2\nsub NS ns.sub\nsub NS ns.elsewhere.test.\n"
    p = check(tmp_path, zone)
    path = tmp_path / "db.example"
    assert p.returncode == 1
    assert errors(p) == [
        "FAIL Config error: %s:7: the name server ns2.example.test. of example.test. has no "
        "address (A or AAAA) in the zone" % path,
        "FAIL Config error: %s:8: the name server ns.sub.example.test. of sub.example.test. "
        "has no address (A or AAAA) in the zone" % path,
    ]
    # with glue it passes
    p = check(tmp_path, zone + "ns2 AAAA 2001:db8::2\nns.sub A 192.0.2.9\n")
    assert p.returncode == 0, p.stderr


def test_warnings_pass(tmp_path):
    p = check(tmp_path, ZONE + "www A 192.0.2.2\nwww 600 A 192.0.2.3\n")
    path = tmp_path / "db.example"
    assert p.returncode == 0
    assert warnings(p) == [
        "WARN Config warning: %s:7: duplicate of %s:6 (ignored)" % (path, path),
        "WARN Config warning: %s:8: TTL differs from %s:6 (same name and type); the lowest "
        "TTL is used for all" % (path, path),
    ]


def test_include_error_names_the_included_file(tmp_path):
    (tmp_path / "part.zone").write_text("ok A 192.0.2.7\nbad A nope\n")
    p = check(tmp_path, ZONE + "$INCLUDE part.zone\n")
    assert errors(p) == ["FAIL Config error: %s:2:7: invalid IPv4 address \"nope\""
                         % (tmp_path / "part.zone")]


def test_header_include_keeps_its_ttl(tmp_path):
    # A header file with $TTL and the SOA: its $TTL serves the including file (BIND, NSD).
    (tmp_path / "head.inc").write_text("$TTL 3600\n"
                                       "@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n")
    (tmp_path / "db.example").write_text("$INCLUDE head.inc\n@ NS ns1\nns1 A 192.0.2.1\n"
                                         "www 7200 A 192.0.2.2\n")
    config = {"server": base_server(), "zones": {"example.test": {"file": "db.example"}}}
    cfg = write_config(tmp_path / "nanodns.json", config)
    p = run_cli("check", cfg, cwd="/")
    assert p.returncode == 0 and not p.stderr, p.stderr
    with running_server(config, tmp_path) as srv:
        assert srv.query("ns1.example.test", "A").answer[0].ttl == 3600
        assert srv.query("www.example.test", "A").answer[0].ttl == 7200


def test_serves_file_and_json_records(tmp_path):
    (tmp_path / "db.example").write_text(ZONE)
    config = {"server": base_server(),
              "zones": {"example.test": {"file": "db.example", "ns": ["ns1.example.test"]}},
              "records": [{"name": "json.example.test", "type": "A", "value": "192.0.2.50"}]}
    with running_server(config, tmp_path) as srv:
        r = srv.query("www.example.test", "A")
        assert r.rcode() == dns.rcode.NOERROR and r.answer[0][0].address == "192.0.2.2"
        r = srv.query("json.example.test", "A")
        assert r.answer[0][0].address == "192.0.2.50"
        r = srv.query("example.test", "NS")
        assert [rd.target.to_text() for rd in r.answer[0]] == ["ns1.example.test."]
        r = srv.query("nothere.example.test", "A")
        assert r.rcode() == dns.rcode.NXDOMAIN
        assert r.authority[0].ttl == 60


def test_reload_keeps_old_zone_when_the_new_one_is_broken(tmp_path):
    zfile = tmp_path / "db.example"
    zfile.write_text(ZONE)
    config = {"server": base_server(), "zones": {"example.test": {"file": "db.example"}}}
    with running_server(config, tmp_path) as srv:
        assert srv.query("www.example.test", "A").answer[0][0].address == "192.0.2.2"
        zfile.write_text(ZONE.replace("192.0.2.2", "192.0.2.22"))
        mark = len(srv.log)
        srv.send_signal(signal.SIGHUP)
        srv.wait_log(r"Config applied", start=mark)
        assert srv.query("www.example.test", "A").answer[0][0].address == "192.0.2.22"
        zfile.write_text(ZONE.replace("192.0.2.2", "192.0.2.333"))
        mark = len(srv.log)
        srv.send_signal(signal.SIGHUP)
        srv.wait_log(r"db\.example:6:13: invalid IPv4 address \"192\.0\.2\.333\"", start=mark)
        srv.wait_log(r"Config not applied", start=mark)
        assert srv.query("www.example.test", "A").answer[0][0].address == "192.0.2.22"
