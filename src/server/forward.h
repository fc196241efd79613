#pragma once
/*
 * Wiring of the forwarder and its cache to the transports: the net_hooks they call for
 * names outside our data, and applying the config (upstreams, timeout, cache settings) at
 * start and on every reload (which also flushes the cache, as NanoDNS does).
 *
 * Threads: the hooks run on any worker; server_forward_metrics on any thread (between
 * server_forward_init and server_forward_free); everything else on the control thread.
 */

#include <stdatomic.h>
#include <uv.h>

#include "cache/cache.h"
#include "conf/conf.h"
#include "fwd/fwd.h"
#include "mgmt/metrics.h"
#include "net/hooks.h"

struct server_forward {
    /* Set (release) once cache and fwd exist: the UDP workers start before the forwarder
     * so that local answers flow sooner, and until then the hooks report a cache miss and
     * drop a question that would go upstream (the client retries). */
    atomic_bool ready;
    struct cache *cache; /* NULL when cache_size is 0 */
    struct fwd *fwd;
    atomic_bool cache_enabled;
    atomic_uint payload;
    size_t cache_size; /* fixed at start: a new size needs a restart */
};

/* Zeroes sf (not ready): its hooks may be handed to the transports from here on. */
void server_forward_prepare(struct server_forward *sf);
int server_forward_init(struct server_forward *sf, uv_loop_t *loop, const struct conf *c);
/* Applies a (new) config; returns false when a setting needs a restart (logged). */
void server_forward_apply(struct server_forward *sf, const struct conf *c, bool reload);
struct net_hooks server_forward_hooks(struct server_forward *sf);
/* Fills v->cache and v->upstream (any thread). Call it after stats_sum(&v->q): the cache's
 * hits and misses are counted by the transports and copied from v->q. */
void server_forward_metrics(const struct server_forward *sf, struct metrics_view *v);
/* In the loop, on shutdown: the forwarder lets its questions go and closes its handles. */
void server_forward_stop(struct server_forward *sf);
/* After the loop and the workers have stopped. */
void server_forward_free(struct server_forward *sf);
