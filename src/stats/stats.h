#pragma once
/*
 * Query counters for the metrics: one `struct stats_block` per thread that answers queries
 * (each UDP worker, the TCP loop, the control thread for forwarded UDP answers), written only
 * by its thread with relaxed loads and stores (no shared atomic read-modify-write, no lock
 * and no allocation on the hot path) and summed on read by stats_sum() from any thread.
 * One exception, off the query path: the HTTP listeners (mgmt/http.c) share one block for
 * their http_* counters, which several of their threads bump with atomic adds (stats_atomic_inc).
 *
 * Memory: blocks come from stats_block_new (at thread or transport start, never per query)
 * and are registered in a list protected by a mutex, which is touched only there and by
 * stats_sum. They are never freed one by one: stats_free_all frees them all at exit, after
 * every writer and reader has stopped, so a late reader never touches freed memory.
 *
 * Label sets are bounded: query types outside the list (and messages without a readable
 * question) fold into STATS_QTYPE_OTHER, rcodes outside the list into STATS_RCODE_OTHER.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum stats_transport { STATS_UDP, STATS_TCP, STATS_NTRANSPORT };

enum stats_qtype {
    STATS_QTYPE_A,
    STATS_QTYPE_NS,
    STATS_QTYPE_CNAME,
    STATS_QTYPE_SOA,
    STATS_QTYPE_PTR,
    STATS_QTYPE_MX,
    STATS_QTYPE_TXT,
    STATS_QTYPE_AAAA,
    STATS_QTYPE_SRV,
    STATS_QTYPE_NAPTR,
    STATS_QTYPE_DS,
    STATS_QTYPE_DNSKEY,
    STATS_QTYPE_SVCB,
    STATS_QTYPE_HTTPS,
    STATS_QTYPE_CAA,
    STATS_QTYPE_ANY,
    STATS_QTYPE_OTHER,
    STATS_NQTYPE
};

enum stats_rcode {
    STATS_RCODE_NOERROR,
    STATS_RCODE_FORMERR,
    STATS_RCODE_SERVFAIL,
    STATS_RCODE_NXDOMAIN,
    STATS_RCODE_NOTIMP,
    STATS_RCODE_REFUSED,
    STATS_RCODE_OTHER,
    STATS_NRCODE
};

/* Latency histogram upper bounds in nanoseconds (10 us to 1 s), ascending; one more bucket
 * (+Inf) follows. */
#define STATS_NLAT 14
extern const uint64_t stats_lat_bounds_ns[STATS_NLAT];

/* Every field before `next` is a uint64_t counter: stats_sum adds them up as an array. */
struct stats_block {
    uint64_t queries[STATS_NTRANSPORT][STATS_NQTYPE];   /* received, by question type */
    uint64_t responses[STATS_NTRANSPORT][STATS_NRCODE]; /* sent, by rcode */
    uint64_t latency[STATS_NTRANSPORT][STATS_NLAT + 1]; /* receive to send, per bucket (not
                                                           cumulative) */
    uint64_t latency_sum_ns[STATS_NTRANSPORT];
    uint64_t dropped[STATS_NTRANSPORT]; /* received, never answered (malformed, QR=1, ...) */
    uint64_t cache_hits;                /* answered from the forwarder's cache */
    uint64_t cache_misses;
    uint64_t forwarded;       /* handed to the forwarder */
    uint64_t rrl_dropped;     /* UDP responses not sent by rate limiting (also in dropped) */
    uint64_t rrl_slipped;     /* UDP responses rate limiting sent truncated (TC=1) instead */
    uint64_t tcp_refused;     /* TCP connections closed at accept: over a connection limit */
    uint64_t tcp_evicted;     /* idle TCP connections closed to make room for a new one */
    uint64_t tcp_timeouts;    /* TCP connections closed by the idle timeout */
    uint64_t http_evicted;    /* HTTP connections closed to make room for a new one */
    uint64_t http_timeouts;   /* HTTP connections closed by the request deadline */
    struct stats_block *next; /* the registry's list */
} __attribute__((aligned(64)));

/* Counter helpers: relaxed load and store by the owning thread, so a reader on another
 * thread never sees a torn value and no bus-locked instruction is used. Only the owning
 * thread may call them on a given counter. */
static inline void stats_add(uint64_t *c, uint64_t n)
{
    __atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}
static inline void stats_inc(uint64_t *c)
{
    stats_add(c, 1);
}
static inline void stats_set(uint64_t *c, uint64_t v)
{
    __atomic_store_n(c, v, __ATOMIC_RELAXED);
}
/* For a counter several threads write (the http_* ones only): an atomic add. */
static inline void stats_atomic_inc(uint64_t *c)
{
    __atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}
static inline uint64_t stats_get(const uint64_t *c)
{
    return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* CLOCK_MONOTONIC in nanoseconds (a vDSO call, no system call). */
static inline uint64_t stats_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

enum stats_qtype stats_qtype(uint16_t qtype);
enum stats_rcode stats_rcode(unsigned rcode);
const char *stats_qtype_name(enum stats_qtype t);         /* "A", ..., "other" */
const char *stats_rcode_name(enum stats_rcode r);         /* "NOERROR", ..., "other" */
const char *stats_transport_name(enum stats_transport t); /* "udp", "tcp" */

/* The histogram bucket of `v` for `n` ascending upper bounds: the first bound >= v, or n
 * (+Inf). Any thread. */
size_t stats_bucket(const uint64_t *bounds, size_t n, uint64_t v);

/* Counts one query received over `t`: by question type, when there was one. */
void stats_query(struct stats_block *b, enum stats_transport t, bool has_question, uint16_t qtype);
/* Counts one answered query: its latency, its rcode (the 4 bits of the header). */
void stats_observe(struct stats_block *b, enum stats_transport t, unsigned rcode,
                   uint64_t latency_ns);

/* A zeroed block, registered for stats_sum (NULL when out of memory). */
struct stats_block *stats_block_new(void);
/* Sums every registered block into `out` (any thread; values may be slightly behind). */
void stats_sum(struct stats_block *out);
/* At exit, once no thread writes or reads a block any more. */
void stats_free_all(void);
