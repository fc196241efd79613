/*
 * Config changes, one at a time: a local reload (file watch, SIGHUP, POST /reload) reads the
 * file, validates it, bumps server.config_version to max(file, running) + 1 and writes it
 * back; a peer's config (/sync, pull) is checked against ours (checksum, version), made ours
 * (node-local keys) and written. Parsing and building run on the libuv thread pool; the
 * control thread publishes the result in one step (snapshot, forwarder, cache flush) or
 * keeps the running config and reports why.
 */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf/persist.h"
#include "conf/schema.h"
#include "server/server_int.h"
#include "server/systemd.h"
#include "util/log.h"

#define CONFIG_LOG "nanodns.config"
#define SETTLE_MS 100
#define POLL_MS 5000

/* ---- shared info -------------------------------------------------------------------- */

static struct server_info *info_from_conf(const struct conf *c)
{
    struct server_info *i = calloc(1, sizeof(*i));
    if (!i)
        return NULL;
    atomic_init(&i->refs, 1);
    i->version = c->server.config_version;
    memcpy(i->checksum, c->checksum, sizeof(i->checksum));
    i->records = c->nrecords;
    i->zones = c->nzones;
    i->raw = malloc(c->raw_len ? c->raw_len : 1);
    i->token = c->server.mgmt_token && *c->server.mgmt_token ? strdup(c->server.mgmt_token) : NULL;
    i->peers.items = calloc(c->server.peers.n ? c->server.peers.n : 1, sizeof(char *));
    i->sync_startup_delay = c->server.sync_startup_delay;
    i->sync_interval = c->server.sync_interval;
    bool ok = i->raw && i->peers.items && (i->token || !c->server.mgmt_token ||
                                           !*c->server.mgmt_token);
    if (i->raw) {
        memcpy(i->raw, c->raw, c->raw_len);
        i->raw_len = c->raw_len;
    }
    for (size_t k = 0; ok && k < c->server.peers.n; k++) {
        i->peers.items[k] = strdup(c->server.peers.items[k]);
        ok = i->peers.items[k] != NULL;
        i->peers.n += ok;
    }
    if (!ok) {
        server_info_put(i);
        return NULL;
    }
    return i;
}

struct server_info *server_info_get(struct server *srv)
{
    pthread_mutex_lock(&srv->info_lock);
    struct server_info *i = srv->info;
    if (i)
        atomic_fetch_add(&i->refs, 1);
    pthread_mutex_unlock(&srv->info_lock);
    return i;
}

void server_info_put(struct server_info *i)
{
    if (!i || atomic_fetch_sub(&i->refs, 1) != 1)
        return;
    free(i->raw);
    free(i->token);
    for (size_t k = 0; k < i->peers.n; k++)
        free(i->peers.items[k]);
    free(i->peers.items);
    free(i);
}

void ctl_publish_info(struct server *srv)
{
    struct server_info *ni = info_from_conf(srv->conf);
    if (!ni) {
        log_error(CONFIG_LOG, "Out of memory: the management API shows the previous config");
        return;
    }
    pthread_mutex_lock(&srv->info_lock);
    struct server_info *old = srv->info;
    srv->info = ni;
    pthread_mutex_unlock(&srv->info_lock);
    server_info_put(old);
}

/* ---- jobs --------------------------------------------------------------------------- */

struct ctl_job *ctl_job_new(enum ctl_origin origin, const uint8_t *body, size_t len, bool waiter)
{
    struct ctl_job *j = calloc(1, sizeof(*j));
    if (!j)
        return NULL;
    j->origin = origin;
    j->waiter = waiter;
    if (body) {
        j->body = malloc(len ? len : 1);
        if (!j->body) {
            free(j);
            return NULL;
        }
        memcpy(j->body, body, len);
        j->len = len;
    }
    if (waiter)
        pthread_cond_init(&j->cond, NULL);
    return j;
}

void ctl_job_free(struct ctl_job *j)
{
    if (!j)
        return;
    free(j->body);
    if (j->pending)
        j->pending->deliver(j->pending, NULL, 0);
    free(j->dns_reply);
    json_decref(j->reply);
    if (j->nc)
        conf_free(j->nc);
    if (j->ns)
        snap_free(j->ns);
    server_info_put(j->cur);
    if (j->waiter)
        pthread_cond_destroy(&j->cond);
    free(j);
}

static void ctl_fail(struct ctl_job *j, unsigned http, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void ctl_fail(struct ctl_job *j, unsigned http, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    j->http = http;
    json_decref(j->reply);
    j->reply = json_pack("{s:s}", "error", msg);
}

/* Ends a job (control thread, jobs_lock not held). */
static void ctl_finish(struct server *srv, struct ctl_job *j)
{
    if (!j->waiter) {
        ctl_job_free(j);
        return;
    }
    pthread_mutex_lock(&srv->jobs_lock);
    j->done = true;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&srv->jobs_lock);
}

static void ctl_pump(struct server *srv);

void ctl_submit(struct server *srv, struct ctl_job *j)
{
    j->srv = srv;
    pthread_mutex_lock(&srv->jobs_lock);
    if (srv->jobs_closed) {
        pthread_mutex_unlock(&srv->jobs_lock);
        ctl_fail(j, 503, "shutting down");
        if (!j->waiter)
            ctl_job_free(j);
        return;
    }
    if (srv->jobs_tail)
        srv->jobs_tail->next = j;
    else
        srv->jobs = j;
    srv->jobs_tail = j;
    uv_async_send(&srv->jobs_async);
    if (j->waiter)
        while (!j->done)
            pthread_cond_wait(&j->cond, &srv->jobs_lock);
    pthread_mutex_unlock(&srv->jobs_lock);
}

/* ---- the work (thread pool) --------------------------------------------------------- */

static void ctl_diag_text(const struct conf_diag *d, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < d->n && used + 1 < cap; i++) {
        if (!d->msgs[i].error)
            continue;
        int n = snprintf(out + used, cap - used, "%s%s", used ? "; " : "", d->msgs[i].text);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (!out[0])
        snprintf(out, cap, "invalid config");
}

/* Warnings; the errors go into the one line that says the config was not applied. */
static void ctl_log_diag(const struct conf_diag *d)
{
    for (size_t i = 0; i < d->n; i++)
        if (!d->msgs[i].error)
            log_warning(CONFIG_LOG, "Config warning: %s", d->msgs[i].text);
}

/* Loads `buf` as the config (with the dynamic layer over it); on errors fails the job with
 * `http`. */
static int ctl_load(struct ctl_job *j, const uint8_t *buf, size_t len, unsigned http, bool log)
{
    struct server *srv = j->srv;
    struct conf_diag d;
    conf_diag_init(&d);
    server_dyn_prepare(srv);
    const char *name = srv->path ? srv->path : "<embedded example>";
    int r = conf_load(name, buf, len, &srv->ov, &j->nc, &j->ns, &d);
    if (log)
        ctl_log_diag(&d);
    if (r == 0 && srv->path && conf_set_path(j->nc, srv->path))
        r = -ENOMEM;
    if (r) {
        char msg[1024];
        ctl_diag_text(&d, msg, sizeof(msg));
        ctl_fail(j, r == -ENOMEM ? 500 : http, "%s", r == -ENOMEM ? "out of memory" : msg);
    }
    conf_diag_deinit(&d);
    return r;
}

int ctl_load_job(struct ctl_job *j, const uint8_t *buf, size_t len, unsigned http, bool log)
{
    return ctl_load(j, buf, len, http, log);
}

/* Drops the config a job loaded but must not apply: a job ends with j->nc set only when it
 * is to be published (ctl_after). */
static void ctl_drop(struct ctl_job *j)
{
    conf_free(j->nc);
    j->nc = NULL;
    snap_free(j->ns);
    j->ns = NULL;
}

static void ctl_restart_names(struct ctl_job *j)
{
    j->nrestart = conf_schema_restart_changes(&j->srv->conf->server, &j->nc->server, j->restart,
                                              sizeof(j->restart) / sizeof(j->restart[0]));
}

static json_t *ctl_summary(const char *status, const struct conf *c)
{
    return json_pack("{s:s,s:I,s:s,s:I,s:I}", "status", status, "version",
                     (json_int_t)c->server.config_version, "checksum", c->checksum, "records",
                     (json_int_t)c->nrecords, "zones", (json_int_t)c->nzones);
}

static void ctl_work_local(struct ctl_job *j)
{
    struct server *srv = j->srv;
    uint8_t *buf = NULL;
    size_t len = 0;
    if (srv->path) {
        struct conf_diag d;
        conf_diag_init(&d);
        int r = conf_read_file(srv->path, &buf, &len, &d);
        if (r) {
            char msg[512];
            ctl_diag_text(&d, msg, sizeof(msg));
            conf_diag_deinit(&d);
            ctl_fail(j, 422, "%s", msg);
            return;
        }
        conf_diag_deinit(&d);
    } else {
        const uint8_t *ex = conf_example(&len);
        buf = malloc(len);
        if (!buf) {
            ctl_fail(j, 500, "out of memory");
            return;
        }
        memcpy(buf, ex, len);
    }
    char sum[17];
    conf_checksum(buf, len, sum);
    if (j->origin == CTL_WATCH && strcmp(sum, j->cur->checksum) == 0) {
        j->quiet = true; /* our own write-back, or a touch */
        free(buf);
        return;
    }
    bool seen_failure = j->origin == CTL_WATCH && strcmp(sum, j->failed_sum) == 0;
    if (j->origin == CTL_WATCH && !seen_failure)
        log_info(CONFIG_LOG, "Config file changed, reloading");
    if (ctl_load(j, buf, len, 422, !seen_failure)) {
        memcpy(j->failed_sum, sum, sizeof(sum));
        j->quiet = seen_failure;
        free(buf);
        return;
    }
    int64_t v = j->nc->server.config_version;
    if (v < j->cur->version)
        v = j->cur->version;
    v++;
    uint8_t *bumped;
    size_t blen;
    char err[512];
    if (conf_set_version(buf, len, v, &bumped, &blen, err, sizeof(err))) {
        free(buf);
        ctl_fail(j, 500, "cannot set the version: %s", err);
        ctl_drop(j);
        return;
    }
    free(buf);
    conf_set_raw(j->nc, bumped, blen);
    j->nc->server.config_version = v;
    if (srv->path && conf_write_atomic(srv->path, bumped, blen, err, sizeof(err)))
        log_error(CONFIG_LOG, "Cannot write v%lld back into the config file: %s", (long long)v,
                  err);
    ctl_restart_names(j);
    j->http = 200;
    j->reply = ctl_summary("reloaded", j->nc);
    j->advanced = true;
}

static void ctl_work_peer(struct ctl_job *j)
{
    struct server *srv = j->srv;
    const struct server_info *cur = j->cur;
    char sum[17], err[512];
    conf_checksum(j->body, j->len, sum);
    if (strcmp(sum, cur->checksum) == 0)
        goto current;
    uint8_t *buf;
    size_t len;
    int64_t v;
    if (conf_from_peer(j->body, j->len, cur->raw, cur->raw_len, &buf, &len, &v, err,
                       sizeof(err))) {
        ctl_fail(j, 400, "%s", err);
        return;
    }
    conf_checksum(buf, len, sum);
    if (strcmp(sum, cur->checksum) == 0) {
        free(buf);
        goto current;
    }
    if (v < cur->version) {
        free(buf);
        j->http = 409;
        j->reply = json_pack("{s:s,s:I,s:I}", "status", "rejected_stale", "my_version",
                             (json_int_t)cur->version, "incoming_version", (json_int_t)v);
        return;
    }
    int r = ctl_load(j, buf, len, 400, true);
    if (r) {
        free(buf);
        return;
    }
    conf_set_raw(j->nc, buf, len);
    if (srv->path && conf_write_atomic(srv->path, buf, len, err, sizeof(err))) {
        ctl_fail(j, 500, "cannot store the config: %s", err);
        ctl_drop(j);
        return;
    }
    ctl_restart_names(j);
    j->http = 200;
    j->reply = ctl_summary("applied", j->nc);
    j->advanced = j->nc->server.config_version > cur->version;
    return;
current:
    j->http = 200;
    j->reply = json_pack("{s:s,s:I,s:s}", "status", "already_current", "version",
                         (json_int_t)cur->version, "checksum", cur->checksum);
}

static void ctl_work(uv_work_t *w)
{
    struct ctl_job *j = w->data;
    if (j->origin == CTL_PEER_PUSH || j->origin == CTL_PEER_PULL)
        ctl_work_peer(j);
    else if (j->origin == CTL_UPDATE || j->origin == CTL_EXPIRE || j->origin == CTL_DNS_UPDATE)
        server_dyn_work(j);
    else
        ctl_work_local(j);
}

/* ---- applying (control thread) ------------------------------------------------------ */

static const char *ctl_origin_name(enum ctl_origin o)
{
    switch (o) {
    case CTL_WATCH:
        return "file change";
    case CTL_SIGHUP:
        return "SIGHUP";
    case CTL_API:
        return "POST /reload";
    case CTL_PEER_PUSH:
        return "peer push";
    case CTL_PEER_PULL:
        return "peer pull";
    case CTL_UPDATE:
        return "dynamic update";
    case CTL_EXPIRE:
        return "dyndns expiry";
    case CTL_DNS_UPDATE:
        return "RFC 2136 UPDATE";
    }
    return "?";
}

static double ctl_now_unix(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void ctl_apply(struct server *srv, struct ctl_job *j)
{
    struct conf *nc = j->nc;
    log_setup(nc->log_level, nc->log_format);
    for (size_t i = 0; i < j->nrestart; i++)
        log_warning(CONFIG_LOG, "server.%s changed: takes effect after a restart", j->restart[i]);
    /* Settings that need a restart keep their running values. */
    nc->server.tcp_max_clients = srv->conf->server.tcp_max_clients;
    struct net_tcp_opts topts = {
        .idle_timeout_ms = (uint32_t)nc->server.tcp_idle_timeout * 1000u,
        .max_clients = (uint32_t)nc->server.tcp_max_clients,
        .max_per_ip = (uint32_t)nc->server.tcp_max_per_ip,
    };
    if (srv->tcp)
        net_tcp_set_opts(srv->tcp, &topts);
    server_cookie_prepare(srv, j->ns);
    snap_publish(&srv->slot, j->ns);
    j->ns = NULL;
    server_forward_apply(&srv->fwd, nc, true);
    conf_free(srv->conf);
    srv->conf = nc;
    j->nc = NULL;
    ctl_publish_info(srv);
    atomic_fetch_add(&srv->reloads_ok, 1);
    atomic_store(&srv->last_reload, ctl_now_unix());
    log_info(CONFIG_LOG, "Config applied  v%lld  checksum=%s  (%zu records  %zu zones, %s)",
             (long long)nc->server.config_version, nc->checksum, nc->nrecords, nc->nzones,
             ctl_origin_name(j->origin));
    if (j->nrestart && j->reply) {
        json_t *a = json_array();
        for (size_t i = 0; i < j->nrestart; i++)
            json_array_append_new(a, json_string(j->restart[i]));
        json_object_set_new(j->reply, "restart_required", a);
    }
}

static void ctl_after(uv_work_t *w, int status)
{
    struct ctl_job *j = w->data;
    struct server *srv = j->srv;
    (void)status;
    srv->job_running = false;
    if (j->origin == CTL_WATCH)
        memcpy(srv->failed_sum, j->failed_sum, sizeof(srv->failed_sum));
    if (atomic_load(&srv->stopping) && j->nc) {
        ctl_fail(j, 503, "shutting down");
    } else if (j->origin == CTL_UPDATE || j->origin == CTL_EXPIRE ||
               j->origin == CTL_DNS_UPDATE) {
        server_dyn_apply(srv, j);
    } else if (j->nc) {
        ctl_apply(srv, j);
        if (j->advanced && (j->origin == CTL_WATCH || j->origin == CTL_SIGHUP))
            sync_request_push(srv->sync);
    } else if (j->http >= 400 && !j->quiet) {
        atomic_fetch_add(&srv->reloads_failed, 1);
        const char *e = json_string_value(json_object_get(j->reply, "error"));
        log_error(CONFIG_LOG, "Config not applied (%s): %s; the running config keeps serving",
                  ctl_origin_name(j->origin), e ? e : "?");
    }
    if (j->origin == CTL_SIGHUP && !atomic_load(&srv->stopping))
        systemd_ready("%s config v%lld: %zu zones, %zu records",
                      j->http >= 400 ? "Reload failed; serving" : "Serving",
                      (long long)srv->conf->server.config_version, srv->conf->nzones,
                      srv->conf->nrecords);
    ctl_finish(srv, j);
    ctl_pump(srv);
}

static void ctl_pump(struct server *srv)
{
    if (srv->job_running)
        return;
    pthread_mutex_lock(&srv->jobs_lock);
    struct ctl_job *j = srv->jobs;
    if (j) {
        srv->jobs = j->next;
        if (!srv->jobs)
            srv->jobs_tail = NULL;
        j->next = NULL;
    }
    pthread_mutex_unlock(&srv->jobs_lock);
    if (!j)
        return;
    j->cur = server_info_get(srv);
    memcpy(j->failed_sum, srv->failed_sum, sizeof(j->failed_sum));
    j->work.data = j;
    srv->job_running = true;
    int r = uv_queue_work(&srv->loop, &j->work, ctl_work, ctl_after);
    if (r) {
        srv->job_running = false;
        ctl_fail(j, 500, "cannot queue the reload: %s", uv_strerror(r));
        ctl_finish(srv, j);
    } else if (j->origin == CTL_SIGHUP) {
        systemd_reloading(); /* `systemctl reload`: READY=1 follows in ctl_after */
    }
}

static void ctl_on_async(uv_async_t *a)
{
    ctl_pump(a->data);
}

/* ---- the file watch ----------------------------------------------------------------- */

static bool ctl_job_queued(struct server *srv, enum ctl_origin o)
{
    bool found = false;
    pthread_mutex_lock(&srv->jobs_lock);
    for (struct ctl_job *j = srv->jobs; j && !found; j = j->next)
        found = j->origin == o;
    pthread_mutex_unlock(&srv->jobs_lock);
    return found;
}

static void ctl_on_settled(uv_timer_t *t)
{
    struct server *srv = t->data;
    if (!srv->conf->server.hot_reload || atomic_load(&srv->stopping) ||
        ctl_job_queued(srv, CTL_WATCH))
        return;
    struct ctl_job *j = ctl_job_new(CTL_WATCH, NULL, 0, false);
    if (j)
        ctl_submit(srv, j);
}

/* Editors write in several steps (or write a new file and rename it): wait until the
 * events stop for a moment. */
static void ctl_changed(struct server *srv)
{
    uv_timer_start(&srv->settle, ctl_on_settled, SETTLE_MS, 0);
}

static void ctl_on_fs_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
    (void)events;
    struct server *srv = h->data;
    if (status == 0 && filename && strcmp(filename, srv->watch_base) == 0)
        ctl_changed(srv);
}

static void ctl_on_poll(uv_fs_poll_t *h, int status, const uv_stat_t *prev, const uv_stat_t *curr)
{
    (void)prev, (void)curr;
    if (status == 0)
        ctl_changed(h->data);
}

int ctl_init(struct server *srv)
{
    pthread_mutex_init(&srv->jobs_lock, NULL);
    int r = uv_async_init(&srv->loop, &srv->jobs_async, ctl_on_async);
    if (r)
        return r;
    srv->jobs_async.data = srv;
    uv_timer_init(&srv->loop, &srv->settle);
    srv->settle.data = srv;
    /* On this loop, so that a hung control thread stops the keep-alives. */
    systemd_watchdog_start(&srv->loop);
    if (!srv->path)
        return 0;
    /* The folder is watched, not the file: an editor's rename-over keeps working. */
    char *d = strdup(srv->path), *b = strdup(srv->path);
    if (!d || !b) {
        free(d);
        free(b);
        return UV_ENOMEM;
    }
    snprintf(srv->watch_base, sizeof(srv->watch_base), "%s", basename(b));
    uv_fs_event_init(&srv->loop, &srv->watch);
    uv_fs_poll_init(&srv->loop, &srv->poll);
    srv->watch.data = srv->poll.data = srv;
    r = uv_fs_event_start(&srv->watch, ctl_on_fs_event, dirname(d), 0);
    if (r)
        log_warning(CONFIG_LOG, "Cannot watch %s for changes (%s); checking every %d s", srv->path,
                    uv_strerror(r), POLL_MS / 1000);
    uv_fs_poll_start(&srv->poll, ctl_on_poll, srv->path, POLL_MS);
    srv->watching = true;
    free(d);
    free(b);
    return 0;
}

void ctl_close(struct server *srv)
{
    pthread_mutex_lock(&srv->jobs_lock);
    srv->jobs_closed = true;
    struct ctl_job *j = srv->jobs;
    srv->jobs = srv->jobs_tail = NULL;
    pthread_mutex_unlock(&srv->jobs_lock);
    while (j) {
        struct ctl_job *next = j->next;
        ctl_fail(j, 503, "shutting down");
        ctl_finish(srv, j);
        j = next;
    }
    uv_close((uv_handle_t *)&srv->jobs_async, NULL);
    uv_close((uv_handle_t *)&srv->settle, NULL);
    systemd_watchdog_close();
    if (srv->watching) {
        uv_close((uv_handle_t *)&srv->watch, NULL);
        uv_close((uv_handle_t *)&srv->poll, NULL);
        srv->watching = false;
    }
}
