#pragma once
/*
 * The management HTTP server (libmicrohttpd, a thread per connection so that a slow
 * /reload or /cluster never holds up a /health probe): routing, methods (404 and 405 with
 * JSON bodies), request bodies up to MGMT_MAX_BODY, and Bearer authentication of POST
 * requests and of GET /config/raw (the file holds the token) when a token is set (compared in
 * constant time). What each endpoint answers is up to the `mgmt_ops` (server/api.c); this file only
 * speaks HTTP.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define MGMT_MAX_BODY (64u << 20)

struct mgmt_resp {
    unsigned status;
    char *body; /* malloc'ed */
    size_t len;
    const char *ctype; /* NULL: application/json */
};

struct mgmt_ops {
    void *ctx;
    void (*health)(void *ctx, struct mgmt_resp *r);
    void (*ready)(void *ctx, struct mgmt_resp *r);
    void (*metrics)(void *ctx, bool prometheus, struct mgmt_resp *r);
    void (*cluster)(void *ctx, struct mgmt_resp *r);
    void (*config_raw)(void *ctx, struct mgmt_resp *r);
    void (*reload)(void *ctx, struct mgmt_resp *r);
    void (*sync)(void *ctx, const uint8_t *body, size_t len, struct mgmt_resp *r);
    /* The current token (malloc'ed copy), or NULL when POST requests are open. */
    char *(*token)(void *ctx);
};

struct mgmt;

/* Connection limits of a listener (server.http_max_clients, http_max_per_ip, http_timeout).
 * Past max_per_ip a new connection is closed at once. Past max_clients the oldest connection
 * not being answered is closed to make room (or the newcomer, when all are being answered).
 * A connection that has not delivered a whole request within timeout_s of its start or of
 * its previous answer is closed, however many bytes it keeps sending (slowloris). Counted in
 * the stats counters http_evicted and http_timeouts (a block of their own, freed by
 * stats_free_all: call that only after mgmt_stop). */
struct mgmt_limits {
    unsigned max_clients;
    unsigned max_per_ip; /* 0: no limit */
    unsigned timeout_s;
};

/* Listens on `sa` (port 0: the kernel picks one); the bound address is in *bound. */
int mgmt_start(const struct sockaddr *sa, socklen_t salen, const struct mgmt_ops *ops,
               const struct mgmt_limits *limits, struct mgmt **out, struct sockaddr_storage *bound,
               char *err, size_t errcap);
void mgmt_stop(struct mgmt *m);

/* The update listener (update/, ../shared/reference/dyndns-compat.md): GET or POST
 * /api/update and /nic/update go to `fn` (on a connection thread; `fn` fills the response);
 * any other path is 404 and any other method 501, both with the body "error". With
 * `tls_cert` and `tls_key` (PEM text, copied) it speaks HTTPS only. */
struct mgmt_update_req {
    bool nic; /* /nic/update (dyndns2) rather than /api/update */
    /* query parameters, percent-decoded; NULL: absent */
    const char *hostname, *token, *ipv4, *ipv6, *myip;
    const char *user, *password; /* HTTP Basic credentials, or NULL */
    struct sockaddr_storage peer;
};
typedef void (*mgmt_update_fn)(void *ctx, const struct mgmt_update_req *q, struct mgmt_resp *r);
int mgmt_start_update(const struct sockaddr *sa, socklen_t salen, mgmt_update_fn fn, void *ctx,
                      const char *tls_cert, const char *tls_key, const struct mgmt_limits *limits,
                      struct mgmt **out, struct sockaddr_storage *bound, char *err, size_t errcap);

/* A JSON error body {"error": text} with `status`. */
void mgmt_error(struct mgmt_resp *r, unsigned status, const char *text);
/* Wants the client the Prometheus text format? (?format=prometheus, or an Accept header
 * naming text/plain or application/openmetrics-text) */
bool mgmt_wants_prometheus(const char *accept, const char *format);
