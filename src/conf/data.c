/*
 * zones, records and rewrites of the JSON config -> snapshot builder.
 *
 * NanoDNS value semantics are kept for its types: A/AAAA/CNAME/PTR/NS take an address or a
 * host name, MX a host name plus `priority`, TXT literal text (split into 255-byte strings).
 * Every other type takes RFC 1035 presentation form ("10 5 5060 sip.example."), as does MX
 * when its value has a blank in it ("10 mail.example."). Names without a trailing dot are
 * absolute: a JSON config has no $ORIGIN.
 *
 * An SOA record in `records` replaces the SOA of the zone at its name, or declares a zone
 * there when none is declared. Sources given to the builder are record indexes (>= 0) or
 * -(1 + zone index) for what a zone declares, so issues can be worded with JSON paths.
 */
#include "conf/data.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/field.h"
#include "conf/schema.h"
#include "conf/zonefile.h"
#include "dns/dns.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "util/err.h"

#define CONF_TTL_MAX     2147483647
#define CONF_REWRITE_TTL 60

struct conf_zone {
    const char *key; /* as written in the config, NULL for an implicit zone */
    uint8_t apex[DNS_NAME_MAXLEN];
    uint8_t soa[2 * DNS_NAME_MAXLEN + 20];
    uint16_t soa_len;
    uint32_t ttl;
    int source;  /* what the SOA comes from */
    int zsource; /* what the zone entry is, for its NS records */
    bool has_soa_key;
    bool has_ttl_key;
    const json_t *ns;
    const char *file; /* zones.<name>.file as written */
};

static int conf_zone_source(size_t zi)
{
    return -1 - (int)zi;
}

/* Parses a host name the way NanoDNS configs write them (absolute, dot optional). */
static bool conf_data__name(const char *text, const char *path, uint8_t *out, size_t *len,
                            struct conf_diag *d)
{
    int r = dns_name_from_text(text, strlen(text), NULL, out, len);
    if (r) {
        conf_diag_error(d, "%s: invalid domain name \"%s\" (%s)", path, text, err_str(r));
        return false;
    }
    return true;
}

/* "admin@example.com" is accepted for an SOA RNAME, as "admin.example.com." */
static bool conf_data__rname(const char *text, const char *path, uint8_t *out, size_t *len,
                             struct conf_diag *d)
{
    const char *at = strchr(text, '@');
    if (!at)
        return conf_data__name(text, path, out, len, d);
    char buf[1024];
    size_t n = 0;
    for (const char *p = text; p < at && n + 2 < sizeof(buf); p++) {
        if (*p == '.')
            buf[n++] = '\\';
        buf[n++] = *p;
    }
    snprintf(buf + n, sizeof(buf) - n, ".%s", at + 1);
    int r = dns_name_from_text(buf, strlen(buf), NULL, out, len);
    if (r) {
        conf_diag_error(d, "%s: invalid mailbox \"%s\" (%s)", path, text, err_str(r));
        return false;
    }
    return true;
}

static void conf_data__put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static bool conf_data__zone(const char *key, const json_t *zv, struct conf_zone *z,
                            struct conf_diag *d)
{
    static const char *const known[] = {"soa",     "ns",           "ttl", "file",
                                        "comment", "allow_update", NULL};
    static const char *const soa_known[] = {"mname", "rname",  "serial",  "refresh",
                                            "retry", "expire", "minimum", NULL};
    char path[300], spath[320], fpath[340];
    size_t alen, mlen, rlen;
    uint8_t mname[DNS_NAME_MAXLEN], rname[DNS_NAME_MAXLEN];
    bool ok = true;

    snprintf(path, sizeof(path), "zones[\"%s\"]", key);
    memset(z, 0, sizeof(*z));
    z->key = key;
    if (!conf_data__name(key, path, z->apex, &alen, d))
        return false;
    if (!conf_field_expect(zv, json_is_object(zv), path, "an object", d))
        return false;
    conf_field_unknown(zv, known, path, d);

    /* Defaults per the contract: ns1.<zone>, admin.<zone>, 2024010101, 3600, 900, 604800,
     * 300. */
    static const uint8_t ns1[] = {3, 'n', 's', '1'}, admin[] = {5, 'a', 'd', 'm', 'i', 'n'};
    int64_t t[5] = {2024010101, 3600, 900, 604800, 300};
    static const char *const tnames[5] = {"serial", "refresh", "retry", "expire", "minimum"};
    memcpy(mname, ns1, sizeof(ns1));
    memcpy(rname, admin, sizeof(admin));
    mlen = sizeof(ns1) + alen;
    rlen = sizeof(admin) + alen;
    if (mlen > DNS_NAME_MAXLEN || rlen > DNS_NAME_MAXLEN) {
        conf_diag_error(d, "%s: zone name too long for the default SOA names", path);
        return false;
    }
    memcpy(mname + sizeof(ns1), z->apex, alen);
    memcpy(rname + sizeof(admin), z->apex, alen);

    const json_t *soa = json_object_get(zv, "soa");
    if (soa) {
        z->has_soa_key = true;
        snprintf(spath, sizeof(spath), "%s.soa", path);
        if (!conf_field_expect(soa, json_is_object(soa), spath, "an object", d))
            return false;
        conf_field_unknown(soa, soa_known, spath, d);
        const char *s = NULL;
        snprintf(fpath, sizeof(fpath), "%s.mname", spath);
        if (!conf_field_str(soa, "mname", spath, false, &s, d))
            ok = false;
        else if (s && !conf_data__name(s, fpath, mname, &mlen, d))
            ok = false;
        s = NULL;
        snprintf(fpath, sizeof(fpath), "%s.rname", spath);
        if (!conf_field_str(soa, "rname", spath, false, &s, d))
            ok = false;
        else if (s && !conf_data__rname(s, fpath, rname, &rlen, d))
            ok = false;
        for (int i = 0; i < 5; i++)
            ok &= conf_field_int(soa, tnames[i], spath, 0, UINT32_MAX, &t[i], d);
    }
    int64_t ttl = t[4];
    ok &= conf_field_int(zv, "ttl", path, 0, CONF_TTL_MAX, &ttl, d);
    z->ttl = (uint32_t)ttl;
    z->has_ttl_key = json_object_get(zv, "ttl") != NULL;
    ok &= conf_field_str(zv, "file", path, false, &z->file, d);
    if (z->file && !z->file[0]) {
        conf_diag_error(d, "%s.file: empty file name", path);
        ok = false;
    }

    const json_t *ns = json_object_get(zv, "ns");
    if (ns) {
        snprintf(fpath, sizeof(fpath), "%s.ns", path);
        ok &= conf_field_expect(ns, json_is_array(ns), fpath, "a list of host names", d);
    }
    z->ns = ns;
    memcpy(z->soa, mname, mlen);
    memcpy(z->soa + mlen, rname, rlen);
    for (int i = 0; i < 5; i++)
        conf_data__put_u32(z->soa + mlen + rlen + 4 * i, (uint32_t)t[i]);
    z->soa_len = (uint16_t)(mlen + rlen + 20);
    return ok;
}

static bool conf_data__is_meta(uint16_t type)
{
    return type == DNS_TYPE_OPT || (type >= 128 && type <= 255) || type == 0;
}

/* Common part of a record: name, type, ttl. */
struct conf_rec {
    char path[48];
    uint8_t owner[DNS_NAME_MAXLEN];
    size_t owner_len;
    uint16_t type;
    const char *value;
    int64_t ttl;
    int64_t priority;
    bool has_priority;
    bool wildcard;
};

static bool conf_data__rec_head(const json_t *rv, size_t idx, struct conf_rec *rec,
                                struct conf_diag *d)
{
    static const char *const known[] = {"name",     "type",     "value",   "ttl",
                                        "priority", "wildcard", "comment", NULL};
    const char *name = NULL, *type = NULL;
    char fpath[64];
    bool ok = true;

    snprintf(rec->path, sizeof(rec->path), "records[%zu]", idx);
    if (!conf_field_expect(rv, json_is_object(rv), rec->path, "an object", d))
        return false;
    conf_field_unknown(rv, known, rec->path, d);
    ok &= conf_field_str(rv, "name", rec->path, true, &name, d);
    ok &= conf_field_str(rv, "type", rec->path, true, &type, d);
    ok &= conf_field_str(rv, "value", rec->path, true, &rec->value, d);
    rec->ttl = 300;
    rec->priority = 10;
    rec->wildcard = false;
    ok &= conf_field_int(rv, "ttl", rec->path, 0, CONF_TTL_MAX, &rec->ttl, d);
    ok &= conf_field_int(rv, "priority", rec->path, 0, 65535, &rec->priority, d);
    ok &= conf_field_bool(rv, "wildcard", rec->path, &rec->wildcard, d);
    rec->has_priority = json_object_get(rv, "priority") != NULL;
    if (name) {
        snprintf(fpath, sizeof(fpath), "%s.name", rec->path);
        ok &= conf_data__name(name, fpath, rec->owner, &rec->owner_len, d);
    }
    if (type) {
        int r = dns_type_from_text(type, strlen(type), &rec->type);
        if (r) {
            conf_diag_error(d, "%s.type: unknown record type \"%s\"", rec->path, type);
            ok = false;
        } else if (conf_data__is_meta(rec->type)) {
            conf_diag_error(d, "%s.type: \"%s\" is not a record type that can be stored", rec->path,
                            type);
            ok = false;
        }
    }
    return ok && name && type && rec->value;
}

/* The record's value as wire RDATA. */
static bool conf_data__rdata(struct conf_rec *rec, struct wbuf *out, struct conf_diag *d)
{
    const char *v = rec->value;
    size_t vlen = strlen(v);
    struct dns_rdata_error e = {0};
    int r;

    if (rec->has_priority && rec->type != DNS_TYPE_MX)
        conf_diag_warn(d, "%s.priority: only used for MX records (ignored)", rec->path);
    if (rec->type == DNS_TYPE_TXT) {
        r = dns_rdata_txt_from_raw(v, vlen, out);
        if (r) {
            conf_diag_error(d, "%s.value: text too long (%zu bytes)", rec->path, vlen);
            return false;
        }
        return true;
    }
    if (rec->type == DNS_TYPE_MX && !strpbrk(v, " \t")) {
        uint8_t name[DNS_NAME_MAXLEN];
        size_t nlen;
        char fpath[64];
        snprintf(fpath, sizeof(fpath), "%s.value", rec->path);
        if (!conf_data__name(v, fpath, name, &nlen, d))
            return false;
        wbuf_u16(out, (uint16_t)rec->priority);
        wbuf_bytes(out, name, nlen);
        return true;
    }
    if (rec->type == DNS_TYPE_MX && rec->has_priority)
        conf_diag_warn(d, "%s.priority: the value gives the preference (priority ignored)",
                       rec->path);
    r = dns_rdata_from_text(rec->type, v, vlen, NULL, out, &e);
    if (r) {
        if (e.msg[0])
            conf_diag_error(d, "%s.value: %s", rec->path, e.msg);
        else
            conf_diag_error(d, "%s.value: invalid value \"%s\" (%s)", rec->path, v, err_str(r));
        return false;
    }
    return true;
}

static bool conf_data__rewrite(const json_t *rv, size_t idx, struct zone_builder *b,
                               struct conf_diag *d)
{
    static const char *const known[] = {"match", "action", "value", "ttl", "comment", NULL};
    char path[48], fpath[64];
    const char *match = NULL, *action = NULL, *value = NULL;
    bool ok = true;
    int64_t ttl = CONF_REWRITE_TTL;

    snprintf(path, sizeof(path), "rewrites[%zu]", idx);
    if (!conf_field_expect(rv, json_is_object(rv), path, "an object", d))
        return false;
    conf_field_unknown(rv, known, path, d);
    ok &= conf_field_str(rv, "match", path, true, &match, d);
    ok &= conf_field_str(rv, "action", path, true, &action, d);
    ok &= conf_field_str(rv, "value", path, false, &value, d);
    ok &= conf_field_int(rv, "ttl", path, 0, CONF_TTL_MAX, &ttl, d);
    if (!match || !action)
        return false;

    struct zone_rewrite rule = {.ttl = (uint32_t)ttl};
    if (strcasecmp(action, "nxdomain") == 0) {
        rule.action = ZONE_REWRITE_NXDOMAIN;
    } else if (strcasecmp(action, "redirect") == 0) {
        rule.action = ZONE_REWRITE_REDIRECT;
        if (!value) {
            conf_diag_error(d, "%s: action \"redirect\" needs a \"value\" (an IP address)", path);
            ok = false;
        } else if (inet_pton(AF_INET, value, rule.addr) == 1) {
            rule.addr_len = 4;
        } else if (inet_pton(AF_INET6, value, rule.addr) == 1) {
            rule.addr_len = 16;
        } else {
            conf_diag_error(d, "%s.value: invalid IP address \"%s\"", path, value);
            ok = false;
        }
    } else {
        conf_diag_error(d,
                        "%s.action: unknown action \"%s\" (expected \"nxdomain\" or "
                        "\"redirect\")",
                        path, action);
        ok = false;
    }

    bool below = false;
    const char *target = match;
    if (strcmp(match, "*") == 0 || strcmp(match, "*.") == 0) {
        below = true;
        target = ".";
    } else if (strncmp(match, "*.", 2) == 0) {
        below = true;
        target = match + 2;
    }
    uint8_t name[DNS_NAME_MAXLEN];
    size_t nlen;
    snprintf(fpath, sizeof(fpath), "%s.match", path);
    ok &= conf_data__name(target, fpath, name, &nlen, d);
    if (!ok)
        return false;
    if (zone_builder_add_rewrite(b, name, below, &rule)) {
        conf_diag_error(d, "%s: out of memory", path);
        return false;
    }
    return true;
}

static const json_t *conf_data__array(const json_t *root, const char *key, struct conf_diag *d)
{
    const json_t *a = json_object_get(root, key);
    if (a && !conf_field_expect(a, json_is_array(a), key, "a list", d))
        return NULL;
    return a;
}

void conf_data_init(struct conf_data *cd, const json_t *root, const char *base_dir,
                    bool allow_files)
{
    memset(cd, 0, sizeof(*cd));
    cd->root = root;
    cd->base_dir = base_dir;
    cd->allow_files = allow_files;
    conf_sources_init(&cd->src, root);
}

void conf_data_deinit(struct conf_data *cd)
{
    conf_sources_deinit(&cd->src);
    free(cd->apexes);
    cd->apexes = NULL;
    cd->napexes = 0;
}

static void conf_data__declared(struct conf_data *cd, const uint8_t *apex)
{
    if (cd->apexes)
        dns_name_copy_lower(cd->apexes[cd->napexes++], apex);
}

const uint8_t *conf_data_zone_of(const struct conf_data *cd, const uint8_t *name)
{
    const uint8_t *best = NULL;
    unsigned best_labels = 0;
    for (size_t i = 0; i < cd->napexes; i++) {
        const uint8_t *apex = cd->apexes[i];
        unsigned labels = dns_name_labels(apex);
        if (dns_name_is_subdomain(name, apex) && (!best || labels > best_labels)) {
            best = apex;
            best_labels = labels;
        }
    }
    return best;
}

/* Reads a zone's file; on success the zone's SOA is the file's. */
static bool conf_data__zonefile(struct conf_data *cd, struct conf_zone *z, struct zone_builder *b,
                                struct conf_diag *d)
{
    char path[4096];
    if (!cd->allow_files) {
        conf_diag_error(d, "zones[\"%s\"].file: zone files are not allowed here", z->key);
        return false;
    }
    if (z->file[0] == '/')
        snprintf(path, sizeof(path), "%s", z->file);
    else
        snprintf(path, sizeof(path), "%s/%s", cd->base_dir, z->file);
    struct conf_zonefile zf;
    bool ok = conf_zonefile_load(path, z->apex, b, &cd->src, d, &zf);
    cd->zone_files++;
    cd->file_records += zf.records;
    if (!zf.have_soa)
        return false;
    if (z->has_soa_key)
        conf_diag_warn(d, "zones[\"%s\"].soa: ignored, the zone file has the SOA", z->key);
    memcpy(z->soa, zf.soa, zf.soa_len);
    z->soa_len = zf.soa_len;
    z->source = zf.soa_source;
    if (!z->has_ttl_key)
        z->ttl = zf.soa_ttl;
    return ok;
}

void conf_data_build(struct conf_data *cd, struct zone_builder *b, struct conf_diag *d)
{
    const json_t *root = cd->root;
    const json_t *zones = json_object_get(root, "zones");
    const json_t *records = conf_data__array(root, "records", d);
    const json_t *rewrites = conf_data__array(root, "rewrites", d);
    size_t nz = 0, nrec = json_array_size(records);
    struct conf_zone *zs = NULL;
    uint8_t rdbuf[65535];

    if (zones && !conf_field_expect(zones, json_is_object(zones), "zones", "an object", d))
        zones = NULL;
    /* Room for every declared zone plus every SOA record (implicit zones). */
    size_t capz = json_object_size(zones) + nrec + 1;
    zs = calloc(capz, sizeof(*zs));
    free(cd->apexes);
    cd->napexes = 0;
    cd->apexes = calloc(capz, sizeof(*cd->apexes));
    if (!zs || !cd->apexes) {
        conf_diag_error(d, "out of memory");
        free(zs);
        return;
    }
    const char *key;
    const json_t *zv;
    size_t zi = 0;
    json_object_foreach((json_t *)zones, key, zv)
    {
        struct conf_zone *z = &zs[nz];
        uint8_t apex[DNS_NAME_MAXLEN];
        size_t alen;
        if (dns_name_from_text(key, strlen(key), NULL, apex, &alen) == 0)
            conf_data__declared(cd, apex);
        if (!conf_data__zone(key, zv, z, d)) {
            zi++;
            continue;
        }
        z->source = z->zsource = conf_zone_source(zi++);
        bool dup = false;
        for (size_t k = 0; k < nz && !dup; k++) {
            if (zs[k].key && dns_name_equal(zs[k].apex, z->apex)) {
                conf_diag_error(d, "zones[\"%s\"]: the same zone as zones[\"%s\"]", key, zs[k].key);
                dup = true;
            }
        }
        if (!dup)
            nz++;
    }

    /* SOA records replace the SOA of their zone or declare one. */
    for (size_t i = 0; i < nrec; i++) {
        const json_t *rv = json_array_get(records, i);
        const json_t *tv = json_is_object(rv) ? json_object_get(rv, "type") : NULL;
        if (!json_is_string(tv) || strcasecmp(json_string_value(tv), "SOA") != 0)
            continue;
        struct conf_rec rec;
        struct wbuf out;
        wbuf_init(&out, rdbuf, sizeof(rdbuf));
        if (!conf_data__rec_head(rv, i, &rec, d) || !conf_data__rdata(&rec, &out, d))
            continue;
        conf_data__declared(cd, rec.owner);
        struct conf_zone *z = NULL;
        for (size_t k = 0; k < nz && !z; k++)
            if (dns_name_equal(zs[k].apex, rec.owner))
                z = &zs[k];
        if (z && z->file) {
            conf_diag_error(d, "%s: an SOA record for a zone read from a file (%s)", rec.path,
                            z->file);
            continue;
        }
        if (z && z->source >= 0) {
            conf_diag_error(d, "%s: a second SOA record for the same zone (first: records[%d])",
                            rec.path, z->source);
            continue;
        }
        if (!z) {
            z = &zs[nz++];
            memset(z, 0, sizeof(*z));
            memcpy(z->apex, rec.owner, rec.owner_len);
            z->zsource = (int)i;
        } else if (z->has_soa_key) {
            conf_diag_warn(d, "%s: this SOA record replaces zones[\"%s\"].soa", rec.path, z->key);
        }
        memcpy(z->soa, rdbuf, out.pos);
        z->soa_len = (uint16_t)out.pos;
        z->ttl = (uint32_t)rec.ttl;
        z->source = (int)i;
    }

    for (size_t k = 0; k < nz; k++) {
        struct conf_zone *z = &zs[k];
        if (z->file && !conf_data__zonefile(cd, z, b, d))
            continue;
        int r = zone_builder_add_zone(b, z->apex, z->ttl, z->soa, z->soa_len, z->source);
        if (r) {
            char path[320];
            conf_sources_name(&cd->src, z->zsource, path, sizeof(path));
            conf_diag_error(d, "%s: %s", path, err_str(r));
            continue;
        }
        for (size_t j = 0; j < json_array_size(z->ns); j++) {
            const json_t *nv = json_array_get(z->ns, j);
            char path[320];
            snprintf(path, sizeof(path), "zones[\"%s\"].ns[%zu]", z->key, j);
            uint8_t ns[DNS_NAME_MAXLEN];
            size_t nlen;
            if (!conf_field_expect(nv, json_is_string(nv), path, "a host name", d))
                continue;
            if (conf_data__name(json_string_value(nv), path, ns, &nlen, d) &&
                (zone_builder_add_rr(b, z->apex, DNS_TYPE_NS, z->ttl, ns, (uint16_t)nlen, 0,
                                     z->zsource) ||
                 conf_sources_ns(&cd->src, z->apex, ns, z->zsource)))
                conf_diag_error(d, "%s: out of memory", path);
        }
    }

    for (size_t i = 0; i < nrec; i++) {
        const json_t *rv = json_array_get(records, i);
        const json_t *tv = json_is_object(rv) ? json_object_get(rv, "type") : NULL;
        if (json_is_string(tv) && strcasecmp(json_string_value(tv), "SOA") == 0)
            continue; /* handled above */
        struct conf_rec rec;
        struct wbuf out;
        wbuf_init(&out, rdbuf, sizeof(rdbuf));
        if (!conf_data__rec_head(rv, i, &rec, d) || !conf_data__rdata(&rec, &out, d))
            continue;
        if (out.err) {
            conf_diag_error(d, "%s.value: data longer than 65535 bytes", rec.path);
            continue;
        }
        unsigned flags = rec.wildcard && !dns_name_is_wildcard(rec.owner) ? ZONE_RR_WILD1 : 0;
        if (zone_builder_add_rr(b, rec.owner, rec.type, (uint32_t)rec.ttl, rdbuf, (uint16_t)out.pos,
                                flags, (int)i) ||
            (rec.type == DNS_TYPE_NS && conf_sources_ns(&cd->src, rec.owner, rdbuf, (int)i)))
            conf_diag_error(d, "%s: out of memory", rec.path);
    }

    for (size_t i = 0; i < json_array_size(rewrites); i++)
        conf_data__rewrite(json_array_get(rewrites, i), i, b, d);
    free(zs);
}

void conf_data_issues(const struct conf_data *cd, const struct zone_builder *b, struct conf_diag *d)
{
    const struct zone_issue *issues;
    size_t n = zone_builder_issues(b, &issues);
    for (size_t i = 0; i < n; i++) {
        char src[320], other[320];
        conf_sources_name(&cd->src, issues[i].source, src, sizeof(src));
        conf_sources_name(&cd->src, issues[i].other, other, sizeof(other));
        switch (issues[i].kind) {
        case ZONE_ISSUE_CNAME_AND_OTHER:
            conf_diag_error(d,
                            "%s: a CNAME cannot share its name with other data (%s); "
                            "RFC 1034 3.6.2",
                            src, other);
            break;
        case ZONE_ISSUE_MULTI_CNAME:
            conf_diag_error(d, "%s: a second CNAME for the same name (first: %s)", src, other);
            break;
        case ZONE_ISSUE_MULTI_SOA:
            conf_diag_error(d, "%s: a second SOA for the same name (first: %s)", src, other);
            break;
        case ZONE_ISSUE_DUPLICATE:
            conf_diag_warn(d, "%s: duplicate of %s (ignored)", src, other);
            break;
        case ZONE_ISSUE_RRSET_TOO_BIG:
            conf_diag_error(d, "%s: more than 65535 records of one name and type (first: %s)", src,
                            other);
            break;
        case ZONE_ISSUE_TTL_MISMATCH:
            conf_diag_warn(d,
                           "%s: TTL differs from %s (same name and type); the lowest TTL "
                           "is used for all",
                           src, other);
            break;
        }
    }
}

/* The deepest zone of the snapshot that contains `name` (lower-cased), or NULL. */
static const struct zone *conf_data__zone_of(const struct snap *s, const uint8_t *name)
{
    const struct zone *best = NULL;
    for (size_t i = 0; i < s->nzones; i++) {
        const struct zone *z = &s->zones[i];
        if (dns_name_is_subdomain(name, z->apex) && (!best || z->apex_labels > best->apex_labels))
            best = z;
    }
    return best;
}

void conf_data_check(const struct conf_data *cd, const struct snap *s, struct conf_diag *d)
{
    for (size_t i = 0; i < cd->src.nns; i++) {
        const struct conf_source_ns *ns = &cd->src.ns[i];
        uint8_t owner[DNS_NAME_MAXLEN], target[DNS_NAME_MAXLEN];
        size_t olen = dns_name_copy_lower(owner, cd->src.names + ns->owner);
        size_t tlen = dns_name_copy_lower(target, cd->src.names + ns->target);
        const struct zone_node *n = zone_tree_get(&s->names, owner, olen);
        if (!n || !n->zone || (n->cut && n->cut != n))
            continue; /* outside zones, or hidden below a delegation */
        if (conf_data__zone_of(s, target) != n->zone)
            continue; /* not this zone's business */
        const struct zone_node *t = zone_tree_get(&s->names, target, tlen);
        if (t && (zone_node_rrset(t, DNS_TYPE_A) || zone_node_rrset(t, DNS_TYPE_AAAA)))
            continue;
        char src[320], tname[DNS_NAME_MAXLEN * 4 + 2], oname[DNS_NAME_MAXLEN * 4 + 2];
        conf_sources_name(&cd->src, ns->source, src, sizeof(src));
        dns_name_to_text(target, tname, sizeof(tname), 0);
        dns_name_to_text(owner, oname, sizeof(oname), 0);
        if (conf_sources_is_file(ns->source))
            conf_diag_error(d,
                            "%s: the name server %s of %s has no address (A or AAAA) in the zone",
                            src, tname, oname);
        else
            conf_diag_warn(d, "%s: the name server %s of %s has no address (A or AAAA) in the zone",
                           src, tname, oname);
    }
}
