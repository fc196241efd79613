#pragma once
/*
 * NanoDNS-compatible HA config sync (../shared/reference/nanodns-compat.md section 6), the
 * sending side: pushing our config to every peer's /sync after a version advance, pulling
 * from the peer with the highest version (sync_startup_delay after start, then every
 * sync_interval), and probing peers for /cluster. Runs its own thread; the receiving side
 * (/sync) is server/api.c.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYNC_PEER_TIMEOUT_MS 5000

/* What the sync side needs to know of the running config (malloc'ed copies). */
struct sync_view {
    int64_t version;
    uint8_t *raw;
    size_t raw_len;
    char **peers;
    size_t npeers;
    char *token; /* NULL: none */
    double startup_delay, interval;
};
void sync_view_clear(struct sync_view *v);

struct sync_ops {
    void *ctx;
    /* Fills `v` with the current config. 0, or -ENOMEM. */
    int (*view)(void *ctx, struct sync_view *v);
    /* Applies a config pulled from `peer` (blocking, any thread): returns true when it was
     * applied (our version advanced), else false with the reason in msg. */
    bool (*apply)(void *ctx, const uint8_t *raw, size_t len, char *msg, size_t cap);
};

/* Result counters, for the metrics. */
struct sync_counts {
    uint64_t push_applied, push_current, push_stale, push_error;
    uint64_t pull_applied, pull_error;
};
void sync_counts_get(struct sync_counts *out);

struct sync;
int sync_start(const struct sync_ops *ops, struct sync **out);
/* Asks the thread to push the current config to the peers (coalesced). */
void sync_request_push(struct sync *s);
void sync_stop(struct sync *s);

/* Pushes `v` to every peer now (blocking, parallel): {"host:port": the peer's reply or
 * {"error": "..."}}. Any thread. */
json_t *sync_push(const struct sync_view *v);
/* GET /health of every peer: {"host:port": body + "reachable": true, or {"reachable": false,
 * "error": "..."}}. */
json_t *sync_probe(const struct sync_view *v);
