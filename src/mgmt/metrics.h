#pragma once
/*
 * GET /metrics: the NanoDNS JSON body (../shared/reference/nanodns-compat.md section 5)
 * extended with our counters, and the Prometheus text exposition format (version 0.0.4).
 * The caller gathers a `struct metrics_view` (server/: stats_sum into v->q, then
 * server_forward_metrics for v->cache and v->upstream, then the rest); these functions only
 * render it. Any thread; they allocate the text they return (the caller frees it).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats/stats.h"

/* Upstream latency histogram upper bounds in nanoseconds (1 ms to 5 s), ascending; one more
 * bucket (+Inf) follows. */
#define METRICS_NUPLAT 12
extern const uint64_t metrics_upstream_bounds_ns[METRICS_NUPLAT];

enum metrics_upd_src { METRICS_UPD_HTTP, METRICS_UPD_DYNDNS2, METRICS_UPD_RFC2136 };
enum metrics_upd_res { METRICS_UPD_APPLIED, METRICS_UPD_REJECTED, METRICS_UPD_FAILED };

struct metrics_view {
    double uptime_s;
    int64_t version;      /* server.config_version */
    const char *checksum; /* 16 hex digits (NULL: "") */
    uint64_t records, zones;
    const char *build_version; /* NANODNS_VERSION (NULL: "") */

    struct stats_block q; /* summed over every thread (stats_sum) */

    struct {
        bool enabled;
        uint64_t size, max_size, hits, misses, evictions;
    } cache;

    struct {
        uint64_t queries;     /* attempts sent upstream (UDP and TCP) */
        uint64_t failures;    /* questions answered SERVFAIL: every upstream failed */
        uint64_t timeouts;    /* attempts that timed out */
        uint64_t errors;      /* attempts that failed otherwise (network, bad RCODE/reply) */
        uint64_t tcp_retries; /* truncated UDP replies asked again over TCP */
        uint64_t latency[METRICS_NUPLAT + 1]; /* per answered attempt; per bucket, not
                                                 cumulative */
        uint64_t latency_sum_ns;
        uint64_t pending; /* questions waiting now (gauge) */
    } upstream;

    struct {
        uint64_t ok, failed;
        double last_success_unix; /* 0: never */
    } reloads;

    /* peer sync results: pushes we sent and what the peer answered, pulls we made, and
     * /sync requests we received, by result */
    /* dynamic updates by front end (METRICS_UPD_*: HTTP /api/update, dyndns2 /nic/update,
     * RFC 2136) and result: applied (committed, changed or not), rejected (the client's
     * fault: authentication, ACL, prerequisites, bad input, rate limit), failed (ours: the
     * store or the rebuild; SERVFAIL or 500) */
    struct {
        uint64_t n[3][3];
    } updates;

    struct {
        uint64_t push_applied, push_current, push_stale, push_error;
        uint64_t pull_applied, pull_error;
        uint64_t recv_applied, recv_current, recv_stale, recv_invalid;
    } sync;
};

/* Both return 0 and a malloc'ed NUL-terminated text in *out (length in *len), or -ENOMEM.
 * JSON: 2-space indent, keys in a fixed order (NanoDNS's first). Prometheus: every series
 * of a bounded label set is always present, so none appears or disappears. */
int metrics_render_json(const struct metrics_view *v, char **out, size_t *len);
int metrics_render_prometheus(const struct metrics_view *v, char **out, size_t *len);
