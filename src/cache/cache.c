#include "cache/cache.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <urcu.h>
#include <urcu/rculfhash.h>

#include "util/siphash.h"

struct cache_entry {
    struct cds_lfht_node node;
    struct rcu_head rcu;
    uint64_t stored_ms;
    uint64_t expires_ms;
    size_t slot;
    atomic_uchar ref;
    struct cache_key key;
    struct cache_msg *msg;
};

struct cache {
    struct cds_lfht *ht;
    uint8_t hkey[16];
    struct cache_entry **ring; /* CLOCK order; writer only */
    size_t cap;  /* fixed at cache_new */
    size_t hand; /* writer only */
    /* Written by the writer only, with relaxed atomic stores: cache_size and
     * cache_evictions read them from other threads. */
    size_t n;
    uint64_t evictions;
};

uint64_t cache_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static unsigned long cache__hash(const struct cache *c, const struct cache_key *k)
{
    uint8_t buf[DNS_NAME_MAXLEN + 5];
    memcpy(buf, k->name, k->name_len);
    buf[k->name_len] = (uint8_t)(k->type >> 8);
    buf[k->name_len + 1] = (uint8_t)k->type;
    buf[k->name_len + 2] = (uint8_t)(k->rclass >> 8);
    buf[k->name_len + 3] = (uint8_t)k->rclass;
    buf[k->name_len + 4] = k->do_bit;
    return (unsigned long)siphash24(c->hkey, buf, k->name_len + 5u);
}

static int cache__match(struct cds_lfht_node *node, const void *arg)
{
    const struct cache_entry *e = caa_container_of(node, struct cache_entry, node);
    const struct cache_key *k = arg;
    return e->key.name_len == k->name_len && e->key.type == k->type && e->key.rclass == k->rclass &&
           e->key.do_bit == k->do_bit && memcmp(e->key.name, k->name, k->name_len) == 0;
}

static void cache__free_entry(struct rcu_head *head)
{
    struct cache_entry *e = caa_container_of(head, struct cache_entry, rcu);
    cache_msg_free(e->msg);
    free(e);
}

struct cache *cache_new(size_t max_entries)
{
    struct cache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->cap = max_entries;
    if (getrandom(c->hkey, sizeof(c->hkey), 0) != (ssize_t)sizeof(c->hkey)) {
        /* No entropy source: fall back to the clock, still unknown to remote clients. */
        uint64_t t = cache_now_ms() ^ (uint64_t)(uintptr_t)c;
        memcpy(c->hkey, &t, sizeof(t));
    }
    c->ring = calloc(max_entries ? max_entries : 1, sizeof(*c->ring));
    c->ht = cds_lfht_new(1024, 1024, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
    if (!c->ring || !c->ht) {
        if (c->ht)
            cds_lfht_destroy(c->ht, NULL);
        free(c->ring);
        free(c);
        return NULL;
    }
    return c;
}

void cache_flush(struct cache *c)
{
    if (!c || !c->n)
        return;
    rcu_read_lock();
    for (size_t i = 0; i < c->n; i++)
        cds_lfht_del(c->ht, &c->ring[i]->node);
    rcu_read_unlock();
    synchronize_rcu();
    for (size_t i = 0; i < c->n; i++) {
        cache_msg_free(c->ring[i]->msg);
        free(c->ring[i]);
        c->ring[i] = NULL;
    }
    __atomic_store_n(&c->n, 0, __ATOMIC_RELAXED);
    c->hand = 0;
}

void cache_free(struct cache *c)
{
    if (!c)
        return;
    cache_flush(c);
    rcu_barrier(); /* entries replaced or evicted earlier are freed by call_rcu */
    cds_lfht_destroy(c->ht, NULL);
    free(c->ring);
    free(c);
}

int cache_answer(struct cache *c, const struct cache_key *k, const struct cache_client *cl,
                 uint8_t *buf, size_t cap, struct cache_stats *st)
{
    if (!c || !c->cap)
        return 0;
    struct cds_lfht_iter it;
    cds_lfht_lookup(c->ht, cache__hash(c, k), cache__match, k, &it);
    struct cds_lfht_node *node = cds_lfht_iter_get_node(&it);
    uint64_t now = cache_now_ms();
    if (!node) {
        st->misses++;
        return 0;
    }
    struct cache_entry *e = caa_container_of(node, struct cache_entry, node);
    if (now >= e->expires_ms) {
        st->misses++;
        return 0;
    }
    if (!atomic_load_explicit(&e->ref, memory_order_relaxed))
        atomic_store_explicit(&e->ref, 1, memory_order_relaxed);
    int len = cache_msg_render(e->msg, cl, (uint32_t)((now - e->stored_ms) / 1000u), buf, cap);
    if (len <= 0) {
        st->misses++;
        return 0;
    }
    st->hits++;
    return len;
}

/* Picks the slot for a new entry when the cache is full (CLOCK), removing its entry. */
static size_t cache__victim(struct cache *c, uint64_t now)
{
    for (;;) {
        size_t slot = c->hand;
        struct cache_entry *v = c->ring[slot];
        c->hand = (c->hand + 1) % c->cap;
        bool expired = now >= v->expires_ms;
        if (!expired && atomic_load_explicit(&v->ref, memory_order_relaxed)) {
            atomic_store_explicit(&v->ref, 0, memory_order_relaxed);
            continue;
        }
        if (!expired)
            __atomic_store_n(&c->evictions, c->evictions + 1, __ATOMIC_RELAXED);
        cds_lfht_del(c->ht, &v->node);
        call_rcu(&v->rcu, cache__free_entry);
        return slot;
    }
}

bool cache_store(struct cache *c, const struct cache_key *k, struct cache_msg *m)
{
    if (!c || !c->cap || !m->lifetime)
        return false;
    struct cache_entry *e = malloc(sizeof(*e));
    if (!e)
        return false;
    uint64_t now = cache_now_ms();
    e->stored_ms = now;
    e->expires_ms = now + (uint64_t)m->lifetime * 1000u;
    atomic_init(&e->ref, 0);
    e->key = *k;
    e->msg = m;
    cds_lfht_node_init(&e->node);

    rcu_read_lock();
    struct cds_lfht_node *old =
        cds_lfht_add_replace(c->ht, cache__hash(c, k), cache__match, k, &e->node);
    if (old) {
        struct cache_entry *oe = caa_container_of(old, struct cache_entry, node);
        e->slot = oe->slot;
        call_rcu(&oe->rcu, cache__free_entry);
    } else if (c->n < c->cap) {
        e->slot = c->n;
        __atomic_store_n(&c->n, c->n + 1, __ATOMIC_RELAXED);
    } else {
        e->slot = cache__victim(c, now);
    }
    c->ring[e->slot] = e;
    rcu_read_unlock();
    return true;
}

size_t cache_size(const struct cache *c)
{
    return c ? __atomic_load_n(&c->n, __ATOMIC_RELAXED) : 0;
}

uint64_t cache_evictions(const struct cache *c)
{
    return c ? __atomic_load_n(&c->evictions, __ATOMIC_RELAXED) : 0;
}

size_t cache_capacity(const struct cache *c)
{
    return c ? c->cap : 0;
}
