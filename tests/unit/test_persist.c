/* Config rewriting and storing: the version bump, a peer's config made ours (node-local keys
 * kept, the Rust body form), the checksum, and the atomic write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "conf/persist.h"

#define S(x) (const uint8_t *)(x), strlen(x)

static char *str(uint8_t *b, size_t n)
{
    char *s = malloc(n + 1);
    memcpy(s, b, n);
    s[n] = 0;
    free(b);
    return s;
}

static void test_set_version(void **state)
{
    (void)state;
    uint8_t *out;
    size_t n;
    char err[256];
    /* key order kept, 2-space indent, the version replaced in place */
    assert_int_equal(conf_set_version(S("{\"zones\": {}, \"server\": {\"port\": 53, "
                                        "\"config_version\": 4, \"upstream_timeout\": 0.1}, "
                                        "\"records\": []}"),
                                      7, &out, &n, err, sizeof(err)),
                     0);
    char *s = str(out, n);
    assert_string_equal(s, "{\n  \"zones\": {},\n  \"server\": {\n    \"port\": 53,\n"
                           "    \"config_version\": 7,\n    \"upstream_timeout\": 0.1\n  },\n"
                           "  \"records\": []\n}");
    free(s);
    /* no server object: one is added at the end, as NanoDNS's setdefault does */
    assert_int_equal(conf_set_version(S("{\"records\": []}"), 2, &out, &n, err, sizeof(err)), 0);
    s = str(out, n);
    assert_string_equal(s, "{\n  \"records\": [],\n  \"server\": {\n    \"config_version\": 2\n  }\n}");
    free(s);
    /* not JSON, not an object, a server that is not an object */
    assert_int_equal(conf_set_version(S("{bad"), 2, &out, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "line 1"));
    assert_int_equal(conf_set_version(S("[1]"), 2, &out, &n, err, sizeof(err)), -1);
    assert_int_equal(conf_set_version(S("{\"server\": 3}"), 2, &out, &n, err, sizeof(err)), -1);
    /* non-ASCII text stays UTF-8, as json.dumps(ensure_ascii=False) writes it */
    assert_int_equal(conf_set_version(S("{\"records\": [{\"comment\": \"caf\xc3\xa9\"}]}"), 3,
                                      &out, &n, err, sizeof(err)),
                     0);
    s = str(out, n);
    assert_non_null(strstr(s, "caf\xc3\xa9"));
    free(s);
}

static void test_peek_version(void **state)
{
    (void)state;
    int64_t v;
    char err[256];
    assert_int_equal(conf_peek_version(S("{}"), &v, err, sizeof(err)), 0);
    assert_int_equal(v, 1);
    assert_int_equal(conf_peek_version(S("{\"server\":{\"config_version\":9}}"), &v, err,
                                       sizeof(err)),
                     0);
    assert_int_equal(v, 9);
    assert_int_equal(conf_peek_version(S("{\"server\":{\"config_version\":\"9\"}}"), &v, err,
                                       sizeof(err)),
                     -1);
    assert_int_equal(conf_peek_version(S("{\"server\":{\"config_version\":-1}}"), &v, err,
                                       sizeof(err)),
                     -1);
    /* a server that is no object has no version (the loader rejects it too) */
    err[0] = 0;
    assert_int_equal(conf_peek_version(S("{\"server\":[1]}"), &v, err, sizeof(err)), -1);
    assert_string_equal(err, "server: expected an object");
    assert_int_equal(conf_peek_version(S("{\"server\":null}"), &v, err, sizeof(err)), -1);
}

static void test_from_peer(void **state)
{
    (void)state;
    uint8_t *out;
    size_t n;
    int64_t v;
    char err[256];
    const char *mine = "{\"server\": {\"port\": 5301, \"peers\": [\"b:1\", \"c:1\"], "
                       "\"config_version\": 3}, \"records\": []}";
    /* same local keys: the bytes are kept exactly */
    const char *same = "{\"server\":{\"port\":5301,\"peers\":[\"b:1\",\"c:1\"],"
                       "\"config_version\":5},\"records\":[1]}";
    assert_int_equal(conf_from_peer(S(same), S(mine), &out, &n, &v, err, sizeof(err)), 0);
    assert_int_equal(v, 5);
    char *s = str(out, n);
    assert_string_equal(s, same);
    free(s);
    /* other local keys: ours replace theirs; theirs that we lack go */
    const char *other = "{\"server\":{\"port\":5302,\"mgmt_port\":9,\"peers\":[\"a:1\"],"
                        "\"config_version\":6,\"cache_ttl\":5},\"records\":[2]}";
    assert_int_equal(conf_from_peer(S(other), S(mine), &out, &n, &v, err, sizeof(err)), 0);
    assert_int_equal(v, 6);
    s = str(out, n);
    assert_string_equal(s, "{\n  \"server\": {\n    \"port\": 5301,\n    \"peers\": [\n"
                           "      \"b:1\",\n      \"c:1\"\n    ],\n    \"config_version\": 6,\n"
                           "    \"cache_ttl\": 5\n  },\n  \"records\": [\n    2\n  ]\n}");
    free(s);
    /* the Rust form */
    const char *rust = "{\"config_version\": 8, \"config\": {\"server\": {\"port\": 5301, "
                       "\"peers\": [\"b:1\", \"c:1\"]}, \"records\": []}}";
    assert_int_equal(conf_from_peer(S(rust), S(mine), &out, &n, &v, err, sizeof(err)), 0);
    assert_int_equal(v, 8);
    s = str(out, n);
    assert_non_null(strstr(s, "\"config_version\": 8"));
    assert_null(strstr(s, "\"config\":"));
    free(s);
    /* garbage */
    assert_int_equal(conf_from_peer(S("nope"), S(mine), &out, &n, &v, err, sizeof(err)), -1);
    assert_int_equal(conf_from_peer(S("{\"config_version\": \"x\", \"config\": {}}"), S(mine),
                                    &out, &n, &v, err, sizeof(err)),
                     -1);
    assert_int_equal(conf_from_peer(S("{\"a\":1,\"a\":2}"), S(mine), &out, &n, &v, err,
                                    sizeof(err)),
                     -1);
}

/* Found by tests/fuzz/fuzz_sync.c: a peer's `server` that is no object was replaced by one
 * holding our node-local keys, so a config the loader rejects became one it accepts, with
 * the peer's server settings silently dropped. It is an error now, and nothing is output. */
static void test_from_peer_server_not_object(void **state)
{
    (void)state;
    uint8_t *out = NULL;
    size_t n;
    int64_t v;
    char err[256];
    const char *mine = "{\"server\": {\"port\": 5301}}";
    const char *bad[] = {"{\"server\": [1, 2], \"records\": []}", "{\"server\": null}",
                         "{\"server\": \"x\"}",
                         "{\"config_version\": 3, \"config\": {\"server\": 5}}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        assert_int_equal(conf_from_peer(S(bad[i]), S(mine), &out, &n, &v, err, sizeof(err)), -1);
        assert_null(out);
        assert_string_equal(err, "server: expected an object");
    }
    /* without a server at all, ours brings its local keys */
    assert_int_equal(
        conf_from_peer(S("{\"records\": []}"), S(mine), &out, &n, &v, err, sizeof(err)), 0);
    assert_int_equal(v, 1);
    char *s = str(out, n);
    assert_string_equal(s, "{\n  \"records\": [],\n  \"server\": {\n    \"port\": 5301\n  }\n}");
    free(s);
}

/* Found by tests/fuzz/fuzz_sync.c: a Rust-form body could claim a version above the
 * config schema's bound (2^53 - 1); conf_from_peer took it, and the document it made could
 * not be loaded. Worse, a local reload at the bound bumped the file to a version no node can
 * load. Every entry point refuses such a version now. */
static void test_version_bound(void **state)
{
    (void)state;
    uint8_t *out = NULL;
    size_t n;
    int64_t v;
    char err[256];
    assert_int_equal(CONF_VERSION_MAX, 9007199254740991LL);
    assert_int_equal(conf_peek_version(S("{\"server\":{\"config_version\":9007199254740991}}"), &v,
                                       err, sizeof(err)),
                     0);
    assert_int_equal(v, CONF_VERSION_MAX);
    assert_int_equal(conf_peek_version(S("{\"server\":{\"config_version\":9007199254740992}}"), &v,
                                       err, sizeof(err)),
                     -1);
    assert_string_equal(err, "server.config_version: expected an integer from 0 to "
                             "9007199254740991");
    assert_int_equal(conf_set_version(S("{}"), CONF_VERSION_MAX + 1, &out, &n, err, sizeof(err)),
                     -1);
    assert_null(out);
    assert_non_null(strstr(err, "out of range"));
    assert_int_equal(conf_set_version(S("{}"), -1, &out, &n, err, sizeof(err)), -1);
    assert_int_equal(conf_set_version(S("{}"), CONF_VERSION_MAX, &out, &n, err, sizeof(err)), 0);
    free(out);
    out = NULL;
    const char *mine = "{\"server\": {\"port\": 5301}}";
    assert_int_equal(conf_from_peer(S("{\"config_version\": 190071992547409922, \"config\": "
                                      "{\"records\": []}}"),
                                    S(mine), &out, &n, &v, err, sizeof(err)),
                     -1);
    assert_null(out);
    assert_string_equal(err, "config_version: expected an integer from 0 to 9007199254740991");
    assert_int_equal(conf_from_peer(S("{\"server\": {\"config_version\": 9007199254740992}}"),
                                    S(mine), &out, &n, &v, err, sizeof(err)),
                     -1);
    assert_null(out);
}

/* Found by tests/fuzz/fuzz_sync.c: rewritten documents printed every number with 15
 * significant digits, so 0.30000000000000004 (0.1 + 0.2 in a peer's program) came back as
 * 0.3: a version bump or a peer sync changed a value. Hand-written numbers still print short. */
static void test_rewrite_keeps_numbers(void **state)
{
    (void)state;
    uint8_t *out;
    size_t n;
    int64_t v;
    char err[256];
    assert_int_equal(conf_set_version(S("{\"server\": {\"upstream_timeout\": 0.1}}"), 2, &out, &n,
                                      err, sizeof(err)),
                     0);
    char *s = str(out, n);
    assert_non_null(strstr(s, "\"upstream_timeout\": 0.1,\n"));
    free(s);
    assert_int_equal(conf_set_version(S("{\"server\": {\"upstream_timeout\": "
                                        "0.30000000000000004, \"sync_interval\": 1e300}}"),
                                      2, &out, &n, err, sizeof(err)),
                     0);
    s = str(out, n);
    assert_non_null(strstr(s, "0.30000000000000004"));
    free(s);
    const char *mine = "{\"server\": {\"port\": 5301}}";
    assert_int_equal(conf_from_peer(S("{\"config_version\": 4, \"config\": {\"server\": "
                                      "{\"sync_interval\": 12.345678901234567}}}"),
                                    S(mine), &out, &n, &v, err, sizeof(err)),
                     0);
    s = str(out, n);
    assert_non_null(strstr(s, "12.345678901234567"));
    free(s);
}

static void test_checksum(void **state)
{
    (void)state;
    char sum[17];
    /* sha256("abc") = ba7816bf8f01cfea... */
    conf_checksum((const uint8_t *)"abc", 3, sum);
    assert_string_equal(sum, "ba7816bf8f01cfea");
}

static void test_write_atomic(void **state)
{
    (void)state;
    char dir[] = "/tmp/nanodns-persist-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], err[256];
    snprintf(path, sizeof(path), "%s/n.json", dir);
    FILE *f = fopen(path, "w");
    fputs("old", f);
    fclose(f);
    chmod(path, 0640);
    assert_int_equal(conf_write_atomic(path, S("new contents"), err, sizeof(err)), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    assert_int_equal(st.st_size, 12);
    char buf[32] = {0};
    f = fopen(path, "r");
    assert_int_equal(fread(buf, 1, sizeof(buf), f), 12);
    fclose(f);
    assert_string_equal(buf, "new contents");
    /* no temporary file left behind */
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    /* a folder that does not exist: an error, nothing written */
    snprintf(path, sizeof(path), "%s/missing/n.json", dir);
    assert_int_equal(conf_write_atomic(path, S("x"), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "temporary"));
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_version),   cmocka_unit_test(test_peek_version),
        cmocka_unit_test(test_from_peer),     cmocka_unit_test(test_from_peer_server_not_object),
        cmocka_unit_test(test_version_bound), cmocka_unit_test(test_rewrite_keeps_numbers),
        cmocka_unit_test(test_checksum),      cmocka_unit_test(test_write_atomic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
