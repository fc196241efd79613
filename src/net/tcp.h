#pragma once
/*
 * DNS over TCP (RFC 7766, RFC 1035 4.2.2) on a libuv loop: two-byte length framing, any
 * number of queries per connection (pipelined; answered in order), and defences against
 * clients that hold connections without using them (slowloris) or that flood them:
 *  - an idle timeout that restarts only on a complete message read or a reply fully written,
 *    so a client that drips a message a byte at a time is closed like an idle one;
 *  - a cap on open connections; when it is reached, the connection idle the longest (nothing
 *    being answered, no reply unsent) is closed to make room, and only when none is idle is
 *    the new one closed at once;
 *  - a cap per client address (IPv4-mapped IPv6 counts as IPv4);
 *  - back-pressure: a client that does not read its answers is not read from either, and
 *    the replies waiting for it are bounded.
 * Every message goes through query_process with QUERY_PROTO_TCP.
 *
 * Runs entirely on the loop's thread, which must be an RCU reader (snap_thread_online), and
 * counts into its own stats block (stats/stats.h), including the connections refused,
 * evicted and timed out; forwarded answers are delivered on the same loop, so they count
 * there too. net_tcp_set_opts must be called on that thread as well.
 */

#include <stdint.h>
#include <uv.h>

#include "net/hooks.h"
#include "zone/snap.h"

struct net_tcp;

struct net_tcp_opts {
    uint32_t idle_timeout_ms; /* also the time allowed to finish a started message */
    uint32_t max_clients;     /* the value at start also sizes the per-address table */
    uint32_t max_per_ip;      /* 0: no limit */
};

/* Serves the listening socket `fd` (ownership passes to libuv); `hooks` as for UDP. */
int net_tcp_start(uv_loop_t *loop, int fd, struct snap_slot *slot, const struct net_tcp_opts *opts,
                  const struct net_hooks *hooks, struct net_tcp **out);
/* New limits and timeout for new activity (live reload). */
void net_tcp_set_opts(struct net_tcp *t, const struct net_tcp_opts *opts);
/* Closes the listener and every connection; the loop finishes the closing. */
void net_tcp_stop(struct net_tcp *t);
