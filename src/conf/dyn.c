/*
 * The top-level sections of the config for dynamic DNS: TSIG keys, dyndns hosts, and the
 * per-zone update policies (zones.<zone>.allow_update) that name them. The TSIG keys and
 * their secrets are parsed in conf/dyn_tsig.c; this file has the dyndns hosts, the watch on
 * the static data, the checks once the zones are known, and the helpers both use
 * (conf/dyn_int.h).
 *
 * Arrays in struct conf are index-aligned with the JSON (tsig_keys in object order, dyndns in
 * list order), so a later check can name "dyndns[3]" without a side table; an entry whose
 * name did not parse keeps name NULL and is skipped by every later step (the config is
 * rejected anyway). No message quotes a secret or a token (see conf/dyn_tsig.c).
 */
#include "conf/dyn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/dyn_int.h"
#include "conf/field.h"
#include "dns/dns.h"
#include "dns/name.h"
#include "util/cidr.h"
#include "util/err.h"

#define CONF_DYN_TOKEN_MAX  256
#define CONF_DYN_EXPIRE_MAX 315360000 /* ten years */
#define CONF_DYN_EXPIRE_DEF 86400
#define CONF_DYN_TTL_MAX    2147483647
#define CONF_DYN_TTL_DEF    60

enum {
    CONF_DYN_SEEN_A = 1u << 0,
    CONF_DYN_SEEN_AAAA = 1u << 1,
    CONF_DYN_SEEN_CNAME = 1u << 2,
};

/* ---- paths --------------------------------------------------------------------------------- */

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

/* ---- shared with conf/dyn_tsig.c ----------------------------------------------------------- */

/* "a string, got a number": the type only, for values that may be credentials. */
const char *conf_dyn__type(const json_t *v)
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
const char *conf_dyn__credential(const json_t *obj, const char *key, const char *path,
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
bool conf_dyn__name(const char *text, const char *path, uint8_t wire[256], char **name,
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
