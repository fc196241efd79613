/*
 * The dynamic-DNS part of the config (src/conf/dyn.c): server.state_dir and the update
 * listener, tsig_keys (inline secrets, plain and BIND key files), zones.<zone>.allow_update
 * and dyndns, each error with its exact message, secrets and tokens never in a message,
 * relative paths against the config's folder, and the watch that passes the dynamic layer's
 * hooks on while it notes static records at dyndns names.
 */
#include <sys/stat.h>

#include "confhelp.h"

/* base64 of "secret" and of 32 bytes 0..31 */
#define SECRET6  "c2VjcmV0"
#define SECRET32 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

static char tmpdir[64];

static void put_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/nanodns-dyn-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* conf_load under another file name (relative paths start in its folder). */
static void ld_named(struct ld *l, const char *name, const char *json,
                     const struct conf_overrides *ov, bool want_snap)
{
    memset(l, 0, sizeof(*l));
    conf_diag_init(&l->d);
    l->r = conf_load(name, (const uint8_t *)json, strlen(json), ov, &l->c, want_snap ? &l->s : NULL,
                     &l->d);
}

/* Loads from a config "c.json" in tmpdir and expects exactly this error among the messages
 * (`%s` in msg is replaced by tmpdir). */
static void expect_error_in_dir(const char *json, const char *msg)
{
    char name[128], want[1024];
    snprintf(name, sizeof(name), "%s/c.json", tmpdir);
    snprintf(want, sizeof(want), msg, tmpdir);
    struct ld l;
    ld_named(&l, name, json, NULL, true);
    if (l.r != ERR_SYNTAX) {
        ld_dump(&l);
        fail_msg("expected ERR_SYNTAX for %s", json);
    }
    assert_diag(&l, true, want);
    ld_free(&l);
}

static void assert_wire(const uint8_t *wire, const char *text)
{
    uint8_t want[DNS_NAME_MAXLEN];
    size_t len;
    assert_int_equal(dns_name_from_text(text, strlen(text), NULL, want, &len), 0);
    assert_memory_equal(wire, want, len);
}

/* ---- a full config ------------------------------------------------------------------------- */

static const char full[] =
    "{\"server\": {\"state_dir\": \"/var/lib/nanodns\", \"update_host\": \"127.0.0.1\","
    "             \"update_port\": 8053},"
    " \"tsig_keys\": {\"K1.Example.\": {\"algorithm\": \"HMAC-SHA512.\", \"secret\": \"" SECRET6
    "\"},"
    "               \"k2\": {\"secret\": \"" SECRET32 "\", \"comment\": \"for nsupdate\"},"
    "               \"k3\": {\"algorithm\": \"hmac-sha1\", \"secret\": \"" SECRET6 "\"}},"
    " \"zones\": {\"Example.Test\": {\"allow_update\": [\"key:k1.example\", \"192.0.2.1\","
    "                                              \"10.0.0.0/8\", \"2001:db8::/32\", \"::1\"]},"
    "           \"sub.example.test\": {\"allow_update\": []},"
    "           \"other.test\": {}},"
    " \"records\": [" REC(
        "soa.test", "SOA",
        "ns.soa.test. admin.soa.test. 1 2 3 4 5") ","
                                                  "              " REC(
                                                      "www.example.test", "A",
                                                      "192.0.2.80") "],"
                                                                    " \"dyndns\": [{\"name\": "
                                                                    "\"Home.Example.Test.\", "
                                                                    "\"token\": \"t0k3n\", "
                                                                    "\"expire\": 0,"
                                                                    "              \"ttl\": 30, "
                                                                    "\"comment\": \"router\"},"
                                                                    "             {\"name\": "
                                                                    "\"h.sub.example.test\", "
                                                                    "\"token\": \"!~\"},"
                                                                    "             {\"name\": "
                                                                    "\"soa.test\", \"token\": "
                                                                    "\"x\", \"expire\": 315360000,"
                                                                    "              \"ttl\": "
                                                                    "2147483647}]}";

static void check_full(const struct conf *c)
{
    assert_string_equal(c->server.state_dir, "/var/lib/nanodns");
    assert_string_equal(c->state_path, "/var/lib/nanodns");
    assert_string_equal(c->server.update_host, "127.0.0.1");
    assert_int_equal(c->server.update_port, 8053);
    assert_null(c->update_tls_cert_path);
    assert_null(c->update_tls_key_path);

    assert_int_equal(c->ntsig_keys, 3);
    const struct conf_tsig_key *k = &c->tsig_keys[0];
    assert_string_equal(k->name, "k1.example");
    assert_wire(k->wire, "k1.example.");
    assert_int_equal(k->alg, CONF_TSIG_HMAC_SHA512);
    assert_int_equal(k->secret_len, 6);
    assert_memory_equal(k->secret, "secret", 6);
    k = &c->tsig_keys[1];
    assert_string_equal(k->name, "k2");
    assert_int_equal(k->alg, CONF_TSIG_HMAC_SHA256);
    assert_int_equal(k->secret_len, 32);
    for (int i = 0; i < 32; i++)
        assert_int_equal(k->secret[i], i);
    assert_int_equal(c->tsig_keys[2].alg, CONF_TSIG_HMAC_SHA1);

    assert_int_equal(c->nupdate_acls, 2);
    const struct conf_update_acl *a = &c->update_acls[0];
    assert_wire(a->apex, "example.test.");
    assert_int_equal(a->allow.n, 5);
    assert_string_equal(a->allow.items[0], "key:k1.example");
    assert_string_equal(a->allow.items[4], "::1");
    assert_wire(c->update_acls[1].apex, "sub.example.test.");
    assert_int_equal(c->update_acls[1].allow.n, 0);

    assert_int_equal(c->ndyndns, 3);
    const struct conf_dyndns *h = &c->dyndns[0];
    assert_string_equal(h->name, "home.example.test");
    assert_wire(h->wire, "home.example.test.");
    assert_wire(h->zone, "example.test.");
    assert_string_equal(h->token, "t0k3n");
    assert_int_equal(h->expire, 0);
    assert_int_equal(h->ttl, 30);
    h = &c->dyndns[1];
    assert_wire(h->zone, "sub.example.test."); /* the longest match */
    assert_int_equal(h->expire, 86400);
    assert_int_equal(h->ttl, 60);
    h = &c->dyndns[2];
    assert_wire(h->zone, "soa.test."); /* a zone made by an SOA record */
    assert_int_equal(h->expire, 315360000);
    assert_int_equal(h->ttl, 2147483647u);
}

static void test_full(void **state)
{
    (void)state;
    struct ld l;
    expect_ok(&l, full, 0);
    check_full(l.c);
    ld_free(&l);
    /* without a snapshot (validation only) the same fields are filled */
    ld_run(&l, full, false);
    assert_int_equal(l.r, 0);
    check_full(l.c);
    ld_free(&l);
}

/* Configs without the new keys: all off, the state folder beside the config. */
static void test_defaults(void **state)
{
    (void)state;
    struct ld l;
    size_t len;
    const uint8_t *ex = conf_example(&len);
    memset(&l, 0, sizeof(l));
    conf_diag_init(&l.d);
    l.r = conf_load("<embedded example>", ex, len, NULL, &l.c, &l.s, &l.d);
    assert_int_equal(l.r, 0);
    assert_int_equal(l.d.n, 0);
    assert_string_equal(l.c->state_path, "nanodns-state");
    assert_int_equal(l.c->server.update_port, 0);
    assert_string_equal(l.c->server.update_host, "0.0.0.0");
    assert_int_equal(l.c->ntsig_keys + l.c->ndyndns + l.c->nupdate_acls, 0);
    ld_free(&l);

    ld_named(&l, "/etc/nanodns/nanodns.json", "{}", NULL, true);
    assert_int_equal(l.r, 0);
    assert_string_equal(l.c->state_path, "/etc/nanodns/nanodns-state");
    ld_free(&l);
    ld_named(&l, "/nanodns.json", "{}", NULL, true);
    assert_int_equal(l.r, 0);
    assert_string_equal(l.c->state_path, "/nanodns-state");
    ld_free(&l);
    ld_named(&l, "conf/nanodns.json", "{\"server\": {\"state_dir\": \"st/x\"}}", NULL, true);
    assert_int_equal(l.r, 0);
    assert_string_equal(l.c->state_path, "conf/st/x");
    ld_free(&l);

    /* the new top-level keys are known: no warning */
    expect_ok(&l, "{\"tsig_keys\": {}, \"dyndns\": []}", 0);
    ld_free(&l);
}

/* ---- server.* ------------------------------------------------------------------------------ */

static void test_server(void **state)
{
    (void)state;
    expect_error("{\"server\": {\"update_port\": 70000}}",
                 "server.update_port: expected an integer from 0 to 65535, got 70000");
    expect_error("{\"server\": {\"update_host\": \"bad host!\"}}",
                 "server.update_host: invalid address \"bad host!\" (expected an IP address or a "
                 "host name)");
    expect_error("{\"server\": {\"state_dir\": 5}}", "server.state_dir: expected a string, got 5");
    expect_error("{\"server\": {\"update_tls_cert\": \"/etc/hostname\"}}",
                 "server.update_tls_key: missing; server.update_tls_cert and "
                 "server.update_tls_key go together (both for HTTPS, neither for plain HTTP)");
    expect_error("{\"server\": {\"update_tls_key\": \"/etc/hostname\"}}",
                 "server.update_tls_cert: missing; server.update_tls_cert and "
                 "server.update_tls_key go together (both for HTTPS, neither for plain HTTP)");
    expect_error("{\"server\": {\"update_port\": 9053, \"mgmt_port\": 9053}}",
                 "server.update_port: 9053 is also server.mgmt_port");
    expect_error("{\"server\": {\"update_port\": 5353, \"port\": 5353,"
                 " \"update_host\": \"127.0.0.1\"}}",
                 "server.update_port: 5353 is also server.port (DNS over TCP)");
    /* different addresses of one family may share a port */
    struct ld l;
    expect_ok(&l,
              "{\"server\": {\"update_port\": 9053, \"mgmt_port\": 9053,"
              " \"update_host\": \"127.0.0.2\", \"mgmt_host\": \"127.0.0.1\"}}",
              0);
    ld_free(&l);

    /* files, relative to the config's folder */
    char name[128], json[512];
    put_file("cert.pem", "-----BEGIN CERTIFICATE-----\n");
    put_file("key.pem", "-----BEGIN PRIVATE KEY-----\n");
    snprintf(name, sizeof(name), "%s/c.json", tmpdir);
    ld_named(&l, name,
             "{\"server\": {\"update_tls_cert\": \"cert.pem\", \"update_tls_key\": \"key.pem\","
             " \"state_dir\": \"state\"}}",
             NULL, true);
    if (l.r)
        ld_dump(&l);
    assert_int_equal(l.r, 0);
    char want[256];
    snprintf(want, sizeof(want), "%s/cert.pem", tmpdir);
    assert_string_equal(l.c->update_tls_cert_path, want);
    snprintf(want, sizeof(want), "%s/key.pem", tmpdir);
    assert_string_equal(l.c->update_tls_key_path, want);
    snprintf(want, sizeof(want), "%s/state", tmpdir);
    assert_string_equal(l.c->state_path, want);
    ld_free(&l);

    expect_error_in_dir("{\"server\": {\"update_tls_cert\": \"nope.pem\","
                        " \"update_tls_key\": \"key.pem\"}}",
                        "server.update_tls_cert: cannot read %s/nope.pem: No such file or "
                        "directory");
    expect_error_in_dir("{\"server\": {\"update_tls_cert\": \"cert.pem\","
                        " \"update_tls_key\": \".\"}}",
                        "server.update_tls_key: cannot read %s/.: Is a directory");
    snprintf(json, sizeof(json),
             "{\"server\": {\"update_tls_cert\": \"%s/cert.pem\","
             " \"update_tls_key\": \"/nonexistent/key.pem\"}}",
             tmpdir);
    expect_error(json, "server.update_tls_key: cannot read /nonexistent/key.pem: No such file or "
                       "directory");
    expect_error_in_dir("{\"server\": {\"state_dir\": \"cert.pem\"}}",
                        "server.state_dir: %s/cert.pem exists and is not a folder");
    put_file("nanodns-state", "");
    expect_error_in_dir("{}", "server.state_dir: %s/nanodns-state exists and is not a folder");
    snprintf(want, sizeof(want), "%s/nanodns-state", tmpdir);
    unlink(want);

    /* untrusted input may not name files */
    struct conf_overrides ov = CONF_OVERRIDES_NONE;
    ov.no_zone_files = true;
    ld_named(&l, name, "{\"server\": {\"update_tls_cert\": \"a\", \"update_tls_key\": \"b\"}}", &ov,
             true);
    assert_int_equal(l.r, ERR_SYNTAX);
    assert_diag(&l, true, "server.update_tls_cert: files are not allowed here");
    ld_free(&l);
}

/* ---- tsig_keys ----------------------------------------------------------------------------- */

#define KEY(body) "{\"tsig_keys\": {\"k1\": " body "}}"

static void test_keys(void **state)
{
    (void)state;
    expect_error("{\"tsig_keys\": [\"k1\"]}", "tsig_keys: expected an object, got a list");
    expect_error("{\"tsig_keys\": {\"a..b\": {\"secret\": \"" SECRET6 "\"}}}",
                 "tsig_keys[\"a..b\"]: invalid domain name \"a..b\" (invalid domain name)");
    expect_error(KEY("\"" SECRET6 "\""), "tsig_keys[\"k1\"]: expected an object, got a string");
    expect_error(KEY("{\"algorithm\": \"md5\", \"secret\": \"" SECRET6 "\"}"),
                 "tsig_keys[\"k1\"].algorithm: unknown algorithm \"md5\" (expected hmac-sha256, "
                 "hmac-sha512 or hmac-sha1)");
    expect_error(KEY("{\"algorithm\": \"hmac-sha256..\", \"secret\": \"" SECRET6 "\"}"),
                 "tsig_keys[\"k1\"].algorithm: unknown algorithm \"hmac-sha256..\" (expected "
                 "hmac-sha256, hmac-sha512 or hmac-sha1)");
    expect_error(KEY("{\"algorithm\": 256, \"secret\": \"" SECRET6 "\"}"),
                 "tsig_keys[\"k1\"].algorithm: expected a string, got 256");
    expect_error(KEY("{}"), "tsig_keys[\"k1\"]: missing required key \"secret\" (or "
                            "\"secret_file\")");
    expect_error(KEY("{\"secret\": \"" SECRET6 "\", \"secret_file\": \"k.key\"}"),
                 "tsig_keys[\"k1\"]: give \"secret\" or \"secret_file\", not both");
    expect_error(KEY("{\"secret\": 12345678}"),
                 "tsig_keys[\"k1\"].secret: expected a string, got a number");
    expect_error(KEY("{\"secret\": \"\"}"),
                 "tsig_keys[\"k1\"].secret: empty secret (expected the base64 text of 1 to 512 "
                 "bytes)");
    expect_error(KEY("{\"secret\": \"c2VjcmV0!\"}"),
                 "tsig_keys[\"k1\"].secret: the secret is not valid base64");
    expect_error(KEY("{\"secret\": \"c2VjcmV\"}"),
                 "tsig_keys[\"k1\"].secret: the secret is not valid base64");
    expect_error(KEY("{\"secret_file\": \"\"}"), "tsig_keys[\"k1\"].secret_file: empty file name");
    expect_error(KEY("{\"secret_file\": 7}"),
                 "tsig_keys[\"k1\"].secret_file: expected a string, got 7");
    expect_error(KEY("{\"secret_file\": \"/nonexistent/k1.key\"}"),
                 "tsig_keys[\"k1\"].secret_file: cannot read /nonexistent/k1.key: No such file "
                 "or directory");
    expect_error("{\"tsig_keys\": {\"k1\": {\"secret\": \"" SECRET6 "\"},"
                 " \"K1.\": {\"secret\": \"" SECRET6 "\"}}}",
                 "tsig_keys[\"K1.\"]: the same key name as tsig_keys[\"k1\"]");

    /* 512 bytes is the most */
    char json[2048], b64[800];
    size_t n = 0;
    for (int i = 0; i < 170; i++)
        n += (size_t)snprintf(b64 + n, sizeof(b64) - n, "AAAA");
    snprintf(json, sizeof(json), KEY("{\"secret\": \"%sAAA=\"}"), b64);
    struct ld l;
    expect_ok(&l, json, 0);
    assert_int_equal(l.c->tsig_keys[0].secret_len, 512);
    ld_free(&l);
    snprintf(json, sizeof(json), KEY("{\"secret\": \"%sAAAA\"}"), b64);
    expect_error(json,
                 "tsig_keys[\"k1\"].secret: the secret is longer than 512 bytes once decoded");

    /* unknown keys warn; blanks inside the base64 are allowed */
    expect_ok(&l, KEY("{\"secret\": \"c2Vj cmV0\", \"colour\": \"blue\"}"), 1);
    assert_diag(&l, false, "tsig_keys[\"k1\"].colour: unknown key (ignored)");
    assert_int_equal(l.c->tsig_keys[0].secret_len, 6);
    ld_free(&l);
}

static void test_key_files(void **state)
{
    (void)state;
    char name[128];
    snprintf(name, sizeof(name), "%s/c.json", tmpdir);
    put_file("plain.key", "\n  " SECRET32 "  \n");
    put_file("bind.key", "# made by tsig-keygen\n"
                         "key \"k1\" {\n"
                         "\talgorithm hmac-sha512; // the strong one\n"
                         "\t/* secret \"bm90IHRoaXM=\"; */\n"
                         "\tsecret \"" SECRET6 "\";\n"
                         "};\n");
    put_file("md5.key", "key \"k1\" { algorithm hmac-md5; secret \"" SECRET6 "\"; };\n");
    put_file("bad.key", "s3cr3t!\n");
    put_file("slash.key", "ab//////\n"); /* "//" is no comment in bare base64 */

    struct ld l;
    ld_named(&l, name,
             "{\"tsig_keys\": {\"p\": {\"secret_file\": \"plain.key\"},"
             " \"b\": {\"secret_file\": \"bind.key\"},"
             " \"b2\": {\"secret_file\": \"bind.key\", \"algorithm\": \"hmac-sha512\"},"
             " \"s\": {\"secret_file\": \"slash.key\"}}}",
             NULL, true);
    if (l.r || l.d.n)
        ld_dump(&l);
    assert_int_equal(l.r, 0);
    assert_int_equal(l.c->tsig_keys[0].secret_len, 32);
    assert_int_equal(l.c->tsig_keys[0].alg, CONF_TSIG_HMAC_SHA256);
    assert_int_equal(l.c->tsig_keys[1].secret_len, 6);
    assert_memory_equal(l.c->tsig_keys[1].secret, "secret", 6);
    /* no algorithm in the config: the key file's */
    assert_int_equal(l.c->tsig_keys[1].alg, CONF_TSIG_HMAC_SHA512);
    assert_int_equal(l.c->tsig_keys[2].alg, CONF_TSIG_HMAC_SHA512);
    assert_int_equal(l.c->tsig_keys[3].secret_len, 6);
    assert_memory_equal(l.c->tsig_keys[3].secret, "\x69\xbf\xff\xff\xff\xff", 6);
    ld_free(&l);

    expect_error_in_dir(KEY("{\"secret_file\": \"bind.key\", \"algorithm\": \"hmac-sha256\"}"),
                        "tsig_keys[\"k1\"].algorithm: hmac-sha256, but the key file "
                        "%s/bind.key says hmac-sha512");
    expect_error_in_dir(KEY("{\"secret_file\": \"md5.key\"}"),
                        "tsig_keys[\"k1\"].secret_file: %s/md5.key: unknown algorithm "
                        "\"hmac-md5\" (expected hmac-sha256, hmac-sha512 or hmac-sha1)");
    expect_error_in_dir(KEY("{\"secret_file\": \"bad.key\"}"),
                        "tsig_keys[\"k1\"].secret_file: %s/bad.key: the secret is not valid "
                        "base64 (expected base64 text or a BIND key file with secret \"...\";)");
    expect_error_in_dir(KEY("{\"secret_file\": \".\"}"),
                        "tsig_keys[\"k1\"].secret_file: cannot read %s/.: Is a directory");

    struct conf_overrides ov = CONF_OVERRIDES_NONE;
    ov.no_zone_files = true;
    ld_named(&l, name, KEY("{\"secret_file\": \"plain.key\"}"), &ov, true);
    assert_int_equal(l.r, ERR_SYNTAX);
    assert_diag(&l, true, "tsig_keys[\"k1\"].secret_file: files are not allowed here");
    ld_free(&l);
}

/* ---- zones.<zone>.allow_update ------------------------------------------------------------- */

#define ACL(list)                                                                                  \
    "{\"tsig_keys\": {\"k1\": {\"secret\": \"" SECRET6 "\"}},"                                     \
    " \"zones\": {\"example.test\": {\"allow_update\": " list "}}}"

static void test_allow_update(void **state)
{
    (void)state;
    expect_error(ACL("\"key:k1\""),
                 "zones[\"example.test\"].allow_update: expected a list of strings, got "
                 "\"key:k1\"");
    expect_error(ACL("[5]"), "zones[\"example.test\"].allow_update[0]: expected a string, got 5");
    expect_error(ACL("[\"key:k1\", \"key:k9\"]"),
                 "zones[\"example.test\"].allow_update[1]: no key \"k9\" in tsig_keys");
    expect_error(ACL("[\"key:a..b\"]"), "zones[\"example.test\"].allow_update[0]: invalid key "
                                        "name \"a..b\" (invalid domain name)");
    expect_error(ACL("[\"10.0.0.0/33\"]"),
                 "zones[\"example.test\"].allow_update[0]: invalid entry \"10.0.0.0/33\" "
                 "(expected \"key:<key name>\" or an address prefix such as 192.0.2.0/24 or "
                 "2001:db8::/32)");
    expect_error(ACL("[\"k1\"]"),
                 "zones[\"example.test\"].allow_update[0]: invalid entry \"k1\" (expected "
                 "\"key:<key name>\" or an address prefix such as 192.0.2.0/24 or "
                 "2001:db8::/32)");
    /* key names compare case-insensitively, with or without the dot */
    struct ld l;
    expect_ok(&l, ACL("[\"KEY:K1.\", \"192.0.2.7\", \"fd00::/8\"]"), 0);
    assert_int_equal(l.c->nupdate_acls, 1);
    assert_int_equal(l.c->update_acls[0].allow.n, 3);
    assert_string_equal(l.c->update_acls[0].allow.items[0], "KEY:K1.");
    ld_free(&l);
    /* absent: no policy at all */
    expect_ok(&l, "{\"zones\": {\"example.test\": {}}}", 0);
    assert_int_equal(l.c->nupdate_acls, 0);
    ld_free(&l);
    /* a key used without tsig_keys */
    expect_error("{\"zones\": {\"example.test\": {\"allow_update\": [\"key:k1\"]}}}",
                 "zones[\"example.test\"].allow_update[0]: no key \"k1\" in tsig_keys");
}

/* ---- dyndns -------------------------------------------------------------------------------- */

#define ZONES       "\"zones\": {\"example.test\": {}}"
#define DYN(list)   "{" ZONES ", \"dyndns\": " list "}"
#define HOST(extra) "[{\"name\": \"home.example.test\", \"token\": \"tok\"" extra "}]"

static void test_dyndns(void **state)
{
    (void)state;
    expect_error(DYN("{}"), "dyndns: expected a list, got an object");
    expect_error(DYN("[\"home.example.test\"]"), "dyndns[0]: expected an object, got a string");
    expect_error(DYN("[{\"token\": \"tok\"}]"), "dyndns[0]: missing required key \"name\"");
    expect_error(DYN("[{\"name\": 5, \"token\": \"tok\"}]"),
                 "dyndns[0].name: expected a string, got 5");
    expect_error(DYN("[{\"name\": \"a..example.test\", \"token\": \"tok\"}]"),
                 "dyndns[0].name: invalid domain name \"a..example.test\" (invalid domain name)");
    expect_error(DYN("[{\"name\": \"a.example.test\", \"token\": \"1\"},"
                     " {\"name\": \"b.example.test\", \"token\": \"2\"},"
                     " {\"name\": \"x.other.test\", \"token\": \"3\"}]"),
                 "dyndns[2].name: \"x.other.test\" is not inside a declared zone");
    expect_error(DYN("[{\"name\": \"example\", \"token\": \"1\"}]"),
                 "dyndns[0].name: \"example\" is not inside a declared zone");
    expect_error(DYN("[{\"name\": \"home.example.test\", \"token\": \"1\"},"
                     " {\"name\": \"HOME.example.test.\", \"token\": \"2\"}]"),
                 "dyndns[1].name: \"HOME.example.test.\" is the same name as dyndns[0].name");
    expect_error(DYN("[{\"name\": \"home.example.test\"}]"),
                 "dyndns[0]: missing required key \"token\"");
    expect_error(DYN("[{\"name\": \"home.example.test\", \"token\": 1234}]"),
                 "dyndns[0].token: expected a string, got a number");
    static const char *const bad_tokens[] = {"\"\"", "\"a b\"", "\"caf\\u00e9\"", "\"tab\\t\""};
    for (size_t i = 0; i < sizeof(bad_tokens) / sizeof(bad_tokens[0]); i++) {
        char json[256];
        snprintf(json, sizeof(json), DYN("[{\"name\": \"home.example.test\", \"token\": %s}]"),
                 bad_tokens[i]);
        expect_error(json,
                     "dyndns[0].token: invalid token (expected 1 to 256 visible ASCII characters)");
    }
    char json[1024], tok[300];
    memset(tok, 'x', 257);
    tok[257] = 0;
    snprintf(json, sizeof(json), DYN("[{\"name\": \"home.example.test\", \"token\": \"%s\"}]"),
             tok);
    expect_error(json,
                 "dyndns[0].token: invalid token (expected 1 to 256 visible ASCII characters)");
    tok[256] = 0;
    snprintf(json, sizeof(json), DYN("[{\"name\": \"home.example.test\", \"token\": \"%s\"}]"),
             tok);
    struct ld l;
    expect_ok(&l, json, 0);
    assert_int_equal(strlen(l.c->dyndns[0].token), 256);
    ld_free(&l);

    expect_error(DYN(HOST(", \"expire\": -1")),
                 "dyndns[0].expire: expected an integer from 0 to 315360000, got -1");
    expect_error(DYN(HOST(", \"expire\": 315360001")),
                 "dyndns[0].expire: expected an integer from 0 to 315360000, got 315360001");
    expect_error(DYN(HOST(", \"expire\": \"1d\"")),
                 "dyndns[0].expire: expected an integer from 0 to 315360000, got \"1d\"");
    expect_error(DYN(HOST(", \"ttl\": 2147483648")),
                 "dyndns[0].ttl: expected an integer from 0 to 2147483647, got 2147483648");
    expect_error(DYN(HOST(", \"ttl\": 1.5")),
                 "dyndns[0].ttl: expected an integer from 0 to 2147483647, got 1.5");

    expect_ok(&l, DYN(HOST(", \"tokn\": \"x\"")), 1);
    assert_diag(&l, false, "dyndns[0].tokn: unknown key (ignored)");
    ld_free(&l);

    /* the zone apex itself is inside; a zone with other errors does not cascade */
    expect_ok(&l, DYN("[{\"name\": \"example.test\", \"token\": \"1\"}]"), 0);
    assert_wire(l.c->dyndns[0].zone, "example.test.");
    ld_free(&l);
    ld_run(&l,
           "{\"zones\": {\"example.test\": {\"ttl\": -5}},"
           " \"dyndns\": [{\"name\": \"a.example.test\", \"token\": \"1\"}]}",
           true);
    assert_int_equal(l.r, ERR_SYNTAX);
    assert_int_equal(l.d.errors, 1);
    ld_free(&l);
}

static void test_dyndns_static(void **state)
{
    (void)state;
    struct ld l;
    expect_ok(&l,
              "{" ZONES ", \"records\": [" REC("Home.example.test", "A",
                                               "192.0.2.1") "],"
                                                            " \"dyndns\": " HOST("") "}",
              1);
    assert_diag(&l, false,
                "dyndns[0].name: home.example.test also has static A records; the dynamic ones "
                "replace them");
    ld_free(&l);
    expect_ok(&l,
              "{" ZONES ", \"records\": [" REC("home.example.test", "AAAA", "2001:db8::1") ", " REC(
                  "home.example.test", "A",
                  "192.0.2.1") ", " REC("home.example.test", "TXT",
                                        "x") "],"
                                             " \"dyndns\": [{\"name\": \"www.example.test\", "
                                             "\"token\": \"1\"},"
                                             "              {\"name\": \"home.example.test\", "
                                             "\"token\": \"2\"}]}",
              1);
    assert_diag(&l, false,
                "dyndns[1].name: home.example.test also has static A and AAAA records; the "
                "dynamic ones replace them");
    ld_free(&l);
    expect_error("{" ZONES ", \"records\": [" REC("home.example.test", "CNAME",
                                                  "www.example.test") "],"
                                                                      " \"dyndns\": " HOST("") "}",
                 "dyndns[0].name: home.example.test has a static CNAME record, which cannot "
                 "share its name with the dynamic A and AAAA records (RFC 1034 3.6.2)");

    /* records of a zone file count too */
    char name[128];
    snprintf(name, sizeof(name), "%s/c.json", tmpdir);
    put_file("db.example.test", "$TTL 300\n"
                                "@ IN SOA ns1 admin 1 3600 900 604800 300\n"
                                "@ IN NS ns1\n"
                                "ns1 IN A 192.0.2.53\n"
                                "home IN AAAA 2001:db8::5\n");
    ld_named(&l, name,
             "{\"zones\": {\"example.test\": {\"file\": \"db.example.test\"}},"
             " \"dyndns\": " HOST("") "}",
             NULL, true);
    assert_int_equal(l.r, 0);
    assert_int_equal(l.d.warnings, 1);
    assert_diag(&l, false,
                "dyndns[0].name: home.example.test also has static AAAA records; the dynamic "
                "ones replace them");
    assert_wire(l.c->dyndns[0].zone, "example.test.");
    ld_free(&l);
}

/* ---- no credential in any message ---------------------------------------------------------- */

static void test_no_secrets_in_messages(void **state)
{
    (void)state;
    static const char *const configs[] = {
        "{\"tsig_keys\": {\"k1\": {\"secret\": \"s3cr3t!!\"}}}",
        "{\"tsig_keys\": {\"k1\": \"s3cr3t!!\"}}",
        "{\"tsig_keys\": [\"s3cr3t!!\"]}",
        "{\"tsig_keys\": {\"k1\": {\"secret\": \"s3cr3t!!\", \"secret_file\": \"s3cr3t!!\"}}}",
        DYN("[{\"name\": \"home.example.test\", \"token\": \"s3cr3t!! \"}]"),
        DYN("[\"home.example.test s3cr3t!!\"]"),
        DYN("{\"token\": \"s3cr3t!!\"}"),
        "{\"dyndns\": [{\"name\": \"x.test\", \"token\": \"s3cr3t!!\"}]}",
    };
    for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
        struct ld l;
        ld_run(&l, configs[i], true);
        assert_int_equal(l.r, ERR_SYNTAX);
        for (size_t k = 0; k < l.d.n; k++)
            if (strstr(l.d.msgs[k].text, "s3cr3t")) {
                ld_dump(&l);
                fail_msg("a message quotes the credential: %s", configs[i]);
            }
        ld_free(&l);
    }
}

/* ---- the dynamic layer's hooks pass through the watch -------------------------------------- */

struct fake_dyn {
    int hides, serial, add;
};

static bool fake_hides(void *ctx, const uint8_t *owner, uint16_t type)
{
    struct fake_dyn *f = ctx;
    f->hides++;
    static const uint8_t home[] = "\4home\7example\4test";
    return type == DNS_TYPE_A && dns_name_equal(owner, home);
}

static uint32_t fake_serial(void *ctx, const uint8_t *apex, uint32_t serial)
{
    (void)apex;
    struct fake_dyn *f = ctx;
    f->serial++;
    return serial + 10;
}

static int fake_add(void *ctx, struct zone_builder *b)
{
    struct fake_dyn *f = ctx;
    f->add++;
    static const uint8_t home[] = "\4home\7example\4test";
    static const uint8_t addr[] = {198, 51, 100, 7};
    return zone_builder_add_rr(b, home, DNS_TYPE_A, 60, addr, 4, ZONE_RR_DYNAMIC, 0);
}

static void test_hooks_pass_through(void **state)
{
    (void)state;
    static const char json[] =
        "{\"zones\": {\"example.test\": {\"soa\": {\"serial\": 5}}},"
        " \"records\": [" REC("home.example.test", "A", "192.0.2.1") ", " REC(
            "www.example.test", "A", "192.0.2.2") "],"
                                                  " \"dyndns\": " HOST("") "}";
    static const char plain[] = "{\"zones\": {\"example.test\": {\"soa\": {\"serial\": 5}}},"
                                " \"records\": [" REC("home.example.test", "A", "192.0.2.1") "]}";
    for (int with_dyndns = 0; with_dyndns < 2; with_dyndns++) {
        struct fake_dyn f = {0};
        struct zone_builder_hooks h = {
            .ctx = &f, .hides = fake_hides, .serial = fake_serial, .add = fake_add};
        struct conf_overrides ov = CONF_OVERRIDES_NONE;
        ov.dyn = &h;
        struct ld l;
        ld_run_len(&l, with_dyndns ? json : plain, strlen(with_dyndns ? json : plain), &ov, true);
        if (l.r)
            ld_dump(&l);
        assert_int_equal(l.r, 0);
        assert_true(f.hides >= (with_dyndns ? 3 : 2)); /* every static RR */
        assert_int_equal(f.serial, 1);
        assert_int_equal(f.add, 1);
        assert_rdata(l.s, "home.example.test", DNS_TYPE_A, 0, "198.51.100.7");
        assert_int_equal(zone_node_rrset(node_of(l.s, "home.example.test"), DNS_TYPE_A)->count, 1);
        assert_rdata(l.s, "example.test", DNS_TYPE_SOA, 0,
                     "ns1.example.test. admin.example.test. 15 3600 900 604800 300");
        if (with_dyndns)
            assert_diag(&l, false,
                        "dyndns[0].name: home.example.test also has static A records; the "
                        "dynamic ones replace them");
        ld_free(&l);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_server),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_key_files),
        cmocka_unit_test(test_allow_update),
        cmocka_unit_test(test_dyndns),
        cmocka_unit_test(test_dyndns_static),
        cmocka_unit_test(test_no_secrets_in_messages),
        cmocka_unit_test(test_hooks_pass_through),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
