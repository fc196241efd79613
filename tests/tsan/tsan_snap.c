/*
 * ThreadSanitizer test of the snapshot publish/retire path (src/zone/snap.c).
 *
 * One publisher thread (the control thread's role) builds PUBLISHES snapshots from config
 * JSON with conf_load and publishes each with snap_publish, which waits for a grace period
 * and frees the previous one; now and then it publishes NULL. READERS threads (the UDP
 * workers' role) loop over snap_read_begin / snap_read_end and, inside, read the snapshot
 * the way the hot path does: the options, the zone and its SOA, name lookups in `names` and
 * `rewrite_names`, RDATA, and a whole query through query_process.
 *
 * Generation g is written into every snapshot in several independent places (the NSID
 * identity, the version text, udp_max_payload, the SOA serial, a TXT record, an A record,
 * the number of names, records and rewrite rules), so a reader that saw a half-built,
 * freed or mixed-up snapshot finds two of them disagreeing. Each reader also checks that g
 * never goes backwards. TSan checks that all of it is ordered: the builder's writes before
 * the readers' reads, the readers' reads before snap_free. liburcu itself is invisible to
 * TSan; urcu_model.c tells it what liburcu guarantees (see there).
 *
 * Exits 0 on success, 1 with a message on an inconsistency; TSan makes it exit 66 on a race.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"
#include "conf/diag.h"
#include "dns/dns.h"
#include "dns/name.h"
#include "query/query.h"
#include "util/arena.h"
#include "zone/snap.h"
#include "zone/zone.h"
#include "tsan_fail.h"

#define READERS       3
#define PUBLISHES     1000 /* at most; at least PUBLISHES_MIN, then only within BUDGET_S */
#define PUBLISHES_MIN 200
#define BUDGET_S      15.0
#define HOSTS_MAX     8   /* generation g has hosts h0 .. h(g % HOSTS_MAX) */
#define RULES_MAX     3   /* and g % RULES_MAX rewrite rules */
#define NULL_EVERY    128 /* publish NULL before every generation divisible by this */

void urcu_model_check(void); /* urcu_model.c */

static struct snap_slot slot;
static int publisher_done; /* atomic */
static unsigned published; /* by the publisher, read after the join */

/* Wire names the readers look up, made before the threads start. */
struct wname {
    uint8_t wire[DNS_NAME_MAXLEN];
    size_t len;
};
static struct wname apex, gen_name, a_name, hosts[HOSTS_MAX + 1], rules[RULES_MAX + 1];
static uint8_t query_pkt[512];
static size_t query_len;
static size_t nrecords_base; /* nrecords of a snapshot, less its hosts */

struct reader {
    pthread_t tid;
    unsigned idx;
    uint64_t reads, nulls, gens; /* read sections, NULL snapshots, generation changes */
    uint8_t arena_mem[16384];
    uint8_t resp[4096];
};

static void wname_set(struct wname *n, const char *text)
{
    if (dns_name_from_text(text, strlen(text), NULL, n->wire, &n->len))
        fail("bad name %s", text);
    dns_name_lower(n->wire);
}

static unsigned hosts_of(unsigned g)
{
    return g % HOSTS_MAX + 1;
}

static unsigned rules_of(unsigned g)
{
    return g % RULES_MAX;
}

static uint16_t payload_of(unsigned g)
{
    return (uint16_t)(512 + g % 3585);
}

static void addr_of(unsigned g, uint8_t a[4])
{
    a[0] = 10;
    a[1] = (uint8_t)(g >> 16);
    a[2] = (uint8_t)(g >> 8);
    a[3] = (uint8_t)g;
}

/* The config of generation g. */
static size_t config_of(unsigned g, char *buf, size_t cap)
{
    uint8_t a[4];
    addr_of(g, a);
    size_t n = (size_t)snprintf(
        buf, cap,
        "{\"server\": {\"identity\": \"gen-%u\", \"version\": \"ver-%u\", \"udp_max_payload\": "
        "%u, \"log_queries\": false},"
        " \"zones\": {\"tsan.test\": {\"soa\": {\"mname\": \"ns.tsan.test\", \"rname\": "
        "\"admin.tsan.test\", \"serial\": %u}}},"
        " \"records\": [{\"name\": \"gen.tsan.test\", \"type\": \"TXT\", \"value\": \"gen=%u\"},"
        " {\"name\": \"a.tsan.test\", \"type\": \"A\", \"value\": \"%u.%u.%u.%u\"}",
        g, g, payload_of(g), g, g, a[0], a[1], a[2], a[3]);
    for (unsigned i = 0; i < hosts_of(g) && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n,
                              ", {\"name\": \"h%u.tsan.test\", \"type\": \"A\", \"value\": "
                              "\"192.0.2.%u\"}",
                              i, i);
    if (n < cap)
        n += (size_t)snprintf(buf + n, cap - n, "], \"rewrites\": [");
    for (unsigned i = 0; i < rules_of(g) && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n,
                              "%s{\"match\": \"r%u.block.test\", \"action\": \"nxdomain\"}",
                              i ? ", " : "", i);
    if (n < cap)
        n += (size_t)snprintf(buf + n, cap - n, "]}");
    if (n >= cap)
        fail("config of generation %u does not fit", g);
    return n;
}

static struct snap *build(unsigned g)
{
    char json[4096];
    size_t len = config_of(g, json, sizeof(json));
    struct conf_diag d;
    struct conf *c = NULL;
    struct snap *s = NULL;
    conf_diag_init(&d);
    int r = conf_load("tsan.json", (const uint8_t *)json, len, NULL, &c, &s, &d);
    for (size_t i = 0; i < d.n; i++)
        fprintf(stderr, "tsan_snap: config %u: %s: %s\n", g, d.msgs[i].error ? "error" : "warning",
                d.msgs[i].text);
    if (r != 0 || !s)
        fail("conf_load of generation %u returned %d", g, r);
    if (d.warnings)
        fail("conf_load of generation %u warned", g);
    conf_diag_deinit(&d);
    conf_free(c);
    return s;
}

/* "<prefix><decimal>" exactly, of `len` bytes. */
static bool parse_gen(const char *text, size_t len, const char *prefix, unsigned *g)
{
    char buf[64];
    size_t plen = strlen(prefix);
    if (len <= plen || len >= sizeof(buf) || memcmp(text, prefix, plen) != 0)
        return false;
    memcpy(buf, text, len);
    buf[len] = 0;
    char *end;
    unsigned long v = strtoul(buf + plen, &end, 10);
    if (*end || v > PUBLISHES)
        return false;
    *g = (unsigned)v;
    return true;
}

static const struct zone_rrset *rrset_at(const struct snap *s, const struct wname *n, uint16_t type,
                                         const char *what, unsigned g)
{
    const struct zone_node *node = zone_tree_get(&s->names, n->wire, n->len);
    if (!node)
        fail("generation %u: no node for %s", g, what);
    if (!dns_name_equal(node->name, n->wire) || node->name_len != n->len)
        fail("generation %u: the node for %s has another name", g, what);
    if (node->zone != &s->zones[0])
        fail("generation %u: %s is not in the snapshot's zone", g, what);
    const struct zone_rrset *rs = zone_node_rrset(node, type);
    if (!rs || rs->count != 1)
        fail("generation %u: %s has no single RR of type %u", g, what, type);
    return rs;
}

static size_t skip_name(const uint8_t *p)
{
    size_t i = 0;
    while (p[i])
        i += 1u + p[i];
    return i + 1;
}

/* Runs "a.tsan.test A" through the hot path; returns the answer's address. */
static void ask(struct reader *r, const struct snap *s, unsigned g, uint8_t addr[4])
{
    struct arena arena;
    arena_init_fixed(&arena, r->arena_mem, sizeof(r->arena_mem));
    struct query_req req = {.buf = query_pkt, .len = query_len, .proto = QUERY_PROTO_UDP};
    struct query_resp resp = {.buf = r->resp, .cap = sizeof(r->resp)};
    struct query_info info;
    query_process(s, &req, &resp, &arena, &info);
    const uint8_t *p = r->resp;
    if (info.outcome != QUERY_OUTCOME_ANSWER || info.rcode != DNS_RCODE_NOERROR)
        fail("generation %u: query outcome %d, rcode %u", g, (int)info.outcome, info.rcode);
    if (resp.len < query_len + 16 || (p[6] << 8 | p[7]) != 1)
        fail("generation %u: %zu-byte response without one answer", g, resp.len);
    /* The header, the question as asked, then the A record: a name, 10 fixed bytes, 4. */
    size_t off = query_len;
    off += (p[off] & 0xc0) == 0xc0 ? 2 : skip_name(p + off);
    if (off + 14 > resp.len || (p[off] << 8 | p[off + 1]) != DNS_TYPE_A ||
        (p[off + 8] << 8 | p[off + 9]) != 4)
        fail("generation %u: the answer is not one A record", g);
    memcpy(addr, p + off + 10, 4);
}

/* Checks every place generation g is recorded in; returns g. */
static unsigned check(struct reader *r, const struct snap *s)
{
    const struct snap_opts *o = &s->opts;
    unsigned g, g2;
    if (!parse_gen(o->identity, o->identity_len, "gen-", &g))
        fail("identity \"%.*s\" is not a generation", (int)o->identity_len, o->identity);
    if (!parse_gen(o->version, o->version_len, "ver-", &g2) || g2 != g)
        fail("generation %u: version \"%.*s\"", g, (int)o->version_len, o->version);
    if (o->udp_max_payload != payload_of(g))
        fail("generation %u: udp_max_payload %u", g, o->udp_max_payload);
    if (o->identity_hidden || o->version_hidden || o->log_queries)
        fail("generation %u: flags changed", g);

    if (s->nzones != 1 || s->zones[0].apex_len != apex.len ||
        !dns_name_equal(s->zones[0].apex, apex.wire))
        fail("generation %u: the zone is not tsan.test", g);
    const struct zone_rrset *soa = s->zones[0].soa;
    if (!soa || soa->type != DNS_TYPE_SOA || soa->count != 1)
        fail("generation %u: no SOA", g);
    const uint8_t *rd;
    uint16_t rdlen;
    zone_rdata_next(soa->rdata, &rd, &rdlen);
    size_t off = skip_name(rd);
    off += skip_name(rd + off);
    if (off + 20 != rdlen)
        fail("generation %u: SOA RDATA of %u bytes", g, rdlen);
    uint32_t serial = (uint32_t)rd[off] << 24 | (uint32_t)rd[off + 1] << 16 |
                      (uint32_t)rd[off + 2] << 8 | rd[off + 3];
    if (serial != g)
        fail("generation %u: SOA serial %" PRIu32, g, serial);

    const struct zone_rrset *txt = rrset_at(s, &gen_name, DNS_TYPE_TXT, "gen.tsan.test", g);
    zone_rdata_next(txt->rdata, &rd, &rdlen);
    if (rdlen < 1 || rd[0] != rdlen - 1 || !parse_gen((const char *)rd + 1, rd[0], "gen=", &g2) ||
        g2 != g)
        fail("generation %u: TXT \"%.*s\"", g, rdlen > 0 ? rd[0] : 0, (const char *)rd + 1);

    uint8_t want[4], got[4];
    addr_of(g, want);
    const struct zone_rrset *a = rrset_at(s, &a_name, DNS_TYPE_A, "a.tsan.test", g);
    zone_rdata_next(a->rdata, &rd, &rdlen);
    if (rdlen != 4 || memcmp(rd, want, 4) != 0)
        fail("generation %u: a.tsan.test has the wrong address", g);
    ask(r, s, g, got);
    if (memcmp(got, want, 4) != 0)
        fail("generation %u: query answered %u.%u.%u.%u", g, got[0], got[1], got[2], got[3]);

    for (unsigned i = 0; i <= HOSTS_MAX; i++) {
        const struct zone_node *n = zone_tree_get(&s->names, hosts[i].wire, hosts[i].len);
        if ((n != NULL) != (i < hosts_of(g)))
            fail("generation %u: h%u.tsan.test %s", g, i, n ? "present" : "missing");
        if (n) {
            const struct zone_rrset *h = zone_node_rrset(n, DNS_TYPE_A);
            if (!h || h->count != 1)
                fail("generation %u: h%u.tsan.test has no A", g, i);
            zone_rdata_next(h->rdata, &rd, &rdlen);
            if (rdlen != 4 || rd[3] != i)
                fail("generation %u: h%u.tsan.test has the wrong address", g, i);
        }
    }
    if (s->nrecords != nrecords_base + hosts_of(g))
        fail("generation %u: %zu records", g, s->nrecords);

    if (s->nrewrites != rules_of(g))
        fail("generation %u: %zu rewrite rules", g, s->nrewrites);
    for (unsigned i = 0; i <= RULES_MAX; i++) {
        const struct zone_rewrite_entry *e =
            zone_tree_get(&s->rewrite_names, rules[i].wire, rules[i].len);
        if ((e != NULL) != (i < rules_of(g)))
            fail("generation %u: rule for r%u.block.test %s", g, i, e ? "present" : "missing");
        if (e && (e->exact != (int32_t)i || s->rewrites[i].action != ZONE_REWRITE_NXDOMAIN))
            fail("generation %u: rule for r%u.block.test is %d", g, i, (int)e->exact);
    }
    return g;
}

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    unsigned last = 0;
    bool done;
    snap_thread_online();
    do {
        done = __atomic_load_n(&publisher_done, __ATOMIC_ACQUIRE);
        const struct snap *s = snap_read_begin(&slot);
        if (s) {
            unsigned g = check(r, s);
            if (g < last)
                fail("reader %u: generation %u after %u", r->idx, g, last);
            r->gens += g != last;
            last = g;
        } else {
            r->nulls++;
        }
        snap_read_end();
        r->reads++;
    } while (!done);
    snap_thread_offline();
    return NULL;
}

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void *publisher_main(void *arg)
{
    (void)arg;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    snap_thread_online();
    /* A slow or busy machine publishes fewer, but never fewer than PUBLISHES_MIN. */
    for (unsigned g = 1; g <= PUBLISHES; g++) {
        if (g % NULL_EVERY == 0)
            snap_publish(&slot, NULL);
        snap_publish(&slot, build(g));
        published = g;
        if (g >= PUBLISHES_MIN && since(&t0) > BUDGET_S)
            break;
    }
    snap_publish(&slot, NULL); /* frees the last one */
    snap_thread_offline();
    __atomic_store_n(&publisher_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

int main(void)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    wname_set(&apex, "tsan.test");
    wname_set(&gen_name, "gen.tsan.test");
    wname_set(&a_name, "a.tsan.test");
    char text[64];
    for (unsigned i = 0; i <= HOSTS_MAX; i++) {
        snprintf(text, sizeof(text), "h%u.tsan.test", i);
        wname_set(&hosts[i], text);
    }
    for (unsigned i = 0; i <= RULES_MAX; i++) {
        snprintf(text, sizeof(text), "r%u.block.test", i);
        wname_set(&rules[i], text);
    }
    /* The query: id 0x5453, RD, one question "a.tsan.test A IN", no EDNS. */
    static const uint8_t hdr[12] = {0x54, 0x53, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
    memcpy(query_pkt, hdr, sizeof(hdr));
    if (dns_name_from_text("A.Tsan.Test", 11, NULL, query_pkt + 12, &query_len))
        fail("bad query name");
    query_len += 12;
    query_pkt[query_len++] = 0;
    query_pkt[query_len++] = DNS_TYPE_A;
    query_pkt[query_len++] = 0;
    query_pkt[query_len++] = DNS_CLASS_IN;

    /* One snapshot checked on this thread alone first: the checks themselves must pass. */
    struct snap *s0 = build(0);
    nrecords_base = s0->nrecords - hosts_of(0);
    struct reader *rd = calloc(READERS, sizeof(*rd));
    if (!rd)
        fail("out of memory");
    if (check(&rd[0], s0) != 0)
        fail("generation 0 reads as another");
    snap_free(s0);

    pthread_t pub;
    for (unsigned i = 0; i < READERS; i++) {
        rd[i].idx = i;
        if (pthread_create(&rd[i].tid, NULL, reader_main, &rd[i]))
            fail("pthread_create");
    }
    if (pthread_create(&pub, NULL, publisher_main, NULL))
        fail("pthread_create");
    pthread_join(pub, NULL);
    uint64_t reads = 0, nulls = 0, gens = 0;
    for (unsigned i = 0; i < READERS; i++) {
        pthread_join(rd[i].tid, NULL);
        reads += rd[i].reads;
        nulls += rd[i].nulls;
        gens += rd[i].gens;
    }
    free(rd);
    if (slot.cur)
        fail("the slot still holds a snapshot");
    /* Readers that never saw the snapshots change would have tested nothing. */
    if (gens < 2)
        fail("the readers saw only %" PRIu64 " generation changes", gens);
    urcu_model_check();

    printf("tsan_snap: ok: %u snapshots published and freed under %d readers: %" PRIu64
           " read sections (%" PRIu64 " saw NULL, %" PRIu64 " generation changes), %.2f s\n",
           published, READERS, reads, nulls, gens, since(&t0));
    return 0;
}
