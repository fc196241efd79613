/*
 * The HTTP listeners (management API and update listener) on libmicrohttpd, loaded with
 * dlopen when the first client connects. libmicrohttpd runs a thread per connection here,
 * plus its own accepting thread, so the connection callbacks below run on the accepting
 * thread and the request handlers on the connection threads.
 *
 * Slowloris defence. libmicrohttpd's connection timeout counts from the last byte received,
 * so a client that drips a header byte every few seconds is never timed out, and at its
 * connection limit it refuses newcomers instead of making room. Two rules of our own fix
 * that, driven by libmicrohttpd's connection notifications:
 *
 * - Request deadline. Each connection keeps the time its current request began: when the
 *   connection opened, or when the previous answer was sent (mgmt_done). A connection that
 *   has not delivered a whole request (headers and body) within http_timeout of that
 *   moment is closed, however many bytes it keeps sending; an idle keep-alive connection
 *   goes the same way. The check runs in a sweeper thread that sleeps until the earliest
 *   deadline (never later: a deadline set after it went to sleep is at least http_timeout
 *   away) and at every new connection. libmicrohttpd's own timeout is set a second longer
 *   and remains as the backstop while a request is answered (a client that stops reading
 *   its answer), so the deadline, not the race between two timers, decides the others.
 * - Eviction. libmicrohttpd's connection limit is set a little above http_max_clients so
 *   that a newcomer is accepted; we then enforce http_max_clients ourselves: over it, the
 *   oldest connection that is not being answered (idle keep-alive, or still sending its
 *   request; "oldest" by the start of its current request, so the one closest to its
 *   deadline) is closed to make room. When every other connection is being answered, the
 *   newcomer is closed instead. A connection is "being answered" from the handler call
 *   that finds its request complete (or answers it early, e.g. 404) until libmicrohttpd
 *   reports the answer sent (mgmt_done); nothing here suspends connections. The per-address
 *   limit stays libmicrohttpd's.
 *
 * Closing means shutdown(fd, SHUT_RDWR), never close(): the connection's thread then sees the
 * end of the stream and libmicrohttpd tears the connection down itself (with TLS too). The
 * fd stays valid until then: libmicrohttpd reports NOTIFY_CLOSED, where we forget the
 * connection under the lock, before it closes the socket, so we never touch a reused fd.
 *
 * Locking: one mutex per listener guards its connection list, taken by the accepting thread
 * (notifications), the connection threads (handler, mgmt_done) and the sweeper, only for a
 * few list operations. The list is kept in order of request start: a connection moves to
 * the tail when its request starts, so the first idle one is both the eviction candidate and
 * the earliest deadline. Counters http_evicted and http_timeouts go into one stats block the
 * listeners share (stats_atomic_inc).
 */
#include "mgmt/http.h"

#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "net/addr.h"
#include "stats/stats.h"
#include "util/dl.h"
#include "util/log.h"

/* libmicrohttpd, loaded when the API is first started (util/dl.h). */
static struct {
    __typeof__(MHD_add_response_header) *add_response_header;
    __typeof__(MHD_basic_auth_get_username_password) *basic_auth;
    __typeof__(MHD_free) *free;
    __typeof__(MHD_get_connection_info) *get_connection_info;
    __typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
    __typeof__(MHD_destroy_response) *destroy_response;
    __typeof__(MHD_get_daemon_info) *get_daemon_info;
    __typeof__(MHD_lookup_connection_value) *lookup_connection_value;
    __typeof__(MHD_queue_response) *queue_response;
    __typeof__(MHD_start_daemon) *start_daemon;
    __typeof__(MHD_stop_daemon) *stop_daemon;
} lm;

static const struct dl_sym lm_syms[] = {
    {"MHD_add_response_header", (void **)&lm.add_response_header},
    {"MHD_basic_auth_get_username_password", (void **)&lm.basic_auth},
    {"MHD_free", (void **)&lm.free},
    {"MHD_get_connection_info", (void **)&lm.get_connection_info},
    {"MHD_create_response_from_buffer", (void **)&lm.create_response_from_buffer},
    {"MHD_destroy_response", (void **)&lm.destroy_response},
    {"MHD_get_daemon_info", (void **)&lm.get_daemon_info},
    {"MHD_lookup_connection_value", (void **)&lm.lookup_connection_value},
    {"MHD_queue_response", (void **)&lm.queue_response},
    {"MHD_start_daemon", (void **)&lm.start_daemon},
    {"MHD_stop_daemon", (void **)&lm.stop_daemon},
};

static struct dl_lib lm_lib = {
    .soname = "libmicrohttpd.so.12",
    .package = "libmicrohttpd12",
    .syms = lm_syms,
    .nsyms = sizeof(lm_syms) / sizeof(lm_syms[0]),
};

/* The listening socket is ours from the start; libmicrohttpd is loaded and started on it
 * when the first connection waits (a thread blocked in poll until then), so a server whose
 * API nobody calls never maps it and GnuTLS. */
struct mgmt {
    struct MHD_Daemon *d;
    struct mgmt_ops ops;
    /* the update listener (mgmt_start_update) instead of the API */
    mgmt_update_fn update;
    void *update_ctx;
    char *tls_cert, *tls_key; /* PEM; NULL: plain HTTP */
    int lfd;    /* listening socket, until libmicrohttpd owns it */
    int wakefd; /* eventfd: stop waiting */
    int family;
    struct mgmt_limits limits;
    pthread_t waiter;
    bool waiting; /* the waiter thread runs (joined by mgmt_stop) */

    /* The open connections (the design note above), under `lock`. */
    pthread_mutex_t lock;
    pthread_cond_t wake; /* the sweeper: stop */
    struct mgmt_conn *head, *tail;
    unsigned live; /* connections in the list not yet shut down by us */
    bool stopping; /* the sweeper: stop */
    pthread_t sweeper;
    bool sweeping; /* the sweeper thread runs (joined by mgmt_stop) */
};

/* One open connection: libmicrohttpd's socket context, freed at NOTIFY_CLOSED. */
struct mgmt_conn {
    struct mgmt_conn *prev, *next;
    int fd;
    uint64_t since_ms; /* CLOCK_MONOTONIC: the start of the current request */
    bool answering;    /* the request is complete and being answered */
    bool closing;      /* shut down by us, waiting for NOTIFY_CLOSED */
};

/* Per request: the body read so far. */
struct mgmt_req {
    uint8_t *buf;
    size_t len, cap;
    bool too_big;
};

/* The HTTP counters of every listener: one stats block, allocated once, summed by stats_sum
 * with the others and freed by stats_free_all at exit (after mgmt_stop). NULL when out of
 * memory: nothing is counted then. */
static struct stats_block *mgmt_stats;
static pthread_once_t mgmt_stats_once = PTHREAD_ONCE_INIT;

static void mgmt_stats_init(void)
{
    mgmt_stats = stats_block_new();
}

static uint64_t mgmt_now_ms(void)
{
    return stats_now_ns() / 1000000u;
}

static void mgmt_conn_unlink(struct mgmt *m, struct mgmt_conn *k)
{
    *(k->prev ? &k->prev->next : &m->head) = k->next;
    *(k->next ? &k->next->prev : &m->tail) = k->prev;
    k->prev = k->next = NULL;
}

/* Appends at the tail, as the connection whose request started last. */
static void mgmt_conn_append(struct mgmt *m, struct mgmt_conn *k)
{
    k->prev = m->tail;
    k->next = NULL;
    *(m->tail ? &m->tail->next : &m->head) = k;
    m->tail = k;
}

/* Under m->lock. libmicrohttpd sees the end of the stream on the connection's thread and
 * closes it there; the entry stays until NOTIFY_CLOSED, no longer counted. */
static void mgmt_conn_close(struct mgmt *m, struct mgmt_conn *k)
{
    shutdown(k->fd, SHUT_RDWR);
    k->closing = true;
    m->live--;
}

/* Under m->lock: closes the connections past their request deadline and returns when the
 * next one falls due (at the latest now + timeout: the deadline of one not yet open). Idle
 * connections are in order of request start, so the first one still in time ends the walk. */
static uint64_t mgmt_sweep(struct mgmt *m, uint64_t now)
{
    uint64_t timeout = (uint64_t)m->limits.timeout_s * 1000u;
    for (struct mgmt_conn *k = m->head, *next; k; k = next) {
        next = k->next;
        if (k->answering || k->closing)
            continue;
        if (now - k->since_ms < timeout)
            return k->since_ms + timeout;
        mgmt_conn_close(m, k);
        if (mgmt_stats)
            stats_atomic_inc(&mgmt_stats->http_timeouts);
    }
    return now + timeout;
}

/* Under m->lock, with `k` just opened: over max_clients, closes the oldest connection not
 * being answered, or `k` itself when every other one is being answered. */
static void mgmt_make_room(struct mgmt *m, struct mgmt_conn *k)
{
    while (m->live > m->limits.max_clients) {
        struct mgmt_conn *v = m->head;
        while (v && (v == k || v->answering || v->closing))
            v = v->next;
        if (!v) {
            mgmt_conn_close(m, k);
            return;
        }
        mgmt_conn_close(m, v);
        if (mgmt_stats)
            stats_atomic_inc(&mgmt_stats->http_evicted);
    }
}

/* MHD_OPTION_NOTIFY_CONNECTION, on libmicrohttpd's accepting thread. */
static void mgmt_notify(void *cls, struct MHD_Connection *c, void **ctx,
                        enum MHD_ConnectionNotificationCode code)
{
    struct mgmt *m = cls;
    struct mgmt_conn *k = *ctx;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        if (!k)
            return;
        pthread_mutex_lock(&m->lock);
        mgmt_conn_unlink(m, k);
        if (!k->closing)
            m->live--;
        pthread_mutex_unlock(&m->lock);
        free(k);
        *ctx = NULL;
        return;
    }
    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    const union MHD_ConnectionInfo *ci =
        lm.get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return; /* not expected; libmicrohttpd's own limits still hold it */
    k = calloc(1, sizeof(*k));
    if (!k) {
        /* Untracked, it would escape the deadline and the limit: refuse it. */
        shutdown(ci->connect_fd, SHUT_RDWR);
        return;
    }
    k->fd = ci->connect_fd;
    pthread_mutex_lock(&m->lock);
    uint64_t now = mgmt_now_ms();
    mgmt_sweep(m, now); /* expired connections make room before anyone is evicted */
    k->since_ms = now;
    mgmt_conn_append(m, k);
    m->live++;
    mgmt_make_room(m, k);
    pthread_mutex_unlock(&m->lock);
    *ctx = k;
}

static struct mgmt_conn *mgmt_conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        lm.get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* The request on `c` is complete, or answered before it is: from now until mgmt_done the
 * connection is neither evicted nor held to the deadline (a slow /reload is not the
 * client's fault). On the connection's thread. */
static void mgmt_conn_answering(struct mgmt *m, struct MHD_Connection *c)
{
    struct mgmt_conn *k = mgmt_conn_of(c);
    if (!k)
        return;
    pthread_mutex_lock(&m->lock);
    k->answering = true;
    pthread_mutex_unlock(&m->lock);
}

/* The sweeper thread: sleeps until the earliest deadline, closes what is due. */
static void *mgmt_sweep_main(void *arg)
{
    struct mgmt *m = arg;
    pthread_mutex_lock(&m->lock);
    while (!m->stopping) {
        uint64_t at = mgmt_sweep(m, mgmt_now_ms());
        struct timespec ts = {.tv_sec = (time_t)(at / 1000u),
                              .tv_nsec = (long)(at % 1000u) * 1000000L};
        pthread_cond_timedwait(&m->wake, &m->lock, &ts);
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

static int mgmt_sweeper_start(struct mgmt *m)
{
    m->stopping = false;
    int r = pthread_create(&m->sweeper, NULL, mgmt_sweep_main, m);
    if (r)
        return -r;
    pthread_setname_np(m->sweeper, m->update ? "nanodns-upd-dl" : "nanodns-http-dl");
    m->sweeping = true;
    return 0;
}

static void mgmt_sweeper_stop(struct mgmt *m)
{
    if (!m->sweeping)
        return;
    pthread_mutex_lock(&m->lock);
    m->stopping = true;
    pthread_cond_signal(&m->wake);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->sweeper, NULL);
    m->sweeping = false;
}

enum mgmt_route { R_HEALTH, R_READY, R_METRICS, R_CLUSTER, R_RAW, R_RELOAD, R_SYNC, R_NONE };

static const struct {
    const char *path;
    bool post;
} mgmt_routes[] = {
    [R_HEALTH] = {"/health", false}, [R_READY] = {"/ready", false},
    [R_METRICS] = {"/metrics", false}, [R_CLUSTER] = {"/cluster", false},
    [R_RAW] = {"/config/raw", false},  [R_RELOAD] = {"/reload", true},
    [R_SYNC] = {"/sync", true},
};

void mgmt_error(struct mgmt_resp *r, unsigned status, const char *text)
{
    json_t *o = json_pack("{s:s}", "error", text);
    r->status = status;
    r->body = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
    r->len = r->body ? strlen(r->body) : 0;
    r->ctype = NULL;
    json_decref(o);
}

bool mgmt_wants_prometheus(const char *accept, const char *format)
{
    if (format)
        return strcasecmp(format, "prometheus") == 0 || strcasecmp(format, "openmetrics") == 0 ||
               strcasecmp(format, "text") == 0;
    if (!accept)
        return false;
    return strcasestr(accept, "text/plain") || strcasestr(accept, "application/openmetrics-text");
}

static enum MHD_Result mgmt_send(struct mgmt *m, struct MHD_Connection *c, struct mgmt_resp *r,
                                 const char *allow, bool auth)
{
    mgmt_conn_answering(m, c);
    if (!r->body && r->status != 204)
        mgmt_error(r, 500, "out of memory");
    struct MHD_Response *resp = lm.create_response_from_buffer(
        r->len, r->body ? r->body : (char *)"", r->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        free(r->body);
        return MHD_NO;
    }
    lm.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            r->ctype ? r->ctype : "application/json");
    lm.add_response_header(resp, "Cache-Control", "no-store");
    if (allow)
        lm.add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    if (auth)
        lm.add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    enum MHD_Result ret = lm.queue_response(c, r->status, resp);
    lm.destroy_response(resp);
    return ret;
}

/* Constant-time: both sides are hashed first, so neither length nor content leaks. */
static bool mgmt_token_ok(const char *header, const char *token)
{
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return false;
    const char *got = header + 7;
    while (*got == ' ')
        got++;
    uint8_t a[SHA256_DIGEST_SIZE], b[SHA256_DIGEST_SIZE];
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(got), (const uint8_t *)got);
    sha256_digest(&ctx, sizeof(a), a);
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(token), (const uint8_t *)token);
    sha256_digest(&ctx, sizeof(b), b);
    return memeql_sec(a, b, sizeof(a)) != 0;
}

static enum mgmt_route mgmt_route_of(const char *url)
{
    for (int i = 0; i < R_NONE; i++)
        if (strcmp(url, mgmt_routes[i].path) == 0)
            return (enum mgmt_route)i;
    /* a trailing slash is the same path */
    size_t n = strlen(url);
    if (n > 1 && url[n - 1] == '/')
        for (int i = 0; i < R_NONE; i++)
            if (strlen(mgmt_routes[i].path) == n - 1 &&
                strncmp(url, mgmt_routes[i].path, n - 1) == 0)
                return (enum mgmt_route)i;
    return R_NONE;
}

static enum MHD_Result mgmt_handler(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *method, const char *version,
                                    const char *upload_data, size_t *upload_size, void **state)
{
    (void)version;
    struct mgmt *m = cls;
    struct mgmt_resp r = {0};
    enum mgmt_route route = mgmt_route_of(url);
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool post = strcmp(method, "POST") == 0;

    if (!*state) {
        /* First call: the headers are here, the body is not. */
        if (route == R_NONE) {
            char msg[300];
            snprintf(msg, sizeof(msg), "unknown path: %.256s", url);
            mgmt_error(&r, 404, msg);
            return mgmt_send(m, c, &r, NULL, false);
        }
        bool want_post = mgmt_routes[route].post;
        if ((want_post && !post) || (!want_post && !get)) {
            char msg[200];
            snprintf(msg, sizeof(msg), "method %.16s not allowed on %s", method,
                     mgmt_routes[route].path);
            mgmt_error(&r, 405, msg);
            return mgmt_send(m, c, &r, want_post ? "POST" : "GET, HEAD", false);
        }
        /* POST changes the config; /config/raw holds the token itself. */
        if (post || route == R_RAW) {
            char *token = m->ops.token(m->ops.ctx);
            bool ok = !token || mgmt_token_ok(lm.lookup_connection_value(
                                                  c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
                                              token);
            free(token);
            if (!ok) {
                mgmt_error(&r, 401, "missing or wrong bearer token");
                return mgmt_send(m, c, &r, NULL, true);
            }
            const char *cl = lm.lookup_connection_value(c, MHD_HEADER_KIND,
                                                         MHD_HTTP_HEADER_CONTENT_LENGTH);
            if (cl && strtoull(cl, NULL, 10) > MGMT_MAX_BODY) {
                mgmt_error(&r, 413, "request body too large");
                return mgmt_send(m, c, &r, NULL, false);
            }
        }
        struct mgmt_req *q = calloc(1, sizeof(*q));
        if (!q)
            return MHD_NO;
        *state = q;
        return MHD_YES;
    }

    struct mgmt_req *q = *state;
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (q->too_big || q->len + n > MGMT_MAX_BODY) {
            q->too_big = true;
            return MHD_YES;
        }
        if (q->len + n > q->cap) {
            size_t cap = q->cap ? q->cap : 4096;
            while (cap < q->len + n)
                cap *= 2;
            uint8_t *b = realloc(q->buf, cap);
            if (!b)
                return MHD_NO;
            q->buf = b;
            q->cap = cap;
        }
        memcpy(q->buf + q->len, upload_data, n);
        q->len += n;
        return MHD_YES;
    }

    /* The whole request is here. */
    mgmt_conn_answering(m, c);
    if (q->too_big) {
        mgmt_error(&r, 413, "request body too large");
        return mgmt_send(m, c, &r, NULL, false);
    }
    switch (route) {
    case R_HEALTH:
        m->ops.health(m->ops.ctx, &r);
        break;
    case R_READY:
        m->ops.ready(m->ops.ctx, &r);
        break;
    case R_METRICS: {
        const char *accept =
            lm.lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
        const char *format = lm.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
        m->ops.metrics(m->ops.ctx, mgmt_wants_prometheus(accept, format), &r);
        break;
    }
    case R_CLUSTER:
        m->ops.cluster(m->ops.ctx, &r);
        break;
    case R_RAW:
        m->ops.config_raw(m->ops.ctx, &r);
        break;
    case R_RELOAD:
        m->ops.reload(m->ops.ctx, &r);
        break;
    case R_SYNC:
        if (!q->len)
            mgmt_error(&r, 400, "empty body");
        else
            m->ops.sync(m->ops.ctx, q->buf, q->len, &r);
        break;
    case R_NONE:
        break;
    }
    return mgmt_send(m, c, &r, NULL, false);
}

/* The update listener: GET or POST /api/update and /nic/update, parameters from the query
 * string (libmicrohttpd percent-decodes them), plain-text replies; a request body is read
 * and ignored. Everything else: 404 or 501 with "error", as nanodnsd answers. */
static enum MHD_Result mgmt_update_handler(void *cls, struct MHD_Connection *c, const char *url,
                                           const char *method, const char *version,
                                           const char *upload_data, size_t *upload_size,
                                           void **state)
{
    (void)version, (void)upload_data;
    struct mgmt *m = cls;
    struct mgmt_resp r = {0};
    if (!*state) {
        if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0) {
            r.status = 501;
        } else if (strcmp(url, "/api/update") != 0 && strcmp(url, "/nic/update") != 0) {
            r.status = 404;
        } else {
            struct mgmt_req *q = calloc(1, sizeof(*q));
            if (!q)
                return MHD_NO;
            *state = q;
            return MHD_YES;
        }
        r.body = strdup("error");
        r.len = r.body ? 5 : 0;
        r.ctype = "text/plain; charset=utf-8";
        return mgmt_send(m, c, &r, NULL, false);
    }
    if (*upload_size) {
        *upload_size = 0; /* parameters come from the query string only */
        return MHD_YES;
    }
    mgmt_conn_answering(m, c); /* the whole request is here */
    struct mgmt_update_req q = {.nic = strcmp(url, "/nic/update") == 0};
    q.hostname = lm.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "hostname");
    q.token = lm.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    q.ipv4 = lm.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ipv4");
    q.ipv6 = lm.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "ipv6");
    q.myip = lm.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "myip");
    const union MHD_ConnectionInfo *ci =
        lm.get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        size_t n = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                           : sizeof(struct sockaddr_in);
        memcpy(&q.peer, ci->client_addr, n);
    }
    char *password = NULL;
    char *user = lm.basic_auth(c, &password);
    q.user = user;
    q.password = password;
    m->update(m->update_ctx, &q, &r);
    if (user)
        lm.free(user);
    if (password)
        lm.free(password);
    if (!r.ctype)
        r.ctype = "text/plain; charset=utf-8";
    return mgmt_send(m, c, &r, NULL, false);
}

/* MHD_OPTION_NOTIFY_COMPLETED: the answer is sent (or the request abandoned), on the
 * connection's thread. The next request on the connection starts now. */
static void mgmt_done(void *cls, struct MHD_Connection *c, void **state,
                      enum MHD_RequestTerminationCode code)
{
    (void)code;
    struct mgmt *m = cls;
    struct mgmt_req *q = *state;
    if (q) {
        free(q->buf);
        free(q);
        *state = NULL;
    }
    struct mgmt_conn *k = mgmt_conn_of(c);
    if (k) {
        pthread_mutex_lock(&m->lock);
        k->answering = false;
        k->since_ms = mgmt_now_ms();
        mgmt_conn_unlink(m, k);
        mgmt_conn_append(m, k);
        pthread_mutex_unlock(&m->lock);
    }
}

/* Starts libmicrohttpd on the listening socket (which it then owns), and the sweeper. */
static int mgmt_start_daemon(struct mgmt *m, char *err, size_t errcap)
{
    if (dl_load(&lm_lib)) {
        snprintf(err, errcap, "%s", lm_lib.error);
        return -1;
    }
    pthread_once(&mgmt_stats_once, mgmt_stats_init);
    int r = mgmt_sweeper_start(m);
    if (r) {
        snprintf(err, errcap, "%s", strerror(-r));
        return -1;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL;
    if (m->family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (m->tls_cert)
        flags |= MHD_USE_TLS;
    errno = 0;
    MHD_AccessHandlerCallback handler = m->update ? mgmt_update_handler : mgmt_handler;
    /* The limits are the same for both listeners; libmicrohttpd takes them as unsigned int
     * (0 per address: no limit). Its connection limit leaves room above max_clients for a
     * newcomer to be accepted and evict (mgmt_make_room) and for evicted connections not yet
     * cleaned up; it also bounds the threads. Its timeout is the backstop a second after our
     * request deadline (the design note at the top). */
    unsigned max = m->limits.max_clients, per_ip = m->limits.max_per_ip;
    unsigned mhd_max = max + max / 4 + 4;
    unsigned timeout = m->limits.timeout_s + 1;
    /* Without TLS the option list ends at the first MHD_OPTION_END; the rest is ignored. */
    m->d = lm.start_daemon(
        flags, 0, NULL, NULL, handler, m, MHD_OPTION_LISTEN_SOCKET, m->lfd,
        MHD_OPTION_NOTIFY_COMPLETED, mgmt_done, m, MHD_OPTION_NOTIFY_CONNECTION, mgmt_notify, m,
        MHD_OPTION_CONNECTION_LIMIT, mhd_max, MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)64 * 1024, m->tls_cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, m->tls_key,
        MHD_OPTION_HTTPS_MEM_CERT, m->tls_cert, MHD_OPTION_END);
    if (!m->d) {
        snprintf(err, errcap, "%s", errno ? strerror(errno) : "cannot start the HTTP server");
        mgmt_sweeper_stop(m);
        return -1;
    }
    m->lfd = -1;
    return 0;
}

static void *mgmt_wait_main(void *arg)
{
    struct mgmt *m = arg;
    struct pollfd p[2] = {{.fd = m->lfd, .events = POLLIN}, {.fd = m->wakefd, .events = POLLIN}};
    for (;;) {
        int r = poll(p, 2, -1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 || p[1].revents)
            return NULL; /* stopping */
        if (p[0].revents)
            break;
    }
    char err[300];
    if (mgmt_start_daemon(m, err, sizeof(err))) {
        log_error("nanodns.server", "Cannot start the %s: %s",
                  m->update ? "update listener" : "management API", err);
        /* Refuse connections rather than leave them waiting. */
        close(m->lfd);
        m->lfd = -1;
    }
    return NULL;
}

static int mgmt_listen(struct mgmt *m, const struct sockaddr *sa, socklen_t salen,
                       struct mgmt **out, struct sockaddr_storage *bound, char *err, size_t errcap);
static void mgmt_free(struct mgmt *m);

int mgmt_start(const struct sockaddr *sa, socklen_t salen, const struct mgmt_ops *ops,
               const struct mgmt_limits *limits, struct mgmt **out, struct sockaddr_storage *bound,
               char *err, size_t errcap)
{
    struct mgmt *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errcap, "out of memory");
        return -ENOMEM;
    }
    m->ops = *ops;
    m->limits = *limits;
    return mgmt_listen(m, sa, salen, out, bound, err, errcap);
}

int mgmt_start_update(const struct sockaddr *sa, socklen_t salen, mgmt_update_fn fn, void *ctx,
                      const char *tls_cert, const char *tls_key, const struct mgmt_limits *limits,
                      struct mgmt **out, struct sockaddr_storage *bound, char *err, size_t errcap)
{
    struct mgmt *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errcap, "out of memory");
        return -ENOMEM;
    }
    m->limits = *limits;
    m->update = fn;
    m->update_ctx = ctx;
    if (tls_cert && tls_key) {
        m->tls_cert = strdup(tls_cert);
        m->tls_key = strdup(tls_key);
        if (!m->tls_cert || !m->tls_key) {
            free(m->tls_cert);
            free(m->tls_key);
            free(m);
            snprintf(err, errcap, "out of memory");
            return -ENOMEM;
        }
    }
    return mgmt_listen(m, sa, salen, out, bound, err, errcap);
}

static int mgmt_listen(struct mgmt *m, const struct sockaddr *sa, socklen_t salen,
                       struct mgmt **out, struct sockaddr_storage *bound, char *err,
                       size_t errcap)
{
    m->family = sa->sa_family;
    m->wakefd = -1;
    pthread_mutex_init(&m->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* the clock of mgmt_now_ms */
    pthread_cond_init(&m->wake, &ca);
    pthread_condattr_destroy(&ca);
    m->lfd = net_addr_bind(sa, salen, SOCK_STREAM, 64);
    if (m->lfd < 0) {
        snprintf(err, errcap, "%s", strerror(-m->lfd));
        goto fail;
    }
    socklen_t bl = sizeof(*bound);
    memset(bound, 0, sizeof(*bound));
    getsockname(m->lfd, (struct sockaddr *)bound, &bl);
    m->wakefd = eventfd(0, EFD_CLOEXEC);
    if (m->wakefd < 0) {
        snprintf(err, errcap, "%s", strerror(errno));
        goto fail;
    }
    int r = pthread_create(&m->waiter, NULL, mgmt_wait_main, m);
    if (r) {
        snprintf(err, errcap, "%s", strerror(r));
        goto fail;
    }
    pthread_setname_np(m->waiter, m->update ? "nanodns-update" : "nanodns-http");
    m->waiting = true;
    *out = m;
    return 0;
fail:
    if (m->lfd >= 0)
        close(m->lfd);
    if (m->wakefd >= 0)
        close(m->wakefd);
    mgmt_free(m);
    return -1;
}

static void mgmt_free(struct mgmt *m)
{
    pthread_cond_destroy(&m->wake);
    pthread_mutex_destroy(&m->lock);
    if (m->tls_key)
        explicit_bzero(m->tls_key, strlen(m->tls_key));
    free(m->tls_key);
    free(m->tls_cert);
    free(m);
}

void mgmt_stop(struct mgmt *m)
{
    if (!m)
        return;
    if (m->waiting) {
        uint64_t one = 1;
        ssize_t w = write(m->wakefd, &one, sizeof(one));
        (void)w;
        pthread_join(m->waiter, NULL);
    }
    if (m->d)
        lm.stop_daemon(m->d); /* closes the listening socket it owns, and every connection */
    mgmt_sweeper_stop(m);
    if (m->lfd >= 0)
        close(m->lfd);
    close(m->wakefd);
    mgmt_free(m);
}
