#pragma once
/*
 * Wiring of the forwarder and its cache to the transports: the net_hooks they call for
 * names outside our data, and applying the config (upstreams, timeout, cache settings) at
 * start and on every reload (which also flushes the cache, as NanoDNS does).
 *
 * Threads: the hooks run on any worker; everything else on the control thread.
 */

#include <stdatomic.h>
#include <uv.h>

#include "cache/cache.h"
#include "conf/conf.h"
#include "fwd/fwd.h"
#include "net/hooks.h"

struct server_forward {
    struct cache *cache; /* NULL when cache_size is 0 */
    struct fwd *fwd;
    atomic_bool cache_enabled;
    atomic_uint payload;
    size_t cache_size; /* fixed at start: a new size needs a restart */
};

int server_forward_init(struct server_forward *sf, uv_loop_t *loop, const struct conf *c);
/* Applies a (new) config; returns false when a setting needs a restart (logged). */
void server_forward_apply(struct server_forward *sf, const struct conf *c, bool reload);
struct net_hooks server_forward_hooks(struct server_forward *sf);
/* In the loop, on shutdown: the forwarder lets its questions go and closes its handles. */
void server_forward_stop(struct server_forward *sf);
/* After the loop and the workers have stopped. */
void server_forward_free(struct server_forward *sf);
