#include "server/forward.h"

#include <string.h>
#include <urcu.h>

#include "util/log.h"

#define FORWARD_LOG "nanodns.server"

static int server_forward__cached(void *ctx, const struct query_info *qi, size_t limit,
                                  uint8_t *buf, size_t cap, struct stats_block *st)
{
    struct server_forward *sf = ctx;
    if (!atomic_load_explicit(&sf->ready, memory_order_acquire) || !sf->cache ||
        !atomic_load_explicit(&sf->cache_enabled, memory_order_relaxed))
        return 0;
    struct cache_key k;
    k.name_len = (uint8_t)dns_name_copy_lower(k.name, qi->qname);
    k.type = qi->qtype;
    k.rclass = qi->qclass;
    k.do_bit = qi->edns_do;
    struct cache_client cl = {
        .id = qi->id,
        .flags = qi->flags,
        .qname = qi->qname,
        .edns = qi->edns,
        .do_bit = qi->edns_do,
        .limit = limit,
        .payload = (uint16_t)atomic_load_explicit(&sf->payload, memory_order_relaxed),
    };
    struct cache_stats cs = {0};
    int n = cache_answer(sf->cache, &k, &cl, buf, cap, &cs);
    stats_add(&st->cache_hits, cs.hits);
    stats_add(&st->cache_misses, cs.misses);
    return n;
}

static void server_forward__forward(void *ctx, struct net_pending *p)
{
    struct server_forward *sf = ctx;
    if (!atomic_load_explicit(&sf->ready, memory_order_acquire)) {
        p->deliver(p, NULL, 0); /* the first moments after start: no forwarder yet */
        return;
    }
    fwd_submit(sf->fwd, p);
}

struct net_hooks server_forward_hooks(struct server_forward *sf)
{
    return (struct net_hooks){
        .ctx = sf,
        .cached = server_forward__cached,
        .forward = server_forward__forward,
    };
}

void server_forward_prepare(struct server_forward *sf)
{
    memset(sf, 0, sizeof(*sf));
    atomic_init(&sf->ready, false);
}

int server_forward_init(struct server_forward *sf, uv_loop_t *loop, const struct conf *c)
{
    sf->cache_size = (size_t)c->server.cache_size;
    if (sf->cache_size) {
        sf->cache = cache_new(sf->cache_size);
        if (!sf->cache)
            return -1;
    }
    sf->fwd = fwd_new(loop, sf->cache);
    if (!sf->fwd) {
        cache_free(sf->cache);
        sf->cache = NULL;
        return -1;
    }
    server_forward_apply(sf, c, false);
    atomic_store_explicit(&sf->ready, true, memory_order_release);
    return 0;
}

void server_forward_apply(struct server_forward *sf, const struct conf *c, bool reload)
{
    const struct conf_server *s = &c->server;
    struct fwd_config fc = {
        .timeout_ms = (uint32_t)(s->upstream_timeout * 1000.0 + 0.5),
        .cache_ttl = (uint32_t)s->cache_ttl,
        .cache_enabled = s->cache_enabled,
        .payload = (uint16_t)s->udp_max_payload,
    };
    char list[512] = "";
    size_t pos = 0;
    for (size_t i = 0; i < s->upstream.n && fc.n < FWD_UPSTREAM_MAX; i++) {
        if (fwd_parse_upstream(s->upstream.items[i], (uint16_t)s->upstream_port, &fc.up[fc.n]))
            continue; /* conf has checked them; a bad one cannot get here */
        int k = snprintf(list + pos, sizeof(list) - pos, "%s%s", fc.n ? ", " : "",
                         s->upstream.items[i]);
        if (k > 0 && (size_t)k < sizeof(list) - pos)
            pos += (size_t)k;
        fc.n++;
    }
    if (s->upstream.n > FWD_UPSTREAM_MAX)
        log_warning(FORWARD_LOG, "only the first %d upstreams are used", FWD_UPSTREAM_MAX);
    fwd_configure(sf->fwd, &fc);
    atomic_store(&sf->cache_enabled, s->cache_enabled && sf->cache);
    atomic_store(&sf->payload, (unsigned)s->udp_max_payload);
    if (reload) {
        cache_flush(sf->cache);
        if ((size_t)s->cache_size != sf->cache_size)
            log_warning(FORWARD_LOG,
                        "server.cache_size changed: takes effect after a restart");
    }
    if (fc.n)
        log_info(FORWARD_LOG, "Forwarding to %s (timeout %.3gs) for clients in allow_recursion",
                 list, s->upstream_timeout);
    else
        log_info(FORWARD_LOG, "No upstreams: names outside our data get REFUSED");
    /* As NanoDNS logs it. */
    log_info(FORWARD_LOG, "Cache: %s  max=%zu  ttl=%llds",
             s->cache_enabled && sf->cache ? "on" : "off", sf->cache_size,
             (long long)s->cache_ttl);
}

void server_forward_metrics(const struct server_forward *sf, struct metrics_view *v)
{
    v->cache.enabled = atomic_load_explicit(&sf->cache_enabled, memory_order_relaxed);
    v->cache.size = cache_size(sf->cache);
    v->cache.max_size = sf->cache_size;
    v->cache.evictions = cache_evictions(sf->cache);
    v->cache.hits = v->q.cache_hits;
    v->cache.misses = v->q.cache_misses;

    struct fwd_stats fs;
    fwd_stats_read(sf->fwd, &fs);
    v->upstream.queries = fs.queries;
    v->upstream.failures = fs.failures;
    v->upstream.timeouts = fs.timeouts;
    v->upstream.errors = fs.errors;
    v->upstream.tcp_retries = fs.tcp_retries;
    memcpy(v->upstream.latency, fs.latency, sizeof(v->upstream.latency));
    v->upstream.latency_sum_ns = fs.latency_sum_ns;
    v->upstream.pending = fs.pending;
}

void server_forward_stop(struct server_forward *sf)
{
    fwd_stop(sf->fwd);
}

void server_forward_free(struct server_forward *sf)
{
    fwd_free(sf->fwd);
    cache_free(sf->cache);
    memset(sf, 0, sizeof(*sf));
}
