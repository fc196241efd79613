#include "update/rfc2136.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/dns.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "util/cidr.h"
#include "util/cursor.h"
#include "util/err.h"
#include "util/wbuf.h"

#define R2_ANSWER_ROOM 512 /* header, question and OPT of an answer */

/* A touched RRset: what it holds now, RRs as [u16 length][bytes] back to back. */
struct rfc2136_set {
    uint8_t owner[DNS_NAME_MAXLEN]; /* lower case */
    uint16_t type;
    uint32_t ttl;
    uint16_t count;
    uint8_t *rd;
    size_t rdlen, rdcap;
    bool changed;
};

void rfc2136_result_free(struct rfc2136_result *res)
{
    for (size_t i = 0; i < res->nsets; i++)
        free(res->sets[i].rd);
    free(res->sets);
    res->sets = NULL;
    res->nsets = 0;
}

static bool r2_is_meta(uint16_t type)
{
    return type == DNS_TYPE_ANY || type == DNS_TYPE_AXFR || type == DNS_TYPE_MAILA ||
           type == DNS_TYPE_MAILB || type == 251 /* IXFR */ || type == DNS_TYPE_OPT ||
           type == DNS_TYPE_TSIG || type == 249 /* TKEY */;
}

static const struct zone_node *r2_node(const struct snap *s, const uint8_t *name)
{
    uint8_t low[DNS_NAME_MAXLEN];
    size_t n = dns_name_copy_lower(low, name);
    return zone_tree_get(&s->names, low, n);
}

/* The served RRset of name/type, or NULL. */
static const struct zone_rrset *r2_served(const struct snap *s, const uint8_t *name, uint16_t type)
{
    const struct zone_node *n = r2_node(s, name);
    return n ? zone_node_rrset(n, type) : NULL;
}

/* The touched RRset of owner/type, taken from the served data the first time. NULL when out
 * of memory or past DYN_CHANGE_MAX sets. */
static struct rfc2136_set *r2_set(struct rfc2136_result *res, const struct snap *s,
                                  const uint8_t *owner, uint16_t type)
{
    uint8_t low[DNS_NAME_MAXLEN];
    dns_name_copy_lower(low, owner);
    for (size_t i = 0; i < res->nsets; i++)
        if (res->sets[i].type == type && dns_name_equal(res->sets[i].owner, low))
            return &res->sets[i];
    if (res->nsets >= DYN_CHANGE_MAX)
        return NULL;
    if (!res->sets) {
        res->sets = calloc(DYN_CHANGE_MAX, sizeof(*res->sets));
        if (!res->sets)
            return NULL;
    }
    struct rfc2136_set *st = &res->sets[res->nsets];
    memset(st, 0, sizeof(*st));
    dns_name_copy_lower(st->owner, low);
    st->type = type;
    const struct zone_rrset *rs = r2_served(s, low, type);
    if (rs) {
        const uint8_t *p = rs->rdata;
        for (uint16_t k = 0; k < rs->count; k++) {
            const uint8_t *rd;
            uint16_t l;
            p = zone_rdata_next(p, &rd, &l);
        }
        size_t bytes = (size_t)(p - rs->rdata);
        st->rd = malloc(bytes ? bytes : 1);
        if (!st->rd)
            return NULL;
        memcpy(st->rd, rs->rdata, bytes);
        st->rdlen = st->rdcap = bytes;
        st->count = rs->count;
        st->ttl = rs->ttl;
    }
    res->nsets++;
    return st;
}

/* Offset of an RR with this RDATA in the set, or -1. */
static long r2_find_rr(const struct rfc2136_set *st, const uint8_t *rd, size_t len)
{
    size_t at = 0;
    for (uint16_t k = 0; k < st->count; k++) {
        size_t l = (size_t)st->rd[at] << 8 | st->rd[at + 1];
        if (l == len && memcmp(st->rd + at + 2, rd, len) == 0)
            return (long)at;
        at += 2 + l;
    }
    return -1;
}

static int r2_add_rr(struct rfc2136_set *st, const uint8_t *rd, size_t len, uint32_t ttl)
{
    /* A duplicate replaces the RR: only the TTL can differ, and an RRset has one TTL. */
    if (st->ttl != ttl || !st->count)
        st->changed = true;
    st->ttl = ttl;
    if (r2_find_rr(st, rd, len) >= 0)
        return 0;
    /* The RRset must fit in one answer: each RR costs its RDATA, its length and 10 bytes of
     * owner pointer, type, class and TTL; R2_ANSWER_ROOM is left for the header, question
     * and OPT. A larger RRset could be stored but never served, not even over TCP. */
    if (st->count == UINT16_MAX ||
        st->rdlen + 2 + len + 10u * ((size_t)st->count + 1) > 65535u - R2_ANSWER_ROOM)
        return ERR_LIMIT;
    if (st->rdlen + 2 + len > st->rdcap) {
        size_t cap = (st->rdlen + 2 + len) * 2;
        uint8_t *n = realloc(st->rd, cap);
        if (!n)
            return -ENOMEM;
        st->rd = n;
        st->rdcap = cap;
    }
    st->rd[st->rdlen] = (uint8_t)(len >> 8);
    st->rd[st->rdlen + 1] = (uint8_t)len;
    memcpy(st->rd + st->rdlen + 2, rd, len);
    st->rdlen += 2 + len;
    st->count++;
    st->changed = true;
    return 0;
}

static void r2_del_rr(struct rfc2136_set *st, const uint8_t *rd, size_t len)
{
    long at = r2_find_rr(st, rd, len);
    if (at < 0)
        return;
    size_t n = 2 + len;
    memmove(st->rd + at, st->rd + at + n, st->rdlen - (size_t)at - n);
    st->rdlen -= n;
    st->count--;
    st->changed = true;
}

static void r2_clear(struct rfc2136_set *st)
{
    if (st->count)
        st->changed = true;
    st->count = 0;
    st->rdlen = 0;
}

/* The RRsets at a name now: the touched ones as they are, the others as served. */
static bool r2_name_in_use(struct rfc2136_result *res, const struct snap *s, const uint8_t *name)
{
    uint8_t low[DNS_NAME_MAXLEN];
    dns_name_copy_lower(low, name);
    const struct zone_node *n = r2_node(s, low);
    for (uint16_t i = 0; n && i < n->nrrsets; i++) {
        bool touched = false;
        for (size_t k = 0; k < res->nsets && !touched; k++)
            touched =
                res->sets[k].type == n->rrsets[i].type && dns_name_equal(res->sets[k].owner, low);
        if (!touched)
            return true;
    }
    for (size_t k = 0; k < res->nsets; k++)
        if (res->sets[k].count && dns_name_equal(res->sets[k].owner, low))
            return true;
    return false;
}

static bool r2_has_type(struct rfc2136_result *res, const struct snap *s, const uint8_t *name,
                        uint16_t type)
{
    uint8_t low[DNS_NAME_MAXLEN];
    dns_name_copy_lower(low, name);
    for (size_t k = 0; k < res->nsets; k++)
        if (res->sets[k].type == type && dns_name_equal(res->sets[k].owner, low))
            return res->sets[k].count > 0;
    const struct zone_rrset *rs = r2_served(s, low, type);
    return rs && rs->count;
}

/* Other data than CNAME (and the DNSSEC types allowed beside it) at a name? */
static bool r2_has_other(struct rfc2136_result *res, const struct snap *s, const uint8_t *name)
{
    uint8_t low[DNS_NAME_MAXLEN];
    dns_name_copy_lower(low, name);
    const struct zone_node *n = r2_node(s, low);
    for (uint16_t i = 0; n && i < n->nrrsets; i++) {
        uint16_t t = n->rrsets[i].type;
        if (t != DNS_TYPE_CNAME && t != DNS_TYPE_RRSIG && t != DNS_TYPE_NSEC &&
            r2_has_type(res, s, low, t))
            return true;
    }
    for (size_t k = 0; k < res->nsets; k++) {
        uint16_t t = res->sets[k].type;
        if (res->sets[k].count && t != DNS_TYPE_CNAME && t != DNS_TYPE_RRSIG &&
            t != DNS_TYPE_NSEC && dns_name_equal(res->sets[k].owner, low))
            return true;
    }
    return false;
}

static void r2_done(struct rfc2136_result *res, uint16_t rcode, const char *what)
{
    res->rcode = rcode;
    res->commit = false;
    if (what)
        snprintf(res->what, sizeof(res->what), "%s", what);
}

/* Is the request allowed by the zone's allow_update? */
static bool r2_allowed(const struct rfc2136_ctx *x, const struct rfc2136_result *res)
{
    const struct conf_update_acl *acl = NULL;
    for (size_t i = 0; i < x->conf->nupdate_acls && !acl; i++)
        if (dns_name_equal(x->conf->update_acls[i].apex, res->apex))
            acl = &x->conf->update_acls[i];
    if (!acl)
        return false;
    for (size_t i = 0; i < acl->allow.n; i++) {
        const char *e = acl->allow.items[i];
        if (strncasecmp(e, "key:", 4) == 0) {
            uint8_t kn[DNS_NAME_MAXLEN];
            size_t kl;
            if (res->have_key && !res->tsig_error &&
                dns_name_from_text(e + 4, strlen(e + 4), NULL, kn, &kl) == 0 &&
                dns_name_equal(kn, res->key.name))
                return true;
            continue;
        }
        struct cidr c;
        if (x->peer && cidr_parse(e, &c) == 0 &&
            cidr_match(&c, 1, (const struct sockaddr *)x->peer))
            return true;
    }
    return false;
}

/* The RDATA of `rr` uncompressed into out (cap bytes); its length, or -1 when malformed. */
static long r2_rdata(const uint8_t *msg, size_t len, const struct dns_rr *rr, uint8_t *out,
                     size_t cap)
{
    if (!rr->rdlen)
        return 0;
    struct cursor c;
    cursor_init(&c, msg, len);
    c.pos = rr->rdata_off;
    struct wbuf w;
    wbuf_init(&w, out, cap);
    if (dns_rdata_unpack(rr->type, &c, rr->rdlen, &w) || w.err)
        return -1;
    return (long)w.pos;
}

/* The serial of uncompressed SOA RDATA, or 0 when it is not one. */
static uint32_t r2_soa_serial(const uint8_t *rd, size_t len)
{
    long at = dns_rdata_soa_serial_at(rd, len);
    if (at < 0)
        return 0;
    return (uint32_t)rd[at] << 24 | (uint32_t)rd[at + 1] << 16 | (uint32_t)rd[at + 2] << 8 |
           rd[at + 3];
}

/* RFC 2136 3.2: the prerequisites, in the order given. Returns an RCODE. */
static uint16_t r2_prereqs(const struct rfc2136_ctx *x, const uint8_t *msg, size_t len,
                           struct cursor *c, unsigned n, struct rfc2136_result *res,
                           uint16_t zclass)
{
    /* Value-dependent prerequisites are gathered per RRset and compared at the end. */
    struct rfc2136_result want = {0};
    uint16_t rcode = DNS_RCODE_NOERROR;
    static uint8_t rd[65535];
    for (unsigned i = 0; i < n; i++) {
        struct dns_rr rr;
        if (dns_msg_rr(c, &rr)) {
            rcode = DNS_RCODE_FORMERR;
            goto out;
        }
        if (rr.ttl != 0 || (r2_is_meta(rr.type) && rr.type != DNS_TYPE_ANY)) {
            rcode = DNS_RCODE_FORMERR;
            goto out;
        }
        if (!dns_name_is_subdomain(rr.owner, res->apex)) {
            rcode = DNS_RCODE_NOTZONE;
            goto out;
        }
        if (rr.rclass == DNS_CLASS_ANY || rr.rclass == DNS_CLASS_NONE) {
            if (rr.rdlen) {
                rcode = DNS_RCODE_FORMERR;
                goto out;
            }
            bool any = rr.rclass == DNS_CLASS_ANY;
            bool exists = rr.type == DNS_TYPE_ANY ? r2_name_in_use(res, x->snap, rr.owner)
                                                  : r2_has_type(res, x->snap, rr.owner, rr.type);
            if (any && !exists) {
                rcode = rr.type == DNS_TYPE_ANY ? DNS_RCODE_NXDOMAIN : DNS_RCODE_NXRRSET;
                goto out;
            }
            if (!any && exists) {
                rcode = rr.type == DNS_TYPE_ANY ? DNS_RCODE_YXDOMAIN : DNS_RCODE_YXRRSET;
                goto out;
            }
        } else if (rr.rclass == zclass) {
            if (rr.type == DNS_TYPE_ANY) {
                rcode = DNS_RCODE_FORMERR;
                goto out;
            }
            long l = r2_rdata(msg, len, &rr, rd, sizeof(rd));
            struct rfc2136_set *w = l < 0 ? NULL : r2_set(&want, x->snap, rr.owner, rr.type);
            if (l < 0) {
                rcode = DNS_RCODE_FORMERR;
                goto out;
            }
            if (!w) {
                rcode = DNS_RCODE_SERVFAIL;
                goto out;
            }
            if (!w->changed) {
                r2_clear(w); /* built from the request, not from the data */
                w->changed = true;
            }
            if (r2_add_rr(w, rd, (size_t)l, 0)) {
                rcode = DNS_RCODE_SERVFAIL;
                goto out;
            }
        } else {
            rcode = DNS_RCODE_FORMERR;
            goto out;
        }
    }
    /* RRset exists (value dependent): the same RRs, as sets. */
    for (size_t k = 0; k < want.nsets; k++) {
        struct rfc2136_set *w = &want.sets[k];
        struct rfc2136_result cur = {0};
        struct rfc2136_set *have = r2_set(&cur, x->snap, w->owner, w->type);
        bool same = have && have->count == w->count;
        size_t at = 0;
        for (uint16_t i = 0; same && i < w->count; i++) {
            size_t l = (size_t)w->rd[at] << 8 | w->rd[at + 1];
            same = r2_find_rr(have, w->rd + at + 2, l) >= 0;
            at += 2 + l;
        }
        rfc2136_result_free(&cur);
        if (!same) {
            rcode = DNS_RCODE_NXRRSET;
            goto out;
        }
    }
out:
    rfc2136_result_free(&want);
    return rcode;
}

/* RFC 2136 3.4.1: the prescan. Returns an RCODE. */
static uint16_t r2_prescan(const uint8_t *msg, size_t len, size_t start, unsigned n,
                           const struct rfc2136_result *res, uint16_t zclass)
{
    struct cursor c;
    cursor_init(&c, msg, len);
    c.pos = start;
    for (unsigned i = 0; i < n; i++) {
        struct dns_rr rr;
        if (dns_msg_rr(&c, &rr))
            return DNS_RCODE_FORMERR;
        if (!dns_name_is_subdomain(rr.owner, res->apex))
            return DNS_RCODE_NOTZONE;
        if (rr.rclass == zclass) {
            if (r2_is_meta(rr.type))
                return DNS_RCODE_FORMERR;
        } else if (rr.rclass == DNS_CLASS_ANY) {
            if (rr.ttl || rr.rdlen || (r2_is_meta(rr.type) && rr.type != DNS_TYPE_ANY))
                return DNS_RCODE_FORMERR;
        } else if (rr.rclass == DNS_CLASS_NONE) {
            if (rr.ttl || r2_is_meta(rr.type))
                return DNS_RCODE_FORMERR;
        } else {
            return DNS_RCODE_FORMERR;
        }
    }
    return DNS_RCODE_NOERROR;
}

/* RFC 2136 3.4.2: the update section. Returns an RCODE. */
static uint16_t r2_apply(const struct rfc2136_ctx *x, const uint8_t *msg, size_t len, size_t start,
                         unsigned n, struct rfc2136_result *res, uint16_t zclass,
                         uint32_t *new_serial, bool *soa_set)
{
    static uint8_t rd[65535];
    struct cursor c;
    cursor_init(&c, msg, len);
    c.pos = start;
    for (unsigned i = 0; i < n; i++) {
        struct dns_rr rr;
        if (dns_msg_rr(&c, &rr))
            return DNS_RCODE_FORMERR;
        bool apex = dns_name_equal(rr.owner, res->apex);
        if (rr.rclass == zclass) {
            long l = r2_rdata(msg, len, &rr, rd, sizeof(rd));
            if (l < 0)
                return DNS_RCODE_FORMERR;
            if (rr.type == DNS_TYPE_SOA) {
                uint32_t serial = r2_soa_serial(rd, (size_t)l);
                if (apex && dyn_serial_newer(serial, *new_serial)) {
                    *new_serial = serial;
                    *soa_set = true;
                }
                continue;
            }
            if (rr.type == DNS_TYPE_CNAME && r2_has_other(res, x->snap, rr.owner))
                continue;
            if (rr.type != DNS_TYPE_CNAME && rr.type != DNS_TYPE_RRSIG &&
                rr.type != DNS_TYPE_NSEC && r2_has_type(res, x->snap, rr.owner, DNS_TYPE_CNAME))
                continue;
            struct rfc2136_set *st = r2_set(res, x->snap, rr.owner, rr.type);
            if (!st)
                return DNS_RCODE_SERVFAIL;
            if (rr.type == DNS_TYPE_CNAME && st->count) {
                r2_clear(st); /* one CNAME: the new one replaces it */
            }
            if (r2_add_rr(st, rd, (size_t)l, rr.ttl))
                return DNS_RCODE_SERVFAIL;
        } else if (rr.rclass == DNS_CLASS_ANY) {
            if (rr.type == DNS_TYPE_ANY) {
                /* Delete every RRset at the name; at the apex SOA and NS stay. */
                uint8_t low[DNS_NAME_MAXLEN];
                dns_name_copy_lower(low, rr.owner);
                const struct zone_node *node = r2_node(x->snap, low);
                for (uint16_t k = 0; node && k < node->nrrsets; k++) {
                    uint16_t t = node->rrsets[k].type;
                    if (apex && (t == DNS_TYPE_SOA || t == DNS_TYPE_NS))
                        continue;
                    struct rfc2136_set *st = r2_set(res, x->snap, low, t);
                    if (!st)
                        return DNS_RCODE_SERVFAIL;
                    r2_clear(st);
                }
                for (size_t k = 0; k < res->nsets; k++)
                    if (dns_name_equal(res->sets[k].owner, low) &&
                        !(apex &&
                          (res->sets[k].type == DNS_TYPE_SOA || res->sets[k].type == DNS_TYPE_NS)))
                        r2_clear(&res->sets[k]);
                continue;
            }
            if (apex && (rr.type == DNS_TYPE_SOA || rr.type == DNS_TYPE_NS))
                continue;
            struct rfc2136_set *st = r2_set(res, x->snap, rr.owner, rr.type);
            if (!st)
                return DNS_RCODE_SERVFAIL;
            r2_clear(st);
        } else { /* NONE: delete one RR */
            if (rr.type == DNS_TYPE_SOA)
                continue;
            long l = r2_rdata(msg, len, &rr, rd, sizeof(rd));
            if (l < 0)
                return DNS_RCODE_FORMERR;
            struct rfc2136_set *st = r2_set(res, x->snap, rr.owner, rr.type);
            if (!st)
                return DNS_RCODE_SERVFAIL;
            if (apex && rr.type == DNS_TYPE_NS && st->count == 1 &&
                r2_find_rr(st, rd, (size_t)l) >= 0)
                continue; /* the zone keeps its last NS */
            r2_del_rr(st, rd, (size_t)l);
        }
    }
    return DNS_RCODE_NOERROR;
}

/* Does a touched set hold what is served now (the same TTL and RRs, or nothing)? An update
 * can come back to it, as a CNAME replaced by itself or an add undone by a delete. */
static bool r2_same_as_served(const struct snap *s, const struct rfc2136_set *st)
{
    const struct zone_rrset *rs = r2_served(s, st->owner, st->type);
    if (!rs || !rs->count)
        return st->count == 0;
    if (rs->count != st->count || rs->ttl != st->ttl)
        return false;
    const uint8_t *p = rs->rdata;
    for (uint16_t k = 0; k < rs->count; k++) {
        const uint8_t *rd;
        uint16_t l;
        p = zone_rdata_next(p, &rd, &l);
        if (r2_find_rr(st, rd, l) < 0)
            return false;
    }
    return true;
}

static const struct conf_tsig_key *r2_key(const struct conf *c, const uint8_t *name)
{
    for (size_t i = 0; i < c->ntsig_keys; i++)
        if (dns_name_equal(c->tsig_keys[i].wire, name))
            return &c->tsig_keys[i];
    return NULL;
}

void rfc2136_process(const struct rfc2136_ctx *x, const uint8_t *msg, size_t len,
                     struct rfc2136_result *res)
{
    memset(res, 0, sizeof(*res));
    res->rcode = DNS_RCODE_FORMERR;
    struct cursor c;
    cursor_init(&c, msg, len);
    struct dns_header h;
    if (len < DNS_HDR_LEN || dns_msg_header(&c, &h)) {
        r2_done(res, DNS_RCODE_FORMERR, "malformed header");
        return;
    }
    /* A zone section of the wrong size or type is FORMERR, but only after the TSIG check:
     * the reply to a signed request is signed whatever its RCODE (RFC 8945 5.3). */
    struct dns_question z = {0};
    if (h.qdcount == 1) {
        if (dns_msg_question(&c, &z)) {
            r2_done(res, DNS_RCODE_FORMERR, "malformed zone section");
            return;
        }
        res->zone_ok = true;
        res->zone_end = c.pos;
        dns_name_copy_lower(res->apex, z.name);
    }

    /* TSIG first: every reply to a signed request is signed (or says why not). */
    bool found = false;
    if (dns_tsig_find(msg, len, &res->tsig, &found) < 0) {
        r2_done(res, DNS_RCODE_FORMERR, "malformed TSIG");
        return;
    }
    if (found) {
        res->signed_req = true;
        const struct conf_tsig_key *k = r2_key(x->conf, res->tsig.key_name);
        if (k) {
            static const enum dns_tsig_alg algs[] = {
                [CONF_TSIG_HMAC_SHA1] = DNS_TSIG_HMAC_SHA1,
                [CONF_TSIG_HMAC_SHA256] = DNS_TSIG_HMAC_SHA256,
                [CONF_TSIG_HMAC_SHA512] = DNS_TSIG_HMAC_SHA512,
            };
            res->key = (struct dns_tsig_key){.name = k->wire,
                                             .alg = algs[k->alg],
                                             .secret = k->secret,
                                             .secret_len = k->secret_len};
            res->have_key = true;
        }
        uint16_t terr = 0;
        if (dns_tsig_verify(msg, len, &res->tsig, k ? &res->key : NULL, NULL, 0, (uint64_t)x->now,
                            &terr) < 0) {
            res->signed_req = false;
            {
                r2_done(res, DNS_RCODE_FORMERR, "malformed TSIG");
                return;
            }
        }
        res->tsig_error = terr;
        if (terr == DNS_TSIG_BADKEY)
            res->have_key = false;
        if (terr) {
            r2_done(res, DNS_RCODE_NOTAUTH,
                    terr == DNS_TSIG_BADKEY    ? "TSIG: unknown key (BADKEY)"
                    : terr == DNS_TSIG_BADSIG  ? "TSIG: bad signature (BADSIG)"
                    : terr == DNS_TSIG_BADTIME ? "TSIG: time outside the fudge (BADTIME)"
                                               : "TSIG: truncated MAC (BADTRUNC)");
            return;
        }
        /* The rest of the message is read without the TSIG RR. */
        h.arcount--;
    }
    if (h.qdcount != 1) {
        r2_done(res, DNS_RCODE_FORMERR, "the zone section must hold one zone");
        return;
    }
    if (z.qtype != DNS_TYPE_SOA) {
        r2_done(res, DNS_RCODE_FORMERR, "the zone section's type is not SOA");
        return;
    }

    /* The zone: one we serve, by its apex. */
    bool served = false;
    for (size_t i = 0; x->snap && i < x->snap->nzones && !served; i++)
        served = dns_name_equal(x->snap->zones[i].apex, res->apex);
    /* ZCLASS is the zone's class (RFC 2136 2.3): our zones are IN, and ANY names none. */
    if (!served || z.qclass != DNS_CLASS_IN) {
        r2_done(res, DNS_RCODE_NOTAUTH, "not a zone of ours");
        return;
    }
    uint16_t zclass = DNS_CLASS_IN;
    if (!r2_allowed(x, res)) {
        r2_done(res, DNS_RCODE_REFUSED,
                found ? "not allowed for this key" : "not allowed for this address");
        return;
    }

    uint16_t rc = r2_prereqs(x, msg, len, &c, h.ancount, res, zclass);
    if (rc) {
        r2_done(res, rc, "prerequisite not met");
        return;
    }
    size_t upd = c.pos;
    rc = r2_prescan(msg, len, upd, h.nscount, res, zclass);
    if (rc) {
        r2_done(res, rc, "bad update section");
        return;
    }
    uint32_t serial = 0;
    if (!snap_zone_serial(x->snap, res->apex, &serial)) {
        r2_done(res, DNS_RCODE_SERVFAIL, "the zone has no SOA");
        return;
    }
    uint32_t new_serial = serial;
    bool soa_set = false;
    rc = r2_apply(x, msg, len, upd, h.nscount, res, zclass, &new_serial, &soa_set);
    if (rc) {
        r2_done(res, rc,
                rc == DNS_RCODE_SERVFAIL ? "too many RRsets, or an RRset too large" : "bad update");
        return;
    }

    struct dyn_change *ch = &res->change;
    size_t nchanged = 0;
    for (size_t i = 0; i < res->nsets; i++) {
        struct rfc2136_set *st = &res->sets[i];
        if (!st->changed || r2_same_as_served(x->snap, st))
            continue;
        ch->sets[ch->nsets++] = (struct dyn_rrset){.owner = st->owner,
                                                   .type = st->type,
                                                   .ttl = st->ttl,
                                                   .count = st->count,
                                                   .rdata = st->rd,
                                                   .rdlen = st->rdlen};
        nchanged++;
    }
    res->rcode = DNS_RCODE_NOERROR;
    if (!nchanged && !soa_set) {
        snprintf(res->what, sizeof(res->what), "nothing to change");
        return;
    }
    ch->zones[0] = res->apex;
    ch->serials[0] = soa_set ? new_serial : serial + 1;
    ch->nzones = 1;
    res->commit = true;
    snprintf(res->what, sizeof(res->what), "%zu RRset%s changed, serial %u", nchanged,
             nchanged == 1 ? "" : "s", ch->serials[0]);
}

size_t rfc2136_reply(const uint8_t *msg, size_t len, const struct rfc2136_result *res,
                     uint16_t rcode, int64_t now, uint8_t *out, size_t cap)
{
    if (len < DNS_HDR_LEN || cap < DNS_HDR_LEN + 512)
        return 0;
    size_t zlen = res->zone_ok ? res->zone_end - DNS_HDR_LEN : 0;
    if (DNS_HDR_LEN + zlen > cap)
        return 0;
    uint16_t flags = (uint16_t)(DNS_FLAG_QR | (DNS_OPCODE_UPDATE << 11) | (rcode & 0xfu));
    out[0] = msg[0];
    out[1] = msg[1];
    out[2] = (uint8_t)(flags >> 8);
    out[3] = (uint8_t)flags;
    memset(out + 4, 0, 8);
    out[5] = res->zone_ok ? 1 : 0;
    memcpy(out + DNS_HDR_LEN, msg + DNS_HDR_LEN, zlen);
    size_t n = DNS_HDR_LEN + zlen;
    if (!res->signed_req)
        return n;
    size_t signed_len = n;
    uint16_t terr = res->tsig_error;
    if (terr == DNS_TSIG_BADKEY || terr == DNS_TSIG_BADSIG || !res->have_key) {
        if (dns_tsig_append_error(out, n, cap, &signed_len, &res->tsig, (uint64_t)now,
                                  terr ? terr : DNS_TSIG_BADKEY))
            return n;
        return signed_len;
    }
    uint8_t other[DNS_TSIG_OTHER_MAX];
    uint16_t olen = 0;
    uint64_t t = (uint64_t)now;
    if (terr == DNS_TSIG_BADTIME) {
        dns_tsig_time_other((uint64_t)now, other);
        olen = DNS_TSIG_OTHER_MAX;
        t = res->tsig.time_signed;
    }
    if (dns_tsig_sign(out, n, cap, &signed_len, &res->key, res->tsig.mac, res->tsig.mac_len, t,
                      DNS_TSIG_FUDGE, terr, olen ? other : NULL, olen, NULL, NULL))
        return n;
    return signed_len;
}
