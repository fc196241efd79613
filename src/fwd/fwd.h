#pragma once
/*
 * The forwarder: questions for names outside our data go to the configured upstreams, in
 * order, each tried for `timeout_ms`, over UDP and again over TCP when the reply is
 * truncated. Every upstream query has a fresh random ID and its own socket (a random source
 * port chosen by the kernel); a reply counts only when it comes from the address and port
 * it was sent to with the same ID and question. Identical questions waiting at the same
 * time go upstream once. Answers are rewritten for each client (cache/msg.h) and kept in
 * the cache.
 *
 * Threads: runs on the control thread's libuv loop; fwd_submit may be called from any
 * thread (a locked queue and a uv_async wake-up: misses are the slow path), and so may
 * fwd_stats_read. Everything else is control thread only.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "cache/cache.h"
#include "mgmt/metrics.h"
#include "net/hooks.h"

#define FWD_UPSTREAM_MAX 16

struct fwd_upstream {
    struct sockaddr_storage addr;
    socklen_t len;
    char text[64];
};

struct fwd_config {
    struct fwd_upstream up[FWD_UPSTREAM_MAX];
    size_t n;
    uint32_t timeout_ms;
    uint32_t cache_ttl;  /* cap on cached lifetimes */
    bool cache_enabled;
    uint16_t payload;    /* our EDNS buffer size, towards upstreams and clients */
};

/* Counters: written by the control thread with relaxed stores (stats_add), read from any
 * thread through fwd_stats_read. */
struct fwd_stats {
    uint64_t queries;      /* attempts sent upstream, UDP and TCP */
    uint64_t failures;     /* questions answered SERVFAIL because every upstream failed */
    uint64_t timeouts;     /* attempts that got no answer in time */
    uint64_t errors;       /* attempts that failed otherwise: network error, bad RCODE or
                              reply, no socket */
    uint64_t tcp_retries;  /* truncated UDP replies asked again over TCP */
    uint64_t deduplicated; /* clients that joined a question already upstream */
    uint64_t latency[METRICS_NUPLAT + 1]; /* per answered attempt, from sending (connecting,
                                             for TCP) to the reply; bucket counts over
                                             metrics_upstream_bounds_ns, not cumulative */
    uint64_t latency_sum_ns;
    uint64_t pending; /* questions upstream now (gauge) */
};

struct fwd;

struct fwd *fwd_new(uv_loop_t *loop, struct cache *cache);
void fwd_configure(struct fwd *f, const struct fwd_config *cfg);
/* Any thread. */
void fwd_submit(struct fwd *f, struct net_pending *p);
/* Control thread: gives up every question (their clients get nothing) and closes the
 * handles; fwd_free once the loop has run them down. */
void fwd_stop(struct fwd *f);
void fwd_free(struct fwd *f);
/* Any thread, until fwd_free: a copy of the counters. */
void fwd_stats_read(const struct fwd *f, struct fwd_stats *out);

/* "ip", "ip:port", "[v6]:port", "[v6]" or a bare IPv6 address. Returns 0 or ERR_SYNTAX. */
int fwd_parse_upstream(const char *text, uint16_t default_port, struct fwd_upstream *out);
