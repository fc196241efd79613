/*
 * Zone data (src/zone/): snapshots built directly through zone_builder_*, the name table,
 * empty non-terminals, nested zones, zone cuts, wildcard flags, RRset grouping, builder
 * issues, negative TTLs, rewrite entries, a large build, and RCU publication.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns/dns.h"
#include "dns/name.h"
#include "util/arena.h"
#include "util/err.h"
#include "zone/build.h"
#include "zone/snap.h"
#include "zone/tree.h"
#include "zone/zone.h"

/* ---- helpers ------------------------------------------------------------------------------ */

/* Wire form of a presentation name (absolute; case kept). Returns the length. */
static size_t wn(const char *text, uint8_t out[DNS_NAME_MAXLEN])
{
    size_t len;
    assert_int_equal(dns_name_from_text(text, strlen(text), NULL, out, &len), 0);
    return len;
}

/* SOA RDATA: mname, rname and the five numbers. */
static uint16_t soa_rdata(const char *mname, const char *rname, uint32_t serial, uint32_t minimum,
                          uint8_t *out)
{
    size_t ml = wn(mname, out);
    size_t rl = wn(rname, out + ml);
    uint8_t *p = out + ml + rl;
    uint32_t v[5] = {serial, 3600, 900, 604800, minimum};
    for (int i = 0; i < 5; i++) {
        p[4 * i] = (uint8_t)(v[i] >> 24);
        p[4 * i + 1] = (uint8_t)(v[i] >> 16);
        p[4 * i + 2] = (uint8_t)(v[i] >> 8);
        p[4 * i + 3] = (uint8_t)v[i];
    }
    return (uint16_t)(ml + rl + 20);
}

static void add_zone(struct zone_builder *b, const char *apex, uint32_t ttl, uint32_t minimum,
                     int source)
{
    uint8_t name[DNS_NAME_MAXLEN], soa[600];
    char m[300], r[300];
    wn(apex, name);
    snprintf(m, sizeof(m), "ns1.%s", apex);
    snprintf(r, sizeof(r), "admin.%s", apex);
    uint16_t len = soa_rdata(m, r, 1, minimum, soa);
    assert_int_equal(zone_builder_add_zone(b, name, ttl, soa, len, source), 0);
}

static void add_rr(struct zone_builder *b, const char *owner, uint16_t type, uint32_t ttl,
                   const void *rd, uint16_t rdlen, unsigned flags, int source)
{
    uint8_t name[DNS_NAME_MAXLEN];
    wn(owner, name);
    assert_int_equal(zone_builder_add_rr(b, name, type, ttl, rd, rdlen, flags, source), 0);
}

static void add_a(struct zone_builder *b, const char *owner, uint8_t last, uint32_t ttl,
                  unsigned flags, int source)
{
    uint8_t a[4] = {10, 0, 0, last};
    add_rr(b, owner, DNS_TYPE_A, ttl, a, 4, flags, source);
}

static void add_name_rr(struct zone_builder *b, const char *owner, uint16_t type,
                        const char *target, int source)
{
    uint8_t t[DNS_NAME_MAXLEN];
    size_t len = wn(target, t);
    add_rr(b, owner, type, 300, t, (uint16_t)len, 0, source);
}

static void add_txt(struct zone_builder *b, const char *owner, const char *text, int source)
{
    uint8_t rd[256];
    size_t n = strlen(text);
    rd[0] = (uint8_t)n;
    memcpy(rd + 1, text, n);
    add_rr(b, owner, DNS_TYPE_TXT, 300, rd, (uint16_t)(n + 1), 0, source);
}

/* Node by name: the name is lower-cased first, as the hot path does. */
static const struct zone_node *node(const struct snap *s, const char *text)
{
    uint8_t name[DNS_NAME_MAXLEN];
    size_t len = wn(text, name);
    dns_name_lower(name);
    return zone_tree_get(&s->names, name, len);
}

static const struct zone *zone_at(const struct snap *s, const char *apex)
{
    uint8_t name[DNS_NAME_MAXLEN];
    size_t len = wn(apex, name);
    dns_name_lower(name);
    for (size_t i = 0; i < s->nzones; i++)
        if (s->zones[i].apex_len == len && memcmp(s->zones[i].apex, name, len) == 0)
            return &s->zones[i];
    fail_msg("no zone %s", apex);
    return NULL;
}

/* The i-th RDATA of an RRset. */
static const uint8_t *rdata_at(const struct zone_rrset *rs, unsigned idx, uint16_t *len)
{
    const uint8_t *p = rs->rdata, *rd = NULL;
    assert_true(idx < rs->count);
    for (unsigned i = 0; i <= idx; i++)
        p = zone_rdata_next(p, &rd, len);
    return rd;
}

static struct snap *finish_ok(struct zone_builder *b)
{
    struct snap *s = (struct snap *)1;
    int r = zone_builder_finish(b, &s);
    assert_int_equal(r, 0);
    assert_non_null(s);
    return s;
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_empty(void **state)
{
    (void)state;
    struct zone_builder *b = zone_builder_new();
    assert_non_null(b);
    struct snap_opts opts = {.udp_max_payload = 4096, .rewrite_ttl = 7, .log_queries = true};
    zone_builder_set_opts(b, &opts);
    struct snap *s = finish_ok(b);
    assert_int_equal(s->nzones, 0);
    assert_int_equal(s->names.count, 0);
    assert_int_equal(s->nrewrites, 0);
    assert_int_equal(s->nrecords, 0);
    assert_int_equal(s->opts.udp_max_payload, 4096);
    assert_int_equal(s->opts.rewrite_ttl, 7);
    assert_true(s->opts.log_queries);
    const struct zone_issue *is;
    assert_int_equal(zone_builder_issues(b, &is), 0);
    snap_free(s);
    zone_builder_free(b);
    zone_builder_free(NULL);
    snap_free(NULL);
}

static void test_name_table_case(void **state)
{
    (void)state;
    struct zone_builder *b = zone_builder_new();
    add_zone(b, "Example.COM", 300, 300, 0);
    add_a(b, "WWW.Example.com", 1, 300, 0, 1);
    struct snap *s = finish_ok(b);

    uint8_t name[DNS_NAME_MAXLEN];
    size_t len = wn("WWW.Example.com", name);
    /* keys are lower-cased: a mixed-case key is not found... */
    assert_null(zone_tree_get(&s->names, name, len));
    /* ...until the caller lower-cases it */
    dns_name_lower(name);
    const struct zone_node *n = zone_tree_get(&s->names, name, len);
    assert_non_null(n);
    assert_int_equal(n->name_len, len);
    assert_memory_equal(n->name, "\3www\7example\3com", len);
    assert_int_equal(n->labels, 3);
    assert_int_equal(n->nrrsets, 1);
    assert_int_equal(n->rrsets[0].type, DNS_TYPE_A);

    const struct zone *z = zone_at(s, "example.com");
    assert_memory_equal(z->apex, "\7example\3com", 13);
    assert_int_equal(z->apex_len, 13);
    assert_int_equal(z->apex_labels, 2);
    assert_ptr_equal(n->zone, z);
    assert_ptr_equal(z->apex_node, node(s, "example.com"));
    assert_true(z->apex_node->flags & ZONE_NODE_APEX);
    assert_null(node(s, "com"));
    assert_null(node(s, "ww.example.com"));

    /* the builder's zone lookup is case-insensitive */
    assert_true(zone_builder_in_zone(b, name));
    wn("A.B.EXAMPLE.COM", name);
    assert_true(zone_builder_in_zone(b, name));
    wn("example.org", name);
    assert_false(zone_builder_in_zone(b, name));
    wn("com", name);
    assert_false(zone_builder_in_zone(b, name));
    snap_free(s);
    zone_builder_free(b);
}

static void test_zone_exists(void **state)
{
    (void)state;
    struct zone_builder *b = zone_builder_new();
    uint8_t name[DNS_NAME_MAXLEN], soa[600];
    add_zone(b, "example.com", 300, 300, 0);
    wn("EXAMPLE.Com", name);
    uint16_t len = soa_rdata("a.b", "c.d", 1, 1, soa);
    assert_int_equal(zone_builder_add_zone(b, name, 300, soa, len, 1), ERR_EXISTS);
    struct snap *s = finish_ok(b);
    assert_int_equal(s->nzones, 1);
    snap_free(s);
    zone_builder_free(b);
}

static void test_ents(void **state)
{
    (void)state;
    struct zone_builder *b = zone_builder_new();
    add_zone(b, "example.com", 300, 300, 0);
    add_a(b, "a.b.c.example.com", 1, 300, 0, 1);
    add_a(b, "x.y.other.org", 2, 300, 0, 2);     /* outside every zone */
    add_a(b, "*.w.outside.net", 3, 300, 0, 3);   /* a wildcard outside zones */
    add_a(b, "q.*.p.example.com", 4, 300, 0, 4); /* its parent is an empty wildcard */
    struct snap *s = finish_ok(b);
    const struct zone *z = zone_at(s, "example.com");

    static const char *const ents[] = {"b.c.example.com", "c.example.com", "*.p.example.com",
                                       "p.example.com"};
    for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
        const struct zone_node *n = node(s, ents[i]);
        if (!n)
            fail_msg("no empty non-terminal %s", ents[i]);
        assert_int_equal(n->nrrsets, 0);
        assert_ptr_equal(n->zone, z);
    }
    assert_null(node(s, "com"));
    assert_null(node(s, "."));

    const struct zone_node *n = node(s, "x.y.other.org");
    assert_non_null(n);
    assert_null(n->zone);
    assert_null(node(s, "y.other.org"));
    assert_null(node(s, "other.org"));

    /* the wildcard's parent exists as its closest encloser, nothing above it */
    n = node(s, "w.outside.net");
    assert_non_null(n);
    assert_null(n->zone);
    assert_int_equal(n->nrrsets, 0);
    assert_true(n->flags & ZONE_NODE_WILDCHILD);
    assert_null(node(s, "outside.net"));

    /* apex, 4 ENTs, 2 data names in the zone; 1 + 2 outside */
    assert_int_equal(s->names.count, 10);
    snap_free(s);
    zone_builder_free(b);
}

static void test_nested_zones(void **state)
{
    (void)state;
    for (int order = 0; order < 2; order++) {
        struct zone_builder *b = zone_builder_new();
        /* records first or zones first: the result is the same */
        if (order == 0) {
            add_zone(b, "example.com", 300, 300, 0);
            add_zone(b, "sub.example.com", 300, 300, 1);
        }
        add_a(b, "www.example.com", 1, 300, 0, 2);
        add_a(b, "host.sub.example.com", 2, 300, 0, 3);
        add_a(b, "a.b.sub.example.com", 3, 300, 0, 4);
        add_a(b, "a.b.deep.example.com", 4, 300, 0, 5);
        if (order == 1) {
            add_zone(b, "sub.example.com", 300, 300, 1);
            add_zone(b, "example.com", 300, 300, 0);
        }
        struct snap *s = finish_ok(b);
        assert_int_equal(s->nzones, 2);
        const struct zone *parent = zone_at(s, "example.com");
        const struct zone *child = zone_at(s, "sub.example.com");
        assert_ptr_equal(node(s, "www.example.com")->zone, parent);
        assert_ptr_equal(node(s, "host.sub.example.com")->zone, child);
        assert_ptr_equal(node(s, "a.b.sub.example.com")->zone, child);
        assert_ptr_equal(node(s, "b.sub.example.com")->zone, child);
        assert_ptr_equal(node(s, "b.deep.example.com")->zone, parent);
        assert_ptr_equal(node(s, "deep.example.com")->zone, parent);
        const struct zone_node *apex = node(s, "sub.example.com");
        assert_ptr_equal(apex->zone, child);
        assert_true(apex->flags & ZONE_NODE_APEX);
        assert_ptr_equal(child->apex_node, apex);
        assert_non_null(child->soa);
        assert_ptr_equal(parent->apex_node, node(s, "example.com"));
        snap_free(s);
        zone_builder_free(b);
    }
}

static void test_zone_cuts(void **state)
{
    (void)state;
    struct zone_builder *b = zone_builder_new();
    add_zone(b, "example.com", 300, 300, 0);
    add_zone(b, "child.example.com", 300, 300, 1);
    add_name_rr(b, "example.com", DNS_TYPE_NS, "ns1.example.com", 2);
    add_name_rr(b, "sub.example.com", DNS_TYPE_NS, "ns.sub.example.com", 3);
    add_a(b, "ns.sub.example.com", 1, 300, 0, 4);
    add_a(b, "x.y.sub.example.com", 2, 300, 0, 5);
    add_a(b, "www.example.com", 3, 300, 0, 6);
    add_name_rr(b, "child.example.com", DNS_TYPE_NS, "ns.child.example.com", 7);
    add_a(b, "in.child.example.com", 4, 300, 0, 8);
    add_name_rr(b, "deleg.child.example.com", DNS_TYPE_NS, "ns.elsewhere.net", 9);
    add_a(b, "h.deleg.child.example.com", 5, 300, 0, 10);
    struct snap *s = finish_ok(b);

    const struct zone_node *apex = node(s, "example.com");
    assert_null(apex->cut);
    assert_true(apex->flags & ZONE_NODE_APEX);
    assert_false(apex->flags & ZONE_NODE_DELEG);

    const struct zone_node *sub = node(s, "sub.example.com");
    assert_true(sub->flags & ZONE_NODE_DELEG);
    assert_ptr_equal(sub->cut, sub);
    assert_ptr_equal(node(s, "ns.sub.example.com")->cut, sub);
    assert_ptr_equal(node(s, "y.sub.example.com")->cut, sub); /* an ENT below the cut */
    assert_ptr_equal(node(s, "x.y.sub.example.com")->cut, sub);
    assert_null(node(s, "www.example.com")->cut);

    /* a child zone's apex with NS is an apex, not a cut; the child's data is not below one */
    const struct zone_node *child = node(s, "child.example.com");
    assert_true(child->flags & ZONE_NODE_APEX);
    assert_false(child->flags & ZONE_NODE_DELEG);
    assert_null(child->cut);
    assert_null(node(s, "in.child.example.com")->cut);
    const struct zone_node *deleg = node(s, "deleg.child.example.com");
    assert_ptr_equal(deleg->cut, deleg);
    assert_ptr_equal(node(s, "h.deleg.child.example.com")->cut, deleg);
    snap_free(s);
    zone_builder_free(b);
}

static void test_wildcards(void **state)
{
    (void)state;
    struct zone_builder *b = zone_builder_new();
    add_zone(b, "example.com", 300, 300, 0);
    add_a(b, "*.x.example.com", 1, 300, 0, 1);
    add_a(b, "app.example.com", 2, 300, ZONE_RR_WILD1, 2);
    add_txt(b, "app.example.com", "not wild", 3);
    add_a(b, "app.example.com", 3, 300, ZONE_RR_WILD1, 4);
    add_a(b, "plain.example.com", 4, 300, 0, 5);
    struct snap *s = finish_ok(b);

    const struct zone_node *x = node(s, "x.example.com");
    assert_non_null(x);
    assert_true(x->flags & ZONE_NODE_WILDCHILD);
    assert_int_equal(x->nrrsets, 0);
    const struct zone_node *star = node(s, "*.x.example.com");
    assert_non_null(star);
    assert_false(star->flags & ZONE_NODE_WILDCHILD);
    assert_false(node(s, "example.com")->flags & ZONE_NODE_WILDCHILD);

    const struct zone_node *app = node(s, "app.example.com");
    assert_true(app->flags & ZONE_NODE_WILD1);
    assert_int_equal(app->nrrsets, 2);
    assert_int_equal(app->nwild, 1);
    const struct zone_rrset *w = zone_node_wild_rrset(app, DNS_TYPE_A);
    assert_non_null(w);
    assert_int_equal(w->count, 2);
    assert_null(zone_node_wild_rrset(app, DNS_TYPE_TXT));
    assert_non_null(zone_node_rrset(app, DNS_TYPE_TXT));

    const struct zone_node *plain = node(s, "plain.example.com");
    assert_false(plain->flags & ZONE_NODE_WILD1);
    assert_int_equal(plain->nwild, 0);
    snap_free(s);
    zone_builder_free(b);
}

/* One node's records together but with their types interleaved (the grouped fast path sorts
 * inside the run): the RRsets hold every record, in the order their types first appeared. */
static void test_grouped_types_interleaved(void **state)
{
    (void)state;
    struct zone_builder *b = zone_builder_new();
    add_zone(b, "g.test", 300, 300, 0);
    add_name_rr(b, "x.g.test", DNS_TYPE_PTR, "p1.g.test", 1);
    add_a(b, "x.g.test", 1, 300, 0, 2);
    add_name_rr(b, "x.g.test", DNS_TYPE_PTR, "p2.g.test", 3);
    add_a(b, "x.g.test", 2, 300, 0, 4);
    add_a(b, "y.g.test", 3, 300, 0, 5);
    struct snap *s = finish_ok(b);
    const struct zone_node *x = node(s, "x.g.test");
    assert_int_equal(x->nrrsets, 2);
    assert_int_equal(x->rrsets[0].type, DNS_TYPE_PTR);
    assert_int_equal(x->rrsets[0].count, 2);
    assert_int_equal(x->rrsets[1].type, DNS_TYPE_A);
    assert_int_equal(x->rrsets[1].count, 2);
    uint16_t len;
    assert_int_equal(rdata_at(&x->rrsets[1], 0, &len)[3], 1);
    assert_int_equal(rdata_at(&x->rrsets[1], 1, &len)[3], 2);
    assert_int_equal(zone_node_rrset(node(s, "y.g.test"), DNS_TYPE_A)->count, 1);
    snap_free(s);
    zone_builder_free(b);
}

/* A few names split across the input (a zone file's apex, whose SOA comes last): only
 * their RRs are moved and sorted, the rest keeps its order. */
static void test_few_split_names(void **state)
{
    (void)state;
    struct zone_builder *b = zone_builder_new();
    add_zone(b, "f.test", 300, 300, 0);
    add_txt(b, "n.f.test", "first", 1);
    add_a(b, "m.f.test", 1, 300, 0, 2);
    char name[64];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "h%d.f.test", i);
        add_a(b, name, (uint8_t)i, 300, 0, 10 + i);
    }
    add_txt(b, "n.f.test", "second", 3);
    add_a(b, "n.f.test", 7, 300, 0, 4);
    add_a(b, "m.f.test", 2, 300, 0, 5);
    struct snap *s = finish_ok(b);
    const struct zone_node *n = node(s, "n.f.test");
    assert_int_equal(n->nrrsets, 2);
    assert_int_equal(n->rrsets[0].type, DNS_TYPE_TXT);
    assert_int_equal(n->rrsets[0].count, 2);
    uint16_t len;
    assert_memory_equal(rdata_at(&n->rrsets[0], 0, &len), "\5first", 6);
    assert_memory_equal(rdata_at(&n->rrsets[0], 1, &len), "\6second", 7);
    assert_int_equal(n->rrsets[1].type, DNS_TYPE_A);
    const struct zone_rrset *m = zone_node_rrset(node(s, "m.f.test"), DNS_TYPE_A);
    assert_int_equal(m->count, 2);
    assert_int_equal(rdata_at(m, 0, &len)[3], 1);
    assert_int_equal(rdata_at(m, 1, &len)[3], 2);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "h%d.f.test", i);
        const struct zone_rrset *a = zone_node_rrset(node(s, name), DNS_TYPE_A);
        assert_int_equal(a->count, 1);
        assert_int_equal(rdata_at(a, 0, &len)[3], i);
    }
    snap_free(s);
    zone_builder_free(b);
}

static void test_rrset_order(void **state)
{
    (void)state;
    struct zone_builder *b = zone_builder_new();
    add_zone(b, "example.com", 300, 300, 0);
    add_txt(b, "n.example.com", "one", 1);
    add_a(b, "other.example.com", 9, 300, 0, 2);
    add_a(b, "n.example.com", 2, 300, 0, 3);
    add_txt(b, "N.EXAMPLE.COM", "two", 4);
    add_a(b, "other.example.com", 8, 300, 0, 5);
    add_a(b, "n.example.com", 1, 300, 0, 6);
    add_name_rr(b, "n.example.com", DNS_TYPE_PTR, "m.example.com", 7);
    add_txt(b, "n.example.com", "three", 8);
    struct snap *s = finish_ok(b);
    assert_int_equal(s->nrecords, 9);

    const struct zone_node *n = node(s, "n.example.com");
    assert_int_equal(n->nrrsets, 3);
    assert_int_equal(n->rrsets[0].type, DNS_TYPE_TXT);
    assert_int_equal(n->rrsets[1].type, DNS_TYPE_A);
    assert_int_equal(n->rrsets[2].type, DNS_TYPE_PTR);
    uint16_t len;
    const uint8_t *rd;
    assert_int_equal(n->rrsets[0].count, 3);
    rd = rdata_at(&n->rrsets[0], 0, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(rd, "\3one", 4);
    rd = rdata_at(&n->rrsets[0], 1, &len);
    assert_memory_equal(rd, "\3two", 4);
    rd = rdata_at(&n->rrsets[0], 2, &len);
    assert_memory_equal(rd, "\5three", 6);
    assert_int_equal(n->rrsets[1].count, 2);
    assert_int_equal(rdata_at(&n->rrsets[1], 0, &len)[3], 2);
    assert_int_equal(rdata_at(&n->rrsets[1], 1, &len)[3], 1);

    const struct zone_node *o = node(s, "other.example.com");
    assert_int_equal(o->nrrsets, 1);
    assert_int_equal(rdata_at(&o->rrsets[0], 0, &len)[3], 9);
    assert_int_equal(rdata_at(&o->rrsets[0], 1, &len)[3], 8);
    snap_free(s);
    zone_builder_free(b);
}

static void test_duplicates_and_ttls(void **state)
{
    (void)state;
    struct zone_builder *b = zone_builder_new();
    add_a(b, "d.test", 1, 300, 0, 3);
    add_a(b, "D.TEST", 1, 300, 0, 7); /* same RR, other case */
    add_a(b, "t.test", 1, 300, 0, 10);
    add_a(b, "t.test", 2, 60, 0, 11);
    add_a(b, "t.test", 3, 600, 0, 12);
    add_a(b, "t.test", 2, 60, 0, 13);
    struct snap *s = finish_ok(b);

    const struct zone_rrset *rs = zone_node_rrset(node(s, "d.test"), DNS_TYPE_A);
    assert_int_equal(rs->count, 1);
    assert_int_equal(rs->ttl, 300);
    rs = zone_node_rrset(node(s, "t.test"), DNS_TYPE_A);
    assert_int_equal(rs->count, 3);
    assert_int_equal(rs->ttl, 60);

    const struct zone_issue *is;
    size_t n = zone_builder_issues(b, &is);
    assert_int_equal(n, 4);
    assert_int_equal(is[0].kind, ZONE_ISSUE_DUPLICATE);
    assert_false(is[0].error);
    assert_int_equal(is[0].source, 7);
    assert_int_equal(is[0].other, 3);
    assert_int_equal(is[1].kind, ZONE_ISSUE_TTL_MISMATCH);
    assert_false(is[1].error);
    assert_int_equal(is[1].source, 11);
    assert_int_equal(is[1].other, 10);
    assert_int_equal(is[2].kind, ZONE_ISSUE_TTL_MISMATCH);
    assert_int_equal(is[2].source, 12);
    assert_int_equal(is[2].other, 10);
    assert_int_equal(is[3].kind, ZONE_ISSUE_DUPLICATE);
    assert_int_equal(is[3].source, 13);
    assert_int_equal(is[3].other, 11);

    /* finishing again gives an equal snapshot and the same issues, not twice as many */
    struct snap *s2 = finish_ok(b);
    assert_int_equal(zone_builder_issues(b, &is), 4);
    assert_int_equal(s2->names.count, s->names.count);
    rs = zone_node_rrset(node(s2, "t.test"), DNS_TYPE_A);
    assert_int_equal(rs->count, 3);
    assert_int_equal(rs->ttl, 60);
    assert_int_equal(zone_node_rrset(node(s2, "d.test"), DNS_TYPE_A)->count, 1);
    snap_free(s2);
    snap_free(s);
    zone_builder_free(b);
}

static void expect_conflict(struct zone_builder *b, enum zone_issue_kind kind, int source,
                            int other)
{
    for (int round = 0; round < 2; round++) {
        /* a failed finish can be repeated and gives the same answer */
        struct snap *s = (struct snap *)1;
        assert_int_equal(zone_builder_finish(b, &s), ERR_CONFLICT);
        assert_null(s);
        const struct zone_issue *is;
        size_t n = zone_builder_issues(b, &is);
        size_t errors = 0;
        bool found = false;
        for (size_t i = 0; i < n; i++) {
            errors += is[i].error;
            if (is[i].kind == kind && is[i].source == source && is[i].other == other) {
                assert_true(is[i].error);
                found = true;
            }
        }
        assert_int_equal(errors, 1);
        assert_true(found);
    }
}

static void test_conflicts(void **state)
{
    (void)state;
    struct zone_builder *b = zone_builder_new();
    add_zone(b, "example.com", 300, 300, 0);
    add_a(b, "fine.example.com", 1, 300, 0, 1);
    add_a(b, "x.example.com", 1, 300, 0, 2);
    add_name_rr(b, "X.example.com", DNS_TYPE_CNAME, "y.example.com", 3);
    expect_conflict(b, ZONE_ISSUE_CNAME_AND_OTHER, 3, 2);
    zone_builder_free(b);

    b = zone_builder_new();
    add_name_rr(b, "x.test", DNS_TYPE_CNAME, "y.test", 0);
    add_txt(b, "x.test", "t", 1);
    add_txt(b, "x.test", "u", 2);
    expect_conflict(b, ZONE_ISSUE_CNAME_AND_OTHER, 1, 0);
    zone_builder_free(b);

    b = zone_builder_new();
    add_name_rr(b, "x.test", DNS_TYPE_CNAME, "y.test", 0);
    add_name_rr(b, "x.test", DNS_TYPE_CNAME, "z.test", 1);
    expect_conflict(b, ZONE_ISSUE_MULTI_CNAME, 1, 0);
    zone_builder_free(b);

    /* the apex SOA counts as other data */
    b = zone_builder_new();
    add_zone(b, "example.com", 300, 300, 5);
    add_name_rr(b, "example.com", DNS_TYPE_CNAME, "y.test", 6);
    expect_conflict(b, ZONE_ISSUE_CNAME_AND_OTHER, 6, 5);
    zone_builder_free(b);

    b = zone_builder_new();
    uint8_t soa[600];
    uint16_t len = soa_rdata("a.test", "b.test", 1, 60, soa);
    add_rr(b, "s.test", DNS_TYPE_SOA, 300, soa, len, 0, 0);
    len = soa_rdata("a.test", "b.test", 2, 60, soa);
    add_rr(b, "s.test", DNS_TYPE_SOA, 300, soa, len, 0, 1);
    expect_conflict(b, ZONE_ISSUE_MULTI_SOA, 1, 0);
    zone_builder_free(b);

    /* an RRset cannot hold more than 65535 records: the 65536th is the error */
    b = zone_builder_new();
    for (int i = 0; i < 65536 + 2; i++) {
        uint8_t rd[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
        add_rr(b, "big.test", DNS_TYPE_A, 300, rd, 4, 0, i);
    }
    expect_conflict(b, ZONE_ISSUE_RRSET_TOO_BIG, 65535, 0);
    zone_builder_free(b);

    /* DNSSEC records may sit beside a CNAME (RFC 4035 2.5); an identical CNAME is a dup */
    b = zone_builder_new();
    add_name_rr(b, "x.test", DNS_TYPE_CNAME, "y.test", 0);
    uint8_t nsec[DNS_NAME_MAXLEN + 3];
    size_t nl = wn("z.test", nsec);
    memcpy(nsec + nl, "\0\1\x64", 3); /* window 0: CNAME... just a bitmap byte */
    add_rr(b, "x.test", DNS_TYPE_NSEC, 300, nsec, (uint16_t)(nl + 3), 0, 1);
    add_name_rr(b, "x.test", DNS_TYPE_CNAME, "y.test", 2);
    struct snap *s = finish_ok(b);
    const struct zone_issue *is;
    assert_int_equal(zone_builder_issues(b, &is), 1);
    assert_int_equal(is[0].kind, ZONE_ISSUE_DUPLICATE);
    assert_int_equal(zone_node_rrset(node(s, "x.test"), DNS_TYPE_CNAME)->count, 1);
    snap_free(s);
    zone_builder_free(b);
}

static void test_neg_ttl(void **state)
{
    (void)state;
    struct zone_builder *b = zone_builder_new();
    add_zone(b, "a.test", 3600, 120, 0);
    add_zone(b, "b.test", 60, 300, 1);
    add_zone(b, "c.test", 0, 300, 2);
    struct snap *s = finish_ok(b);
    const struct zone *z = zone_at(s, "a.test");
    assert_non_null(z->soa);
    assert_int_equal(z->soa->type, DNS_TYPE_SOA);
    assert_ptr_equal(z->soa, zone_node_rrset(z->apex_node, DNS_TYPE_SOA));
    assert_int_equal(z->soa->ttl, 3600);
    assert_int_equal(z->neg_ttl, 120);
    assert_int_equal(zone_at(s, "b.test")->neg_ttl, 60);
    assert_int_equal(zone_at(s, "c.test")->neg_ttl, 0);
    snap_free(s);
    zone_builder_free(b);
}

static void add_rw(struct zone_builder *b, const char *name, bool below,
                   enum zone_rewrite_action action, uint32_t ttl)
{
    uint8_t n[DNS_NAME_MAXLEN];
    wn(name, n);
    struct zone_rewrite rule = {.action = action, .ttl = ttl};
    if (action == ZONE_REWRITE_REDIRECT) {
        rule.addr_len = 4;
        memcpy(rule.addr, "\x0a\x01\x02\x03", 4);
    }
    assert_int_equal(zone_builder_add_rewrite(b, n, below, &rule), 0);
}

static const struct zone_rewrite_entry *rw_entry(const struct snap *s, const char *text)
{
    uint8_t name[DNS_NAME_MAXLEN];
    size_t len = wn(text, name);
    dns_name_lower(name);
    return zone_tree_get(&s->rewrite_names, name, len);
}

static void test_rewrites(void **state)
{
    (void)state;
    struct zone_builder *b = zone_builder_new();
    add_rw(b, "a.example", false, ZONE_REWRITE_NXDOMAIN, 1); /* 0 */
    add_rw(b, "example", true, ZONE_REWRITE_REDIRECT, 2);    /* 1 */
    add_rw(b, "A.Example", false, ZONE_REWRITE_REDIRECT, 3); /* 2: a.example exact, later */
    add_rw(b, "EXAMPLE", true, ZONE_REWRITE_NXDOMAIN, 4);    /* 3: example below, later */
    add_rw(b, "example", false, ZONE_REWRITE_NXDOMAIN, 5);   /* 4 */
    add_rw(b, "b.example", true, ZONE_REWRITE_NXDOMAIN, 6);  /* 5 */
    struct snap *s = finish_ok(b);
    assert_int_equal(s->nrewrites, 6);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(s->rewrites[i].ttl, i + 1);
    assert_int_equal(s->rewrites[1].action, ZONE_REWRITE_REDIRECT);
    assert_int_equal(s->rewrites[1].addr_len, 4);
    assert_memory_equal(s->rewrites[1].addr, "\x0a\x01\x02\x03", 4);

    const struct zone_rewrite_entry *e = rw_entry(s, "a.example");
    assert_non_null(e);
    assert_int_equal(e->exact, 0);
    assert_int_equal(e->below, -1);
    e = rw_entry(s, "example");
    assert_non_null(e);
    assert_int_equal(e->exact, 4);
    assert_int_equal(e->below, 1);
    e = rw_entry(s, "b.example");
    assert_non_null(e);
    assert_int_equal(e->exact, -1);
    assert_int_equal(e->below, 5);
    assert_null(rw_entry(s, "c.example"));
    assert_int_equal(s->rewrite_names.count, 3);
    /* rewrites are not names of the zone data */
    assert_int_equal(s->names.count, 0);
    snap_free(s);
    zone_builder_free(b);
}

static void test_large(void **state)
{
    (void)state;
    enum { N = 50000 };
    struct zone_builder *b = zone_builder_new();
    add_zone(b, "example.com", 300, 300, -1);
    char name[64];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "h%d.g%d.example.com", i, i % 100);
        add_a(b, name, (uint8_t)i, 300, 0, i);
    }
    struct snap *s = finish_ok(b);
    assert_int_equal(s->nrecords, N + 1);
    assert_int_equal(s->names.count, N + 100 + 1);
    const struct zone *z = zone_at(s, "example.com");
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "H%d.G%d.Example.Com", i, i % 100);
        const struct zone_node *n = node(s, name);
        if (!n)
            fail_msg("%s not found", name);
        assert_ptr_equal(n->zone, z);
        assert_int_equal(n->nrrsets, 1);
        uint16_t len;
        assert_int_equal(rdata_at(&n->rrsets[0], 0, &len)[3], (uint8_t)i);
    }
    for (int g = 0; g < 100; g++) {
        snprintf(name, sizeof(name), "g%d.example.com", g);
        const struct zone_node *n = node(s, name);
        assert_non_null(n);
        assert_int_equal(n->nrrsets, 0);
    }
    assert_null(node(s, "h50000.g0.example.com"));
    const struct zone_issue *is;
    assert_int_equal(zone_builder_issues(b, &is), 0);
    snap_free(s);
    zone_builder_free(b);
}

static void test_tree(void **state)
{
    (void)state;
    enum { N = 20000 };
    struct arena a;
    arena_init_growing(&a, 1 << 16);
    struct zone_tree t;
    assert_int_equal(zone_tree_init(&t, 0), 0);
    assert_int_equal(t.count, 0);
    uint8_t **names = calloc(N, sizeof(*names));
    size_t *lens = calloc(N, sizeof(*lens));
    assert_non_null(names);
    assert_non_null(lens);
    for (int i = 0; i < N; i++) {
        char text[64];
        uint8_t w[DNS_NAME_MAXLEN];
        snprintf(text, sizeof(text), "n%d.tree.test", i);
        lens[i] = wn(text, w);
        names[i] = arena_dup(&a, w, lens[i]);
        assert_int_equal(zone_tree_insert(&t, names[i], lens[i], &names[i]), 0);
        assert_int_equal(t.count, (size_t)i + 1);
        /* still at most half full after growing */
        assert_true(t.count * 2 <= (size_t)t.mask + 1);
    }
    for (int i = 0; i < N; i++) {
        assert_ptr_equal(zone_tree_get(&t, names[i], lens[i]), &names[i]);
        /* a copy of the key finds the same value: keys are compared by content */
        uint8_t copy[DNS_NAME_MAXLEN];
        memcpy(copy, names[i], lens[i]);
        assert_ptr_equal(zone_tree_find(&t, copy, lens[i], zone_tree_hash(copy, lens[i])),
                         &names[i]);
    }
    assert_int_equal(zone_tree_insert(&t, names[7], lens[7], NULL), ERR_EXISTS);
    uint8_t w[DNS_NAME_MAXLEN];
    size_t wl = wn("n7.tree.test", w);
    assert_int_equal(zone_tree_insert(&t, w, wl, NULL), ERR_EXISTS);
    assert_int_equal(t.count, N);
    assert_ptr_equal(zone_tree_get(&t, w, wl), &names[7]);
    wl = wn("n20000.tree.test", w);
    assert_null(zone_tree_get(&t, w, wl));
    /* a prefix of a key is another key */
    assert_null(zone_tree_get(&t, names[1], lens[1] - 1));
    /* the root name is a key like any other */
    assert_int_equal(zone_tree_insert(&t, (const uint8_t *)"", 1, &t), 0);
    assert_ptr_equal(zone_tree_get(&t, (const uint8_t *)"", 1), &t);

    zone_tree_deinit(&t);
    assert_null(zone_tree_get(&t, names[0], lens[0]));
    zone_tree_deinit(&t);
    /* sized up front, no growth needed */
    assert_int_equal(zone_tree_init(&t, 1000), 0);
    assert_true((size_t)t.mask + 1 >= 2002);
    zone_tree_deinit(&t);
    free(names);
    free(lens);
    arena_deinit(&a);
}

static struct snap *tiny_snap(uint8_t last)
{
    struct zone_builder *b = zone_builder_new();
    add_a(b, "www.test", last, 300, 0, 0);
    struct snap *s = finish_ok(b);
    zone_builder_free(b);
    return s;
}

static uint8_t read_last(struct snap_slot *slot)
{
    const struct snap *s = snap_read_begin(slot);
    assert_non_null(s);
    const struct zone_node *n = node(s, "www.test");
    assert_non_null(n);
    uint16_t len;
    uint8_t v = rdata_at(&n->rrsets[0], 0, &len)[3];
    snap_read_end();
    return v;
}

static void test_publish(void **state)
{
    (void)state;
    snap_thread_online();
    struct snap_slot slot = {0};
    assert_null(snap_read_begin(&slot));
    snap_read_end();

    snap_publish(&slot, tiny_snap(1));
    assert_int_equal(read_last(&slot), 1);
    /* A is freed by this publish; nothing keeps a pointer to it */
    snap_publish(&slot, tiny_snap(2));
    assert_int_equal(read_last(&slot), 2);
    snap_publish(&slot, tiny_snap(3));
    assert_int_equal(read_last(&slot), 3);
    snap_publish(&slot, NULL);
    assert_null(snap_read_begin(&slot));
    snap_read_end();
    snap_publish(&slot, NULL);
    snap_thread_offline();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_name_table_case),
        cmocka_unit_test(test_zone_exists),
        cmocka_unit_test(test_ents),
        cmocka_unit_test(test_nested_zones),
        cmocka_unit_test(test_zone_cuts),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_rrset_order),
        cmocka_unit_test(test_few_split_names),
        cmocka_unit_test(test_grouped_types_interleaved),
        cmocka_unit_test(test_duplicates_and_ttls),
        cmocka_unit_test(test_conflicts),
        cmocka_unit_test(test_neg_ttl),
        cmocka_unit_test(test_rewrites),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_tree),
        cmocka_unit_test(test_publish),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
