/*
 * The JSON config (src/conf/): the embedded example, the defaults of the contract table
 * (nanodns-compat.md section 1), every kind of type and range error with its exact message,
 * JSON syntax errors with line and column, unknown keys as warnings, command-line overrides,
 * the Python list format of `check` and the upstream/peer address forms. Records, zones and
 * rewrites are in test_conf_data.c.
 */
#include "confhelp.h"

static void test_example(void **state)
{
    (void)state;
    size_t len;
    const uint8_t *ex = conf_example(&len);
    assert_non_null(ex);
    assert_true(len > 100);
    assert_int_equal(ex[0], '{');

    struct ld l;
    ld_run_len(&l, (const char *)ex, len, NULL, true);
    if (l.r || l.d.n)
        ld_dump(&l);
    assert_int_equal(l.r, 0);
    assert_int_equal(l.d.errors, 0);
    assert_int_equal(l.d.warnings, 0);
    const struct conf_server *sv = &l.c->server;
    assert_string_equal(sv->host, "0.0.0.0");
    assert_int_equal(sv->port, 53);
    assert_int_equal(sv->upstream.n, 2);
    assert_string_equal(sv->upstream.items[0], "8.8.8.8");
    assert_string_equal(sv->upstream.items[1], "1.1.1.1");
    assert_true(sv->upstream_timeout == 3.0);
    assert_int_equal(sv->upstream_port, 53);
    assert_true(sv->cache_enabled);
    assert_int_equal(sv->cache_ttl, 300);
    assert_int_equal(sv->cache_size, 1000);
    assert_string_equal(sv->log_level, "INFO");
    assert_true(sv->log_queries);
    assert_true(sv->hot_reload);
    assert_string_equal(sv->mgmt_host, "0.0.0.0");
    assert_int_equal(sv->mgmt_port, 9053);
    assert_int_equal(sv->peers.n, 0);
    assert_int_equal(sv->config_version, 1);
    assert_int_equal(l.c->log_level, LOG_INFO);
    assert_int_equal(l.c->log_format, LOG_FORMAT_TEXT);
    assert_int_equal(l.c->nrecords, 8);
    assert_int_equal(l.c->nzones, 1);
    assert_int_equal(l.c->nrewrites, 2);

    /* and the data it declares */
    const struct snap *s = l.s;
    assert_int_equal(s->nzones, 1);
    assert_int_equal(s->nrewrites, 2);
    assert_rdata(s, "web.internal.lan", DNS_TYPE_A, 0, "192.168.1.100");
    assert_rdata(s, "api.internal.lan", DNS_TYPE_CNAME, 0, "web.internal.lan.");
    assert_rdata(s, "internal.lan", DNS_TYPE_MX, 0, "10 mail.internal.lan.");
    assert_rdata(s, "internal.lan", DNS_TYPE_TXT, 0, "\"v=spf1 ip4:192.168.1.0/24 ~all\"");
    assert_rdata(s, "internal.lan", DNS_TYPE_NS, 0, "ns1.internal.lan.");
    assert_rdata(s, "ipv6host.internal.lan", DNS_TYPE_AAAA, 0, "fd00::1");
    assert_rdata(s, "internal.lan", DNS_TYPE_SOA, 0,
                 "ns1.internal.lan. admin.internal.lan. 2024010101 3600 900 604800 300");
    const struct zone_node *w = node_of(s, "wildcard.internal.lan");
    assert_non_null(w);
    assert_true(w->flags & ZONE_NODE_WILD1);
    assert_int_equal(zone_node_rrset(node_of(s, "ns1.internal.lan"), DNS_TYPE_A)->ttl, 3600);
    ld_free(&l);

    /* validation only (no snapshot) accepts it too */
    ld_run_len(&l, (const char *)ex, len, NULL, false);
    assert_int_equal(l.r, 0);
    ld_free(&l);
}

static void check_defaults(const struct conf *c)
{
    const struct conf_server *sv = &c->server;
    assert_string_equal(sv->host, "0.0.0.0");
    assert_int_equal(sv->port, 53);
    assert_int_equal(sv->upstream.n, 2);
    assert_string_equal(sv->upstream.items[0], "8.8.8.8");
    assert_string_equal(sv->upstream.items[1], "1.1.1.1");
    assert_true(sv->upstream_timeout == 3.0);
    assert_int_equal(sv->upstream_port, 53);
    assert_true(sv->cache_enabled);
    assert_int_equal(sv->cache_ttl, 300);
    assert_int_equal(sv->cache_size, 1000);
    assert_string_equal(sv->log_level, "INFO");
    assert_true(sv->log_queries);
    assert_true(sv->hot_reload);
    assert_string_equal(sv->mgmt_host, "0.0.0.0");
    assert_int_equal(sv->mgmt_port, 0);
    assert_int_equal(sv->peers.n, 0);
    assert_int_equal(sv->config_version, 1);
    assert_string_equal(sv->log_format, "text");
    assert_int_equal(sv->udp_max_payload, 1232);
    assert_int_equal(sv->tcp_idle_timeout, 10);
    assert_int_equal(sv->tcp_max_clients, 250);
    assert_int_equal(sv->workers, 0);
    assert_string_equal(sv->udp_steering, "auto");
    assert_string_equal(sv->state_dir, "");
    assert_string_equal(sv->update_host, "0.0.0.0");
    assert_int_equal(sv->update_port, 0);
    assert_string_equal(sv->update_tls_cert, "");
    assert_string_equal(sv->update_tls_key, "");
    assert_string_equal(c->state_path, "nanodns-state"); /* "test.json": the current folder */
    assert_null(c->update_tls_cert_path);
    assert_null(c->update_tls_key_path);
    assert_int_equal(c->ntsig_keys, 0);
    assert_int_equal(c->ndyndns, 0);
    assert_int_equal(c->nupdate_acls, 0);
    assert_int_equal(c->log_level, LOG_INFO);
    assert_int_equal(c->log_format, LOG_FORMAT_TEXT);
}

static void test_defaults(void **state)
{
    (void)state;
    static const char all[] = "{\"server\": {}, \"zones\": {}, \"records\": [], \"rewrites\": []}";
    static const char *const empties[] = {"{}", "{\"server\": {}}", " \n{ }\n", all};
    for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
        struct ld l;
        expect_ok(&l, empties[i], 0);
        check_defaults(l.c);
        assert_int_equal(l.c->nrecords, 0);
        assert_int_equal(l.c->nzones, 0);
        assert_int_equal(l.c->nrewrites, 0);
        assert_int_equal(l.s->nzones, 0);
        assert_int_equal(l.s->nrewrites, 0);
        assert_int_equal(l.s->names.count, 0);
        assert_int_equal(l.s->opts.udp_max_payload, 1232);
        assert_true(l.s->opts.log_queries);
        ld_free(&l);
    }
}

/* Every row of the schema has a default and only those rows exist. */
static void test_schema_table(void **state)
{
    (void)state;
    assert_int_equal(conf_server_nopts, 50);
    for (size_t i = 0; i < conf_server_nopts; i++) {
        assert_non_null(conf_server_opts[i].key);
        assert_non_null(conf_server_opts[i].def);
        assert_non_null(conf_server_opts[i].help);
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(conf_server_opts[i].key, conf_server_opts[k].key);
    }
}

/* ---- server values ------------------------------------------------------------------------- */

static void test_server_values(void **state)
{
    (void)state;
    struct ld l;
    expect_ok(&l,
              "{\"server\": {\"host\": \"127.0.0.1\", \"port\": 0, \"upstream\": [],"
              " \"upstream_timeout\": 1.5, \"upstream_port\": 65535, \"cache_enabled\": false,"
              " \"cache_ttl\": 0, \"cache_size\": 100000000, \"log_level\": \"warn\","
              " \"log_queries\": false, \"hot_reload\": false, \"mgmt_host\": \"localhost\","
              " \"mgmt_port\": 65535, \"peers\": [\"10.0.0.2:9053\", \"node-b.lan:9053\","
              " \"[fd00::2]:9053\"], \"config_version\": 9007199254740991,"
              " \"log_format\": \"JSON\", \"udp_max_payload\": 4096, \"tcp_idle_timeout\": 3600,"
              " \"tcp_max_clients\": 1}}",
              0);
    const struct conf_server *sv = &l.c->server;
    assert_string_equal(sv->host, "127.0.0.1");
    assert_int_equal(sv->port, 0);
    assert_int_equal(sv->upstream.n, 0);
    assert_true(sv->upstream_timeout == 1.5);
    assert_int_equal(sv->upstream_port, 65535);
    assert_false(sv->cache_enabled);
    assert_int_equal(sv->cache_ttl, 0);
    assert_int_equal(sv->cache_size, 100000000);
    assert_string_equal(sv->log_level, "warn");
    assert_int_equal(l.c->log_level, LOG_WARNING);
    assert_false(sv->log_queries);
    assert_false(sv->hot_reload);
    assert_string_equal(sv->mgmt_host, "localhost");
    assert_int_equal(sv->mgmt_port, 65535);
    assert_int_equal(sv->peers.n, 3);
    assert_string_equal(sv->peers.items[1], "node-b.lan:9053");
    assert_int_equal(sv->config_version, 9007199254740991LL);
    assert_int_equal(l.c->log_format, LOG_FORMAT_JSON);
    assert_int_equal(sv->udp_max_payload, 4096);
    assert_int_equal(sv->tcp_idle_timeout, 3600);
    assert_int_equal(sv->tcp_max_clients, 1);
    assert_false(l.s->opts.log_queries);
    assert_int_equal(l.s->opts.udp_max_payload, 4096);
    ld_free(&l);

    /* an integer where a number is expected */
    expect_ok(&l, "{\"server\": {\"upstream_timeout\": 60}}", 0);
    assert_true(l.c->server.upstream_timeout == 60.0);
    ld_free(&l);
}

struct bad_server {
    const char *body; /* inside "server": {...} */
    const char *msg;
};

static void test_server_errors(void **state)
{
    (void)state;
    static const struct bad_server cases[] = {
        {"\"port\": 70000", "server.port: expected an integer from 0 to 65535, got 70000"},
        {"\"port\": -1", "server.port: expected an integer from 0 to 65535, got -1"},
        {"\"port\": \"53\"", "server.port: expected an integer from 0 to 65535, got \"53\""},
        {"\"port\": 53.5", "server.port: expected an integer from 0 to 65535, got 53.5"},
        {"\"port\": null", "server.port: expected an integer from 0 to 65535, got null"},
        {"\"mgmt_port\": 65536",
         "server.mgmt_port: expected an integer from 0 to 65535, got 65536"},
        {"\"upstream_port\": 0",
         "server.upstream_port: expected an integer from 1 to 65535, got 0"},
        {"\"cache_ttl\": -5", "server.cache_ttl: expected an integer from 0 to 2147483647, got -5"},
        {"\"cache_size\": 100000001",
         "server.cache_size: expected an integer from 0 to 100000000, got 100000001"},
        {"\"config_version\": -1",
         "server.config_version: expected an integer from 0 to 9007199254740991, got -1"},
        {"\"udp_max_payload\": 511",
         "server.udp_max_payload: expected an integer from 512 to 4096, got 511"},
        {"\"udp_max_payload\": 4097",
         "server.udp_max_payload: expected an integer from 512 to 4096, got 4097"},
        {"\"tcp_idle_timeout\": 0",
         "server.tcp_idle_timeout: expected an integer from 1 to 3600, got 0"},
        {"\"tcp_max_clients\": 100001",
         "server.tcp_max_clients: expected an integer from 1 to 100000, got 100001"},
        {"\"cache_enabled\": \"yes\"", "server.cache_enabled: expected true or false, got \"yes\""},
        {"\"cache_enabled\": 1", "server.cache_enabled: expected true or false, got 1"},
        {"\"log_queries\": null", "server.log_queries: expected true or false, got null"},
        {"\"hot_reload\": \"false\"", "server.hot_reload: expected true or false, got \"false\""},
        {"\"upstream_timeout\": 0",
         "server.upstream_timeout: expected a number from 0.001 to 60, got 0"},
        {"\"upstream_timeout\": 60.5",
         "server.upstream_timeout: expected a number from 0.001 to 60, got 60.5"},
        {"\"upstream_timeout\": \"3\"",
         "server.upstream_timeout: expected a number from 0.001 to 60, got \"3\""},
        {"\"host\": 5", "server.host: expected a string, got 5"},
        {"\"mgmt_host\": [\"a\"]", "server.mgmt_host: expected a string, got [\"a\"]"},
        {"\"host\": \"bad host!\"",
         "server.host: invalid address \"bad host!\" (expected an IP address or a host name)"},
        {"\"host\": \"\"",
         "server.host: invalid address \"\" (expected an IP address or a host name)"},
        {"\"upstream\": \"8.8.8.8\"",
         "server.upstream: expected a list of strings, got \"8.8.8.8\""},
        {"\"peers\": {}", "server.peers: expected a list of strings, got {}"},
        {"\"upstream\": [\"8.8.8.8\", 1]", "server.upstream[1]: expected a string, got 1"},
        {"\"log_level\": \"VERBOSE\"",
         "server.log_level: unknown log level \"VERBOSE\" (expected DEBUG, INFO, WARNING or "
         "ERROR)"},
        {"\"log_level\": 10", "server.log_level: expected a string, got 10"},
        {"\"log_format\": \"xml\"",
         "server.log_format: unknown log format \"xml\" (expected \"text\" or \"json\")"},
        {"\"cookies\": \"always\"",
         "server.cookies: unknown cookie policy \"always\" (expected \"on\", \"require\" or "
         "\"off\")"},
        /* the secret is never echoed */
        {"\"cookie_secret\": \"00112233445566778899aabbccddeeXX\"",
         "server.cookie_secret: invalid cookie secret (expected 32 hexadecimal digits, or \"\" "
         "to generate one)"},
        {"\"cookie_secret\": \"0011\"",
         "server.cookie_secret: invalid cookie secret (expected 32 hexadecimal digits, or \"\" "
         "to generate one)"},
        {"\"rate_limit\": -1",
         "server.rate_limit: expected an integer from 0 to 1000000, got -1"},
        {"\"rate_limit_nxdomain\": -2",
         "server.rate_limit_nxdomain: expected an integer from -1 to 1000000, got -2"},
        {"\"rate_limit_slip\": 11", "server.rate_limit_slip: expected an integer from 0 to 10, got 11"},
        {"\"rate_limit_ipv4_prefix\": 33",
         "server.rate_limit_ipv4_prefix: expected an integer from 8 to 32, got 33"},
        {"\"rate_limit_exempt\": [\"10.0.0.0/33\"]",
         "server.rate_limit_exempt[0]: invalid address prefix \"10.0.0.0/33\" (expected e.g. "
         "10.0.0.0/8 or fd00::/8)"},
        {"\"tcp_max_per_ip\": -1",
         "server.tcp_max_per_ip: expected an integer from 0 to 100000, got -1"},
        {"\"http_timeout\": 0", "server.http_timeout: expected an integer from 1 to 3600, got 0"},
        {"\"user\": \"-root\"", "server.user: invalid name \"-root\""},
        {"\"group\": \"a b\"", "server.group: invalid name \"a b\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char json[512];
        snprintf(json, sizeof(json), "{\"server\": {%s}}", cases[i].body);
        struct ld l;
        ld_run(&l, json, true);
        if (l.r != ERR_SYNTAX || l.d.errors != 1)
            ld_dump(&l);
        assert_int_equal(l.r, ERR_SYNTAX);
        assert_int_equal(l.d.errors, 1);
        assert_diag(&l, true, cases[i].msg);
        ld_free(&l);
    }
}

static void test_server_long_value(void **state)
{
    (void)state;
    /* A long bad value is shortened in the message, not copied whole. */
    char json[1200], val[1001];
    memset(val, 'x', 1000);
    val[1000] = 0;
    snprintf(json, sizeof(json), "{\"server\": {\"port\": \"%s\"}}", val);
    struct ld l;
    ld_run(&l, json, true);
    assert_int_equal(l.r, ERR_SYNTAX);
    assert_int_equal(l.d.n, 1);
    const char *m = l.d.msgs[0].text;
    const char *prefix = "server.port: expected an integer from 0 to 65535, got \"xxx";
    assert_memory_equal(m, prefix, strlen(prefix));
    assert_true(strlen(m) < 200);
    assert_string_equal(m + strlen(m) - 3, "...");
    ld_free(&l);
}

static void test_structure_errors(void **state)
{
    (void)state;
    expect_error("[]", "test.json: the config must be a JSON object");
    expect_error("{\"server\": []}", "server: expected an object, got []");
    expect_error("{\"server\": \"x\"}", "server: expected an object, got \"x\"");
    expect_error("{\"records\": {}}", "records: expected a list, got {}");
    expect_error("{\"rewrites\": 5}", "rewrites: expected a list, got 5");
    expect_error("{\"zones\": []}", "zones: expected an object, got []");
}

/* ---- JSON syntax --------------------------------------------------------------------------- */

static void expect_json_error(const char *json, size_t len, int line, int col)
{
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "test.json:%d:%d: invalid JSON: ", line, col);
    struct ld l;
    ld_run_len(&l, json, len, NULL, true);
    assert_int_equal(l.r, ERR_SYNTAX);
    assert_int_equal(l.d.n, 1);
    const char *m = l.d.msgs[0].text;
    if (strncmp(m, prefix, strlen(prefix)) != 0 || strlen(m) <= strlen(prefix)) {
        ld_dump(&l);
        fail_msg("expected \"%s...\"", prefix);
    }
    ld_free(&l);
}

static void test_json_syntax(void **state)
{
    (void)state;
    static const char trailing_comma[] = "{\n  \"server\": {\n    \"port\": 53,\n  }\n}\n";
    expect_json_error(trailing_comma, strlen(trailing_comma), 4, 3);
    static const char unterminated[] = "{\n\"server\": {\"host\": \"0.0.0.0}}\n";
    /* jansson reports the last character it read: the end of line 2 */
    expect_json_error(unterminated, strlen(unterminated), 2, 29);
    static const char garbage_after[] = "{} x";
    expect_json_error(garbage_after, strlen(garbage_after), 1, 4);
    static const char missing_colon[] = "{\n\n   \"zones\" {}}";
    expect_json_error(missing_colon, strlen(missing_colon), 3, 12);
    static const char bad_utf8[] = "{\"a\": \"\xff\"}";
    expect_json_error(bad_utf8, strlen(bad_utf8), 1, 7);
    expect_json_error("", 0, 1, 0);
    static const char nul_inside[] = "{\"a\": 1}\0{}";
    expect_json_error(nul_inside, sizeof(nul_inside) - 1, 1, 9);
    /* not a config, though JSON: top-level scalars are syntax errors for the loader */
    static const char scalar[] = "5";
    struct ld l;
    ld_run(&l, scalar, true);
    assert_int_equal(l.r, ERR_SYNTAX);
    ld_free(&l);
}

/* ---- unknown keys -------------------------------------------------------------------------- */

static void test_unknown_keys(void **state)
{
    (void)state;
    struct ld l;
    expect_ok(&l,
              "{\"extra\": 1, \"server\": {\"prot\": 53},"
              " \"zones\": {\"example.com\": {\"foo\": 1, \"soa\": {\"mininum\": 5}}},"
              " \"records\": [{\"name\": \"a.example.com\", \"type\": \"A\","
              "   \"value\": \"10.0.0.1\", \"note\": \"x\", \"comment\": \"fine\"}],"
              " \"rewrites\": [{\"match\": \"x.test\", \"action\": \"nxdomain\", \"why\": 1,"
              "   \"comment\": \"fine\"}]}",
              6);
    assert_diag(&l, false, "extra: unknown key (ignored)");
    assert_diag(&l, false, "server.prot: unknown key (ignored)");
    assert_diag(&l, false, "zones[\"example.com\"].foo: unknown key (ignored)");
    assert_diag(&l, false, "zones[\"example.com\"].soa.mininum: unknown key (ignored)");
    assert_diag(&l, false, "records[0].note: unknown key (ignored)");
    assert_diag(&l, false, "rewrites[0].why: unknown key (ignored)");
    /* the misspelt key is ignored, not applied */
    assert_int_equal(l.c->server.port, 53);
    assert_rdata(l.s, "example.com", DNS_TYPE_SOA, 0,
                 "ns1.example.com. admin.example.com. 2024010101 3600 900 604800 300");
    ld_free(&l);
}

static void test_overrides(void **state)
{
    (void)state;
    static const char json[] =
        "{\"server\": {\"host\": \"10.1.1.1\", \"port\": 5300, \"mgmt_port\": 9053,"
        " \"mgmt_host\": \"10.1.1.1\", \"log_level\": \"ERROR\", \"cache_enabled\": true}}";
    struct conf_overrides ov = CONF_OVERRIDES_NONE;
    struct ld l;
    ld_run_len(&l, json, strlen(json), &ov, true);
    assert_int_equal(l.r, 0);
    assert_string_equal(l.c->server.host, "10.1.1.1");
    assert_int_equal(l.c->server.port, 5300);
    assert_int_equal(l.c->server.mgmt_port, 9053);
    assert_int_equal(l.c->log_level, LOG_ERROR);
    assert_true(l.c->server.cache_enabled);
    ld_free(&l);

    ov.host = "127.0.0.1";
    ov.port = 5353;
    ov.mgmt_host = "127.0.0.2";
    ov.mgmt_port = 9999;
    ov.log_level = "debug";
    ov.no_cache = true;
    ld_run_len(&l, json, strlen(json), &ov, true);
    assert_int_equal(l.r, 0);
    assert_string_equal(l.c->server.host, "127.0.0.1");
    assert_int_equal(l.c->server.port, 5353);
    assert_string_equal(l.c->server.mgmt_host, "127.0.0.2");
    assert_int_equal(l.c->server.mgmt_port, 9999);
    assert_string_equal(l.c->server.log_level, "debug");
    assert_int_equal(l.c->log_level, LOG_DEBUG);
    assert_false(l.c->server.cache_enabled);
    ld_free(&l);

    /* port 0 is a value, not "unset" */
    struct conf_overrides ov0 = CONF_OVERRIDES_NONE;
    ov0.port = 0;
    ov0.mgmt_port = 0;
    ld_run_len(&l, json, strlen(json), &ov0, true);
    assert_int_equal(l.r, 0);
    assert_int_equal(l.c->server.port, 0);
    assert_int_equal(l.c->server.mgmt_port, 0);
    ld_free(&l);
}

static void test_load_file(void **state)
{
    (void)state;
    struct conf_diag d;
    struct conf *c = (struct conf *)1;
    struct snap *s = (struct snap *)1;
    conf_diag_init(&d);
    int r = conf_load_file("/nonexistent-dir/nanodns.json", NULL, &c, &s, &d);
    assert_int_equal(r, -ENOENT);
    assert_null(c);
    assert_null(s);
    assert_int_equal(d.errors, 1);
    assert_string_equal(d.msgs[0].text, "Config file not found: /nonexistent-dir/nanodns.json");
    conf_diag_deinit(&d);

    char dir[] = "/tmp/nanodns-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    conf_diag_init(&d);
    r = conf_load_file(dir, NULL, &c, &s, &d);
    assert_int_not_equal(r, 0);
    assert_null(c);
    assert_int_equal(d.errors, 1);
    char want[256];
    snprintf(want, sizeof(want), "%s: not a regular file of at most 256 MiB", dir);
    assert_string_equal(d.msgs[0].text, want);
    conf_diag_deinit(&d);

    char path[160];
    snprintf(path, sizeof(path), "%s/nanodns.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"server\": {\"port\": 5353}, \"records\": [" REC("a.test", "A", "10.0.0.1") "]}", f);
    fclose(f);
    conf_diag_init(&d);
    r = conf_load_file(path, NULL, &c, &s, &d);
    assert_int_equal(r, 0);
    assert_non_null(c);
    assert_non_null(s);
    assert_string_equal(c->path, path);
    assert_int_equal(c->server.port, 5353);
    assert_int_equal(c->nrecords, 1);
    conf_free(c);
    snap_free(s);
    conf_diag_deinit(&d);

    /* errors name the file */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\n  \"server\": {\n    \"port\": 53\n  \n}", f);
    fclose(f);
    conf_diag_init(&d);
    r = conf_load_file(path, NULL, &c, NULL, &d);
    assert_int_equal(r, ERR_SYNTAX);
    assert_null(c);
    snprintf(want, sizeof(want), "%s:5:1: invalid JSON: ", path);
    assert_int_equal(d.n, 1);
    assert_memory_equal(d.msgs[0].text, want, strlen(want));
    conf_diag_deinit(&d);

    unlink(path);
    rmdir(dir);
}

static void check_pylist(const char *const *items, size_t n, const char *want)
{
    struct conf_strlist l = {.items = (char **)items, .n = n};
    char buf[256];
    int r = conf_format_pylist(&l, buf, sizeof(buf));
    assert_int_equal(r, (int)strlen(want));
    assert_string_equal(buf, want);
    /* too small by one byte or more: ERR_SPACE and nothing written past the end */
    for (size_t cap = 0; cap <= strlen(want); cap++) {
        char *small = malloc(cap ? cap : 1);
        assert_non_null(small);
        assert_int_equal(conf_format_pylist(&l, small, cap), ERR_SPACE);
        free(small);
    }
    char *exact = malloc(strlen(want) + 1);
    assert_non_null(exact);
    assert_int_equal(conf_format_pylist(&l, exact, strlen(want) + 1), (int)strlen(want));
    assert_string_equal(exact, want);
    free(exact);
}

static void test_pylist(void **state)
{
    (void)state;
    static const char *const two[] = {"8.8.8.8", "1.1.1.1"};
    check_pylist(two, 2, "['8.8.8.8', '1.1.1.1']");
    check_pylist(NULL, 0, "[]");
    static const char *const one[] = {"[2001:db8::1]:53"};
    check_pylist(one, 1, "['[2001:db8::1]:53']");
    static const char *const quote[] = {"it's"};
    check_pylist(quote, 1, "[\"it's\"]");
    static const char *const both[] = {"it's \"x\""};
    check_pylist(both, 1, "['it\\'s \"x\"']");
    static const char *const dq[] = {"say \"x\""};
    check_pylist(dq, 1, "['say \"x\"']");
    static const char *const bs[] = {"a\\b", ""};
    check_pylist(bs, 2, "['a\\\\b', '']");
}

/* The upstream and peer forms of the contract table. */
static void test_addresses(void **state)
{
    (void)state;
    static const char *const good_up[] = {"1.1.1.1",       "1.1.1.1:5353", "[2001:db8::1]:53",
                                          "2001:db8::1",   "::1",          "[::1]",
                                          "10.0.0.1:65535"};
    static const char *const bad_up[] = {"1.1.1",    "1.1.1.1:0",  "1.1.1.1:70000", "[::1]x",
                                         "1.1.1.1:", "dns.google", "[10.0.0.1]:53", "1.1.1.1:53x",
                                         "",         "[::1]:",     "1.1.1.1:053535"};
    static const char *const good_peer[] = {"10.0.0.2:9053", "node-b.lan:9053", "[fd00::2]:9053",
                                            "localhost:1"};
    static const char *const bad_peer[] = {"10.0.0.2", ":9053", "10.0.0.2:0", "10.0.0.2:65536",
                                           "a b:1",    "host:", "[]:9053",    "[not-v6]:9053"};
    char json[256], msg[256];
    struct ld l;
    for (size_t i = 0; i < sizeof(good_up) / sizeof(good_up[0]); i++) {
        snprintf(json, sizeof(json), "{\"server\": {\"upstream\": [\"%s\"]}}", good_up[i]);
        expect_ok(&l, json, 0);
        assert_int_equal(l.c->server.upstream.n, 1);
        assert_string_equal(l.c->server.upstream.items[0], good_up[i]);
        ld_free(&l);
    }
    for (size_t i = 0; i < sizeof(bad_up) / sizeof(bad_up[0]); i++) {
        snprintf(json, sizeof(json), "{\"server\": {\"upstream\": [\"8.8.8.8\", \"%s\"]}}",
                 bad_up[i]);
        snprintf(msg, sizeof(msg),
                 "server.upstream[1]: invalid upstream \"%s\" (expected an IP address, "
                 "ip:port, [ipv6]:port or an IPv6 address)",
                 bad_up[i]);
        expect_error(json, msg);
    }
    for (size_t i = 0; i < sizeof(good_peer) / sizeof(good_peer[0]); i++) {
        snprintf(json, sizeof(json), "{\"server\": {\"peers\": [\"%s\"]}}", good_peer[i]);
        expect_ok(&l, json, 0);
        assert_string_equal(l.c->server.peers.items[0], good_peer[i]);
        ld_free(&l);
    }
    for (size_t i = 0; i < sizeof(bad_peer) / sizeof(bad_peer[0]); i++) {
        snprintf(json, sizeof(json), "{\"server\": {\"peers\": [\"%s\"]}}", bad_peer[i]);
        snprintf(msg, sizeof(msg), "server.peers[0]: invalid peer \"%s\" (expected \"host:port\")",
                 bad_peer[i]);
        expect_error(json, msg);
    }
}

/* ---- diagnostics --------------------------------------------------------------------------- */

static void test_diag(void **state)
{
    (void)state;
    struct conf_diag d;
    conf_diag_init(&d);
    for (int i = 0; i < 150; i++)
        conf_diag_error(&d, "error %d", i);
    conf_diag_warn(&d, "a warning");
    assert_int_equal(d.errors, 150);
    assert_int_equal(d.warnings, 1);
    assert_int_equal(d.n, CONF_DIAG_MAX);
    assert_int_equal(d.dropped, 51);
    assert_string_equal(d.msgs[0].text, "error 0");
    assert_string_equal(d.msgs[CONF_DIAG_MAX - 1].text, "error 99");
    conf_diag_deinit(&d);
    assert_int_equal(d.n, 0);
    assert_null(d.msgs);

    /* many bad records: all counted, the config rejected, no crash */
    size_t cap = 200 * 80 + 64;
    char *json = malloc(cap);
    assert_non_null(json);
    size_t pos = (size_t)snprintf(json, cap, "{\"records\": [");
    for (int i = 0; i < 200; i++)
        pos +=
            (size_t)snprintf(json + pos, cap - pos, "%s" REC("a.test", "A", "bad"), i ? ", " : "");
    snprintf(json + pos, cap - pos, "]}");
    struct ld l;
    ld_run(&l, json, true);
    assert_int_equal(l.r, ERR_SYNTAX);
    assert_int_equal(l.d.errors, 200);
    assert_int_equal(l.d.n, CONF_DIAG_MAX);
    ld_free(&l);
    free(json);
}

/* Loading is deterministic: the same bytes give the same result twice. */
static void test_reload_same(void **state)
{
    (void)state;
    size_t len;
    const uint8_t *ex = conf_example(&len);
    struct ld a, b;
    ld_run_len(&a, (const char *)ex, len, NULL, true);
    ld_run_len(&b, (const char *)ex, len, NULL, true);
    assert_int_equal(a.r, 0);
    assert_int_equal(b.r, 0);
    assert_int_equal(a.s->names.count, b.s->names.count);
    assert_int_equal(a.s->nrecords, b.s->nrecords);
    assert_int_equal(a.s->nrecords, 10); /* 8 records, the zone's SOA and its NS */
    ld_free(&a);
    ld_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example),          cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_schema_table),     cmocka_unit_test(test_server_values),
        cmocka_unit_test(test_server_errors),    cmocka_unit_test(test_server_long_value),
        cmocka_unit_test(test_structure_errors), cmocka_unit_test(test_json_syntax),
        cmocka_unit_test(test_unknown_keys),     cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_load_file),        cmocka_unit_test(test_pylist),
        cmocka_unit_test(test_addresses),        cmocka_unit_test(test_diag),
        cmocka_unit_test(test_reload_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
