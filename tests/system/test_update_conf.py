"""`nanodns check` on the dynamic-DNS keys of issue 7: server.state_dir and the update
listener, tsig_keys, zones.<zone>.allow_update and dyndns. Every mistake is one exact
"FAIL Config error:" line naming its JSON path; a full valid config passes with NanoDNS's
summary; secrets and tokens never appear in the output."""

import copy

import pytest

from conftest import run_cli, write_config

SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"  # base64 of 27 bytes
TOKEN = "Tok3n-For-Home"

FULL = {
    "server": {"host": "127.0.0.1", "port": 5353, "upstream": [], "mgmt_port": 0,
               "state_dir": "state", "update_host": "127.0.0.1", "update_port": 8053,
               "update_tls_cert": "cert.pem", "update_tls_key": "key.pem"},
    "tsig_keys": {
        "ddns-key.example.test": {"algorithm": "hmac-sha256", "secret": SECRET},
        "k512": {"algorithm": "HMAC-SHA512.", "secret_file": "k512.key"},
        "kbind": {"secret_file": "bind.key", "comment": "from tsig-keygen"},
    },
    "zones": {
        "example.test": {"allow_update": ["key:ddns-key.example.test", "192.0.2.0/24",
                                          "2001:db8::1", "KEY:K512."]},
        "dyn.example.test": {"allow_update": ["key:kbind"]},
        "other.test": {},
    },
    "records": [
        {"name": "www.example.test", "type": "A", "value": "192.0.2.80"},
        {"name": "soa.test", "type": "SOA",
         "value": "ns.soa.test. admin.soa.test. 1 3600 900 604800 300"},
    ],
    "rewrites": [],
    "dyndns": [
        {"name": "home.dyn.example.test", "token": TOKEN, "expire": 86400, "ttl": 60},
        {"name": "Office.Example.Test.", "token": "x", "expire": 0},
        {"name": "box.soa.test", "token": "!~", "ttl": 0},
    ],
}

SUMMARY = ("OK Config is valid.\n  Records : 2\n  Zones   : 3\n  Rewrites: 0\n"
           "  Upstream: []\n  Listen  : 127.0.0.1:5353\n")


@pytest.fixture
def cfgdir(tmp_path):
    (tmp_path / "cert.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    (tmp_path / "key.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    (tmp_path / "k512.key").write_text(SECRET + "\n")
    (tmp_path / "bind.key").write_text(
        'key "kbind" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' % SECRET)
    return tmp_path


def check(d, config):
    path = write_config(d / "c.json", config)
    return run_cli("check", path)


def assert_clean(p):
    """No credential anywhere in the output."""
    for text in (SECRET, TOKEN, "s3cr3t"):
        assert text not in p.stdout + p.stderr, p.stderr


def test_full_config_is_valid(cfgdir):
    p = check(cfgdir, FULL)
    assert p.returncode == 0, p.stderr
    assert p.stdout == SUMMARY
    assert p.stderr == ""


def test_nanodns_config_without_the_keys(cfgdir):
    c = {k: v for k, v in FULL.items() if k not in ("tsig_keys", "dyndns")}
    c["server"] = {k: v for k, v in FULL["server"].items()
                   if not k.startswith(("update_", "state_"))}
    c["zones"] = {"example.test": {}, "dyn.example.test": {}, "other.test": {}}
    p = check(cfgdir, c)
    assert p.returncode == 0, p.stderr
    assert p.stdout == SUMMARY
    assert p.stderr == ""


def test_absolute_paths(cfgdir, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("cfg2")
    c = copy.deepcopy(FULL)
    c["server"]["update_tls_cert"] = str(cfgdir / "cert.pem")
    c["server"]["update_tls_key"] = str(cfgdir / "key.pem")
    c["server"]["state_dir"] = str(cfgdir / "state")
    c["tsig_keys"]["k512"]["secret_file"] = str(cfgdir / "k512.key")
    c["tsig_keys"]["kbind"]["secret_file"] = str(cfgdir / "bind.key")
    p = check(elsewhere, c)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""


def _set(c, path, value):
    """Sets c[path[0]][path[1]]... to value; None deletes; one past a list's end appends."""
    for k in path[:-1]:
        c = c[k]
    if value is None:
        del c[path[-1]]
    elif isinstance(c, list) and path[-1] == len(c):
        c.append(value)
    else:
        c[path[-1]] = value


# (what to change: [(path, value)], the one error line, with {d} for the config's folder)
ERRORS = [
    ([(("server", "update_port"), 70000)],
     "server.update_port: expected an integer from 0 to 65535, got 70000"),
    ([(("server", "update_port"), "8053")],
     'server.update_port: expected an integer from 0 to 65535, got "8053"'),
    ([(("server", "update_host"), "not a host")],
     'server.update_host: invalid address "not a host" (expected an IP address or a host name)'),
    ([(("server", "state_dir"), ["x"])],
     'server.state_dir: expected a string, got ["x"]'),
    ([(("server", "state_dir"), "cert.pem")],
     "server.state_dir: {d}/cert.pem exists and is not a folder"),
    ([(("server", "update_tls_key"), "")],
     "server.update_tls_key: missing; server.update_tls_cert and server.update_tls_key go "
     "together (both for HTTPS, neither for plain HTTP)"),
    ([(("server", "update_tls_cert"), None)],
     "server.update_tls_cert: missing; server.update_tls_cert and server.update_tls_key go "
     "together (both for HTTPS, neither for plain HTTP)"),
    ([(("server", "update_tls_cert"), "missing.pem")],
     "server.update_tls_cert: cannot read {d}/missing.pem: No such file or directory"),
    ([(("server", "update_tls_key"), "/nonexistent/key.pem")],
     "server.update_tls_key: cannot read /nonexistent/key.pem: No such file or directory"),
    ([(("server", "update_tls_key"), ".")],
     "server.update_tls_key: cannot read {d}/.: Is a directory"),
    ([(("server", "mgmt_port"), 8053)],
     "server.update_port: 8053 is also server.mgmt_port"),
    ([(("server", "port"), 8053)],
     "server.update_port: 8053 is also server.port (DNS over TCP)"),
    # tsig_keys
    ([(("tsig_keys",), ["k"])], "tsig_keys: expected an object, got a list"),
    ([(("tsig_keys", "bad..name"), {"secret": SECRET})],
     'tsig_keys["bad..name"]: invalid domain name "bad..name" (invalid domain name)'),
    ([(("tsig_keys", "DDNS-key.example.test."), {"secret": SECRET})],
     'tsig_keys["DDNS-key.example.test."]: the same key name as '
     'tsig_keys["ddns-key.example.test"]'),
    ([(("tsig_keys", "k1"), SECRET)], 'tsig_keys["k1"]: expected an object, got a string'),
    ([(("tsig_keys", "ddns-key.example.test", "algorithm"), "md5")],
     'tsig_keys["ddns-key.example.test"].algorithm: unknown algorithm "md5" '
     "(expected hmac-sha256, hmac-sha512 or hmac-sha1)"),
    ([(("tsig_keys", "ddns-key.example.test", "algorithm"), 1)],
     'tsig_keys["ddns-key.example.test"].algorithm: expected a string, got 1'),
    ([(("tsig_keys", "ddns-key.example.test", "secret"), None)],
     'tsig_keys["ddns-key.example.test"]: missing required key "secret" (or "secret_file")'),
    ([(("tsig_keys", "ddns-key.example.test", "secret_file"), "k512.key")],
     'tsig_keys["ddns-key.example.test"]: give "secret" or "secret_file", not both'),
    ([(("tsig_keys", "ddns-key.example.test", "secret"), 123)],
     'tsig_keys["ddns-key.example.test"].secret: expected a string, got a number'),
    ([(("tsig_keys", "ddns-key.example.test", "secret"), "")],
     'tsig_keys["ddns-key.example.test"].secret: empty secret (expected the base64 text of '
     "1 to 512 bytes)"),
    ([(("tsig_keys", "ddns-key.example.test", "secret"), "s3cr3t!!")],
     'tsig_keys["ddns-key.example.test"].secret: the secret is not valid base64'),
    ([(("tsig_keys", "ddns-key.example.test", "secret"), "AAAA" * 171)],
     'tsig_keys["ddns-key.example.test"].secret: the secret is longer than 512 bytes once '
     "decoded"),
    ([(("tsig_keys", "k512", "secret_file"), "nope.key")],
     'tsig_keys["k512"].secret_file: cannot read {d}/nope.key: No such file or directory'),
    ([(("tsig_keys", "k512", "secret_file"), "")],
     'tsig_keys["k512"].secret_file: empty file name'),
    ([(("tsig_keys", "k512", "secret_file"), "cert.pem")],
     'tsig_keys["k512"].secret_file: {d}/cert.pem: the secret is not valid base64 (expected '
     'base64 text or a BIND key file with secret "...";)'),
    ([(("tsig_keys", "kbind", "algorithm"), "hmac-sha1")],
     'tsig_keys["kbind"].algorithm: hmac-sha1, but the key file {d}/bind.key says hmac-sha256'),
    # zones.<zone>.allow_update
    ([(("zones", "example.test", "allow_update"), "key:kbind")],
     'zones["example.test"].allow_update: expected a list of strings, got "key:kbind"'),
    ([(("zones", "example.test", "allow_update", 1), 10)],
     'zones["example.test"].allow_update[1]: expected a string, got 10'),
    ([(("zones", "example.test", "allow_update", 1), "key:k9")],
     'zones["example.test"].allow_update[1]: no key "k9" in tsig_keys'),
    ([(("zones", "example.test", "allow_update", 1), "key:a..b")],
     'zones["example.test"].allow_update[1]: invalid key name "a..b" (invalid domain name)'),
    ([(("zones", "example.test", "allow_update", 1), "192.0.2.0/33")],
     'zones["example.test"].allow_update[1]: invalid entry "192.0.2.0/33" (expected '
     '"key:<key name>" or an address prefix such as 192.0.2.0/24 or 2001:db8::/32)'),
    # dyndns
    ([(("dyndns",), {"name": "x"})], "dyndns: expected a list, got an object"),
    ([(("dyndns", 1), "office.example.test")], "dyndns[1]: expected an object, got a string"),
    ([(("dyndns", 1, "name"), None)], 'dyndns[1]: missing required key "name"'),
    ([(("dyndns", 1, "name"), "a..example.test")],
     'dyndns[1].name: invalid domain name "a..example.test" (invalid domain name)'),
    ([(("dyndns", 2, "name"), "x.nowhere.test")],
     'dyndns[2].name: "x.nowhere.test" is not inside a declared zone'),
    ([(("dyndns", 1, "name"), "HOME.dyn.example.test")],
     'dyndns[1].name: "HOME.dyn.example.test" is the same name as dyndns[0].name'),
    ([(("dyndns", 0, "token"), None)], 'dyndns[0]: missing required key "token"'),
    ([(("dyndns", 0, "token"), 1234)], "dyndns[0].token: expected a string, got a number"),
    ([(("dyndns", 0, "token"), "")],
     "dyndns[0].token: invalid token (expected 1 to 256 visible ASCII characters)"),
    ([(("dyndns", 0, "token"), TOKEN + " x")],
     "dyndns[0].token: invalid token (expected 1 to 256 visible ASCII characters)"),
    ([(("dyndns", 0, "token"), TOKEN + "\u00e9")],
     "dyndns[0].token: invalid token (expected 1 to 256 visible ASCII characters)"),
    ([(("dyndns", 0, "token"), "t" * 257)],
     "dyndns[0].token: invalid token (expected 1 to 256 visible ASCII characters)"),
    ([(("dyndns", 0, "expire"), -1)],
     "dyndns[0].expire: expected an integer from 0 to 315360000, got -1"),
    ([(("dyndns", 0, "expire"), 315360001)],
     "dyndns[0].expire: expected an integer from 0 to 315360000, got 315360001"),
    ([(("dyndns", 0, "ttl"), 2147483648)],
     "dyndns[0].ttl: expected an integer from 0 to 2147483647, got 2147483648"),
    ([(("dyndns", 0, "ttl"), "60")],
     'dyndns[0].ttl: expected an integer from 0 to 2147483647, got "60"'),
    ([(("records", 2), {"name": "home.dyn.example.test", "type": "CNAME",
                         "value": "www.example.test"})],
     "dyndns[0].name: home.dyn.example.test has a static CNAME record, which cannot share its "
     "name with the dynamic A and AAAA records (RFC 1034 3.6.2)"),
]


@pytest.mark.parametrize("changes,error", ERRORS, ids=[e[1][:60] for e in ERRORS])
def test_check_error(cfgdir, changes, error):
    c = copy.deepcopy(FULL)
    for path, value in changes:
        _set(c, path, value)
    p = check(cfgdir, c)
    assert p.returncode == 1, p.stdout + p.stderr
    assert p.stdout == ""
    assert p.stderr.splitlines() == ["FAIL Config error: " + error.format(d=cfgdir)]
    assert_clean(p)


def test_every_mistake_is_reported(cfgdir):
    c = copy.deepcopy(FULL)
    c["server"]["update_tls_key"] = ""
    c["tsig_keys"]["k512"]["algorithm"] = "md5"
    c["zones"]["example.test"]["allow_update"].append("key:k9")
    c["dyndns"][2]["name"] = "x.nowhere.test"
    c["dyndns"][0]["token"] = ""
    p = check(cfgdir, c)
    assert p.returncode == 1
    lines = p.stderr.splitlines()
    assert len(lines) == 5, p.stderr
    for path in ("server.update_tls_key", 'tsig_keys["k512"].algorithm',
                 'zones["example.test"].allow_update[4]', "dyndns[2].name", "dyndns[0].token"):
        assert sum(("FAIL Config error: " + path + ":") in l for l in lines) == 1, (path, p.stderr)
    assert_clean(p)


def test_warnings(cfgdir):
    c = copy.deepcopy(FULL)
    c["records"].append({"name": "Home.Dyn.Example.Test", "type": "A", "value": "192.0.2.9"})
    c["records"].append({"name": "home.dyn.example.test", "type": "AAAA", "value": "2001:db8::9"})
    c["tsig_keys"]["k512"]["colour"] = "blue"
    c["dyndns"][1]["tokn"] = "x"
    p = check(cfgdir, c)
    assert p.returncode == 0, p.stderr
    assert sorted(p.stderr.splitlines()) == sorted([
        "WARN Config warning: dyndns[0].name: home.dyn.example.test also has static A and AAAA "
        "records; the dynamic ones replace them",
        'WARN Config warning: tsig_keys["k512"].colour: unknown key (ignored)',
        "WARN Config warning: dyndns[1].tokn: unknown key (ignored)",
    ])
    assert_clean(p)
