/*
 * ThreadSanitizer test of the per-thread query counters (src/stats/stats.c).
 *
 * WRITERS threads each register their own block with stats_block_new (while the readers are
 * already summing, so registration races with stats_sum as it does when a worker starts late)
 * and count ITERATIONS queries, answers, drops and cache events through the stats.h helpers.
 * READERS threads call stats_sum in a loop and check that no counter ever goes down and none
 * ever exceeds its final value. After the join the sum must equal, counter for counter, the
 * same sequence replayed into a private block on one thread.
 *
 * TSan checks the memory model side: every counter access must be atomic (stats_add's
 * relaxed load and store) and the registry list must only be walked under its mutex. The
 * program checks the arithmetic side: nothing lost, nothing counted twice. It exits 0 on
 * success and 1 with a message on the first mismatch; TSan makes it exit 66 on a race.
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

#include "dns/dns.h"
#include "stats/stats.h"
#include "tsan_fail.h"

#define WRITERS    4
#define READERS    2
#define ITERATIONS 200000

/* The counters of a block as an array, as stats_sum treats them. */
#define NCOUNTERS (offsetof(struct stats_block, next) / sizeof(uint64_t))

static const uint16_t qtypes[] = {
    DNS_TYPE_A,   DNS_TYPE_AAAA, DNS_TYPE_MX,  DNS_TYPE_TXT,   DNS_TYPE_HTTPS,
    DNS_TYPE_SOA, DNS_TYPE_NS,   DNS_TYPE_ANY, DNS_TYPE_HINFO, 0,
};
static const unsigned rcodes[] = {
    DNS_RCODE_NOERROR, DNS_RCODE_NXDOMAIN, DNS_RCODE_SERVFAIL, DNS_RCODE_REFUSED, 9, 15,
};

#define NLATS (2 * STATS_NLAT + 1)
static uint64_t lats[NLATS]; /* filled by main before the threads start */

static struct stats_block expected; /* written before the threads start, then read-only */
static pthread_barrier_t start;
static int writers_done;  /* atomic */
static uint64_t sums;     /* atomic: stats_sum calls made by the readers */
static uint64_t partials; /* atomic: sums that saw some but not all of the work */

/* What writer `w` counts at step `i`: the same on every run and on every thread that
 * replays it, and spread over every kind of counter. */
static void count_one(struct stats_block *b, unsigned w, unsigned i)
{
    enum stats_transport t = (i + w) % 2 ? STATS_TCP : STATS_UDP;
    size_t k = (i * 7u + w) % (sizeof(qtypes) / sizeof(qtypes[0]));
    bool has_question = i % 11 != 0;
    stats_query(b, t, has_question, qtypes[k]);
    if (i % 13 == 0) {
        stats_inc(&b->dropped[t]);
        return;
    }
    unsigned rcode = rcodes[(i + 3u * w) % (sizeof(rcodes) / sizeof(rcodes[0]))];
    /* Every bound, one value inside each bucket and one past the last: each bucket of both
     * transports gets some (i / 2 walks the table at the same pace on both). */
    uint64_t lat = lats[(i / 2 + w) % NLATS];
    stats_observe(b, t, rcode, lat);
    if (i % 5 == 0)
        stats_inc(&b->forwarded);
    if (i % 3 == 0)
        stats_inc(&b->cache_hits);
    else if (i % 3 == 1)
        stats_add(&b->cache_misses, 2);
}

static void *writer_main(void *arg)
{
    unsigned w = (unsigned)(uintptr_t)arg;
    pthread_barrier_wait(&start);
    struct stats_block *b = stats_block_new();
    if (!b)
        fail("stats_block_new: out of memory");
    for (unsigned i = 0; i < ITERATIONS; i++)
        count_one(b, w, i);
    return NULL;
}

static uint64_t total_of(const uint64_t *c)
{
    uint64_t t = 0;
    for (size_t i = 0; i < NCOUNTERS; i++)
        t += c[i];
    return t;
}

static void *reader_main(void *arg)
{
    (void)arg;
    struct stats_block cur, prev;
    const uint64_t *c = (const uint64_t *)&cur, *p = (const uint64_t *)&prev;
    const uint64_t *e = (const uint64_t *)&expected;
    uint64_t want = total_of(e), n = 0, partial = 0;
    memset(&prev, 0, sizeof(prev));
    pthread_barrier_wait(&start);
    bool last;
    do {
        /* Read the flag first: a sum taken after every writer finished must be complete. */
        last = __atomic_load_n(&writers_done, __ATOMIC_ACQUIRE);
        stats_sum(&cur);
        for (size_t i = 0; i < NCOUNTERS; i++) {
            if (c[i] < p[i])
                fail("counter %zu went down: %" PRIu64 " after %" PRIu64, i, c[i], p[i]);
            if (c[i] > e[i])
                fail("counter %zu is %" PRIu64 ", above its final %" PRIu64, i, c[i], e[i]);
        }
        uint64_t t = total_of(c);
        if (t > 0 && t < want)
            partial++;
        if (last && t != want)
            fail("sum after the writers finished: %" PRIu64 " of %" PRIu64, t, want);
        prev = cur;
        n++;
    } while (!last);
    __atomic_fetch_add(&sums, n, __ATOMIC_RELAXED);
    __atomic_fetch_add(&partials, partial, __ATOMIC_RELAXED);
    return NULL;
}

int main(void)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    for (size_t k = 0; k < STATS_NLAT; k++) {
        lats[2 * k] = stats_lat_bounds_ns[k];
        lats[2 * k + 1] = stats_lat_bounds_ns[k] - 1;
    }
    lats[NLATS - 1] = stats_lat_bounds_ns[STATS_NLAT - 1] + 1;
    /* The expected totals: every writer's sequence replayed into one private block. */
    for (unsigned w = 0; w < WRITERS; w++)
        for (unsigned i = 0; i < ITERATIONS; i++)
            count_one(&expected, w, i);
    const uint64_t *e = (const uint64_t *)&expected;
    uint64_t q = 0, r = 0, l = 0, d = 0;
    for (int t = 0; t < STATS_NTRANSPORT; t++) {
        for (int k = 0; k < STATS_NQTYPE; k++)
            q += expected.queries[t][k];
        for (int k = 0; k < STATS_NRCODE; k++)
            r += expected.responses[t][k];
        for (int k = 0; k <= STATS_NLAT; k++)
            l += expected.latency[t][k];
        d += expected.dropped[t];
    }
    /* The replay itself must add up, or the comparison below proves nothing. */
    if (q != (uint64_t)WRITERS * ITERATIONS || r + d != q || l != r)
        fail("replay: %" PRIu64 " queries, %" PRIu64 " responses, %" PRIu64 " latencies, %" PRIu64
             " drops",
             q, r, l, d);
    for (int t = 0; t < STATS_NTRANSPORT; t++)
        for (int k = 0; k <= STATS_NLAT; k++)
            if (expected.latency[t][k] == 0)
                fail("replay: latency bucket %d of transport %d is empty", k, t);

    pthread_t wt[WRITERS], rt[READERS];
    if (pthread_barrier_init(&start, NULL, WRITERS + READERS))
        fail("pthread_barrier_init");
    for (unsigned i = 0; i < READERS; i++)
        if (pthread_create(&rt[i], NULL, reader_main, NULL))
            fail("pthread_create");
    for (unsigned w = 0; w < WRITERS; w++)
        if (pthread_create(&wt[w], NULL, writer_main, (void *)(uintptr_t)w))
            fail("pthread_create");
    for (unsigned w = 0; w < WRITERS; w++)
        pthread_join(wt[w], NULL);
    __atomic_store_n(&writers_done, 1, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < READERS; i++)
        pthread_join(rt[i], NULL);

    struct stats_block got;
    stats_sum(&got);
    const uint64_t *g = (const uint64_t *)&got;
    for (size_t i = 0; i < NCOUNTERS; i++)
        if (g[i] != e[i])
            fail("counter %zu: %" PRIu64 " after the join, want %" PRIu64, i, g[i], e[i]);
    stats_free_all();
    if (pthread_barrier_destroy(&start))
        fail("pthread_barrier_destroy");

    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("tsan_stats: ok: %d writers x %d queries (%zu counters exact), %" PRIu64
           " concurrent sums (%" PRIu64 " mid-run), %.2f s\n",
           WRITERS, ITERATIONS, (size_t)NCOUNTERS, __atomic_load_n(&sums, __ATOMIC_RELAXED),
           __atomic_load_n(&partials, __ATOMIC_RELAXED), secs);
    return 0;
}
