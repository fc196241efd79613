/*
 * zone_builder_finish: lays out what zone/build.c recorded as one immutable snapshot.
 *
 *  1. every owner gets a node in the snapshot's name table; inside a zone every ancestor up
 *     to the apex gets one too (empty non-terminals, RFC 4592 2.2.2), so that the closest
 *     encloser of any name is found by probing parents and an ENT answers NODATA; outside
 *     zones only the parent of a wildcard is added, as the wildcard's closest encloser;
 *  2. RRs are sorted by node and type, then grouped into RRsets (kept in the order their
 *     types first appeared), with duplicates dropped and CNAME conflicts reported, all in
 *     O(n log n);
 *  3. zone cuts are found top-down (nodes sorted by label count), so every node knows the
 *     delegation it lies under without a walk at query time.
 *
 * A file of its own because it is a different job from collecting records: it runs once per
 * load, over up to millions of RRs. The steps and the functions their per-RR and per-node
 * loops call stay together in this file, static, so the compiler can inline them there; only
 * the structures and two small static inline helpers come from zone/build_int.h.
 */
#include "zone/build.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "dns/name.h"
#include "util/err.h"
#include "zone/build_int.h"

static int zb_issue(struct zone_builder *b, enum zone_issue_kind kind, bool error, int source,
                    int other)
{
    int r =
        zone__build_grow((void **)&b->issues, &b->capissues, b->nissues + 1, sizeof(*b->issues));
    if (r)
        return r;
    b->issues[b->nissues++] =
        (struct zone_issue){.kind = kind, .error = error, .source = source, .other = other};
    return 0;
}

/* ---- step 1: nodes -------------------------------------------------------------------- */

/* A node for a name that is not in s->names (the callers look first; hash: its
 * zone_tree_hash). */
static struct zone_node *zb_node_new_h(struct zone_builder *b, struct snap *s,
                                       const struct zone *zones, const uint8_t *name, size_t len,
                                       uint32_t hash, long zidx)
{
    struct zone_node *n = arena_alloc(&s->arena, sizeof(*n));
    uint8_t *nm = arena_dup(&s->arena, name, len);
    if (!n || !nm)
        return NULL;
    memset(n, 0, sizeof(*n));
    n->name = nm;
    n->name_len = (uint8_t)len;
    n->labels = (uint8_t)dns_name_labels(name);
    n->zone = zidx >= 0 ? &zones[zidx] : NULL;
    if (zone__build_grow((void **)&b->nodes, &b->capnodes, b->nnodes + 1, sizeof(*b->nodes)))
        return NULL;
    if (zone_tree_insert_absent(&s->names, nm, len, hash, n))
        return NULL;
    b->nodes[b->nnodes++] = n;
    return n;
}

static struct zone_node *zb_node_new(struct zone_builder *b, struct snap *s,
                                     const struct zone *zones, const uint8_t *name, size_t len,
                                     long zidx)
{
    return zb_node_new_h(b, s, zones, name, len, zone_tree_hash(name, len), zidx);
}

static struct zone_node *zb_node_get(struct zone_builder *b, struct snap *s,
                                     const struct zone *zones, const uint8_t *name, size_t len)
{
    uint32_t hash = zone_tree_hash(name, len);
    struct zone_node *n = zone_tree_find(&s->names, name, len, hash);
    if (n)
        return n;
    long zidx = zone__build_deepest_zone(b, name);
    n = zb_node_new_h(b, s, zones, name, len, hash, zidx);
    if (!n)
        return NULL;
    if (zidx >= 0) {
        /* Materialize the empty non-terminals up to the first existing ancestor. The
         * apex always exists by then or is created here, and stops the walk. */
        const uint8_t *p = name;
        while (*p) {
            p += *p + 1;
            size_t plen = len - (size_t)(p - name);
            if (zone_tree_get(&s->names, p, plen))
                break;
            long pz = zone__build_deepest_zone(b, p);
            if (pz < 0)
                break;
            if (!zb_node_new(b, s, zones, p, plen, pz))
                return NULL;
        }
    } else if (dns_name_is_wildcard(name)) {
        /* Outside zones a wildcard still needs its closest encloser to be found. */
        const uint8_t *p = name + 2;
        size_t plen = len - 2;
        if (!zone_tree_get(&s->names, p, plen) && !zb_node_new(b, s, zones, p, plen, -1))
            return NULL;
    }
    return n;
}

/* ---- step 2: RRsets ------------------------------------------------------------------- */

static int zb_cmp_rr(const void *a, const void *b)
{
    const struct zone__build_rr *x = a, *y = b;
    if (x->node != y->node)
        return (uintptr_t)x->node < (uintptr_t)y->node ? -1 : 1;
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq ? 1 : 0);
}

/* zone_node flags used only inside zb_sort_rrs (clear outside it). */
#define ZB_NODE_SEEN  (1u << 15)
#define ZB_NODE_SPLIT (1u << 14)

struct zb_key {
    uintptr_t node;
    uint64_t type_seq; /* type << 32 | seq: the order of zb_cmp_rr */
    uint64_t idx;      /* where the RR is in b->rrs */
};

static int zb_cmp_key(const void *a, const void *b)
{
    const struct zb_key *x = a, *y = b;
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    return x->type_seq < y->type_seq ? -1 : (x->type_seq > y->type_seq ? 1 : 0);
}

/* Groups b->rrs by node, each group in (type, seq) order (seq, the index an RR was added at,
 * breaks ties, so a second finish works on any order). When the records are not grouped
 * already, 24-byte keys are sorted rather than the 48-byte records, which then move once.
 * 0 or -ENOMEM (b->rrs unchanged). */
/* Orders each run of one node's RRs by (type, seq), sorting only runs that are not. */
static void zb_order_runs(struct zone_builder *b)
{
    size_t n = b->nrr;
    for (size_t lo = 0; lo < n;) {
        size_t hi = lo + 1;
        bool ordered = true;
        for (; hi < n && b->rrs[hi].node == b->rrs[lo].node; hi++)
            ordered &= zb_cmp_rr(&b->rrs[hi - 1], &b->rrs[hi]) <= 0;
        if (!ordered)
            qsort(b->rrs + lo, hi - lo, sizeof(*b->rrs), zb_cmp_rr);
        lo = hi;
    }
}

static int zb_sort_rrs(struct zone_builder *b)
{
    size_t n = b->nrr;
    /* What the passes after this need is weaker than zb_cmp_rr's order: each node's RRs in
     * one run, ordered by (type, seq) within it; the order of the runs does not matter. A
     * zone file lists a name's records together, so this usually holds already, except for
     * a few names such as the apex, whose SOA reaches the builder after the rest of the
     * file. A node seen in an earlier run carries ZB_NODE_SEEN until the check ends; one
     * met again carries ZB_NODE_SPLIT. */
    size_t nsplit = 0; /* RRs of split nodes */
    bool any_split = false;
    for (size_t i = 0; i < n; i++) {
        struct zone_node *nd = b->rrs[i].node;
        if (!(i && nd == b->rrs[i - 1].node)) {
            if (nd->flags & ZB_NODE_SEEN) {
                nd->flags |= ZB_NODE_SPLIT;
                any_split = true;
            } else {
                nd->flags |= ZB_NODE_SEEN;
            }
        }
    }
    if (any_split)
        for (size_t i = 0; i < n; i++)
            nsplit += (b->rrs[i].node->flags & ZB_NODE_SPLIT) != 0;
    int r = 0;
    if (!any_split) {
        zb_order_runs(b);
    } else if (nsplit <= n / 8) {
        /* Few names are split: their RRs move to the end (the others keep their order),
         * and only they are sorted. */
        struct zone__build_rr *tail = malloc(nsplit * sizeof(*tail));
        if (!tail) {
            r = -ENOMEM;
            goto out;
        }
        size_t w = 0, t = 0;
        for (size_t i = 0; i < n; i++) {
            if (b->rrs[i].node->flags & ZB_NODE_SPLIT)
                tail[t++] = b->rrs[i];
            else
                b->rrs[w++] = b->rrs[i];
        }
        memcpy(b->rrs + w, tail, nsplit * sizeof(*tail));
        free(tail);
        qsort(b->rrs + w, nsplit, sizeof(*b->rrs), zb_cmp_rr);
        zb_order_runs(b);
    } else {
        struct zb_key *keys = malloc(n * sizeof(*keys));
        struct zone__build_rr *tmp = malloc(n * sizeof(*tmp));
        if (!keys || !tmp) {
            free(keys);
            free(tmp);
            r = -ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            keys[i] = (struct zb_key){(uintptr_t)b->rrs[i].node,
                                      (uint64_t)b->rrs[i].type << 32 | b->rrs[i].seq, i};
        qsort(keys, n, sizeof(*keys), zb_cmp_key);
        for (size_t i = 0; i < n; i++)
            tmp[i] = b->rrs[keys[i].idx];
        memcpy(b->rrs, tmp, n * sizeof(*tmp));
        free(tmp);
        free(keys);
    }
out:
    for (size_t i = 0; i < n; i++)
        b->rrs[i].node->flags &= (uint16_t) ~(ZB_NODE_SEEN | ZB_NODE_SPLIT);
    return r;
}

static bool zb_is_dnssec_meta(uint16_t type)
{
    return type == DNS_TYPE_RRSIG || type == DNS_TYPE_NSEC;
}

/* Orders indexes into b->rrs by RDATA, then by seq: identical RDATA become neighbours with
 * the first-added one first. */
static int zb_cmp_rdata(const void *a, const void *b, void *arg)
{
    const struct zone_builder *zb = arg;
    const struct zone__build_rr *x = &zb->rrs[*(const size_t *)a],
                                *y = &zb->rrs[*(const size_t *)b];
    if (x->rdlen != y->rdlen)
        return x->rdlen < y->rdlen ? -1 : 1;
    int c = memcmp(zb->rd + x->rd_off, zb->rd + y->rd_off, x->rdlen);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : (x->seq > y->seq ? 1 : 0);
}

/* Marks duplicates within rrs[g0, g1) (one name and type). O(k log k), so that even a
 * hostile file with a huge RRset loads in reasonable time. */
static int zb_mark_dups(struct zone_builder *b, size_t g0, size_t g1)
{
    size_t k = g1 - g0;
    if (k < 2)
        return 0;
    int r = zone__build_grow((void **)&b->scratch, &b->capscratch, k, sizeof(*b->scratch));
    if (r)
        return r;
    for (size_t i = 0; i < k; i++)
        b->scratch[i] = g0 + i;
    qsort_r(b->scratch, k, sizeof(*b->scratch), zb_cmp_rdata, b);
    for (size_t i = 1, keep = 0; i < k; i++) {
        struct zone__build_rr *rr = &b->rrs[b->scratch[i]];
        const struct zone__build_rr *kept = &b->rrs[b->scratch[keep]];
        if (rr->rdlen == kept->rdlen &&
            memcmp(b->rd + rr->rd_off, b->rd + kept->rd_off, rr->rdlen) == 0) {
            rr->dup = true;
            r = zb_issue(b, ZONE_ISSUE_DUPLICATE, false, rr->source, kept->source);
            if (r)
                return r;
        } else {
            keep = i;
        }
    }
    return 0;
}

/* Finds duplicates, conflicts and TTL differences among rrs[lo, hi): one node, sorted by
 * type then by the order they were added. */
static int zb_check_node(struct zone_builder *b, size_t lo, size_t hi)
{
    const struct zone__build_rr *cname = NULL, *other = NULL;
    int r;
    for (size_t g0 = lo, g1; g0 < hi; g0 = g1) {
        uint16_t type = b->rrs[g0].type;
        for (g1 = g0 + 1; g1 < hi && b->rrs[g1].type == type; g1++)
            ;
        if (type == ZONE_TYPE_NAME_ONLY)
            continue;
        r = zb_mark_dups(b, g0, g1);
        if (r)
            return r;
        /* The first RR of a group is never a duplicate: duplicates come later. */
        const struct zone__build_rr *head = &b->rrs[g0];
        const struct zone__build_rr *second = NULL;
        size_t count = 1;
        for (size_t i = g0 + 1; i < g1; i++) {
            const struct zone__build_rr *rr = &b->rrs[i];
            if (rr->dup)
                continue;
            if (!second)
                second = rr;
            if (++count == (size_t)UINT16_MAX + 1) {
                r = zb_issue(b, ZONE_ISSUE_RRSET_TOO_BIG, true, rr->source, head->source);
                if (r)
                    return r;
            }
            if (rr->ttl != head->ttl) {
                r = zb_issue(b, ZONE_ISSUE_TTL_MISMATCH, false, rr->source, head->source);
                if (r)
                    return r;
            }
        }
        if (second && (type == DNS_TYPE_CNAME || type == DNS_TYPE_SOA)) {
            r = zb_issue(b, type == DNS_TYPE_CNAME ? ZONE_ISSUE_MULTI_CNAME : ZONE_ISSUE_MULTI_SOA,
                         true, second->source, head->source);
            if (r)
                return r;
        }
        if (type == DNS_TYPE_CNAME)
            cname = head;
        else if (!zb_is_dnssec_meta(type) && (!other || head->seq < other->seq))
            other = head;
    }
    if (cname && other) {
        const struct zone__build_rr *later = cname->seq > other->seq ? cname : other;
        const struct zone__build_rr *earlier = later == cname ? other : cname;
        r = zb_issue(b, ZONE_ISSUE_CNAME_AND_OTHER, true, later->source, earlier->source);
        if (r)
            return r;
    }
    return 0;
}

static bool zb_take(const struct zone__build_rr *rr, bool wild_only)
{
    return !rr->dup && rr->type != ZONE_TYPE_NAME_ONLY &&
           (!wild_only || (rr->flags & ZONE_RR_WILD1));
}

/* RRsets in the order their types first appeared, except that the SOA leads (a zone file's
 * SOA reaches the builder after the rest of the file). */
static int zb_cmp_set(const void *a, const void *b)
{
    const struct zone__build_set *x = a, *y = b;
    if ((x->type == DNS_TYPE_SOA) != (y->type == DNS_TYPE_SOA))
        return x->type == DNS_TYPE_SOA ? -1 : 1;
    return x->first_seq < y->first_seq ? -1 : (x->first_seq > y->first_seq ? 1 : 0);
}

/* Lays out rrs[lo, hi) (one node, grouped by type) as RRsets in the snapshot, types in the
 * order they first appeared; with `wild_only` only the RRs flagged ZONE_RR_WILD1. */
static int zb_layout(struct zone_builder *b, struct snap *s, size_t lo, size_t hi, bool wild_only,
                     const struct zone_rrset **out, uint16_t *nout)
{
    size_t nsets = 0;
    for (size_t g0 = lo, g1; g0 < hi; g0 = g1) {
        struct zone__build_set set = {.type = b->rrs[g0].type, .first = g0, .ttl = UINT32_MAX};
        for (g1 = g0; g1 < hi && b->rrs[g1].type == set.type; g1++) {
            const struct zone__build_rr *rr = &b->rrs[g1];
            if (!zb_take(rr, wild_only))
                continue;
            if (!set.count)
                set.first_seq = rr->seq;
            if (set.count == UINT16_MAX)
                return ERR_LIMIT;
            set.count++;
            set.bytes += 2u + rr->rdlen;
            if (rr->ttl < set.ttl)
                set.ttl = rr->ttl;
        }
        set.end = g1;
        if (!set.count)
            continue;
        int r = zone__build_grow((void **)&b->sets, &b->capsets, nsets + 1, sizeof(*b->sets));
        if (r)
            return r;
        b->sets[nsets++] = set;
    }
    if (nsets > UINT16_MAX)
        return ERR_LIMIT;
    qsort(b->sets, nsets, sizeof(*b->sets), zb_cmp_set);
    struct zone_rrset *sets = NULL;
    if (nsets) {
        sets = arena_alloc_array(&s->arena, nsets, sizeof(*sets));
        if (!sets)
            return -ENOMEM;
    }
    for (size_t k = 0; k < nsets; k++) {
        const struct zone__build_set *zs = &b->sets[k];
        uint8_t *blob = arena_alloc(&s->arena, zs->bytes);
        if (!blob)
            return -ENOMEM;
        size_t pos = 0;
        for (size_t i = zs->first; i < zs->end; i++) {
            const struct zone__build_rr *rr = &b->rrs[i];
            if (!zb_take(rr, wild_only))
                continue;
            blob[pos] = (uint8_t)(rr->rdlen >> 8);
            blob[pos + 1] = (uint8_t)rr->rdlen;
            memcpy(blob + pos + 2, b->rd + rr->rd_off, rr->rdlen);
            pos += 2u + rr->rdlen;
        }
        sets[k] = (struct zone_rrset){
            .type = zs->type, .count = zs->count, .ttl = zs->ttl, .rdata = blob};
    }
    *out = sets;
    *nout = (uint16_t)nsets;
    return 0;
}

static int zb_cmp_issue(const void *a, const void *b)
{
    const struct zone_issue *x = a, *y = b;
    return x->source < y->source ? -1 : (x->source > y->source ? 1 : 0);
}

/* ---- step 3: flags and zone cuts ------------------------------------------------------- */

static int zb_link(struct zone_builder *b, struct snap *s)
{
    /* Bucket the nodes by label count so parents are handled before children. */
    size_t counts[DNS_NAME_MAXLABELS + 1] = {0};
    for (size_t i = 0; i < b->nnodes; i++)
        counts[b->nodes[i]->labels]++;
    size_t start[DNS_NAME_MAXLABELS + 1];
    size_t acc = 0;
    for (size_t l = 0; l <= DNS_NAME_MAXLABELS; l++) {
        start[l] = acc;
        acc += counts[l];
    }
    struct zone_node **order = malloc((b->nnodes ? b->nnodes : 1) * sizeof(*order));
    if (!order)
        return -ENOMEM;
    for (size_t i = 0; i < b->nnodes; i++)
        order[start[b->nodes[i]->labels]++] = b->nodes[i];

    for (size_t i = 0; i < b->nnodes; i++) {
        struct zone_node *n = order[i];
        const struct zone *z = n->zone;
        if (n->nwild)
            n->flags |= ZONE_NODE_WILD1;
        if (zone_node_rrset(n, DNS_TYPE_DNAME))
            n->flags |= ZONE_NODE_DNAME;
        if (dns_name_is_wildcard(n->name)) {
            struct zone_node *parent = zone_tree_get(&s->names, n->name + 2, n->name_len - 2u);
            if (parent)
                parent->flags |= ZONE_NODE_WILDCHILD;
        }
        if (!z)
            continue;
        if (n->name_len == z->apex_len && memcmp(n->name, z->apex, z->apex_len) == 0) {
            n->flags |= ZONE_NODE_APEX;
            continue;
        }
        if (zone_node_rrset(n, DNS_TYPE_NS)) {
            n->flags |= ZONE_NODE_DELEG;
            n->cut = n;
        } else {
            const uint8_t *pname = n->name + 1 + n->name[0];
            const struct zone_node *parent =
                zone_tree_get(&s->names, pname, n->name_len - 1u - n->name[0]);
            n->cut = parent ? parent->cut : NULL;
        }
    }
    free(order);
    return 0;
}

static int zb_rewrites(struct zone_builder *b, struct snap *s)
{
    if (!b->nrw)
        return 0;
    struct zone_rewrite *rules = arena_alloc_array(&s->arena, b->nrw, sizeof(*rules));
    if (!rules)
        return -ENOMEM;
    for (size_t i = 0; i < b->nrw; i++) {
        const struct zone__build_rewrite *rw = &b->rws[i];
        rules[i] = rw->rule;
        struct zone_rewrite_entry *e = zone_tree_get(&s->rewrite_names, rw->name, rw->len);
        if (!e) {
            e = arena_alloc(&s->arena, sizeof(*e));
            uint8_t *nm = arena_dup(&s->arena, rw->name, rw->len);
            if (!e || !nm)
                return -ENOMEM;
            e->exact = e->below = -1;
            int r = zone_tree_insert(&s->rewrite_names, nm, rw->len, e);
            if (r)
                return r;
        }
        int32_t *slot = rw->below ? &e->below : &e->exact;
        if (*slot < 0)
            *slot = (int32_t)i;
    }
    s->rewrites = rules;
    s->nrewrites = b->nrw;
    return 0;
}

int zone_builder_finish(struct zone_builder *b, struct snap **out)
{
    int r = -ENOMEM;
    *out = NULL;
    b->nissues = 0;
    b->nnodes = 0;

    struct snap *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    /* ~100 bytes of nodes, names and RRsets per RR: a large zone gets large blocks (huge
     * pages, see util/arena.c), a small config stays at 1 MiB. */
    arena_init_growing(&s->arena, b->nrr >= 100000 ? 32u << 20 : 1u << 20);
    s->opts = b->opts;
    s->nrecords = b->nrr - b->nname_only;
    if (zone_tree_init(&s->names, b->nrr + b->nzones) || zone_tree_init(&s->rewrite_names, b->nrw))
        goto fail;

    struct zone *zones = NULL;
    if (b->nzones) {
        zones = arena_alloc_array(&s->arena, b->nzones, sizeof(*zones));
        if (!zones)
            goto fail;
        memset(zones, 0, b->nzones * sizeof(*zones));
    }
    for (size_t i = 0; i < b->nzones; i++) {
        zones[i].apex = arena_dup(&s->arena, b->zones[i].apex, b->zones[i].len);
        if (!zones[i].apex)
            goto fail;
        zones[i].apex_len = b->zones[i].len;
        zones[i].apex_labels = (uint8_t)dns_name_labels(b->zones[i].apex);
    }
    s->zones = zones;
    s->nzones = b->nzones;

    enum { ZB_AHEAD = 8 }; /* prefetch the table slot of the owner this many RRs ahead */
    for (size_t i = 0; i < b->nrr; i++) {
        if (i + ZB_AHEAD < b->nrr)
            zone_tree_prefetch(&s->names, zone_tree_hash(b->rrs[i + ZB_AHEAD].owner,
                                                         b->rrs[i + ZB_AHEAD].owner_len));
        b->rrs[i].dup = false;
        if (i && b->rrs[i].owner_len == b->rrs[i - 1].owner_len &&
            memcmp(b->rrs[i].owner, b->rrs[i - 1].owner, b->rrs[i].owner_len) == 0) {
            b->rrs[i].node = b->rrs[i - 1].node; /* the same owner as the RR before */
            continue;
        }
        b->rrs[i].node = zb_node_get(b, s, zones, b->rrs[i].owner, b->rrs[i].owner_len);
        if (!b->rrs[i].node)
            goto fail;
    }
    r = zb_sort_rrs(b);
    if (r)
        goto fail;

    bool failed = false;
    for (size_t lo = 0; lo < b->nrr;) {
        size_t hi = lo + 1;
        while (hi < b->nrr && b->rrs[hi].node == b->rrs[lo].node)
            hi++;
        struct zone_node *n = b->rrs[lo].node;
        size_t before = b->nissues;
        r = zb_check_node(b, lo, hi);
        if (r)
            goto fail;
        for (size_t k = before; k < b->nissues; k++)
            failed |= b->issues[k].error;
        if (!failed) {
            r = zb_layout(b, s, lo, hi, false, &n->rrsets, &n->nrrsets);
            if (!r)
                r = zb_layout(b, s, lo, hi, true, &n->wild, &n->nwild);
            if (r)
                goto fail;
        }
        lo = hi;
    }
    if (failed) {
        r = ERR_CONFLICT;
        goto fail_sorted;
    }

    r = zb_link(b, s);
    if (r)
        goto fail_sorted;
    for (size_t i = 0; i < b->nzones; i++) {
        struct zone *z = &zones[i];
        z->apex_node = zone_tree_get(&s->names, z->apex, z->apex_len);
        z->soa = z->apex_node ? zone_node_rrset(z->apex_node, DNS_TYPE_SOA) : NULL;
        z->neg_ttl = 0;
        if (z->soa) {
            const uint8_t *rd;
            uint16_t len;
            zone_rdata_next(z->soa->rdata, &rd, &len);
            uint32_t minimum = 0;
            if (len >= 4)
                minimum = (uint32_t)rd[len - 4] << 24 | (uint32_t)rd[len - 3] << 16 |
                          (uint32_t)rd[len - 2] << 8 | rd[len - 1];
            z->neg_ttl = z->soa->ttl < minimum ? z->soa->ttl : minimum;
        }
    }
    r = zb_rewrites(b, s);
    if (r)
        goto fail_sorted;
    *out = s;
    r = 0;
fail_sorted:
    if (b->nissues)
        qsort(b->issues, b->nissues, sizeof(*b->issues), zb_cmp_issue);
    if (r)
        snap_free(s);
    return r;
fail:
    snap_free(s);
    return r ? r : -ENOMEM;
}
