/*
 * Fuzz target: a peer's HA sync body (POST /sync, or GET /config/raw on a pull) against
 * src/conf/persist.c. The input is the peer body, optionally followed by a NUL byte and our
 * own config ("mine"; empty: none); without a NUL byte "mine" is a fixed valid config with
 * every node-local key set.
 *
 * Oracle: nothing crashes or leaks; a rejection leaves the output untouched and says why; an
 * accepted body becomes a document that carries the version conf_from_peer returns (as
 * conf_peek_version and the config loader read it), whose node-local keys are ours and whose
 * every other value is the peer's, unchanged: nothing is applied in part. A peer config that
 * loads, taken with a config of ours that loads, must load too.
 *   build/fuzz/fuzz_sync -dict=tests/fuzz/sync.dict build/fuzz/new-sync tests/fuzz/corpus/sync
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/persist.h"

static const char fuzz_mine[] =
    "{\"server\": {\"host\": \"127.0.0.2\", \"port\": 5301, \"mgmt_host\": \"127.0.0.2\", "
    "\"mgmt_port\": 9301, \"peers\": [\"127.0.0.3:9301\"], \"config_version\": 3}, "
    "\"records\": []}";

/* Loads `buf` as the server would before publishing it (zone files refused: untrusted). */
static struct conf *fuzz_load(const uint8_t *buf, size_t len)
{
    struct conf_overrides ov = CONF_OVERRIDES_NONE;
    ov.no_zone_files = true;
    struct conf_diag d;
    struct conf *c = NULL;
    struct snap *s = NULL;
    conf_diag_init(&d);
    int r = conf_load("fuzz.json", buf, len, &ov, &c, &s, &d);
    if ((r == 0) != (c != NULL))
        abort();
    conf_diag_deinit(&d);
    snap_free(s);
    return c;
}

static json_t *fuzz_parse(const uint8_t *buf, size_t len, size_t flags)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)buf, len, flags, &je);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* The `server` of `doc` without config_version and, when `skip_local`, the node-local keys
 * (a new reference; a missing server is an empty one, one that is no object itself). */
static json_t *fuzz_server_rest(json_t *doc, bool skip_local)
{
    json_t *s = json_object_get(doc, "server");
    if (!s)
        return json_object();
    if (!json_is_object(s))
        return json_incref(s);
    json_t *r = json_copy(s);
    if (!r)
        abort();
    json_object_del(r, "config_version");
    for (const char *const *k = conf_local_keys; skip_local && *k; k++)
        json_object_del(r, *k);
    return r;
}

/* `a` and `b` are equal but for server.config_version and, when `skip_local`, the
 * node-local keys. */
static bool fuzz_same_data(json_t *a, json_t *b, bool skip_local)
{
    const char *k;
    json_t *v;
    for (int pass = 0; pass < 2; pass++) {
        json_t *x = pass ? b : a, *y = pass ? a : b;
        json_object_foreach(x, k, v)
        {
            if (strcmp(k, "server") && !json_equal(v, json_object_get(y, k)))
                return false;
        }
    }
    json_t *as = fuzz_server_rest(a, skip_local), *bs = fuzz_server_rest(b, skip_local);
    bool same = json_equal(as, bs);
    json_decref(as);
    json_decref(bs);
    return same;
}

static void fuzz_check_local(json_t *out, json_t *src)
{
    json_t *os = json_object_get(out, "server"), *ss = json_object_get(src, "server");
    if (!json_is_object(ss))
        ss = NULL;
    for (const char *const *k = conf_local_keys; *k; k++) {
        json_t *ov = json_is_object(os) ? json_object_get(os, *k) : NULL;
        json_t *sv = ss ? json_object_get(ss, *k) : NULL;
        if (!ov != !sv || (ov && !json_equal(ov, sv)))
            abort();
    }
}

static void fuzz_set_version(const uint8_t *body, size_t len)
{
    uint8_t *out = NULL;
    size_t outlen = 0;
    char err[256] = "";
    int64_t want = 9007199254740991, v = -1;
    if (conf_set_version(body, len, want, &out, &outlen, err, sizeof(err))) {
        if (!err[0] || out)
            abort();
        return;
    }
    if (conf_peek_version(out, outlen, &v, err, sizeof(err)) || v != want)
        abort();
    json_t *a = fuzz_parse(body, len, 0), *b = fuzz_parse(out, outlen, 0);
    if (!a || !b || !fuzz_same_data(a, b, false))
        abort();
    json_decref(a);
    json_decref(b);
    free(out);
}

static void fuzz_from_peer(const uint8_t *body, size_t len, const uint8_t *mine, size_t minelen)
{
    uint8_t *out = NULL;
    size_t outlen = 0;
    int64_t v = -2;
    char err[256] = "";
    if (conf_from_peer(body, len, mine, minelen, &out, &outlen, &v, err, sizeof(err))) {
        if (!err[0] || out)
            abort();
        return;
    }
    if (!out || v < 0 || v > CONF_VERSION_MAX)
        abort();

    /* The version it claims is the one the document carries. */
    int64_t pv = -1;
    char perr[256];
    if (conf_peek_version(out, outlen, &pv, perr, sizeof(perr)) || pv != v)
        abort();

    /* The peer's data whole, our node-local keys. */
    json_t *in = fuzz_parse(body, len, JSON_REJECT_DUPLICATES);
    json_t *res = fuzz_parse(out, outlen, JSON_REJECT_DUPLICATES);
    if (!in || !res)
        abort();
    json_t *inner = json_object_get(in, "config");
    bool rust = json_is_object(inner) && json_object_get(in, "config_version");
    if (rust) {
        json_incref(inner);
        json_decref(in);
        in = inner;
    }
    json_t *my = mine ? fuzz_parse(mine, minelen, 0) : NULL;
    fuzz_check_local(res, my ? my : in);
    if (!fuzz_same_data(in, res, true))
        abort();
    json_decref(my);
    json_decref(res);
    /* The peer's config itself: the body, or the config the Rust form wraps. */
    char *cfg = rust ? json_dumps(in, JSON_REAL_PRECISION(17)) : NULL;
    const uint8_t *cbuf = cfg ? (const uint8_t *)cfg : body;
    size_t clen = cfg ? strlen(cfg) : len;
    json_decref(in);

    /* What the server would publish. */
    struct conf *c = fuzz_load(out, outlen);
    if (c && c->server.config_version != v)
        abort();
    if (!c && mine) {
        struct conf *pc = fuzz_load(cbuf, clen), *mc = pc ? fuzz_load(mine, minelen) : NULL;
        if (pc && mc)
            abort();
        conf_free(pc);
        conf_free(mc);
    }
    conf_free(c);
    free(cfg);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = memchr(data, 0, size);
    size_t len = sep ? (size_t)(sep - data) : size;
    const uint8_t *mine = (const uint8_t *)fuzz_mine;
    size_t minelen = sizeof(fuzz_mine) - 1;
    if (sep) {
        mine = sep + 1;
        minelen = size - len - 1;
        if (!minelen)
            mine = NULL;
    }

    int64_t v = -2;
    char err[256] = "";
    if (conf_peek_version(data, len, &v, err, sizeof(err))) {
        if (!err[0])
            abort();
    } else if (v < 0 || v > CONF_VERSION_MAX) {
        abort();
    }
    fuzz_set_version(data, len);
    fuzz_from_peer(data, len, mine, minelen);
    return 0;
}
