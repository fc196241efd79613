/*
 * Per-thread query counters. The design is the one Knot DNS and Unbound use for their
 * statistics: each answering thread owns a block and writes it with plain (relaxed atomic)
 * stores, and a reader adds all blocks up. A reader may see one block a few increments
 * behind another, which a monitoring system does not notice; in exchange the hot path
 * shares no cache line and executes no locked instruction.
 *
 * The registry is a singly linked list under a mutex. It is written when a thread starts
 * (stats_block_new) and read by stats_sum; nothing on the hot path takes the mutex.
 */
#include "stats/stats.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"

const uint64_t stats_lat_bounds_ns[STATS_NLAT] = {
    10000,   25000,   50000,    100000,   250000,    500000,    1000000,
    2500000, 5000000, 10000000, 25000000, 100000000, 250000000, 1000000000,
};

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stats_block *stats_blocks;

_Static_assert(offsetof(struct stats_block, next) % sizeof(uint64_t) == 0,
               "the counters of a stats_block form an array of uint64_t");

enum stats_qtype stats_qtype(uint16_t qtype)
{
    switch (qtype) {
    case DNS_TYPE_A:
        return STATS_QTYPE_A;
    case DNS_TYPE_NS:
        return STATS_QTYPE_NS;
    case DNS_TYPE_CNAME:
        return STATS_QTYPE_CNAME;
    case DNS_TYPE_SOA:
        return STATS_QTYPE_SOA;
    case DNS_TYPE_PTR:
        return STATS_QTYPE_PTR;
    case DNS_TYPE_MX:
        return STATS_QTYPE_MX;
    case DNS_TYPE_TXT:
        return STATS_QTYPE_TXT;
    case DNS_TYPE_AAAA:
        return STATS_QTYPE_AAAA;
    case DNS_TYPE_SRV:
        return STATS_QTYPE_SRV;
    case DNS_TYPE_NAPTR:
        return STATS_QTYPE_NAPTR;
    case DNS_TYPE_DS:
        return STATS_QTYPE_DS;
    case DNS_TYPE_DNSKEY:
        return STATS_QTYPE_DNSKEY;
    case DNS_TYPE_SVCB:
        return STATS_QTYPE_SVCB;
    case DNS_TYPE_HTTPS:
        return STATS_QTYPE_HTTPS;
    case DNS_TYPE_CAA:
        return STATS_QTYPE_CAA;
    case DNS_TYPE_ANY:
        return STATS_QTYPE_ANY;
    default:
        return STATS_QTYPE_OTHER;
    }
}

enum stats_rcode stats_rcode(unsigned rcode)
{
    switch (rcode) {
    case DNS_RCODE_NOERROR:
        return STATS_RCODE_NOERROR;
    case DNS_RCODE_FORMERR:
        return STATS_RCODE_FORMERR;
    case DNS_RCODE_SERVFAIL:
        return STATS_RCODE_SERVFAIL;
    case DNS_RCODE_NXDOMAIN:
        return STATS_RCODE_NXDOMAIN;
    case DNS_RCODE_NOTIMP:
        return STATS_RCODE_NOTIMP;
    case DNS_RCODE_REFUSED:
        return STATS_RCODE_REFUSED;
    default:
        return STATS_RCODE_OTHER;
    }
}

const char *stats_qtype_name(enum stats_qtype t)
{
    static const char *const names[STATS_NQTYPE] = {
        [STATS_QTYPE_A] = "A",         [STATS_QTYPE_NS] = "NS",
        [STATS_QTYPE_CNAME] = "CNAME", [STATS_QTYPE_SOA] = "SOA",
        [STATS_QTYPE_PTR] = "PTR",     [STATS_QTYPE_MX] = "MX",
        [STATS_QTYPE_TXT] = "TXT",     [STATS_QTYPE_AAAA] = "AAAA",
        [STATS_QTYPE_SRV] = "SRV",     [STATS_QTYPE_NAPTR] = "NAPTR",
        [STATS_QTYPE_DS] = "DS",       [STATS_QTYPE_DNSKEY] = "DNSKEY",
        [STATS_QTYPE_SVCB] = "SVCB",   [STATS_QTYPE_HTTPS] = "HTTPS",
        [STATS_QTYPE_CAA] = "CAA",     [STATS_QTYPE_ANY] = "ANY",
        [STATS_QTYPE_OTHER] = "other",
    };
    return (unsigned)t < STATS_NQTYPE ? names[t] : "other";
}

const char *stats_rcode_name(enum stats_rcode r)
{
    static const char *const names[STATS_NRCODE] = {
        [STATS_RCODE_NOERROR] = "NOERROR",   [STATS_RCODE_FORMERR] = "FORMERR",
        [STATS_RCODE_SERVFAIL] = "SERVFAIL", [STATS_RCODE_NXDOMAIN] = "NXDOMAIN",
        [STATS_RCODE_NOTIMP] = "NOTIMP",     [STATS_RCODE_REFUSED] = "REFUSED",
        [STATS_RCODE_OTHER] = "other",
    };
    return (unsigned)r < STATS_NRCODE ? names[r] : "other";
}

const char *stats_transport_name(enum stats_transport t)
{
    return t == STATS_TCP ? "tcp" : "udp";
}

size_t stats_bucket(const uint64_t *bounds, size_t n, uint64_t v)
{
    /* Binary search for the first bound >= v (a Prometheus bucket is "le"). */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bounds[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void stats_query(struct stats_block *b, enum stats_transport t, bool has_question, uint16_t qtype)
{
    stats_inc(&b->queries[t][has_question ? stats_qtype(qtype) : STATS_QTYPE_OTHER]);
}

void stats_observe(struct stats_block *b, enum stats_transport t, unsigned rcode,
                   uint64_t latency_ns)
{
    stats_inc(&b->responses[t][stats_rcode(rcode)]);
    stats_inc(&b->latency[t][stats_bucket(stats_lat_bounds_ns, STATS_NLAT, latency_ns)]);
    stats_add(&b->latency_sum_ns[t], latency_ns);
}

struct stats_block *stats_block_new(void)
{
    struct stats_block *b = aligned_alloc(_Alignof(struct stats_block), sizeof(*b));
    if (!b)
        return NULL;
    memset(b, 0, sizeof(*b));
    pthread_mutex_lock(&stats_lock);
    b->next = stats_blocks;
    stats_blocks = b;
    pthread_mutex_unlock(&stats_lock);
    return b;
}

void stats_sum(struct stats_block *out)
{
    enum { N = offsetof(struct stats_block, next) / sizeof(uint64_t) };
    memset(out, 0, sizeof(*out));
    uint64_t *sum = (uint64_t *)out;
    pthread_mutex_lock(&stats_lock);
    for (const struct stats_block *b = stats_blocks; b; b = b->next) {
        const uint64_t *c = (const uint64_t *)b;
        for (size_t i = 0; i < N; i++)
            sum[i] += __atomic_load_n(&c[i], __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&stats_lock);
}

void stats_free_all(void)
{
    pthread_mutex_lock(&stats_lock);
    struct stats_block *b = stats_blocks;
    stats_blocks = NULL;
    pthread_mutex_unlock(&stats_lock);
    while (b) {
        struct stats_block *next = b->next;
        free(b);
        b = next;
    }
}
