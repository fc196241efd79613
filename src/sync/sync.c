#include "sync/sync.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync/peer.h"
#include "util/log.h"

#define SYNC_LOG "nanodns.sync"

struct sync {
    struct sync_ops ops;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, push;
};

static struct sync_counts sync_counts;

static void sync_count(uint64_t *c)
{
    __atomic_add_fetch(c, 1, __ATOMIC_RELAXED);
}

void sync_counts_get(struct sync_counts *out)
{
    uint64_t *src = (uint64_t *)&sync_counts, *dst = (uint64_t *)out;
    for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void sync_view_clear(struct sync_view *v)
{
    free(v->raw);
    for (size_t i = 0; i < v->npeers; i++)
        free(v->peers[i]);
    free(v->peers);
    free(v->token);
    memset(v, 0, sizeof(*v));
}

static struct peer_call *sync_calls(const struct sync_view *v, const char *method,
                                    const char *path)
{
    struct peer_call *calls = calloc(v->npeers ? v->npeers : 1, sizeof(*calls));
    if (!calls)
        return NULL;
    for (size_t i = 0; i < v->npeers; i++) {
        calls[i].peer = v->peers[i];
        calls[i].method = method;
        calls[i].path = path;
        if (strcmp(method, "POST") == 0) {
            calls[i].body = v->raw;
            calls[i].len = v->raw_len;
        }
    }
    return calls;
}

static void sync_free_calls(struct peer_call *calls, size_t n)
{
    for (size_t i = 0; i < n; i++)
        peer_call_clear(&calls[i]);
    free(calls);
}

json_t *sync_push(const struct sync_view *v)
{
    json_t *out = json_object();
    if (!out || !v->npeers)
        return out;
    struct peer_call *calls = sync_calls(v, "POST", "/sync");
    if (!calls)
        return out;
    peer_run(calls, v->npeers, v->token, SYNC_PEER_TIMEOUT_MS);
    for (size_t i = 0; i < v->npeers; i++) {
        struct peer_call *c = &calls[i];
        json_t *reply = NULL;
        if (c->status) {
            json_error_t je;
            reply = json_loadb(c->resp, c->resp_len, 0, &je);
            if (!json_is_object(reply)) {
                json_decref(reply);
                char e[64];
                snprintf(e, sizeof(e), "HTTP %ld", c->status);
                reply = json_pack("{s:s}", "error", e);
            }
        } else {
            reply = json_pack("{s:s}", "error", c->error);
        }
        const char *st = json_string_value(json_object_get(reply, "status"));
        if (st && strcmp(st, "applied") == 0) {
            sync_count(&sync_counts.push_applied);
            log_info(SYNC_LOG, "Peer %s -> applied  v%lld", c->peer,
                     (long long)json_integer_value(json_object_get(reply, "version")));
        } else if (st && strcmp(st, "already_current") == 0) {
            sync_count(&sync_counts.push_current);
            log_info(SYNC_LOG, "Peer %s -> already_current  v%lld", c->peer,
                     (long long)json_integer_value(json_object_get(reply, "version")));
        } else if (st && strcmp(st, "rejected_stale") == 0) {
            sync_count(&sync_counts.push_stale);
            log_warning(SYNC_LOG, "Peer %s rejected our v%lld as stale (it has v%lld)", c->peer,
                        (long long)v->version,
                        (long long)json_integer_value(json_object_get(reply, "my_version")));
        } else {
            sync_count(&sync_counts.push_error);
            const char *e = json_string_value(json_object_get(reply, "error"));
            log_warning(SYNC_LOG, "Peer %s push failed: %s", c->peer, e ? e : "unexpected reply");
        }
        json_object_set_new(out, c->peer, reply ? reply : json_null());
    }
    sync_free_calls(calls, v->npeers);
    return out;
}

json_t *sync_probe(const struct sync_view *v)
{
    json_t *out = json_object();
    if (!out || !v->npeers)
        return out;
    struct peer_call *calls = sync_calls(v, "GET", "/health");
    if (!calls)
        return out;
    peer_run(calls, v->npeers, v->token, SYNC_PEER_TIMEOUT_MS);
    for (size_t i = 0; i < v->npeers; i++) {
        struct peer_call *c = &calls[i];
        json_t *o = NULL;
        if (c->status == 200) {
            json_error_t je;
            o = json_loadb(c->resp, c->resp_len, 0, &je);
            if (!json_is_object(o)) {
                json_decref(o);
                o = json_pack("{s:b,s:s}", "reachable", 0, "error", "not a JSON object");
            } else {
                json_object_set_new(o, "reachable", json_true());
            }
        } else if (c->status) {
            o = json_pack("{s:b,s:I}", "reachable", 1, "http_error", (json_int_t)c->status);
        } else {
            o = json_pack("{s:b,s:s}", "reachable", 0, "error", c->error);
        }
        json_object_set_new(out, c->peer, o ? o : json_null());
    }
    sync_free_calls(calls, v->npeers);
    return out;
}

/* One pull round: the peer with the highest version above ours gives us its config. */
static void sync_pull(struct sync *s)
{
    struct sync_view v = {0};
    if (s->ops.view(s->ops.ctx, &v) || !v.npeers) {
        sync_view_clear(&v);
        return;
    }
    json_t *health = sync_probe(&v);
    const char *best = NULL;
    int64_t best_version = v.version;
    const char *key;
    json_t *val;
    json_object_foreach(health, key, val)
    {
        json_t *ver = json_object_get(val, "version");
        if (json_is_true(json_object_get(val, "reachable")) && json_is_integer(ver) &&
            json_integer_value(ver) > best_version) {
            best_version = json_integer_value(ver);
            best = key;
        }
    }
    if (!best) {
        log_debug(SYNC_LOG, "Catch-up check: already at the latest version v%lld",
                  (long long)v.version);
        goto out;
    }
    log_info(SYNC_LOG, "Catch-up: local v%lld < peer %s v%lld, pulling", (long long)v.version,
             best, (long long)best_version);
    struct peer_call c = {.peer = best, .method = "GET", .path = "/config/raw"};
    peer_run(&c, 1, v.token, SYNC_PEER_TIMEOUT_MS);
    if (c.status != 200) {
        sync_count(&sync_counts.pull_error);
        log_error(SYNC_LOG, "Catch-up: cannot fetch the config from %s: %s", best,
                  c.status ? "HTTP error" : c.error);
        peer_call_clear(&c);
        goto out;
    }
    char msg[300];
    bool applied = s->ops.apply(s->ops.ctx, (const uint8_t *)c.resp, c.resp_len, msg, sizeof(msg));
    peer_call_clear(&c);
    if (!applied) {
        sync_count(&sync_counts.pull_error);
        log_warning(SYNC_LOG, "Catch-up from %s not applied: %s", best, msg);
        goto out;
    }
    sync_count(&sync_counts.pull_applied);
    /* Cascade: the others may be behind too. */
    struct sync_view nv = {0};
    if (s->ops.view(s->ops.ctx, &nv) == 0)
        json_decref(sync_push(&nv));
    sync_view_clear(&nv);
out:
    json_decref(health);
    sync_view_clear(&v);
}

static void sync_deadline(struct timespec *ts, double seconds)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    long long ns = (long long)(seconds * 1e9);
    ts->tv_sec += ns / 1000000000LL;
    ts->tv_nsec += ns % 1000000000LL;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static bool sync_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void *sync_main(void *arg)
{
    struct sync *s = arg;
    struct sync_view v = {0};
    double delay = 10, interval = 30;
    if (s->ops.view(s->ops.ctx, &v) == 0) {
        delay = v.startup_delay;
        interval = v.interval;
    }
    sync_view_clear(&v);
    struct timespec next;
    sync_deadline(&next, delay);
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (s->push) {
            s->push = false;
            pthread_mutex_unlock(&s->lock);
            if (s->ops.view(s->ops.ctx, &v) == 0 && v.npeers)
                json_decref(sync_push(&v));
            sync_view_clear(&v);
            pthread_mutex_lock(&s->lock);
            continue;
        }
        if (!sync_before(&now, &next)) {
            pthread_mutex_unlock(&s->lock);
            sync_pull(s);
            if (s->ops.view(s->ops.ctx, &v) == 0)
                interval = v.interval;
            sync_view_clear(&v);
            sync_deadline(&next, interval);
            pthread_mutex_lock(&s->lock);
            continue;
        }
        pthread_cond_timedwait(&s->cond, &s->lock, &next);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int sync_start(const struct sync_ops *ops, struct sync **out)
{
    struct sync *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->ops = *ops;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    int r = pthread_create(&s->thread, NULL, sync_main, s);
    if (r) {
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return -r;
    }
    *out = s;
    return 0;
}

void sync_request_push(struct sync *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->push = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

void sync_stop(struct sync *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
