/*
 * ThreadSanitizer test of response rate limiting (src/net/rrl.c) as the UDP workers use it.
 *
 * THREADS threads start together on a limiter without a table, so the first calls race to
 * map and publish it. Then, all in one second:
 *   - every thread hammers one shared key (the same client /24 and name): the threads
 *     together must get `rate` responses through, give or take the few a lost
 *     compare-and-swap race lets through (the limiter fails open);
 *   - each thread also hammers a key of its own: exactly `rate` pass;
 *   - slip counting is per thread (as udp.c keeps it per worker): every second limited
 *     response of a thread slips, exactly.
 * A second phase moves the clock with the threads a second apart (as workers' batch clocks
 * may be), where only an upper bound holds. Each thread counts its verdicts into its own
 * stats block (rrl_dropped, rrl_slipped) as a worker does, while a reader sums the blocks;
 * after the join the sums must match the threads' own tallies.
 *
 * It exits 0 on success and 1 with a message on the first mismatch; TSan makes it exit 66
 * on a race.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "dns/name.h"
#include "net/rrl.h"
#include "stats/stats.h"
#include "tsan_fail.h"

#define THREADS 4
#define ITER    20000 /* per thread and key, phase 1 */
#define RATE    1000
#define SLACK   64 /* responses a lost CAS race may let through, in all */
#define ITER2   20000
#define RATE2   100
#define NOW     5000u

static struct rrl *lim;
static struct snap_rrl cfg;
static pthread_barrier_t start; /* the workers and the reader */
static pthread_barrier_t phase; /* the workers, between the phases */
static int done;                /* atomic: threads finished */

struct tally {
    uint64_t pass, drop, slip;    /* phase 1, shared key */
    uint64_t own_pass;            /* phase 1, own key */
    uint64_t own_drop, own_slip;  /* phase 1, own key */
    uint64_t pass2, drop2, slip2; /* phase 2 */
};
static struct tally tallies[THREADS];

static void answer(struct query_info *qi, uint8_t *hdr, const char *name)
{
    size_t len;
    memset(qi, 0, sizeof(*qi));
    qi->outcome = QUERY_OUTCOME_ANSWER;
    qi->has_question = true;
    if (dns_name_from_text(name, strlen(name), NULL, qi->qname, &len))
        fail("bad name %s", name);
    qi->qtype = DNS_TYPE_A;
    qi->rcode = DNS_RCODE_NOERROR;
    memset(hdr, 0, DNS_HDR_LEN);
    hdr[7] = 1; /* ANCOUNT 1 */
}

/* One verdict, counted in the thread's tally and its stats block as udp.c does. */
static void count(struct stats_block *b, enum rrl_verdict v, uint64_t *pass, uint64_t *drop,
                  uint64_t *slip)
{
    if (v == RRL_PASS) {
        (*pass)++;
    } else if (v == RRL_DROP) {
        (*drop)++;
        stats_inc(&b->rrl_dropped);
    } else {
        (*slip)++;
        stats_inc(&b->rrl_slipped);
    }
}

static void *worker(void *arg)
{
    unsigned t = (unsigned)(uintptr_t)arg;
    struct tally *y = &tallies[t];
    struct stats_block *b = stats_block_new();
    if (!b)
        fail("stats_block_new: out of memory");
    struct query_info shared, own;
    uint8_t hdr[DNS_HDR_LEN];
    answer(&shared, hdr, "www.example.com");
    answer(&own, hdr, "www.example.com");
    struct sockaddr_in a = {.sin_family = AF_INET}, mine = {.sin_family = AF_INET};
    /* Another host in the shared /24 on each thread: the prefix, not the host, is the key. */
    a.sin_addr.s_addr = htonl(0xc0000200u + t + 1);
    mine.sin_addr.s_addr = htonl(0xc6336400u + (t << 8) + 1); /* 198.51.100+t.1 */
    unsigned slip_count = 0;
    pthread_barrier_wait(&start);

    for (unsigned i = 0; i < ITER; i++) {
        enum rrl_verdict v = rrl_check(lim, &cfg, (struct sockaddr *)&a, &shared, hdr, sizeof(hdr),
                                       NOW, &slip_count);
        count(b, v, &y->pass, &y->drop, &y->slip);
        v = rrl_check(lim, &cfg, (struct sockaddr *)&mine, &own, hdr, sizeof(hdr), NOW,
                      &slip_count);
        count(b, v, &y->own_pass, &y->own_drop, &y->own_slip);
    }
    pthread_barrier_wait(&phase);

    /* Phase 2: the clock moves, odd threads a second ahead. */
    struct snap_rrl c2 = cfg;
    for (int k = 0; k < RRL_NKIND; k++)
        c2.rate[k] = RATE2;
    c2.window = 2;
    answer(&shared, hdr, "phase2.example.com");
    for (unsigned i = 0; i < ITER2; i++) {
        uint32_t now = NOW + 100 + i / 1000 + (t & 1);
        enum rrl_verdict v =
            rrl_check(lim, &c2, (struct sockaddr *)&a, &shared, hdr, sizeof(hdr), now, &slip_count);
        count(b, v, &y->pass2, &y->drop2, &y->slip2);
    }
    __atomic_fetch_add(&done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Sums the stats blocks while the workers run: the RRL counters never go down. */
static void *reader(void *arg)
{
    (void)arg;
    struct stats_block cur;
    uint64_t pd = 0, ps = 0, n = 0;
    pthread_barrier_wait(&start);
    bool last;
    do {
        last = __atomic_load_n(&done, __ATOMIC_ACQUIRE) == THREADS;
        stats_sum(&cur);
        if (cur.rrl_dropped < pd || cur.rrl_slipped < ps)
            fail("an RRL counter went down");
        pd = cur.rrl_dropped;
        ps = cur.rrl_slipped;
        n++;
    } while (!last);
    return (void *)(uintptr_t)n;
}

int main(void)
{
    if (rrl_new(&lim))
        fail("rrl_new");
    for (int k = 0; k < RRL_NKIND; k++)
        cfg.rate[k] = RATE;
    cfg.slip = 2;
    cfg.window = 15;
    cfg.v4_prefix = 24;
    cfg.v6_prefix = 56;
    if (pthread_barrier_init(&start, NULL, THREADS + 1) ||
        pthread_barrier_init(&phase, NULL, THREADS))
        fail("pthread_barrier_init");
    pthread_t th[THREADS], rd;
    if (pthread_create(&rd, NULL, reader, NULL))
        fail("pthread_create");
    for (unsigned t = 0; t < THREADS; t++)
        if (pthread_create(&th[t], NULL, worker, (void *)(uintptr_t)t))
            fail("pthread_create");
    for (unsigned t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    void *sums;
    pthread_join(rd, &sums);

    uint64_t pass = 0, pass2 = 0, drop = 0, slip = 0;
    for (unsigned t = 0; t < THREADS; t++) {
        const struct tally *y = &tallies[t];
        pass += y->pass;
        pass2 += y->pass2;
        if (y->own_pass != RATE)
            fail("thread %u: %" PRIu64 " of its own key's responses passed, want %d", t,
                 y->own_pass, RATE);
        /* The slip counter runs over both keys and phase 2 in order; over each thread's
         * whole run every second limited response slipped. */
        uint64_t lim_all = y->drop + y->slip + y->own_drop + y->own_slip + y->drop2 + y->slip2;
        uint64_t slips = y->slip + y->own_slip + y->slip2;
        if (slips != lim_all / 2)
            fail("thread %u: %" PRIu64 " of %" PRIu64 " limited responses slipped", t, slips,
                 lim_all);
        drop += y->drop + y->own_drop + y->drop2;
        slip += slips;
    }
    if (pass < RATE || pass > RATE + SLACK)
        fail("shared key: %" PRIu64 " responses passed, want %d (+ at most %d)", pass, RATE, SLACK);
    /* Phase 2 spans ITER2/1000 + 1 seconds plus the skew: at most a full bucket each. */
    uint64_t max2 = (uint64_t)RATE2 * (ITER2 / 1000 + 2) + SLACK;
    if (pass2 > max2)
        fail("phase 2: %" PRIu64 " passed, more than %" PRIu64, pass2, max2);
    if (pass2 < RATE2)
        fail("phase 2: only %" PRIu64 " passed", pass2);

    struct stats_block sum;
    stats_sum(&sum);
    if (sum.rrl_dropped != drop || sum.rrl_slipped != slip)
        fail("counters: %" PRIu64 " dropped, %" PRIu64 " slipped; want %" PRIu64 ", %" PRIu64,
             sum.rrl_dropped, sum.rrl_slipped, drop, slip);
    rrl_free(lim);
    stats_free_all();
    pthread_barrier_destroy(&start);
    pthread_barrier_destroy(&phase);
    printf("tsan_rrl: ok: %d threads, shared key %" PRIu64 " of %d passed, phase 2 %" PRIu64
           " passed, %" PRIu64 " dropped, %" PRIu64 " slipped, %" PRIuPTR " concurrent sums\n",
           THREADS, pass, THREADS * ITER, pass2, drop, slip, (uintptr_t)sums);
    return 0;
}
