#include "update/dyn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "dns/name.h"
#include "store/store.h"
#include "util/err.h"

/*
 * The mirror is three sorted arrays, one per store table, each entry owning a copy of its
 * store key and value. Keys are the store's: an RRset is owner (lower-cased wire form) + type
 * (2 bytes, network order); a serial and a host are the name alone. Values: an RRset is
 * TTL (4) + count (2) + the RRs; a serial is 4 bytes; a host's expiry 8 (all network order).
 * Sorted by memcmp of the key, the order LMDB scans in, so loading appends.
 */
struct dyn_entry {
    uint8_t *key;
    size_t klen;
    uint8_t *val;
    size_t vlen;
};

struct dyn_table {
    struct dyn_entry *v;
    size_t n, cap;
};

struct dyn {
    struct store *store;
    struct dyn_table t[STORE_NTABLES];
    int64_t now; /* of the build in progress (dyn_hooks) */
};

static int dyn_key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

/* Index of the entry with this key, or -(insertion point) - 1. */
static long dyn_search(const struct dyn_table *t, const uint8_t *key, size_t klen)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = dyn_key_cmp(t->v[mid].key, t->v[mid].klen, key, klen);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(long)lo - 1;
}

static const struct dyn_entry *dyn_get(const struct dyn_table *t, const uint8_t *key, size_t klen)
{
    long i = dyn_search(t, key, klen);
    return i >= 0 ? &t->v[i] : NULL;
}

/* Puts (val non-NULL) or deletes a copy of key -> val. */
static int dyn_set(struct dyn_table *t, const uint8_t *key, size_t klen, const uint8_t *val,
                   size_t vlen)
{
    long i = dyn_search(t, key, klen);
    if (!val) {
        if (i >= 0) {
            free(t->v[i].key);
            free(t->v[i].val);
            memmove(&t->v[i], &t->v[i + 1], (t->n - (size_t)i - 1) * sizeof(*t->v));
            t->n--;
        }
        return 0;
    }
    uint8_t *nv = malloc(vlen ? vlen : 1);
    if (!nv)
        return -ENOMEM;
    memcpy(nv, val, vlen);
    if (i >= 0) {
        free(t->v[i].val);
        t->v[i].val = nv;
        t->v[i].vlen = vlen;
        return 0;
    }
    size_t at = (size_t)(-i - 1);
    uint8_t *nk = malloc(klen ? klen : 1);
    if (!nk || (t->n == t->cap && t->cap > SIZE_MAX / 2 / sizeof(*t->v))) {
        free(nk);
        free(nv);
        return -ENOMEM;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        struct dyn_entry *v = realloc(t->v, cap * sizeof(*v));
        if (!v) {
            free(nk);
            free(nv);
            return -ENOMEM;
        }
        t->v = v;
        t->cap = cap;
    }
    memcpy(nk, key, klen);
    memmove(&t->v[at + 1], &t->v[at], (t->n - at) * sizeof(*t->v));
    t->v[at] = (struct dyn_entry){.key = nk, .klen = klen, .val = nv, .vlen = vlen};
    t->n++;
    return 0;
}

static int dyn_load_one(void *ctx, enum store_table table, const void *key, size_t klen,
                        const void *val, size_t vlen)
{
    struct dyn *d = ctx;
    if ((unsigned)table >= STORE_NTABLES)
        return 0;
    /* Entries that cannot be ours are skipped, not trusted: the file is input too. */
    size_t nlen = 0;
    if (dns_name_validate(key, klen, &nlen))
        return 0;
    switch (table) {
    case STORE_RRSETS:
        if (nlen + 2 != klen || vlen < 6)
            return 0;
        break;
    case STORE_SERIALS:
        if (nlen != klen || vlen != 4)
            return 0;
        break;
    case STORE_HOSTS:
        if (nlen != klen || vlen != 8)
            return 0;
        break;
    default:
        return 0;
    }
    return dyn_set(&d->t[table], key, klen, val, vlen);
}

int dyn_open(const char *dir, struct dyn **out, char *err, size_t errcap)
{
    struct dyn *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errcap, "out of memory");
        return -ENOMEM;
    }
    int r = store_open(dir, &d->store, err, errcap);
    if (r) {
        free(d);
        return r;
    }
    r = store_scan(d->store, dyn_load_one, d);
    if (r) {
        snprintf(err, errcap, "%s: cannot read: %s", dir, store_strerror(r));
        dyn_free(d);
        return r;
    }
    *out = d;
    return 0;
}

void dyn_free(struct dyn *d)
{
    if (!d)
        return;
    for (int k = 0; k < STORE_NTABLES; k++) {
        for (size_t i = 0; i < d->t[k].n; i++) {
            free(d->t[k].v[i].key);
            free(d->t[k].v[i].val);
        }
        free(d->t[k].v);
    }
    store_close(d->store);
    free(d);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The store key of an RRset: lower-cased owner + type. Returns its length. */
static size_t dyn_rr_key(uint8_t key[DNS_NAME_MAXLEN + 2], const uint8_t *owner, uint16_t type)
{
    size_t n = dns_name_copy_lower(key, owner);
    key[n] = (uint8_t)(type >> 8);
    key[n + 1] = (uint8_t)type;
    return n + 2;
}

/* The store operations of a change; their keys and values live in `buf`. */
struct dyn_ops {
    struct store_op ops[2 * DYN_CHANGE_MAX + 1];
    size_t n;
    uint8_t keys[2 * DYN_CHANGE_MAX + 1][DNS_NAME_MAXLEN + 2];
    uint8_t small[DYN_CHANGE_MAX + 1][8];
    uint8_t *vals[DYN_CHANGE_MAX];
};

static void dyn_ops_free(struct dyn_ops *o)
{
    for (size_t i = 0; i < DYN_CHANGE_MAX; i++)
        free(o->vals[i]);
}

static int dyn_ops_make(const struct dyn_change *c, struct dyn_ops *o)
{
    memset(o->vals, 0, sizeof(o->vals));
    o->n = 0;
    if (c->nsets > DYN_CHANGE_MAX || c->nzones > DYN_CHANGE_MAX)
        return -EINVAL;
    for (size_t i = 0; i < c->nsets; i++) {
        const struct dyn_rrset *s = &c->sets[i];
        if (s->rdlen > (16u << 20))
            return -EINVAL;
        uint8_t *v = o->vals[i] = malloc(6 + s->rdlen);
        if (!v)
            return -ENOMEM;
        put32(v, s->ttl);
        v[4] = (uint8_t)(s->count >> 8);
        v[5] = (uint8_t)s->count;
        if (s->rdlen)
            memcpy(v + 6, s->rdata, s->rdlen);
        size_t kl = dyn_rr_key(o->keys[o->n], s->owner, s->type);
        o->ops[o->n] = (struct store_op){STORE_RRSETS, o->keys[o->n], kl, v, 6 + s->rdlen};
        o->n++;
    }
    for (size_t i = 0; i < c->nzones; i++) {
        size_t kl = dns_name_copy_lower(o->keys[o->n], c->zones[i]);
        put32(o->small[i], c->serials[i]);
        o->ops[o->n] = (struct store_op){STORE_SERIALS, o->keys[o->n], kl, o->small[i], 4};
        o->n++;
    }
    if (c->host) {
        size_t kl = dns_name_copy_lower(o->keys[o->n], c->host);
        uint64_t e = (uint64_t)c->host_expires;
        uint8_t *p = o->small[DYN_CHANGE_MAX];
        put32(p, (uint32_t)(e >> 32));
        put32(p + 4, (uint32_t)e);
        o->ops[o->n] = (struct store_op){STORE_HOSTS, o->keys[o->n], kl, p, 8};
        o->n++;
    }
    return 0;
}

struct dyn_undo {
    struct dyn_ops ops;  /* the change */
    struct dyn_entry old[2 * DYN_CHANGE_MAX + 1]; /* what each key held (val NULL: nothing) */
    size_t nold;
};

int dyn_stage(struct dyn *d, const struct dyn_change *c, struct dyn_undo **out)
{
    struct dyn_undo *u = calloc(1, sizeof(*u));
    if (!u)
        return -ENOMEM;
    int r = dyn_ops_make(c, &u->ops);
    for (size_t i = 0; i < u->ops.n && !r; i++) {
        const struct store_op *op = &u->ops.ops[i];
        const struct dyn_entry *e = dyn_get(&d->t[op->table], op->key, op->klen);
        struct dyn_entry *old = &u->old[u->nold];
        old->val = NULL;
        if (e) {
            old->val = malloc(e->vlen ? e->vlen : 1);
            if (!old->val) {
                r = -ENOMEM;
                break;
            }
            memcpy(old->val, e->val, e->vlen);
            old->vlen = e->vlen;
        }
        u->nold++;
        r = dyn_set(&d->t[op->table], op->key, op->klen, op->val, op->vlen);
    }
    if (r) {
        dyn_unstage(d, u);
        return r;
    }
    *out = u;
    return 0;
}

void dyn_unstage(struct dyn *d, struct dyn_undo *u)
{
    if (!u)
        return;
    /* Backwards, so a key changed twice ends as it was. */
    for (size_t i = u->nold; i-- > 0;) {
        const struct store_op *op = &u->ops.ops[i];
        dyn_set(&d->t[op->table], op->key, op->klen, u->old[i].val, u->old[i].vlen);
    }
    dyn_done(u);
}

int dyn_persist(struct dyn *d, const struct dyn_undo *u)
{
    return store_apply(d->store, u->ops.ops, u->ops.n);
}

void dyn_done(struct dyn_undo *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->nold; i++)
        free(u->old[i].val);
    dyn_ops_free(&u->ops);
    free(u);
}

bool dyn_find(const struct dyn *d, const uint8_t *owner, uint16_t type, struct dyn_rrset *out)
{
    uint8_t key[DNS_NAME_MAXLEN + 2];
    size_t kl = dyn_rr_key(key, owner, type);
    const struct dyn_entry *e = dyn_get(&d->t[STORE_RRSETS], key, kl);
    if (!e)
        return false;
    *out = (struct dyn_rrset){
        .owner = e->key,
        .type = type,
        .ttl = get32(e->val),
        .count = (uint16_t)(e->val[4] << 8 | e->val[5]),
        .rdata = e->val + 6,
        .rdlen = e->vlen - 6,
    };
    return true;
}

bool dyn_host(const struct dyn *d, const uint8_t *host, int64_t *expires)
{
    uint8_t key[DNS_NAME_MAXLEN];
    size_t kl = dns_name_copy_lower(key, host);
    const struct dyn_entry *e = dyn_get(&d->t[STORE_HOSTS], key, kl);
    if (!e)
        return false;
    *expires = (int64_t)((uint64_t)get32(e->val) << 32 | get32(e->val + 4));
    return true;
}

bool dyn_serial_newer(uint32_t a, uint32_t b)
{
    return a != b && (uint32_t)(a - b) < 0x80000000u;
}

/* Is `owner` a dyndns host (one that has updated at least once)? */
static bool dyn_is_host(const struct dyn *d, const uint8_t *owner)
{
    int64_t e;
    return dyn_host(d, owner, &e);
}

static bool dyn_expired(const struct dyn *d, const uint8_t *host)
{
    int64_t e;
    return dyn_host(d, host, &e) && e != 0 && e <= d->now;
}

static bool dyn_hook_hides(void *ctx, const uint8_t *owner, uint16_t type)
{
    const struct dyn *d = ctx;
    if (type == DNS_TYPE_SOA)
        return false;
    if ((type == DNS_TYPE_A || type == DNS_TYPE_AAAA) && dyn_is_host(d, owner))
        return true;
    struct dyn_rrset s;
    return dyn_find(d, owner, type, &s);
}

static uint32_t dyn_hook_serial(void *ctx, const uint8_t *apex, uint32_t serial)
{
    const struct dyn *d = ctx;
    uint8_t key[DNS_NAME_MAXLEN];
    size_t kl = dns_name_copy_lower(key, apex);
    const struct dyn_entry *e = dyn_get(&d->t[STORE_SERIALS], key, kl);
    if (e && dyn_serial_newer(get32(e->val), serial))
        return get32(e->val);
    return serial;
}

static int dyn_hook_add(void *ctx, struct zone_builder *b)
{
    const struct dyn *d = ctx;
    /* A host exists, with or without addresses (contract: a cleared or expired host answers
     * NODATA). */
    const struct dyn_table *h = &d->t[STORE_HOSTS];
    for (size_t i = 0; i < h->n; i++) {
        if (!zone_builder_in_zone(b, h->v[i].key))
            continue;
        int r = zone_builder_add_rr(b, h->v[i].key, ZONE_TYPE_NAME_ONLY, 0, NULL, 0,
                                    ZONE_RR_DYNAMIC, ZONE_SOURCE_DYNAMIC);
        if (r)
            return r;
    }
    const struct dyn_table *t = &d->t[STORE_RRSETS];
    for (size_t i = 0; i < t->n; i++) {
        const struct dyn_entry *e = &t->v[i];
        size_t nlen = e->klen - 2;
        uint16_t type = (uint16_t)(e->key[nlen] << 8 | e->key[nlen + 1]);
        if (type == DNS_TYPE_SOA || !zone_builder_in_zone(b, e->key))
            continue; /* a zone that left the config takes its dynamic data along */
        if ((type == DNS_TYPE_A || type == DNS_TYPE_AAAA) && dyn_is_host(d, e->key) &&
            dyn_expired(d, e->key))
            continue;
        uint32_t ttl = get32(e->val);
        unsigned count = (unsigned)(e->val[4] << 8 | e->val[5]);
        size_t at = 6;
        for (unsigned k = 0; k < count; k++) {
            if (at + 2 > e->vlen)
                break;
            uint16_t rl = (uint16_t)(e->val[at] << 8 | e->val[at + 1]);
            if (at + 2 + rl > e->vlen)
                break;
            int r = zone_builder_add_rr(b, e->key, type, ttl, e->val + at + 2, rl,
                                        ZONE_RR_DYNAMIC, ZONE_SOURCE_DYNAMIC);
            if (r)
                return r;
            at += 2 + (size_t)rl;
        }
    }
    return 0;
}

struct zone_builder_hooks dyn_hooks(struct dyn *d, int64_t now)
{
    d->now = now;
    return (struct zone_builder_hooks){
        .ctx = d,
        .hides = dyn_hook_hides,
        .serial = dyn_hook_serial,
        .add = dyn_hook_add,
    };
}

int64_t dyn_next_expiry(const struct dyn *d, int64_t now)
{
    int64_t best = 0;
    const struct dyn_table *t = &d->t[STORE_HOSTS];
    for (size_t i = 0; i < t->n; i++) {
        int64_t e = (int64_t)((uint64_t)get32(t->v[i].val) << 32 | get32(t->v[i].val + 4));
        if (e > now && (best == 0 || e < best))
            best = e;
    }
    return best;
}
