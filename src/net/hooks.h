#pragma once
/*
 * What the transports ask of the control plane for names outside our data, without
 * depending on it (data plane -> control plane calls go through these pointers, set up by
 * server/): answer from the forwarder's cache inline, or hand the question over to be
 * forwarded and answered later.
 *
 * A struct net_pending is made by a transport (malloc: this is the slow path), owned by
 * the receiver of `forward`, and ends with exactly one call of its `deliver`: with the
 * answer, on the control thread, or with NULL when there is none to give (shutting down, or
 * the forwarder not up yet in the first moments after start; possibly on the calling
 * thread). deliver frees the pending.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "query/query.h"
#include "stats/stats.h"

struct net_pending {
    struct net_pending *next; /* free for the receiver's lists */
    struct query_info qi;     /* the question, the client's ID, flags and EDNS */
    size_t limit;             /* the largest answer the client takes */
    void (*deliver)(struct net_pending *p, const uint8_t *msg, size_t len);
    /* `update` only: the whole message (owned, freed by deliver), the client, the transport */
    uint8_t *msg;
    size_t msglen;
    struct sockaddr_storage peer;
    bool tcp;
};

struct net_hooks {
    void *ctx;
    /* Any thread, inside the snapshot read section: the answer from the cache for `qi`, in
     * buf; returns its length, or 0 on a miss. Counts the hit or miss in `st`, the calling
     * thread's own block. */
    int (*cached)(void *ctx, const struct query_info *qi, size_t limit, uint8_t *buf, size_t cap,
                  struct stats_block *st);
    /* Any thread: takes over `p`. */
    void (*forward)(void *ctx, struct net_pending *p);
    /* Any thread: takes over `p`, an UPDATE message (RFC 2136) with its client; NULL: UPDATE
     * is answered NOTIMP. */
    void (*update)(void *ctx, struct net_pending *p);
};
