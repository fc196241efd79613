#pragma once
/*
 * The server's state, shared by server.c (start, sockets, signals, shutdown), control.c
 * (config changes: reload, version bump and write-back, configs from peers, the file
 * watch) and api.c (the management API and the sync callbacks).
 *
 * Threads: the control thread (the libuv loop) owns everything but `info`, which any thread
 * reads under info_lock, and the job queue, under jobs_lock. Config changes are built on the
 * libuv thread pool, one at a time, and applied on the control thread.
 */

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

#include "conf/conf.h"
#include "mgmt/http.h"
#include "mgmt/metrics.h"
#include "net/hooks.h"
#include "net/tcp.h"
#include "net/udp.h"
#include "server/forward.h"
#include "update/dyn.h"
#include "sync/sync.h"
#include "zone/snap.h"

/* What other threads may know of the running config: immutable, reference counted. */
struct server_info {
    atomic_int refs;
    int64_t version;
    char checksum[17];
    size_t records, zones;
    uint8_t *raw;
    size_t raw_len;
    char *token; /* NULL: none */
    struct conf_strlist peers;
    double sync_startup_delay, sync_interval;
};

enum ctl_origin {
    CTL_WATCH,
    CTL_SIGHUP,
    CTL_API,
    CTL_PEER_PUSH,
    CTL_PEER_PULL,
    CTL_UPDATE, /* a dynamic update (server/dynamic.c) */
    CTL_EXPIRE, /* a dyndns host expired: rebuild */
    CTL_DNS_UPDATE, /* an RFC 2136 UPDATE from a transport (server/dynamic.c) */
};

/* A config change, queued for the control thread. Jobs with a waiter belong to it (it
 * frees them after `done`); the others are freed by the control thread. */
struct ctl_job {
    struct ctl_job *next;
    enum ctl_origin origin;
    uint8_t *body; /* a peer's config (PEER_*) */
    size_t len;
    bool waiter;
    bool done;
    pthread_cond_t cond;
    /* result */
    unsigned http;
    json_t *reply;  /* the JSON reply (API and peers) */
    bool advanced;  /* the version went up: push to peers */
    /* work state, between the pool thread and the control thread */
    uv_work_t work;
    struct server *srv;
    struct server_info *cur;
    struct conf *nc;
    struct snap *ns;
    bool quiet;   /* nothing to do (a watch event for bytes we already serve) */
    char failed_sum[17];
    const char *restart[16];
    size_t nrestart;
    /* CTL_UPDATE: the request (the waiting connection thread's) and the reply's body */
    const struct mgmt_update_req *upd;
    char upd_body[1024];
    /* CTL_DNS_UPDATE: the message and its transport (answered with deliver, or NULL when
     * the job ends without a reply), and the reply */
    struct net_pending *pending;
    uint8_t *dns_reply;
    size_t dns_len;
};

struct server {
    uv_loop_t loop;
    struct snap_slot slot;
    struct conf *conf;
    const char *path;
    struct conf_overrides ov;
    int udp_fds[NET_UDP_MAX_WORKERS]; /* one SO_REUSEPORT socket per UDP worker */
    int nudp;
    struct sockaddr_storage bound;
    struct net_udp *udp;
    struct net_tcp *tcp;
    struct server_forward fwd;
    bool fwd_ready;
    uv_signal_t sigint, sigterm, sighup;
    struct timespec started;
    uint8_t cookie_secret[16]; /* drawn at start; used without server.cookie_secret */

    /* readable by every thread */
    pthread_mutex_t info_lock;
    struct server_info *info;
    atomic_bool ready, stopping;
    atomic_bool jobs_ready; /* ctl_init done: jobs may be submitted */
    atomic_uint_fast64_t reloads_ok, reloads_failed;
    _Atomic double last_reload;
    atomic_uint_fast64_t recv_applied, recv_current, recv_stale, recv_invalid; /* /sync */
    atomic_uint_fast64_t updates[3][3]; /* [enum metrics_upd_src][enum metrics_upd_res] */

    /* the job queue */
    pthread_mutex_t jobs_lock;
    struct ctl_job *jobs, *jobs_tail;
    bool jobs_closed;
    bool job_running; /* control thread only */
    uv_async_t jobs_async;

    /* the file watch (control thread) */
    uv_fs_event_t watch;
    uv_fs_poll_t poll;
    uv_timer_t settle;
    bool watching;
    char watch_base[256];
    char failed_sum[17]; /* the bytes whose failure was already logged */

    struct mgmt *mgmt;
    struct sync *sync;

    /* dynamic DNS (server/dynamic.c): the layer over the static data, its build hooks (set
     * before every build, on the thread that builds), the update listener, host expiry */
    struct dyn *dyn;
    struct zone_builder_hooks dyn_hooks;
    struct mgmt *update;
    uv_timer_t expiry;
    bool expiry_init;
    struct update_limit *limit;
};

struct server_info *server_info_get(struct server *srv);
void server_info_put(struct server_info *info);

/* control.c */
int ctl_init(struct server *srv);    /* job queue, file watch; control thread */
void ctl_close(struct server *srv);  /* on shutdown, in the loop: fails queued jobs */
void ctl_publish_info(struct server *srv);
/* Queues a job. From another thread with job->waiter: blocks until it is done. */
void ctl_submit(struct server *srv, struct ctl_job *job);
struct ctl_job *ctl_job_new(enum ctl_origin origin, const uint8_t *body, size_t len, bool waiter);
void ctl_job_free(struct ctl_job *job);

/* dynamic.c */
/* At start, after the first load: opens the store when the config uses dynamic DNS and
 * reloads with it laid over. Returns 0, or -1 (logged). */
int server_dyn_open(struct server *srv, struct snap **snap);
/* Points srv->ov.dyn at fresh hooks for a build now (any thread that builds). */
void server_dyn_prepare(struct server *srv);
int server_update_start(struct server *srv); /* the update listener, when configured */
void server_update_stop(struct server *srv);
void server_dyn_work(struct ctl_job *j);                       /* thread pool */
void server_dyn_apply(struct server *srv, struct ctl_job *j);  /* control thread */
void server_dyn_arm(struct server *srv);
/* net_hooks.update: ctx is &srv->fwd. */
void server_dns_update(void *ctx, struct net_pending *p);   /* the host expiry timer (control thread) */
void server_dyn_close(struct server *srv); /* closes the timer (shutdown) */
int ctl_load_job(struct ctl_job *j, const uint8_t *buf, size_t len, unsigned http, bool log);

/* api.c */
struct mgmt_ops server_api_ops(struct server *srv);
struct sync_ops server_sync_ops(struct server *srv);
void server_metrics_view(struct server *srv, struct metrics_view *v);

/* cookie.c: server_cookie_init draws the secret used without server.cookie_secret (start-up;
 * 0, or -1 logged). server_cookie_prepare fills the DNS cookie secrets of a snapshot about
 * to be published (that one without server.cookie_secret; the previous one after a change).
 * Control thread (or start-up, before any other thread reads snapshots). */
int server_cookie_init(struct server *srv);
void server_cookie_prepare(struct server *srv, struct snap *ns);
