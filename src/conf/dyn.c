/*
 * The top-level sections of the config for dynamic DNS: TSIG keys, dyndns hosts, and the
 * per-zone update policies (zones.<zone>.allow_update) that name them.
 *
 * Arrays in struct conf are index-aligned with the JSON (tsig_keys in object order, dyndns in
 * list order), so a later check can name "dyndns[3]" without a side table; an entry whose
 * name did not parse keeps name NULL and is skipped by every later step (the config is
 * rejected anyway).
 *
 * Secrets come inline (`secret`, base64) or from a file (`secret_file`): either bare base64
 * or a BIND key file as tsig-keygen writes it (key "k" { algorithm hmac-sha256; secret
 * "..."; };). Buffers that held a secret are wiped before they are freed, and no message
 * quotes a secret or a token: a config error is printed by `check` and logged by `start`,
 * and neither output is a place for credentials.
 */
#include "conf/dyn.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/field.h"
#include "dns/dns.h"
#include "dns/name.h"
#include "util/base64.h"
#include "util/cidr.h"
#include "util/err.h"

#define CONF_DYN_SECRET_MAX  512
#define CONF_DYN_KEYFILE_MAX (64u * 1024)
#define CONF_DYN_TOKEN_MAX   256
#define CONF_DYN_EXPIRE_MAX  315360000 /* ten years */
#define CONF_DYN_EXPIRE_DEF  86400
#define CONF_DYN_TTL_MAX     2147483647
#define CONF_DYN_TTL_DEF     60
#define CONF_DYN_ALGS        "hmac-sha256, hmac-sha512 or hmac-sha1"

enum {
    CONF_DYN_SEEN_A = 1u << 0,
    CONF_DYN_SEEN_AAAA = 1u << 1,
    CONF_DYN_SEEN_CNAME = 1u << 2,
};

/* ---- paths and files ----------------------------------------------------------------------- */

char *conf_dyn_path(const char *base, const char *rel)
{
    if (rel[0] == '/' || strcmp(base, ".") == 0)
        return strdup(rel);
    size_t bl = strlen(base), rl = strlen(rel);
    bool slash = bl && base[bl - 1] == '/';
    char *p = malloc(bl + rl + 2);
    if (p)
        snprintf(p, bl + rl + 2, "%s%s%s", base, slash ? "" : "/", rel);
    return p;
}

/* Reads a small file whole, NUL-terminated. Returns 0, a negative errno value or
 * ERR_LIMIT (not a regular file of at most CONF_DYN_KEYFILE_MAX bytes). */
static int conf_dyn__slurp(const char *path, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > CONF_DYN_KEYFILE_MAX) {
        close(fd);
        return S_ISDIR(st.st_mode) ? -EISDIR : ERR_LIMIT;
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *buf = malloc(size + 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = -errno;
            explicit_bzero(buf, got);
            free(buf);
            close(fd);
            return e;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = 0;
    *out = buf;
    *len = got;
    return 0;
}

/* ---- tsig_keys ----------------------------------------------------------------------------- */

static int conf_dyn__alg(const char *text, size_t len, enum conf_tsig_alg *out)
{
    static const struct {
        const char *name;
        enum conf_tsig_alg alg;
    } algs[] = {
        {"hmac-sha256", CONF_TSIG_HMAC_SHA256},
        {"hmac-sha512", CONF_TSIG_HMAC_SHA512},
        {"hmac-sha1", CONF_TSIG_HMAC_SHA1},
    };
    if (len && text[len - 1] == '.')
        len--;
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        if (strlen(algs[i].name) == len && strncasecmp(algs[i].name, text, len) == 0) {
            *out = algs[i].alg;
            return 0;
        }
    }
    return ERR_SYNTAX;
}

static const char *conf_dyn__alg_name(enum conf_tsig_alg a)
{
    return a == CONF_TSIG_HMAC_SHA1     ? "hmac-sha1"
           : a == CONF_TSIG_HMAC_SHA512 ? "hmac-sha512"
                                        : "hmac-sha256";
}

/* Decodes base64 text (blanks between its pieces allowed) into k->secret. `where` starts
 * the messages; `hint` ends the one for bad base64. Returns 0 or -ENOMEM. */
static int conf_dyn__decode(const char *text, size_t len, struct conf_tsig_key *k,
                            const char *where, const char *hint, struct conf_diag *d)
{
    char *b64 = malloc(len + 1);
    uint8_t *raw = malloc(CONF_DYN_SECRET_MAX);
    int r = 0;
    if (!b64 || !raw) {
        r = -ENOMEM;
        goto out;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)text[i]))
            b64[n++] = text[i];
    if (n == 0) {
        conf_diag_error(d, "%s: empty secret (expected the base64 text of 1 to %d bytes)", where,
                        CONF_DYN_SECRET_MAX);
        goto out;
    }
    int got = base64_decode(b64, n, raw, CONF_DYN_SECRET_MAX);
    if (got == ERR_SPACE) {
        conf_diag_error(d, "%s: the secret is longer than %d bytes once decoded", where,
                        CONF_DYN_SECRET_MAX);
        goto out;
    }
    if (got <= 0) {
        conf_diag_error(d, "%s: the secret is not valid base64%s", where, hint);
        goto out;
    }
    k->secret = malloc((size_t)got);
    if (!k->secret) {
        r = -ENOMEM;
        goto out;
    }
    memcpy(k->secret, raw, (size_t)got);
    k->secret_len = (size_t)got;
out:
    if (b64) {
        explicit_bzero(b64, len + 1);
        free(b64);
    }
    if (raw) {
        explicit_bzero(raw, CONF_DYN_SECRET_MAX);
        free(raw);
    }
    return r;
}

/* Blanks the comments of a BIND config text (#, //, C style), outside quoted strings. */
static void conf_dyn__blank_comments(char *s, size_t len)
{
    bool quoted = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') {
            quoted = !quoted;
        } else if (quoted) {
            continue;
        } else if (s[i] == '#' || (s[i] == '/' && i + 1 < len && s[i + 1] == '/')) {
            for (; i < len && s[i] != '\n'; i++)
                s[i] = ' ';
        } else if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
            size_t j = i + 2;
            while (j + 1 < len && !(s[j] == '*' && s[j + 1] == '/'))
                j++;
            j = j + 1 < len ? j + 2 : len;
            memset(s + i, ' ', j - i);
            i = j - 1;
        }
    }
}

/* The statements of a BIND key file that matter here: `secret "..."` (required for the file
 * to count as one) and `algorithm name`. The file text must have its comments blanked. */
struct conf_dyn_bindkey {
    const char *secret, *alg;
    size_t secret_len, alg_len;
};

static bool conf_dyn__bind_key(const char *s, size_t len, struct conf_dyn_bindkey *bk)
{
    memset(bk, 0, sizeof(*bk));
    size_t i = 0;
    while (i < len) {
        if (s[i] == '"') { /* skip a quoted string: key "name" */
            const char *q = memchr(s + i + 1, '"', len - i - 1);
            i = q ? (size_t)(q - s) + 1 : len;
            continue;
        }
        if (!isalpha((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t w = i;
        while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_'))
            i++;
        size_t wlen = i - w;
        while (i < len && isspace((unsigned char)s[i]))
            i++;
        if (wlen == 6 && strncasecmp(s + w, "secret", 6) == 0 && i < len && s[i] == '"') {
            const char *q = memchr(s + i + 1, '"', len - i - 1);
            if (!q)
                return false;
            if (!bk->secret) {
                bk->secret = s + i + 1;
                bk->secret_len = (size_t)(q - bk->secret);
            }
            i = (size_t)(q - s) + 1;
        } else if (wlen == 9 && strncasecmp(s + w, "algorithm", 9) == 0 && !bk->alg) {
            bool q = i < len && s[i] == '"';
            size_t a = q ? i + 1 : i;
            size_t e = a;
            while (e < len && s[e] != ';' && s[e] != '"' && !isspace((unsigned char)s[e]))
                e++;
            bk->alg = s + a;
            bk->alg_len = e - a;
            i = e;
        }
    }
    return bk->secret != NULL;
}

static int conf_dyn__secret_file(const char *path, const char *file, const char *base,
                                 bool allow_files, bool have_alg, struct conf_tsig_key *k,
                                 struct conf_diag *d)
{
    char where[4400];
    if (!allow_files) {
        conf_diag_error(d, "%s.secret_file: files are not allowed here", path);
        return 0;
    }
    char *full = conf_dyn_path(base, file);
    if (!full)
        return -ENOMEM;
    char *text = NULL, *bind = NULL;
    size_t len = 0;
    int r = conf_dyn__slurp(full, &text, &len);
    if (r == -ENOMEM)
        goto out;
    if (r == ERR_LIMIT) {
        conf_diag_error(d, "%s.secret_file: %s is not a regular file of at most %u KiB", path, full,
                        CONF_DYN_KEYFILE_MAX >> 10);
        r = 0;
        goto out;
    }
    if (r) {
        conf_diag_error(d, "%s.secret_file: cannot read %s: %s", path, full, strerror(-r));
        r = 0;
        goto out;
    }
    snprintf(where, sizeof(where), "%s.secret_file: %s", path, full);
    /* Comments are blanked in a copy: "//" may be part of a bare base64 secret. */
    bind = malloc(len + 1);
    if (!bind) {
        r = -ENOMEM;
        goto out;
    }
    memcpy(bind, text, len + 1);
    conf_dyn__blank_comments(bind, len);
    struct conf_dyn_bindkey bk;
    if (!conf_dyn__bind_key(bind, len, &bk)) {
        r = conf_dyn__decode(text, len, k, where,
                             " (expected base64 text or a BIND key file with secret \"...\";)", d);
        goto out;
    }
    if (bk.alg) {
        enum conf_tsig_alg alg;
        if (conf_dyn__alg(bk.alg, bk.alg_len, &alg)) {
            conf_diag_error(d, "%s: unknown algorithm \"%.*s\" (expected " CONF_DYN_ALGS ")", where,
                            (int)(bk.alg_len > 64 ? 64 : bk.alg_len), bk.alg);
        } else if (!have_alg) {
            k->alg = alg; /* the key file says which, the config does not */
        } else if (alg != k->alg) {
            conf_diag_error(d, "%s.algorithm: %s, but the key file %s says %s", path,
                            conf_dyn__alg_name(k->alg), full, conf_dyn__alg_name(alg));
        }
    }
    r = conf_dyn__decode(bk.secret, bk.secret_len, k, where, "", d);
out:
    if (text) {
        explicit_bzero(text, len);
        free(text);
    }
    if (bind) {
        explicit_bzero(bind, len);
        free(bind);
    }
    free(full);
    return r;
}

/* "a string, got a number": the type only, for values that may be credentials. */
static const char *conf_dyn__type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "a list";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "true or false";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

/* A string value that must never be printed (a secret or a token); NULL when absent or
 * not a string (with an error in the second case). */
static const char *conf_dyn__credential(const json_t *obj, const char *key, const char *path,
                                        struct conf_diag *d)
{
    const json_t *v = json_object_get(obj, key);
    if (v && !json_is_string(v)) {
        conf_diag_error(d, "%s.%s: expected a string, got %s", path, key, conf_dyn__type(v));
        return NULL;
    }
    return v ? json_string_value(v) : NULL;
}

/* The lower-cased wire form and text (no trailing dot) of a name; false with an error. */
static bool conf_dyn__name(const char *text, const char *path, uint8_t wire[256], char **name,
                           struct conf_diag *d, int *err)
{
    size_t len;
    uint8_t tmp[DNS_NAME_MAXLEN];
    char buf[DNS_NAME_MAXLEN * 4 + 2];
    int r = dns_name_from_text(text, strlen(text), NULL, tmp, &len);
    if (r) {
        conf_diag_error(d, "%s: invalid domain name \"%s\" (%s)", path, text, err_str(r));
        return false;
    }
    memset(wire, 0, 256);
    dns_name_copy_lower(wire, tmp);
    if (dns_name_to_text(wire, buf, sizeof(buf), DNS_NAME_TEXT_NODOT) < 0)
        buf[0] = 0;
    *name = strdup(buf);
    if (!*name)
        *err = -ENOMEM;
    return *name != NULL;
}

static int conf_dyn__key(const char *kname, const json_t *kv, const char *base, bool allow_files,
                         struct conf_tsig_key *k, struct conf_diag *d)
{
    static const char *const known[] = {"algorithm", "secret", "secret_file", "comment", NULL};
    char path[300];
    int err = 0;
    snprintf(path, sizeof(path), "tsig_keys[\"%s\"]", kname);
    conf_dyn__name(kname, path, k->wire, &k->name, d, &err);
    if (err)
        return err;
    if (!json_is_object(kv)) { /* not quoted: it may be the secret itself */
        conf_diag_error(d, "%s: expected an object, got %s", path, conf_dyn__type(kv));
        return 0;
    }
    conf_field_unknown(kv, known, path, d);

    k->alg = CONF_TSIG_HMAC_SHA256;
    const char *alg = NULL;
    bool have_alg = false;
    if (conf_field_str(kv, "algorithm", path, false, &alg, d) && alg) {
        have_alg = conf_dyn__alg(alg, strlen(alg), &k->alg) == 0;
        if (!have_alg)
            conf_diag_error(d,
                            "%s.algorithm: unknown algorithm \"%s\" (expected " CONF_DYN_ALGS ")",
                            path, alg);
    }

    const char *secret = conf_dyn__credential(kv, "secret", path, d);
    const char *file = NULL;
    bool file_ok = conf_field_str(kv, "secret_file", path, false, &file, d);
    bool have_secret = json_object_get(kv, "secret") != NULL;
    bool have_file = json_object_get(kv, "secret_file") != NULL;
    if (have_secret && have_file) {
        conf_diag_error(d, "%s: give \"secret\" or \"secret_file\", not both", path);
        return 0;
    }
    if (!have_secret && !have_file) {
        conf_diag_error(d, "%s: missing required key \"secret\" (or \"secret_file\")", path);
        return 0;
    }
    if (secret) {
        char where[320];
        snprintf(where, sizeof(where), "%s.secret", path);
        return conf_dyn__decode(secret, strlen(secret), k, where, "", d);
    }
    if (file_ok && file && !file[0]) {
        conf_diag_error(d, "%s.secret_file: empty file name", path);
        return 0;
    }
    if (file_ok && file)
        return conf_dyn__secret_file(path, file, base, allow_files, have_alg, k, d);
    return 0;
}

static int conf_dyn__keys(const json_t *root, const char *base, bool allow_files, struct conf *c,
                          struct conf_diag *d)
{
    const json_t *keys = json_object_get(root, "tsig_keys");
    if (!keys)
        return 0;
    if (!json_is_object(keys)) {
        conf_diag_error(d, "tsig_keys: expected an object, got %s", conf_dyn__type(keys));
        return 0;
    }
    size_t n = json_object_size(keys);
    const char **written = calloc(n ? n : 1, sizeof(*written));
    c->tsig_keys = calloc(n ? n : 1, sizeof(*c->tsig_keys));
    if (!written || !c->tsig_keys) {
        free(written);
        return -ENOMEM;
    }
    c->ntsig_keys = n;
    size_t i = 0;
    const char *kname;
    const json_t *kv;
    int r = 0;
    json_object_foreach((json_t *)keys, kname, kv)
    {
        struct conf_tsig_key *k = &c->tsig_keys[i];
        written[i++] = kname;
        r = conf_dyn__key(kname, kv, base, allow_files, k, d);
        if (r)
            break;
        for (size_t j = 0; k->name && j + 1 < i; j++) {
            if (c->tsig_keys[j].name && dns_name_equal(c->tsig_keys[j].wire, k->wire)) {
                conf_diag_error(d, "tsig_keys[\"%s\"]: the same key name as tsig_keys[\"%s\"]",
                                kname, written[j]);
                break;
            }
        }
    }
    free(written);
    return r;
}

/* ---- dyndns -------------------------------------------------------------------------------- */

static bool conf_dyn__token_ok(const char *t)
{
    size_t n = strlen(t);
    if (n < 1 || n > CONF_DYN_TOKEN_MAX)
        return false;
    for (; *t; t++)
        if (*t < 0x21 || *t > 0x7e)
            return false;
    return true;
}

static int conf_dyn__host(const json_t *hv, size_t idx, struct conf *c, struct conf_diag *d)
{
    static const char *const known[] = {"name", "token", "expire", "ttl", "comment", NULL};
    struct conf_dyndns *h = &c->dyndns[idx];
    char path[48], fpath[64];
    int err = 0;
    snprintf(path, sizeof(path), "dyndns[%zu]", idx);
    h->expire = CONF_DYN_EXPIRE_DEF;
    h->ttl = CONF_DYN_TTL_DEF;
    if (!json_is_object(hv)) { /* not quoted: it may hold the token */
        conf_diag_error(d, "%s: expected an object, got %s", path, conf_dyn__type(hv));
        return 0;
    }
    conf_field_unknown(hv, known, path, d);

    const char *name = NULL;
    snprintf(fpath, sizeof(fpath), "%s.name", path);
    if (conf_field_str(hv, "name", path, true, &name, d) && name &&
        conf_dyn__name(name, fpath, h->wire, &h->name, d, &err)) {
        for (size_t j = 0; j < idx; j++) {
            if (c->dyndns[j].name && dns_name_equal(c->dyndns[j].wire, h->wire)) {
                conf_diag_error(d, "%s: \"%s\" is the same name as dyndns[%zu].name", fpath, name,
                                j);
                break;
            }
        }
    }
    if (err)
        return err;

    if (!json_object_get(hv, "token")) {
        conf_diag_error(d, "%s: missing required key \"token\"", path);
    } else {
        const char *token = conf_dyn__credential(hv, "token", path, d);
        if (token && !conf_dyn__token_ok(token))
            conf_diag_error(d,
                            "%s.token: invalid token (expected 1 to %d visible ASCII characters)",
                            path, CONF_DYN_TOKEN_MAX);
        else if (token && !(h->token = strdup(token)))
            return -ENOMEM;
    }

    int64_t ttl = CONF_DYN_TTL_DEF;
    conf_field_int(hv, "expire", path, 0, CONF_DYN_EXPIRE_MAX, &h->expire, d);
    conf_field_int(hv, "ttl", path, 0, CONF_DYN_TTL_MAX, &ttl, d);
    h->ttl = (uint32_t)ttl;
    return 0;
}

static int conf_dyn__hosts(const json_t *root, struct conf *c, struct conf_diag *d)
{
    const json_t *list = json_object_get(root, "dyndns");
    if (!list)
        return 0;
    if (!json_is_array(list)) {
        conf_diag_error(d, "dyndns: expected a list, got %s", conf_dyn__type(list));
        return 0;
    }
    size_t n = json_array_size(list);
    c->dyndns = calloc(n ? n : 1, sizeof(*c->dyndns));
    if (!c->dyndns)
        return -ENOMEM;
    c->ndyndns = n;
    for (size_t i = 0; i < n; i++) {
        int r = conf_dyn__host(json_array_get(list, i), i, c, d);
        if (r)
            return r;
    }
    return 0;
}

int conf_dyn_load(const json_t *root, const char *base, bool allow_files, struct conf *c,
                  struct conf_diag *d)
{
    int r = conf_dyn__keys(root, base, allow_files, c, d);
    if (!r)
        r = conf_dyn__hosts(root, c, d);
    return r;
}

/* ---- watching the static data -------------------------------------------------------------- */

static int conf_dyn__cmp(const void *a, const void *b)
{
    const struct conf_dyndns *x = *(const struct conf_dyndns *const *)a;
    const struct conf_dyndns *y = *(const struct conf_dyndns *const *)b;
    return dns_name_compare(x->wire, y->wire);
}

static bool conf_dyn__hides(void *ctx, const uint8_t *owner, uint16_t type)
{
    struct conf_dyn_watch *w = ctx;
    unsigned bit = type == DNS_TYPE_A       ? CONF_DYN_SEEN_A
                   : type == DNS_TYPE_AAAA  ? CONF_DYN_SEEN_AAAA
                   : type == DNS_TYPE_CNAME ? CONF_DYN_SEEN_CNAME
                                            : 0;
    if (bit) {
        size_t lo = 0, hi = w->nsorted;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int cmp = dns_name_compare(owner, w->sorted[mid]->wire);
            if (cmp == 0) {
                w->seen[w->sorted[mid] - w->c->dyndns] |= (uint8_t)bit;
                break;
            }
            if (cmp < 0)
                hi = mid;
            else
                lo = mid + 1;
        }
    }
    return w->inner.hides ? w->inner.hides(w->inner.ctx, owner, type) : false;
}

static uint32_t conf_dyn__serial(void *ctx, const uint8_t *apex, uint32_t serial)
{
    struct conf_dyn_watch *w = ctx;
    return w->inner.serial(w->inner.ctx, apex, serial);
}

static int conf_dyn__add(void *ctx, struct zone_builder *b)
{
    struct conf_dyn_watch *w = ctx;
    return w->inner.add(w->inner.ctx, b);
}

int conf_dyn_watch_init(struct conf_dyn_watch *w, const struct conf *c,
                        const struct zone_builder_hooks *inner,
                        const struct zone_builder_hooks **hooks_out)
{
    memset(w, 0, sizeof(*w));
    *hooks_out = inner;
    if (!c->ndyndns)
        return 0;
    w->c = c;
    w->sorted = calloc(c->ndyndns, sizeof(*w->sorted));
    w->seen = calloc(c->ndyndns, 1);
    if (!w->sorted || !w->seen) {
        conf_dyn_watch_deinit(w);
        return -ENOMEM;
    }
    for (size_t i = 0; i < c->ndyndns; i++)
        if (c->dyndns[i].name)
            w->sorted[w->nsorted++] = &c->dyndns[i];
    qsort(w->sorted, w->nsorted, sizeof(*w->sorted), conf_dyn__cmp);
    if (inner)
        w->inner = *inner;
    w->hooks.ctx = w;
    w->hooks.hides = conf_dyn__hides;
    w->hooks.serial = w->inner.serial ? conf_dyn__serial : NULL;
    w->hooks.add = w->inner.add ? conf_dyn__add : NULL;
    *hooks_out = &w->hooks;
    return 0;
}

void conf_dyn_watch_deinit(struct conf_dyn_watch *w)
{
    free(w->sorted);
    free(w->seen);
    memset(w, 0, sizeof(*w));
}

/* ---- after the data ------------------------------------------------------------------------ */

static void conf_dyn__host_zone(const json_t *list, size_t i, const struct conf_data *cd,
                                const struct conf_dyn_watch *w, struct conf_dyndns *h,
                                struct conf_diag *d)
{
    const uint8_t *apex = conf_data_zone_of(cd, h->wire);
    if (!apex) {
        const char *text = json_string_value(json_object_get(json_array_get(list, i), "name"));
        conf_diag_error(d, "dyndns[%zu].name: \"%s\" is not inside a declared zone", i,
                        text ? text : h->name);
        return;
    }
    memset(h->zone, 0, sizeof(h->zone));
    dns_name_copy_lower(h->zone, apex);
    uint8_t seen = w->seen ? w->seen[i] : 0;
    if (seen & CONF_DYN_SEEN_CNAME)
        conf_diag_error(d,
                        "dyndns[%zu].name: %s has a static CNAME record, which cannot share its "
                        "name with the dynamic A and AAAA records (RFC 1034 3.6.2)",
                        i, h->name);
    if (seen & (CONF_DYN_SEEN_A | CONF_DYN_SEEN_AAAA)) {
        bool a = seen & CONF_DYN_SEEN_A, aaaa = seen & CONF_DYN_SEEN_AAAA;
        conf_diag_warn(d,
                       "dyndns[%zu].name: %s also has static %s records; the dynamic ones "
                       "replace them",
                       i, h->name,
                       a && aaaa ? "A and AAAA"
                       : a       ? "A"
                                 : "AAAA");
    }
}

static const struct conf_tsig_key *conf_dyn__find_key(const struct conf *c, const uint8_t *wire)
{
    for (size_t i = 0; i < c->ntsig_keys; i++)
        if (c->tsig_keys[i].name && dns_name_equal(c->tsig_keys[i].wire, wire))
            return &c->tsig_keys[i];
    return NULL;
}

/* One allow_update entry: "key:<name>" of a key in tsig_keys, or an address prefix. */
static void conf_dyn__acl_entry(const char *path, const char *e, const struct conf *c, bool keys_ok,
                                struct conf_diag *d)
{
    if (strncasecmp(e, "key:", 4) == 0) {
        uint8_t wire[DNS_NAME_MAXLEN];
        size_t len;
        int r = dns_name_from_text(e + 4, strlen(e + 4), NULL, wire, &len);
        if (r)
            conf_diag_error(d, "%s: invalid key name \"%s\" (%s)", path, e + 4, err_str(r));
        else if (keys_ok && !conf_dyn__find_key(c, wire))
            conf_diag_error(d, "%s: no key \"%s\" in tsig_keys", path, e + 4);
        return;
    }
    struct cidr cidr;
    if (cidr_parse(e, &cidr))
        conf_diag_error(d,
                        "%s: invalid entry \"%s\" (expected \"key:<key name>\" or an address "
                        "prefix such as 192.0.2.0/24 or 2001:db8::/32)",
                        path, e);
}

static int conf_dyn__acls(const json_t *root, struct conf *c, struct conf_diag *d)
{
    const json_t *zones = json_object_get(root, "zones");
    if (!json_is_object(zones))
        return 0;
    /* A tsig_keys that is not an object was reported: no "no key" message for each use. */
    const json_t *keys = json_object_get(root, "tsig_keys");
    bool keys_ok = !keys || json_is_object(keys);
    const char *key;
    const json_t *zv;
    json_object_foreach((json_t *)zones, key, zv)
    {
        const json_t *list = json_is_object(zv) ? json_object_get(zv, "allow_update") : NULL;
        uint8_t apex[DNS_NAME_MAXLEN];
        size_t alen;
        if (!list || dns_name_from_text(key, strlen(key), NULL, apex, &alen))
            continue; /* no policy, or a bad zone name that data.c reports */
        char path[320];
        snprintf(path, sizeof(path), "zones[\"%s\"].allow_update", key);
        if (!conf_field_expect(list, json_is_array(list), path, "a list of strings", d))
            continue;
        if (!c->update_acls) {
            c->update_acls = calloc(json_object_size(zones), sizeof(*c->update_acls));
            if (!c->update_acls)
                return -ENOMEM;
        }
        struct conf_update_acl *acl = &c->update_acls[c->nupdate_acls++];
        dns_name_copy_lower(acl->apex, apex);
        size_t n = json_array_size(list);
        acl->allow.items = calloc(n ? n : 1, sizeof(char *));
        if (!acl->allow.items)
            return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
            const json_t *it = json_array_get(list, i);
            char ipath[360];
            snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
            if (!conf_field_expect(it, json_is_string(it), ipath, "a string", d))
                continue;
            conf_dyn__acl_entry(ipath, json_string_value(it), c, keys_ok, d);
            if (!(acl->allow.items[acl->allow.n] = strdup(json_string_value(it))))
                return -ENOMEM;
            acl->allow.n++;
        }
    }
    return 0;
}

int conf_dyn_check(const json_t *root, const struct conf_data *cd, const struct conf_dyn_watch *w,
                   struct conf *c, struct conf_diag *d)
{
    const json_t *list = json_object_get(root, "dyndns");
    for (size_t i = 0; i < c->ndyndns; i++)
        if (c->dyndns[i].name)
            conf_dyn__host_zone(list, i, cd, w, &c->dyndns[i], d);
    return conf_dyn__acls(root, c, d);
}

void conf_dyn_free(struct conf *c)
{
    for (size_t i = 0; i < c->ntsig_keys; i++) {
        struct conf_tsig_key *k = &c->tsig_keys[i];
        free(k->name);
        if (k->secret) {
            explicit_bzero(k->secret, k->secret_len);
            free(k->secret);
        }
    }
    free(c->tsig_keys);
    for (size_t i = 0; i < c->ndyndns; i++) {
        struct conf_dyndns *h = &c->dyndns[i];
        free(h->name);
        if (h->token) {
            explicit_bzero(h->token, strlen(h->token));
            free(h->token);
        }
    }
    free(c->dyndns);
    for (size_t i = 0; i < c->nupdate_acls; i++) {
        struct conf_strlist *l = &c->update_acls[i].allow;
        for (size_t k = 0; k < l->n; k++)
            free(l->items[k]);
        free(l->items);
    }
    free(c->update_acls);
    free(c->state_path);
    free(c->update_tls_cert_path);
    free(c->update_tls_key_path);
    c->tsig_keys = NULL;
    c->dyndns = NULL;
    c->update_acls = NULL;
    c->ntsig_keys = c->ndyndns = c->nupdate_acls = 0;
    c->state_path = c->update_tls_cert_path = c->update_tls_key_path = NULL;
}
