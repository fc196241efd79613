/*
 * Dynamic DNS in the server: the store-backed layer over the static data (update/dyn.h),
 * the update listener (mgmt_start_update), and the commit path that every change takes.
 *
 * A request waits on its connection thread while the control thread's job queue runs its
 * change, one at a time, on the libuv thread pool:
 *   1. update/api.c turns the request into a change (or an error reply);
 *   2. the change is staged in the in-memory layer and a snapshot is built from the running
 *      config with it; a change that cannot be built is undone and never stored;
 *   3. it is written to the store and synced to disk (dyn_persist);
 *   4. the control thread publishes the snapshot, and only then is the client answered.
 * The serial of the host's zone moves on with every change of its data (RFC 1982).
 *
 * Failed attempts (wrong token, unknown host) are counted per source address: more than
 * UPDATE_FAIL_MAX within UPDATE_FAIL_WINDOW seconds and the address gets 429 until the
 * window ends. Tokens are never logged.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "dns/dns.h"
#include "dns/name.h"
#include "net/addr.h"
#include "server/server_int.h"
#include "update/api.h"
#include "update/rfc2136.h"
#include "util/err.h"
#include "util/log.h"
#include "util/siphash.h"

#define UPDATE_LOG "nanodns.update"
#define UPDATE_FAIL_MAX 10
#define UPDATE_FAIL_WINDOW 60
#define UPDATE_LIMIT_SLOTS 256

struct update_limit_slot {
    uint8_t addr[16];
    int64_t window_start;
    unsigned fails;
};

/* Touched only by update jobs (one at a time). */
struct update_limit {
    uint8_t key[16]; /* random: which addresses share a slot cannot be planned */
    struct update_limit_slot slot[UPDATE_LIMIT_SLOTS];
};

static int64_t dyn_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

static bool dyn_enabled(const struct conf *c)
{
    return c->ndyndns || c->nupdate_acls || c->server.update_port;
}

void server_dyn_prepare(struct server *srv)
{
    if (!srv->dyn) {
        srv->ov.dyn = NULL;
        return;
    }
    srv->dyn_hooks = dyn_hooks(srv->dyn, dyn_now());
    srv->ov.dyn = &srv->dyn_hooks;
}

int server_dyn_open(struct server *srv, struct snap **snap)
{
    const struct conf *c = srv->conf;
    if (!dyn_enabled(c))
        return 0;
    char err[PATH_MAX + 512]; /* the store's messages name its path */
    int r = dyn_open(c->state_path, &srv->dyn, err, sizeof(err));
    if (r) {
        log_error(UPDATE_LOG, "Cannot open the dynamic DNS state: %s", err);
        return -1;
    }
    /* The first load did not know where the state lives: load again with it laid over. */
    server_dyn_prepare(srv);
    struct conf_diag d;
    conf_diag_init(&d);
    struct conf *nc = NULL;
    struct snap *ns = NULL;
    if (srv->path)
        r = conf_load_file(srv->path, &srv->ov, &nc, &ns, &d);
    else
        r = conf_load("<embedded example>", c->raw, c->raw_len, &srv->ov, &nc, &ns, &d);
    if (r) {
        for (size_t i = 0; i < d.n; i++)
            if (d.msgs[i].error)
                log_error(UPDATE_LOG, "With the dynamic DNS state: %s", d.msgs[i].text);
        conf_diag_deinit(&d);
        return -1;
    }
    conf_diag_deinit(&d);
    conf_free(srv->conf);
    srv->conf = nc;
    snap_free(*snap);
    *snap = ns;
    log_info(UPDATE_LOG, "Dynamic DNS state: %s", srv->conf->state_path);
    return 0;
}

/* ---- UPDATE over DNS (any transport thread) ------------------------------------------- */

void server_dns_update(void *ctx, struct net_pending *p)
{
    struct server *srv = (struct server *)((char *)ctx - offsetof(struct server, fwd));
    if (!atomic_load(&srv->jobs_ready) || atomic_load(&srv->stopping)) {
        p->deliver(p, NULL, 0); /* the first millisecond after start, or stopping: retried */
        return;
    }
    struct ctl_job *j = ctl_job_new(CTL_DNS_UPDATE, NULL, 0, false);
    if (!j) {
        p->deliver(p, NULL, 0);
        return;
    }
    j->pending = p;
    ctl_submit(srv, j);
}

/* ---- the update listener (connection threads) ------------------------------------------ */

static void server_on_update(void *ctx, const struct mgmt_update_req *q, struct mgmt_resp *r)
{
    struct server *srv = ctx;
    struct ctl_job *j = ctl_job_new(CTL_UPDATE, NULL, 0, true);
    const char *body = "update failed";
    r->status = 500;
    if (j) {
        j->upd = q;
        ctl_submit(srv, j);
        if (j->http == 503) {
            r->status = 503; /* shutting down: a change made durable is served after restart */
            body = "error";
        } else if (j->upd_body[0]) {
            r->status = j->http;
            body = j->upd_body;
        }
    }
    r->body = strdup(body);
    r->len = r->body ? strlen(r->body) : 0;
    r->ctype = "text/plain; charset=utf-8";
    ctl_job_free(j);
}

static char *server_read_pem(const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (!buf || n == 0) {
        free(buf);
        snprintf(err, errcap, "%s: empty or unreadable", path);
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

int server_update_start(struct server *srv)
{
    const struct conf *c = srv->conf;
    if (!c->server.update_port)
        return 0;
    if (!srv->dyn) {
        log_error(UPDATE_LOG, "The update listener needs the dynamic DNS state");
        return -1;
    }
    srv->limit = calloc(1, sizeof(*srv->limit));
    if (srv->limit && getrandom(srv->limit->key, sizeof(srv->limit->key), 0) !=
                          (ssize_t)sizeof(srv->limit->key))
        memcpy(srv->limit->key, &srv->started, sizeof(srv->started) < 16 ? sizeof(srv->started) : 16);
    struct sockaddr_storage ss, bound;
    socklen_t sl;
    const char *why = NULL;
    if (!srv->limit ||
        net_addr_resolve(c->server.update_host, (uint16_t)c->server.update_port, &ss, &sl, &why)) {
        log_error(UPDATE_LOG, "Cannot resolve the update address %s: %s", c->server.update_host,
                  why ? why : "out of memory");
        return -1;
    }
    char err[512];
    char *cert = NULL, *key = NULL;
    if (c->update_tls_cert_path && c->update_tls_key_path) {
        cert = server_read_pem(c->update_tls_cert_path, err, sizeof(err));
        key = cert ? server_read_pem(c->update_tls_key_path, err, sizeof(err)) : NULL;
        if (!key) {
            free(cert);
            log_error(UPDATE_LOG, "Cannot read the update listener's TLS files: %s", err);
            return -1;
        }
    }
    struct mgmt_limits lim = {.max_clients = (unsigned)c->server.http_max_clients,
                              .max_per_ip = (unsigned)c->server.http_max_per_ip,
                              .timeout_s = (unsigned)c->server.http_timeout};
    int r = mgmt_start_update((struct sockaddr *)&ss, sl, server_on_update, srv, cert, key, &lim,
                              &srv->update, &bound, err, sizeof(err));
    if (key)
        explicit_bzero(key, strlen(key));
    free(cert);
    free(key);
    if (r) {
        log_error(UPDATE_LOG, "Cannot listen on %s:%lld for updates: %s", c->server.update_host,
                  (long long)c->server.update_port, err);
        return -1;
    }
    char host[64];
    net_addr_host((struct sockaddr *)&bound, host, sizeof(host));
    log_info(UPDATE_LOG, "Update HTTP%s server on %s:%u", cert ? "S" : "", host,
             net_addr_port((struct sockaddr *)&bound));
    return 0;
}

void server_update_stop(struct server *srv)
{
    mgmt_stop(srv->update);
    srv->update = NULL;
}

void server_dyn_close(struct server *srv)
{
    if (srv->expiry_init) {
        uv_timer_stop(&srv->expiry);
        uv_close((uv_handle_t *)&srv->expiry, NULL);
        srv->expiry_init = false;
    }
}

/* ---- the work (thread pool) ---------------------------------------------------------- */

static struct update_limit_slot *update_limit_slot(struct update_limit *l,
                                                   const struct sockaddr_storage *ss, int64_t now,
                                                   bool *blocked)
{
    uint8_t a[16] = {0};
    if (ss->ss_family == AF_INET)
        memcpy(a, &((const struct sockaddr_in *)ss)->sin_addr, 4);
    else if (ss->ss_family == AF_INET6)
        memcpy(a, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
    struct update_limit_slot *s = &l->slot[siphash24(l->key, a, sizeof(a)) % UPDATE_LIMIT_SLOTS];
    if (memcmp(s->addr, a, 16) != 0 || now - s->window_start >= UPDATE_FAIL_WINDOW) {
        memcpy(s->addr, a, 16);
        s->window_start = now;
        s->fails = 0;
    }
    *blocked = s->fails >= UPDATE_FAIL_MAX;
    return s;
}

/* One update's result for the metrics (the control thread counts; the API thread reads). */
static void dyn_count(struct server *srv, enum metrics_upd_src src, enum metrics_upd_res res)
{
    atomic_fetch_add_explicit(&srv->updates[src][res], 1, memory_order_relaxed);
}

/* An HTTP status as a result: 200 applied, 500 (and 503) ours, the rest the client's. */
static enum metrics_upd_res dyn_http_result(unsigned status)
{
    return status == 200 ? METRICS_UPD_APPLIED
           : status >= 500 ? METRICS_UPD_FAILED
                           : METRICS_UPD_REJECTED;
}

static void dyn_reply(struct ctl_job *j, unsigned status, const char *body)
{
    j->http = status;
    snprintf(j->upd_body, sizeof(j->upd_body), "%s", body);
}

static bool dyn_same(const struct dyn *d, const struct dyn_rrset *n)
{
    struct dyn_rrset o;
    if (!dyn_find(d, n->owner, n->type, &o))
        return false;
    return o.ttl == n->ttl && o.count == n->count && o.rdlen == n->rdlen &&
           (!n->rdlen || memcmp(o.rdata, n->rdata, n->rdlen) == 0);
}

/* Rebuilds the snapshot from the running config (the layer as it now is). */
static int dyn_rebuild(struct ctl_job *j)
{
    const struct conf *c = j->srv->conf;
    /* What an earlier build of this job made is superseded. */
    if (j->ns) {
        snap_free(j->ns);
        j->ns = NULL;
    }
    if (j->nc) {
        conf_free(j->nc);
        j->nc = NULL;
    }
    return ctl_load_job(j, c->raw, c->raw_len, 500, false);
}

/* Commits a change through the whole path (stage, build, persist). The built snapshot is
 * left in j->ns for the control thread to publish. Returns 0 or a negative code (logged,
 * with `who`; nothing changed). */
static int dyn_commit_change(struct ctl_job *j, struct dyn_change *ch, const char *who)
{
    struct server *srv = j->srv;
    struct dyn_undo *u = NULL;
    int r = dyn_stage(srv->dyn, ch, &u);
    if (r == 0 && dyn_rebuild(j) != 0)
        r = ERR_CONFLICT;
    if (r == 0)
        r = dyn_persist(srv->dyn, u);
    if (r) {
        dyn_unstage(srv->dyn, u);
        const char *why = json_string_value(json_object_get(j->reply, "error"));
        log_error(UPDATE_LOG, "Update of %s failed: %s", who, why ? why : err_str(r));
        /* What earlier changes of this request stored: build it for publishing. */
        dyn_rebuild(j);
        return r;
    }
    dyn_done(u);
    return 0;
}

/* Commits a host's change; the zone's serial moves on when its records change. */
static int dyn_commit_prep(struct ctl_job *j, struct update_prep *prep, bool *changed)
{
    struct server *srv = j->srv;
    struct dyn_change *ch = &prep->change;
    *changed = false;
    for (size_t i = 0; i < ch->nsets; i++)
        *changed |= !dyn_same(srv->dyn, &ch->sets[i]);
    if (*changed) {
        uint32_t serial;
        /* the snapshot is published by the control thread between jobs */
        if (snap_zone_serial(srv->slot.cur, prep->host->zone, &serial)) {
            ch->zones[0] = prep->host->zone;
            ch->serials[0] = serial + 1;
            ch->nzones = 1;
        }
    }
    int r = dyn_commit_change(j, ch, prep->host->name);
    if (r)
        return r;
    char a[INET_ADDRSTRLEN] = "-", aaaa[INET6_ADDRSTRLEN] = "-";
    for (size_t i = 0; i < ch->nsets; i++) {
        const struct dyn_rrset *st = &ch->sets[i];
        if (st->count && st->type == DNS_TYPE_A)
            inet_ntop(AF_INET, st->rdata + 2, a, sizeof(a));
        else if (st->count && st->type == DNS_TYPE_AAAA)
            inet_ntop(AF_INET6, st->rdata + 2, aaaa, sizeof(aaaa));
    }
    if (ch->nzones)
        log_info(UPDATE_LOG, "Updated %s: A %s  AAAA %s  serial %u", prep->host->name, a, aaaa,
                 ch->serials[0]);
    else
        log_info(UPDATE_LOG, "Refreshed %s (unchanged)", prep->host->name);
    return 0;
}

/* RFC 2136 UPDATE over DNS: decide, commit, write the reply for the control thread. */
static void dyn_work_dns(struct ctl_job *j)
{
    struct server *srv = j->srv;
    struct net_pending *p = j->pending;
    struct rfc2136_result *res = malloc(sizeof(*res));
    j->dns_reply = malloc(p->tcp ? 65535 : 4096);
    if (!res || !j->dns_reply) {
        free(res);
        return; /* no reply: the client retries */
    }
    int64_t now = dyn_now();
    struct rfc2136_ctx x = {.conf = srv->conf, .snap = srv->slot.cur, .peer = &p->peer,
                            .now = now};
    rfc2136_process(&x, p->msg, p->msglen, res);
    uint16_t rcode = res->rcode;
    char zone[1024] = "?", peer[64] = "?";
    if (res->zone_ok)
        dns_name_to_text(res->apex, zone, sizeof(zone), 0);
    net_addr_host((const struct sockaddr *)&p->peer, peer, sizeof(peer));
    if (res->commit) {
        if (!srv->dyn) {
            log_error(UPDATE_LOG, "UPDATE for %s refused: the dynamic DNS state is not open "
                                  "(restart after adding allow_update)", zone);
            rcode = DNS_RCODE_SERVFAIL;
        } else if (dyn_commit_change(j, &res->change, zone)) {
            rcode = DNS_RCODE_SERVFAIL;
        }
    }
    if (rcode == DNS_RCODE_NOERROR || res->commit)
        log_info(UPDATE_LOG, "UPDATE from %s for %s: %s (%s%s)", peer, zone,
                 rcode == DNS_RCODE_NOERROR ? "NOERROR" : "SERVFAIL", res->what,
                 res->signed_req ? ", TSIG" : "");
    else
        log_warning(UPDATE_LOG, "UPDATE from %s for %s: rcode %u (%s)", peer, zone, rcode,
                    res->what);
    dyn_count(srv, METRICS_UPD_RFC2136,
              rcode == DNS_RCODE_NOERROR    ? METRICS_UPD_APPLIED
              : rcode == DNS_RCODE_SERVFAIL ? METRICS_UPD_FAILED
                                            : METRICS_UPD_REJECTED);
    j->dns_len = rfc2136_reply(p->msg, p->msglen, res, rcode, now, j->dns_reply,
                               p->tcp ? 65535 : 4096);
    rfc2136_result_free(res);
    free(res);
}

#define NIC_MAX_HOSTS 20

/* dyndns2: one reply line per host. */
static void dyn_work_nic(struct ctl_job *j, struct update_limit_slot *ls, int64_t now)
{
    struct server *srv = j->srv;
    const struct mgmt_update_req *q = j->upd;
    if (!q->password) {
        dyn_reply(j, 401, "badauth");
        dyn_count(srv, METRICS_UPD_DYNDNS2, METRICS_UPD_REJECTED);
        return;
    }
    uint8_t v4[4], v6[16];
    bool have4, have6;
    update_nic_myip(q->myip, v4, &have4, v6, &have6);
    if (!have4 && !have6) {
        /* no usable myip: the address the request came from */
        if (q->peer.ss_family == AF_INET) {
            memcpy(v4, &((const struct sockaddr_in *)&q->peer)->sin_addr, 4);
            have4 = true;
        } else if (q->peer.ss_family == AF_INET6) {
            const struct in6_addr *in6 = &((const struct sockaddr_in6 *)&q->peer)->sin6_addr;
            if (IN6_IS_ADDR_V4MAPPED(in6)) {
                memcpy(v4, in6->s6_addr + 12, 4);
                have4 = true;
            } else {
                memcpy(v6, in6->s6_addr, 16);
                have6 = true;
            }
        }
    }
    char ips[INET_ADDRSTRLEN + INET6_ADDRSTRLEN + 2] = "";
    if (have4)
        inet_ntop(AF_INET, v4, ips, INET_ADDRSTRLEN);
    if (have6) {
        size_t n = strlen(ips);
        if (n)
            ips[n++] = ',';
        inet_ntop(AF_INET6, v6, ips + n, INET6_ADDRSTRLEN);
    }
    const char *hosts = q->hostname ? q->hostname : "";
    size_t used = 0;
    j->upd_body[0] = 0;
    int count = 0;
    struct update_prep *prep = malloc(sizeof(*prep));
    if (!prep) {
        dyn_reply(j, 500, "911");
        dyn_count(srv, METRICS_UPD_DYNDNS2, METRICS_UPD_FAILED);
        return;
    }
    do {
        const char *end = strchr(hosts, ',');
        size_t n = end ? (size_t)(end - hosts) : strlen(hosts);
        char line[INET6_ADDRSTRLEN + INET_ADDRSTRLEN + 16];
        update_nic_prepare(srv->conf, hosts, n, q->password, have4 ? v4 : NULL,
                           have6 ? v6 : NULL, now, prep);
        if (prep->auth_failed && ls)
            ls->fails++;
        enum metrics_upd_res result = METRICS_UPD_APPLIED;
        if (!prep->commit) {
            snprintf(line, sizeof(line), "%s", prep->body);
            result = !strcmp(prep->body, "911") ? METRICS_UPD_FAILED : METRICS_UPD_REJECTED;
        } else {
            bool changed;
            if (!srv->dyn || dyn_commit_prep(j, prep, &changed)) {
                snprintf(line, sizeof(line), "911");
                result = METRICS_UPD_FAILED;
            } else {
                snprintf(line, sizeof(line), "%s %s", changed ? "good" : "nochg", ips);
            }
        }
        dyn_count(srv, METRICS_UPD_DYNDNS2, result);
        int w = snprintf(j->upd_body + used, sizeof(j->upd_body) - used, "%s%s",
                         used ? "\n" : "", line);
        if (w > 0 && (size_t)w < sizeof(j->upd_body) - used)
            used += (size_t)w;
        hosts = end ? end + 1 : NULL;
    } while (hosts && ++count < NIC_MAX_HOSTS);
    free(prep);
    j->http = 200;
}

void server_dyn_work(struct ctl_job *j)
{
    struct server *srv = j->srv;
    if (j->origin == CTL_DNS_UPDATE) {
        dyn_work_dns(j);
        return;
    }
    if (j->origin == CTL_EXPIRE) {
        if (srv->dyn)
            dyn_rebuild(j);
        return;
    }
    const struct mgmt_update_req *q = j->upd;
    int64_t now = dyn_now();
    bool blocked = false;
    struct update_limit_slot *ls = NULL;
    if (srv->limit) {
        ls = update_limit_slot(srv->limit, &q->peer, now, &blocked);
        if (blocked) {
            dyn_reply(j, 429, q->nic ? "abuse" : "too many failed attempts");
            dyn_count(srv, q->nic ? METRICS_UPD_DYNDNS2 : METRICS_UPD_HTTP, METRICS_UPD_REJECTED);
            return;
        }
    }
    if (q->nic) {
        dyn_work_nic(j, ls, now);
        return;
    }
    struct update_params p = {q->hostname, q->token, q->ipv4, q->ipv6};
    struct update_prep *prep = malloc(sizeof(*prep));
    if (!prep) {
        dyn_reply(j, 500, "update failed");
        dyn_count(srv, METRICS_UPD_HTTP, METRICS_UPD_FAILED);
        return;
    }
    update_api_prepare(srv->conf, &p, now, prep);
    if (prep->auth_failed && ls)
        ls->fails++;
    bool changed;
    if (!prep->commit)
        dyn_reply(j, prep->status, prep->body);
    else if (!srv->dyn || dyn_commit_prep(j, prep, &changed))
        dyn_reply(j, 500, "update failed");
    else
        dyn_reply(j, 200, "ok");
    free(prep);
    dyn_count(srv, METRICS_UPD_HTTP, dyn_http_result(j->http));
}

/* ---- applying (control thread) ------------------------------------------------------- */

static void server_on_expiry(uv_timer_t *t)
{
    struct server *srv = t->data;
    struct ctl_job *j = ctl_job_new(CTL_EXPIRE, NULL, 0, false);
    if (j)
        ctl_submit(srv, j);
}

/* Arms the timer for the next host expiry. */
void server_dyn_arm(struct server *srv)
{
    if (!srv->dyn)
        return;
    if (!srv->expiry_init) {
        uv_timer_init(&srv->loop, &srv->expiry);
        srv->expiry.data = srv;
        srv->expiry_init = true;
    }
    int64_t now = dyn_now();
    int64_t next = dyn_next_expiry(srv->dyn, now);
    uv_timer_stop(&srv->expiry);
    if (next)
        uv_timer_start(&srv->expiry, server_on_expiry, (uint64_t)(next - now) * 1000u + 50u, 0);
}

void server_dyn_apply(struct server *srv, struct ctl_job *j)
{
    if (j->ns) {
        server_cookie_prepare(srv, j->ns);
        snap_publish(&srv->slot, j->ns);
        j->ns = NULL;
    }
    if (j->pending) {
        /* After the publish: a client that asks right after its reply sees its change. */
        struct net_pending *p = j->pending;
        j->pending = NULL;
        p->deliver(p, j->dns_len ? j->dns_reply : NULL, j->dns_len);
    }
    if (j->nc) {
        /* The same config, loaded again: the running one stays. */
        conf_free(j->nc);
        j->nc = NULL;
    }
    if (!atomic_load(&srv->stopping))
        server_dyn_arm(srv);
}
