/*
 * The management API's answers (../shared/reference/nanodns-compat.md sections 5 and 6) and
 * the callbacks of the sync thread. Runs on the HTTP threads and the sync thread; config
 * changes go to the control thread as jobs (control.c).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mgmt/metrics.h"
#include "server/server_int.h"
#include "stats/stats.h"
#include "util/log.h"

static double api_uptime(struct server *srv)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double s = (double)(now.tv_sec - srv->started.tv_sec) +
               (now.tv_nsec - srv->started.tv_nsec) / 1e9;
    return (double)(long long)(s * 10.0) / 10.0; /* one decimal, as NanoDNS rounds */
}

static void api_json(struct mgmt_resp *r, unsigned status, json_t *o)
{
    r->status = status;
    r->body = o ? json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) : NULL;
    r->len = r->body ? strlen(r->body) : 0;
    r->ctype = NULL;
    json_decref(o);
}

static void api_health(void *ctx, struct mgmt_resp *r)
{
    struct server *srv = ctx;
    struct server_info *i = server_info_get(srv);
    if (!i || atomic_load(&srv->stopping)) {
        api_json(r, 503, json_pack("{s:s}", "status", "unavailable"));
    } else {
        api_json(r, 200,
                 json_pack("{s:s,s:I,s:f}", "status", "ok", "version", (json_int_t)i->version,
                           "uptime_s", api_uptime(srv)));
    }
    server_info_put(i);
}

static void api_ready(void *ctx, struct mgmt_resp *r)
{
    struct server *srv = ctx;
    struct server_info *i = server_info_get(srv);
    if (!i || !atomic_load(&srv->ready) || atomic_load(&srv->stopping)) {
        api_json(r, 503, json_pack("{s:s}", "status", "not_ready"));
    } else {
        api_json(r, 200,
                 json_pack("{s:s,s:I,s:s,s:I,s:I}", "status", "ready", "version",
                           (json_int_t)i->version, "checksum", i->checksum, "records",
                           (json_int_t)i->records, "zones", (json_int_t)i->zones));
    }
    server_info_put(i);
}

void server_metrics_view(struct server *srv, struct metrics_view *v)
{
    memset(v, 0, sizeof(*v));
    v->uptime_s = api_uptime(srv);
    v->build_version = NANODNS_VERSION;
    stats_sum(&v->q);
    server_forward_metrics(&srv->fwd, v);
    v->reloads.ok = atomic_load(&srv->reloads_ok);
    v->reloads.failed = atomic_load(&srv->reloads_failed);
    v->reloads.last_success_unix = atomic_load(&srv->last_reload);
    struct sync_counts sc;
    sync_counts_get(&sc);
    v->sync.push_applied = sc.push_applied;
    v->sync.push_current = sc.push_current;
    v->sync.push_stale = sc.push_stale;
    v->sync.push_error = sc.push_error;
    v->sync.pull_applied = sc.pull_applied;
    v->sync.pull_error = sc.pull_error;
    v->sync.recv_applied = atomic_load(&srv->recv_applied);
    v->sync.recv_current = atomic_load(&srv->recv_current);
    v->sync.recv_stale = atomic_load(&srv->recv_stale);
    v->sync.recv_invalid = atomic_load(&srv->recv_invalid);
    for (int src = 0; src < 3; src++)
        for (int res = 0; res < 3; res++)
            v->updates.n[src][res] = atomic_load(&srv->updates[src][res]);
}

static void api_metrics(void *ctx, bool prometheus, struct mgmt_resp *r)
{
    struct server *srv = ctx;
    struct server_info *i = server_info_get(srv);
    if (!i) {
        api_json(r, 503, json_pack("{s:s}", "error", "server not initialised"));
        return;
    }
    struct metrics_view v;
    server_metrics_view(srv, &v);
    v.version = i->version;
    v.checksum = i->checksum;
    v.records = i->records;
    v.zones = i->zones;
    char *out = NULL;
    size_t len = 0;
    int rc = prometheus ? metrics_render_prometheus(&v, &out, &len)
                        : metrics_render_json(&v, &out, &len);
    server_info_put(i);
    if (rc) {
        mgmt_error(r, 500, "out of memory");
        return;
    }
    r->status = 200;
    r->body = out;
    r->len = len;
    r->ctype = prometheus ? "text/plain; version=0.0.4; charset=utf-8" : NULL;
}

static int api_view(void *ctx, struct sync_view *v)
{
    struct server *srv = ctx;
    memset(v, 0, sizeof(*v));
    struct server_info *i = server_info_get(srv);
    if (!i)
        return -1;
    v->version = i->version;
    v->raw = malloc(i->raw_len ? i->raw_len : 1);
    v->peers = calloc(i->peers.n ? i->peers.n : 1, sizeof(char *));
    v->token = i->token ? strdup(i->token) : NULL;
    v->startup_delay = i->sync_startup_delay;
    v->interval = i->sync_interval;
    bool ok = v->raw && v->peers && (v->token || !i->token);
    if (v->raw) {
        memcpy(v->raw, i->raw, i->raw_len);
        v->raw_len = i->raw_len;
    }
    for (size_t k = 0; ok && k < i->peers.n; k++) {
        v->peers[k] = strdup(i->peers.items[k]);
        ok = v->peers[k] != NULL;
        v->npeers += ok;
    }
    server_info_put(i);
    if (!ok) {
        sync_view_clear(v);
        return -1;
    }
    return 0;
}

static void api_cluster(void *ctx, struct mgmt_resp *r)
{
    struct server *srv = ctx;
    struct server_info *i = server_info_get(srv);
    struct sync_view v;
    if (!i || api_view(srv, &v)) {
        server_info_put(i);
        api_json(r, 503, json_pack("{s:{s:s},s:{}}", "self", "status", "unavailable", "peers"));
        return;
    }
    json_t *peers = json_array();
    for (size_t k = 0; k < i->peers.n; k++)
        json_array_append_new(peers, json_string(i->peers.items[k]));
    json_t *self = json_pack("{s:s,s:I,s:s,s:f,s:I,s:o}", "status",
                             atomic_load(&srv->stopping) ? "unavailable" : "ok", "version",
                             (json_int_t)i->version, "checksum", i->checksum, "uptime_s",
                             api_uptime(srv), "records", (json_int_t)i->records,
                             "peers_configured", peers);
    server_info_put(i);
    json_t *probe = sync_probe(&v);
    sync_view_clear(&v);
    api_json(r, 200, json_pack("{s:o,s:o}", "self", self, "peers", probe));
}

static void api_config_raw(void *ctx, struct mgmt_resp *r)
{
    struct server *srv = ctx;
    struct server_info *i = server_info_get(srv);
    if (!i) {
        api_json(r, 503, json_pack("{s:s}", "error", "no config available"));
        return;
    }
    r->status = 200;
    r->body = malloc(i->raw_len ? i->raw_len : 1);
    if (r->body) {
        memcpy(r->body, i->raw, i->raw_len);
        r->len = i->raw_len;
    }
    r->ctype = "application/json";
    server_info_put(i);
}

/* Runs a job on the control thread and waits for it. */
static struct ctl_job *api_run(struct server *srv, enum ctl_origin o, const uint8_t *body,
                               size_t len)
{
    struct ctl_job *j = ctl_job_new(o, body, len, true);
    if (j)
        ctl_submit(srv, j);
    return j;
}

static void api_reload(void *ctx, struct mgmt_resp *r)
{
    struct server *srv = ctx;
    struct ctl_job *j = api_run(srv, CTL_API, NULL, 0);
    if (!j) {
        mgmt_error(r, 500, "out of memory");
        return;
    }
    json_t *reply = json_incref(j->reply);
    unsigned http = j->http;
    bool advanced = j->advanced;
    ctl_job_free(j);
    if (http == 200 && reply) {
        /* Push to the peers and show what each answered. */
        json_t *peers = NULL;
        struct sync_view v;
        if (advanced && api_view(srv, &v) == 0) {
            peers = sync_push(&v);
            sync_view_clear(&v);
        }
        json_t *restart = json_incref(json_object_get(reply, "restart_required"));
        json_object_del(reply, "restart_required");
        json_object_set_new(reply, "peers", peers ? peers : json_object());
        if (restart)
            json_object_set_new(reply, "restart_required", restart);
    }
    api_json(r, http ? http : 500, reply ? reply : json_pack("{s:s}", "error", "reload failed"));
}

static void api_sync(void *ctx, const uint8_t *body, size_t len, struct mgmt_resp *r)
{
    struct server *srv = ctx;
    struct ctl_job *j = api_run(srv, CTL_PEER_PUSH, body, len);
    if (!j) {
        mgmt_error(r, 500, "out of memory");
        return;
    }
    const char *st = json_string_value(json_object_get(j->reply, "status"));
    if (j->http == 200 && st && strcmp(st, "applied") == 0)
        atomic_fetch_add(&srv->recv_applied, 1);
    else if (j->http == 200)
        atomic_fetch_add(&srv->recv_current, 1);
    else if (j->http == 409)
        atomic_fetch_add(&srv->recv_stale, 1);
    else
        atomic_fetch_add(&srv->recv_invalid, 1);
    json_object_del(j->reply, "restart_required");
    api_json(r, j->http ? j->http : 500, json_incref(j->reply));
    ctl_job_free(j);
}

static char *api_token(void *ctx)
{
    struct server_info *i = server_info_get(ctx);
    char *t = i && i->token ? strdup(i->token) : NULL;
    server_info_put(i);
    return t;
}

struct mgmt_ops server_api_ops(struct server *srv)
{
    return (struct mgmt_ops){
        .ctx = srv,
        .health = api_health,
        .ready = api_ready,
        .metrics = api_metrics,
        .cluster = api_cluster,
        .config_raw = api_config_raw,
        .reload = api_reload,
        .sync = api_sync,
        .token = api_token,
    };
}

static bool api_apply_pulled(void *ctx, const uint8_t *raw, size_t len, char *msg, size_t cap)
{
    struct ctl_job *j = api_run(ctx, CTL_PEER_PULL, raw, len);
    if (!j) {
        snprintf(msg, cap, "out of memory");
        return false;
    }
    const char *st = json_string_value(json_object_get(j->reply, "status"));
    const char *e = json_string_value(json_object_get(j->reply, "error"));
    bool ok = j->http == 200 && st && strcmp(st, "applied") == 0;
    snprintf(msg, cap, "%s", e ? e : st ? st : "not applied");
    ctl_job_free(j);
    return ok;
}

struct sync_ops server_sync_ops(struct server *srv)
{
    return (struct sync_ops){.ctx = srv, .view = api_view, .apply = api_apply_pulled};
}
