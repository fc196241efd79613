/*
 * ThreadSanitizer test of the forwarder's answer cache (src/cache/cache.c, cache/msg.c).
 *
 * One writer thread plays the control thread: registered as an RCU reader, it stores
 * messages made by cache_msg_new from upstream-style replies for NAMES names (each with and
 * without DO, so 2 * NAMES keys) into a cache of CAP entries, so that most stores replace an
 * entry or make the CLOCK hand evict one; every FLUSH_EVERY stores it flushes the cache.
 * Some names get a TTL of one second, so their entries expire under the readers and the hand
 * takes expired entries first. READERS threads play the workers: inside snap_read_begin /
 * snap_read_end they call cache_answer for random keys, as random clients (with and without
 * EDNS, some with a size limit that forces a truncated reply), and read cache_size and
 * cache_evictions as the metrics do.
 *
 * Store number g (the generation) writes g into every reply twice, independently: in the A
 * record's address (with the name's index) and in a TXT record (with the name, the DO bit of
 * the key and g % PAD_MOD bytes of padding, so that the message length depends on g too).
 * Every rendered answer must parse with dns/msg.h to its last byte, carry the client's ID,
 * flags and question case, and both records must name the same key and generation; a reader
 * also checks that the generation of a key never goes backwards, and that the counters stay
 * within bounds and never go down. A torn, freed or mixed-up entry fails one of these.
 *
 * TSan checks the ordering: the writer's writes to an entry and its message before any
 * reader's reads, every read (and the reader's reference-bit store) before the entry is
 * freed, after call_rcu or synchronize_rcu. liburcu and liburcu-cds are invisible to TSan;
 * urcu_model.c states what they guarantee (the cds_lfht publish and retire edges included).
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
#include <urcu.h>

#include "cache/cache.h"
#include "cache/msg.h"
#include "dns/dns.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "dns/writer.h"
#include "util/cursor.h"
#include "zone/snap.h"
#include "tsan_fail.h"

#define READERS     3
#define NAMES       24     /* keys: each name with and without DO */
#define CAP         8      /* far below the keys, so the CLOCK hand keeps running */
#define STORES      200000 /* at most; at least STORES_MIN, then only within BUDGET_S */
#define STORES_MIN  5000
#define BUDGET_S    8.0
#define FLUSH_EVERY 701 /* stores between flushes */
#define UNCACHEABLE 97  /* every so many stores, a reply with TTL 0, which must be refused */
#define SELF_CHECK  16  /* every so many stores, the writer reads its own entry back */
#define SHORT_TTL   6   /* names i with i % SHORT_TTL == SHORT_TTL - 1 live one second */
#define LONG_TTL    300
#define PAD_MOD     61 /* generation g pads its TXT with g % PAD_MOD bytes */
#define PER_SECTION 3  /* lookups per read-side section, at most */
#define CLIENT_ID   0x5443

void urcu_model_check_lfht(void); /* urcu_model.c */

/* Wire names, made before the threads start: the key (lower case) and the client's case. */
struct wname {
    uint8_t lower[DNS_NAME_MAXLEN];
    uint8_t mixed[DNS_NAME_MAXLEN];
    size_t len;
};
static struct wname names[NAMES];

static struct cache *cache;
/* Atomic, and relaxed on purpose: an acquire would order everything the writer did before
 * the readers' last sections, and hide from TSan an edge the model failed to state. */
static int writer_done;
static unsigned stores, flushes; /* by the writer, read after the join */

struct reader {
    pthread_t tid;
    unsigned idx;
    uint64_t rng;
    uint64_t sections, truncated, gens;
    uint64_t evictions_seen;
    uint32_t last[NAMES][2]; /* the latest generation seen per key; 0: none yet */
    struct cache_stats st;
    uint8_t buf[4096];
};

static uint32_t rnd(uint64_t *s)
{
    /* xorshift64*: each thread its own state, so the threads share nothing for it. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (uint32_t)((*s * 0x2545f4914f6cdd1dull) >> 32);
}

static uint32_t ttl_of(unsigned i)
{
    return i % SHORT_TTL == SHORT_TTL - 1 ? 1 : LONG_TTL;
}

/* The TXT string of generation g for key (i, do_bit): its length depends on g. */
static size_t txt_of(unsigned i, bool do_bit, uint32_t g, uint8_t *out)
{
    int n = snprintf((char *)out + 1, 200, "n%u d%d g%" PRIu32 " ", i, do_bit, g);
    size_t len = (size_t)n + g % PAD_MOD;
    memset(out + 1 + n, 'x', g % PAD_MOD);
    out[0] = (uint8_t)len;
    return len + 1;
}

static void key_of(unsigned i, bool do_bit, struct cache_key *k)
{
    memset(k, 0, sizeof(*k));
    memcpy(k->name, names[i].lower, names[i].len);
    k->name_len = (uint8_t)names[i].len;
    k->do_bit = do_bit;
    k->type = DNS_TYPE_A;
    k->rclass = DNS_CLASS_IN;
}

/* An upstream's reply, as the forwarder receives it, and the message made from it. */
static struct cache_msg *msg_of(unsigned i, bool do_bit, uint32_t g, uint32_t ttl)
{
    uint8_t reply[1024], txt[256];
    struct dns_writer dw;
    const uint8_t *q = names[i].lower;
    uint8_t a[4] = {(uint8_t)i, (uint8_t)(g >> 16), (uint8_t)(g >> 8), (uint8_t)g};
    size_t tlen = txt_of(i, do_bit, g, txt);
    dns_writer_init(&dw, reply, sizeof(reply), sizeof(reply));
    dns_writer_header(&dw, (uint16_t)g, DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA);
    if (dns_writer_question(&dw, q, DNS_TYPE_A, DNS_CLASS_IN) ||
        dns_writer_rr(&dw, DNS_SECTION_ANSWER, q, DNS_TYPE_A, DNS_CLASS_IN, ttl, a, 4) ||
        dns_writer_rr(&dw, DNS_SECTION_ANSWER, q, DNS_TYPE_TXT, DNS_CLASS_IN, ttl, txt,
                      (uint16_t)tlen))
        fail("generation %" PRIu32 ": the reply does not fit", g);
    size_t len = dns_writer_finish(&dw);
    struct cache_msg *m;
    int r = cache_msg_new(reply, len, q, DNS_TYPE_A, DNS_CLASS_IN, 3600, &m);
    if (r)
        fail("generation %" PRIu32 ": cache_msg_new returned %d", g, r);
    if (m->lifetime != ttl)
        fail("generation %" PRIu32 ": lifetime %" PRIu32 ", not %" PRIu32, g, m->lifetime, ttl);
    return m;
}

static struct cache_client client_of(unsigned i, bool do_bit, bool edns, size_t limit)
{
    return (struct cache_client){.id = CLIENT_ID,
                                 .flags = DNS_FLAG_RD,
                                 .qname = names[i].mixed,
                                 .edns = edns || do_bit,
                                 .do_bit = do_bit,
                                 .limit = limit,
                                 .payload = 1232};
}

/*
 * Checks one rendered answer for key (i, do_bit) to client cl, and returns its generation
 * (0 for a truncated answer, which carries none). `who` names the thread in a failure.
 */
static uint32_t check(const char *who, unsigned i, bool do_bit, const struct cache_client *cl,
                      const uint8_t *buf, int n)
{
    struct cursor c;
    struct dns_header h;
    struct dns_question q;
    cursor_init(&c, buf, (size_t)n);
    if (dns_msg_header(&c, &h) || dns_msg_question(&c, &q))
        fail("%s: n%u: the answer's header or question does not parse", who, i);
    if (h.id != CLIENT_ID || h.qdcount != 1)
        fail("%s: n%u: ID %04x, %u questions", who, i, h.id, h.qdcount);
    if (q.name_len != names[i].len || memcmp(q.name, names[i].mixed, q.name_len) != 0 ||
        q.qtype != DNS_TYPE_A || q.qclass != DNS_CLASS_IN)
        fail("%s: n%u: the answer has another question", who, i);
    uint16_t want = DNS_FLAG_QR | DNS_FLAG_RA | DNS_FLAG_RD;
    if (h.flags & DNS_FLAG_TC) {
        if (h.flags != (want | DNS_FLAG_TC) || h.ancount || h.nscount ||
            h.arcount != (cl->edns ? 1 : 0))
            fail("%s: n%u: truncated answer with flags %04x, counts %u/%u/%u", who, i, h.flags,
                 h.ancount, h.nscount, h.arcount);
    } else if (h.flags != want || h.ancount != 2 || h.nscount || h.arcount != (cl->edns ? 1 : 0)) {
        fail("%s: n%u: answer with flags %04x, counts %u/%u/%u", who, i, h.flags, h.ancount,
             h.nscount, h.arcount);
    }

    uint32_t g = 0, ttl = 0;
    bool have_a = false;
    for (unsigned r = 0; r < (unsigned)h.ancount + h.arcount; r++) {
        struct dns_rr rr;
        if (dns_msg_rr(&c, &rr))
            fail("%s: n%u: record %u does not parse", who, i, r);
        const uint8_t *rd = buf + rr.rdata_off;
        if (r >= h.ancount) {
            /* Our OPT: the client's DO echoed, our payload size. */
            if (rr.type != DNS_TYPE_OPT || rr.owner_len != 1 || rr.rclass != cl->payload ||
                rr.ttl != (do_bit ? DNS_EDNS_FLAG_DO : 0) || rr.rdlen != 0)
                fail("%s: n%u: the additional record is not our OPT", who, i);
            continue;
        }
        if (rr.owner_len != names[i].len || memcmp(rr.owner, names[i].mixed, rr.owner_len) != 0)
            fail("%s: n%u: record %u has another owner", who, i, r);
        if (rr.rclass != DNS_CLASS_IN || rr.ttl > ttl_of(i) || (r && rr.ttl != ttl))
            fail("%s: n%u: record %u has class %u, TTL %" PRIu32, who, i, r, rr.rclass, rr.ttl);
        ttl = rr.ttl;
        if (r == 0) {
            if (rr.type != DNS_TYPE_A || rr.rdlen != 4 || rd[0] != i)
                fail("%s: n%u: the first record is not its A", who, i);
            g = (uint32_t)rd[1] << 16 | (uint32_t)rd[2] << 8 | rd[3];
            if (g == 0)
                fail("%s: n%u: generation 0", who, i);
            have_a = true;
        } else {
            uint8_t txt[256];
            size_t tlen = txt_of(i, do_bit, g, txt);
            if (!have_a || rr.type != DNS_TYPE_TXT || rr.rdlen != tlen ||
                memcmp(rd, txt, tlen) != 0)
                fail("%s: n%u d%d: the A says generation %" PRIu32 ", the TXT \"%.*s\"", who, i,
                     do_bit, g, rr.rdlen ? rd[0] : 0, (const char *)rd + 1);
        }
    }
    if (c.err || c.pos != (size_t)n)
        fail("%s: n%u: %d bytes, of which %zu parse", who, i, n, c.pos);
    return g;
}

static void reader_lookup(struct reader *r)
{
    uint32_t x = rnd(&r->rng);
    unsigned i = x % NAMES;
    bool do_bit = x >> 8 & 1;
    /* One client in 8 accepts only the question, so the answer is truncated. */
    size_t limit = (x >> 9 & 7) == 0 ? 12 + names[i].len + 4 + 11 : 1232;
    struct cache_client cl = client_of(i, do_bit, x >> 12 & 1, limit);
    struct cache_key k;
    key_of(i, do_bit, &k);
    int n = cache_answer(cache, &k, &cl, r->buf, sizeof(r->buf), &r->st);
    if (n < 0)
        fail("reader %u: cache_answer returned %d", r->idx, n);
    if (n == 0)
        return;
    char who[32];
    snprintf(who, sizeof(who), "reader %u", r->idx);
    uint32_t g = check(who, i, do_bit, &cl, r->buf, n);
    if (g == 0) {
        r->truncated++;
        return;
    }
    /* liburcu-cds orders successive lookups of one key (guarantee G.1 in rculfhash.c): a
     * later section sees the same entry or a later one, never one already replaced. */
    if (g < r->last[i][do_bit])
        fail("reader %u: n%u d%d: generation %" PRIu32 " after %" PRIu32, r->idx, i, do_bit, g,
             r->last[i][do_bit]);
    r->gens += g != r->last[i][do_bit];
    r->last[i][do_bit] = g;
}

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    struct snap_slot none = {NULL}; /* the workers' section, here without a snapshot */
    bool done;
    snap_thread_online();
    do {
        done = __atomic_load_n(&writer_done, __ATOMIC_RELAXED);
        unsigned lookups = 1 + rnd(&r->rng) % PER_SECTION;
        snap_read_begin(&none);
        for (unsigned j = 0; j < lookups; j++)
            reader_lookup(r);
        snap_read_end();
        r->sections++;
        /* The metrics read these from any thread, outside any section. */
        size_t size = cache_size(cache);
        uint64_t ev = cache_evictions(cache);
        if (size > CAP)
            fail("reader %u: cache_size %zu above the capacity %d", r->idx, size, CAP);
        if (ev < r->evictions_seen)
            fail("reader %u: cache_evictions went from %" PRIu64 " to %" PRIu64, r->idx,
                 r->evictions_seen, ev);
        r->evictions_seen = ev;
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

/* The writer reads back what it has just stored, as fwd__take does on the control thread. */
static void writer_self_check(unsigned i, bool do_bit, uint32_t g)
{
    uint8_t buf[4096];
    struct cache_client cl = client_of(i, do_bit, do_bit, 1232);
    struct cache_key k;
    struct cache_stats st = {0};
    key_of(i, do_bit, &k);
    rcu_read_lock();
    int n = cache_answer(cache, &k, &cl, buf, sizeof(buf), &st);
    rcu_read_unlock();
    if (n <= 0)
        fail("writer: n%u d%d: generation %" PRIu32 " missing right after the store", i, do_bit, g);
    uint32_t got = check("writer", i, do_bit, &cl, buf, n);
    if (got != g)
        fail("writer: n%u d%d: generation %" PRIu32 " read back as %" PRIu32, i, do_bit, g, got);
}

static void *writer_main(void *arg)
{
    (void)arg;
    struct timespec t0;
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    snap_thread_online();
    /* A slow or busy machine stores fewer, but never fewer than STORES_MIN. */
    for (uint32_t g = 1; g <= STORES; g++) {
        uint32_t x = rnd(&rng);
        unsigned i = x % NAMES;
        bool do_bit = x >> 8 & 1;
        struct cache_key k;
        key_of(i, do_bit, &k);
        if (g % UNCACHEABLE == 0) {
            struct cache_msg *m = msg_of(i, do_bit, g, 0);
            if (cache_store(cache, &k, m))
                fail("writer: a message with TTL 0 was cached");
            cache_msg_free(m);
            continue;
        }
        if (!cache_store(cache, &k, msg_of(i, do_bit, g, ttl_of(i))))
            fail("writer: generation %" PRIu32 " was not cached", g);
        stores++;
        if (cache_size(cache) > CAP)
            fail("writer: cache_size %zu above the capacity", cache_size(cache));
        if (g % SELF_CHECK == 0)
            writer_self_check(i, do_bit, g);
        if (g % FLUSH_EVERY == 0) {
            cache_flush(cache);
            flushes++;
            if (cache_size(cache) != 0)
                fail("writer: cache_size %zu after a flush", cache_size(cache));
        }
        if (g >= STORES_MIN && since(&t0) > BUDGET_S)
            break;
    }
    snap_thread_offline();
    __atomic_store_n(&writer_done, 1, __ATOMIC_RELAXED);
    return NULL;
}

int main(void)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    for (unsigned i = 0; i < NAMES; i++) {
        char text[64];
        snprintf(text, sizeof(text), "n%u.cache.test", i);
        if (dns_name_from_text(text, strlen(text), NULL, names[i].lower, &names[i].len))
            fail("bad name %s", text);
        dns_name_lower(names[i].lower);
        /* The client's spelling: every other letter upper case. */
        memcpy(names[i].mixed, names[i].lower, names[i].len);
        for (size_t j = 0; j < names[i].len; j += 2)
            if (names[i].mixed[j] >= 'a' && names[i].mixed[j] <= 'z')
                names[i].mixed[j] = (uint8_t)(names[i].mixed[j] - 'a' + 'A');
    }
    cache = cache_new(CAP);
    if (!cache)
        fail("cache_new");

    struct reader *rd = calloc(READERS, sizeof(*rd));
    if (!rd)
        fail("out of memory");
    pthread_t wr;
    for (unsigned i = 0; i < READERS; i++) {
        rd[i].idx = i;
        rd[i].rng = 0x2545f4914f6cdd1dull * (i + 1);
        if (pthread_create(&rd[i].tid, NULL, reader_main, &rd[i]))
            fail("pthread_create");
    }
    if (pthread_create(&wr, NULL, writer_main, NULL))
        fail("pthread_create");
    pthread_join(wr, NULL);
    uint64_t sections = 0, hits = 0, misses = 0, truncated = 0, gens = 0;
    for (unsigned i = 0; i < READERS; i++) {
        pthread_join(rd[i].tid, NULL);
        sections += rd[i].sections;
        hits += rd[i].st.hits;
        misses += rd[i].st.misses;
        truncated += rd[i].truncated;
        gens += rd[i].gens;
    }
    free(rd);
    uint64_t evictions = cache_evictions(cache);
    size_t left = cache_size(cache);
    cache_free(cache);

    /* Readers that never saw entries come and go would have tested nothing. */
    if (hits < 100 || misses == 0 || truncated == 0 || gens < 100)
        fail("too little happened: %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64
             " truncated, %" PRIu64 " generation changes",
             hits, misses, truncated, gens);
    if (evictions == 0 || flushes == 0)
        fail("the CLOCK hand never evicted (%" PRIu64 ") or no flush ran (%u)", evictions, flushes);
    urcu_model_check_lfht();

    printf("tsan_cache: ok: %u stores into %d entries (%" PRIu64 " evictions, %u flushes, %zu "
           "left) under %d readers: %" PRIu64 " read sections, %" PRIu64 " hits (%" PRIu64
           " truncated), %" PRIu64 " misses, %" PRIu64 " generation changes, %.2f s\n",
           stores, CAP, evictions, flushes, left, READERS, sections, hits, truncated, misses, gens,
           since(&t0));
    return 0;
}
