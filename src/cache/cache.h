#pragma once
/*
 * The forwarder's answer cache: upstream responses (struct cache_msg) by question and DO
 * bit, each kept min(lowest TTL, server.cache_ttl) seconds (negative answers per RFC 2308),
 * at most `max_entries` of them, the least recently used going first (CLOCK: a hit sets a
 * bit, the writer's hand skips and clears entries with the bit set).
 *
 * Concurrency (Unbound keeps the protocol beside the structure; so do we): lookups run on
 * any number of threads at once without locks, inside an RCU read-side section
 * (snap_read_begin) - the table is liburcu's lock-free hash table, keyed with SipHash under a
 * random key so that clients cannot aim collisions. Only one thread, the control thread,
 * inserts, evicts and flushes; removed entries are freed after a grace period. A hit writes
 * nothing shared but the entry's reference bit, and only when it is clear.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/msg.h"
#include "dns/name.h"

struct cache;

struct cache_key {
    uint8_t name[DNS_NAME_MAXLEN]; /* lower-cased */
    uint8_t name_len;
    bool do_bit;
    uint16_t type;
    uint16_t rclass;
};

/* Per-thread counters: the caller owns them, so a hit touches no shared counter. */
struct cache_stats {
    uint64_t hits;
    uint64_t misses;
};

struct cache *cache_new(size_t max_entries);
/* After the last reader is gone (the server has stopped its workers). */
void cache_free(struct cache *c);

/* Any thread, inside an RCU read-side section. Renders the answer for `cl` into buf and
 * returns its length, or 0 on a miss. */
int cache_answer(struct cache *c, const struct cache_key *k, const struct cache_client *cl,
                 uint8_t *buf, size_t cap, struct cache_stats *st);

/* Control thread only (it registers as an RCU reader). Returns true when the cache took m
 * (it stays valid until this thread's next store or flush); false when m may not be cached
 * (no lifetime, no room, no memory): the caller still owns it. */
bool cache_store(struct cache *c, const struct cache_key *k, struct cache_msg *m);
void cache_flush(struct cache *c);

/* Any thread (relaxed reads, so possibly a moment behind): entries held, entries evicted
 * so far (expired ones that make room do not count), and the capacity. Hits and misses are
 * counted by the callers of cache_answer, per thread. */
size_t cache_size(const struct cache *c);
uint64_t cache_evictions(const struct cache *c);
size_t cache_capacity(const struct cache *c);

/* Milliseconds of the monotonic clock, as the cache counts time. */
uint64_t cache_now_ms(void);
