#pragma once
/*
 * DNS over TCP (RFC 7766, RFC 1035 4.2.2) on a libuv loop: two-byte length framing, any
 * number of queries per connection (pipelined; answered in order), an idle timeout, a cap
 * on open connections, and back-pressure: a client that does not read its answers is not
 * read from either. Every message goes through query_process with QUERY_PROTO_TCP.
 *
 * Runs entirely on the loop's thread, which must be an RCU reader (snap_thread_online), and
 * counts into its own stats block (stats/stats.h); forwarded answers are delivered on the
 * same loop, so they count there too.
 */

#include <stdint.h>
#include <uv.h>

#include "net/hooks.h"
#include "zone/snap.h"

struct net_tcp;

struct net_tcp_opts {
    uint32_t idle_timeout_ms;
    uint32_t max_clients;
};

/* Serves the listening socket `fd` (ownership passes to libuv); `hooks` as for UDP. */
int net_tcp_start(uv_loop_t *loop, int fd, struct snap_slot *slot, const struct net_tcp_opts *opts,
                  const struct net_hooks *hooks, struct net_tcp **out);
/* New limits for new activity (live reload). */
void net_tcp_set_opts(struct net_tcp *t, const struct net_tcp_opts *opts);
/* Closes the listener and every connection; the loop finishes the closing. */
void net_tcp_stop(struct net_tcp *t);
