/*
 * DNS over TCP: design notes.
 *
 * Connections. Every connection is on `conns` (so net_tcp_stop can close them all) from
 * accept until its memory is freed. A connection is "live" from the moment it is admitted
 * until tcp_conn_close: only live connections count against server.tcp_max_clients (nlive)
 * and server.tcp_max_per_ip (a per-address count), so the slot of a closing connection is
 * free at once although libuv frees its handles one loop iteration later.
 *
 * Idle list. A live connection with nothing being answered (no forwarded question or update
 * outstanding) and no reply unsent is idle and sits on the idle list, oldest activity
 * first. Activity is what restarts the idle timer: a complete message read or a reply fully
 * written, never a partial read, so a client that drips bytes neither keeps its connection
 * alive nor moves to the young end. When all slots are taken, a new connection closes the
 * head of the list (O(1)); the idle client loses nothing it asked for. With no idle
 * connection the new one is closed at once: busy clients are not cut off for newcomers.
 *
 * Per-address counts live in a chained hash table sized at start to tcp_max_clients
 * buckets and keyed with SipHash under a random key, so a client cannot aim many addresses
 * at one chain; a node exists only while a live connection from its address does, so the
 * table never holds more nodes than live connections. Addresses are compared as 16-byte
 * IPv6, IPv4 as IPv4-mapped, so a client cannot double its quota by using both forms; a
 * native IPv6 address counts as its /64.
 *
 * Back-pressure. Messages are answered from the read buffer while the connection's unsent
 * replies stay below TCP_PENDING_MAX; past it the rest stays buffered and reading stops
 * until the writes drain below half. So a client that pipelines queries and never reads
 * holds at most TCP_PENDING_MAX plus one reply, and its connection ends with the idle
 * timeout, which no write completion restarts.
 *
 * When limits are hit, one warning line at most every TCP_WARN_INTERVAL_MS sums up what
 * happened since the previous line; the stats counters have the exact totals.
 */
#include "net/tcp.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "net/qlog.h"
#include "query/query.h"
#include "dns/dns.h"
#include "util/arena.h"
#include "util/cidr.h"
#include "util/hugemem.h"
#include "util/log.h"
#include "util/siphash.h"

#define TCP_LOG              "nanodns.server"
#define TCP_MSG_MAX          65535
#define TCP_PENDING_MAX      (256u * 1024) /* stop answering and reading while this much is unsent */
#define TCP_WARN_INTERVAL_MS 10000u

/* The number of live connections from one address. */
struct tcp_addr {
    struct tcp_addr *next; /* the bucket's chain */
    uint32_t n;
    uint8_t a[16];
};

struct tcp_conn {
    uv_tcp_t h; /* first: the handle's data points back here anyway */
    uv_timer_t timer;
    struct net_tcp *t;
    struct tcp_conn *prev, *next;   /* conns: every connection not yet freed */
    struct tcp_conn *iprev, *inext; /* the idle list, while `idle` */
    struct tcp_addr *addr;          /* its address's count, while `live` */
    size_t rlen;
    size_t pending; /* reply bytes handed to libuv and not yet written */
    int open_handles;
    unsigned forwards; /* questions at the forwarder: the connection stays allocated */
    bool reading;
    bool closing;
    bool dead; /* closed while questions were at the forwarder */
    bool live; /* admitted and not closing: counted in nlive and in addr */
    bool idle; /* on the idle list */
    bool eof;  /* the client half-closed: close once everything is answered */
    struct sockaddr_storage peer;
    uint8_t rbuf[2 + TCP_MSG_MAX];
};

struct tcp_pending {
    struct net_pending p;
    struct tcp_conn *c;
    uint64_t t_recv; /* when its message was read in full (stats_now_ns) */
};

struct tcp_write {
    uv_write_t req;
    struct tcp_conn *c;
    size_t len;
    uint8_t buf[];
};

struct net_tcp {
    uv_tcp_t listener;
    uv_loop_t *loop;
    struct snap_slot *slot;
    struct net_tcp_opts opts;
    struct tcp_conn *conns;
    size_t nconns;                          /* allocated, closing ones included */
    size_t nlive;                           /* admitted and not closing */
    struct tcp_conn *idle_head, *idle_tail; /* oldest activity first */
    struct tcp_addr **buckets;
    size_t nbuckets; /* a power of two */
    uint8_t hkey[16];
    /* limit hits since the last warning, and when the next one may be logged (uv_now) */
    uint64_t warn_full, warn_per_ip, warn_evicted;
    uint64_t warn_next_ms;
    bool stopping;
    bool listener_closed;
    struct net_hooks hooks;
    bool have_hooks;
    struct stats_block *stats; /* this loop's counters */
    uint8_t resp[TCP_MSG_MAX];
    _Alignas(16) uint8_t arena_mem[16384];
    struct arena arena;
};

/* ---- per-address counts ------------------------------------------------------------------ */

/* The client's address as 16 bytes of IPv6, IPv4 mapped (::ffff:a.b.c.d). */
static void tcp_addr_key(const struct sockaddr_storage *ss, uint8_t out[16])
{
    memset(out, 0, 16);
    if (ss->ss_family == AF_INET) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
    } else if (ss->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
        memcpy(out, a, 16);
        /* A native IPv6 client counts per /64: a host is handed a whole /64 and could
         * otherwise open tcp_max_per_ip connections from each of its addresses. */
        if (!IN6_IS_ADDR_V4MAPPED(a))
            memset(out + 8, 0, 8);
    }
}

/* The link that points at the node of `a`, or the NULL link at the end of its chain. */
static struct tcp_addr **tcp_addr_find(struct net_tcp *t, const uint8_t a[16])
{
    struct tcp_addr **p = &t->buckets[siphash24(t->hkey, a, 16) & (t->nbuckets - 1)];
    while (*p && memcmp((*p)->a, a, 16) != 0)
        p = &(*p)->next;
    return p;
}

static uint32_t tcp_addr_count(struct net_tcp *t, const uint8_t a[16])
{
    struct tcp_addr *n = *tcp_addr_find(t, a);
    return n ? n->n : 0;
}

/* Counts one more connection from `a`; NULL when out of memory. */
static struct tcp_addr *tcp_addr_acquire(struct net_tcp *t, const uint8_t a[16])
{
    struct tcp_addr **p = tcp_addr_find(t, a);
    if (!*p) {
        struct tcp_addr *n = calloc(1, sizeof(*n));
        if (!n)
            return NULL;
        memcpy(n->a, a, 16);
        *p = n;
    }
    (*p)->n++;
    return *p;
}

static void tcp_addr_release(struct net_tcp *t, struct tcp_addr *n)
{
    if (--n->n > 0)
        return;
    struct tcp_addr **p = tcp_addr_find(t, n->a);
    *p = n->next;
    free(n);
}

/* ---- the idle list ----------------------------------------------------------------------- */

static void tcp_idle_unlink(struct tcp_conn *c)
{
    struct net_tcp *t = c->t;
    if (c->iprev)
        c->iprev->inext = c->inext;
    else
        t->idle_head = c->inext;
    if (c->inext)
        c->inext->iprev = c->iprev;
    else
        t->idle_tail = c->iprev;
    c->iprev = c->inext = NULL;
    c->idle = false;
}

static void tcp_idle_append(struct tcp_conn *c)
{
    struct net_tcp *t = c->t;
    c->inext = NULL;
    c->iprev = t->idle_tail;
    if (t->idle_tail)
        t->idle_tail->inext = c;
    else
        t->idle_head = c;
    t->idle_tail = c;
    c->idle = true;
}

/* Puts the connection on the idle list or takes it off, as its state now says. A connection
 * that becomes idle has just had activity (its last reply written), so it goes to the end. */
static void tcp_idle_sync(struct tcp_conn *c)
{
    bool want = c->live && !c->forwards && !c->pending;
    if (want && !c->idle)
        tcp_idle_append(c);
    else if (!want && c->idle)
        tcp_idle_unlink(c);
}

/* Activity: a complete message read or a reply fully written. Restarts the idle timer (with
 * the current timeout, which reload may have changed) and makes the connection the
 * youngest idle one. */
static void tcp_timeout(uv_timer_t *timer);

static void tcp_conn_touch(struct tcp_conn *c)
{
    uv_timer_start(&c->timer, tcp_timeout, c->t->opts.idle_timeout_ms, 0);
    if (c->idle) {
        tcp_idle_unlink(c);
        tcp_idle_append(c);
    }
}

/* ---- limits ------------------------------------------------------------------------------ */

enum tcp_limit { TCP_LIMIT_FULL, TCP_LIMIT_PER_IP, TCP_LIMIT_EVICT };

/* Counts a limit hit and logs a summary line at most every TCP_WARN_INTERVAL_MS, so a
 * flood of connections costs a few lines, not one per connection. */
static void tcp_limit_hit(struct net_tcp *t, enum tcp_limit what)
{
    switch (what) {
    case TCP_LIMIT_FULL:
        stats_inc(&t->stats->tcp_refused);
        t->warn_full++;
        break;
    case TCP_LIMIT_PER_IP:
        stats_inc(&t->stats->tcp_refused);
        t->warn_per_ip++;
        break;
    case TCP_LIMIT_EVICT:
        stats_inc(&t->stats->tcp_evicted);
        t->warn_evicted++;
        break;
    }
    uint64_t now = uv_now(t->loop);
    if (now < t->warn_next_ms)
        return;
    log_warning(TCP_LOG,
                "TCP connection limits hit: %" PRIu64 " refused with all %" PRIu32
                " slots busy (server.tcp_max_clients), %" PRIu64 " refused over %" PRIu32
                " per address (server.tcp_max_per_ip), %" PRIu64
                " idle connections closed to make room; at most one such line every %u s",
                t->warn_full, t->opts.max_clients, t->warn_per_ip, t->opts.max_per_ip,
                t->warn_evicted, TCP_WARN_INTERVAL_MS / 1000u);
    t->warn_full = t->warn_per_ip = t->warn_evicted = 0;
    t->warn_next_ms = now + TCP_WARN_INTERVAL_MS;
}

/* ---- connections ------------------------------------------------------------------------- */

static void tcp_free(struct net_tcp *t)
{
    for (size_t i = 0; i < t->nbuckets; i++) {
        while (t->buckets[i]) {
            struct tcp_addr *n = t->buckets[i];
            t->buckets[i] = n->next;
            free(n);
        }
    }
    free(t->buckets);
    hugemem_free(t, sizeof(*t));
}

static void tcp_conn_free(struct tcp_conn *c)
{
    struct net_tcp *t = c->t;
    if (c->prev)
        c->prev->next = c->next;
    else
        t->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    t->nconns--;
    free(c);
    /* libuv runs close callbacks in no promised order: the last one out frees t. */
    if (t->listener_closed && t->nconns == 0)
        tcp_free(t);
}

static void tcp_conn_closed(uv_handle_t *h)
{
    struct tcp_conn *c = h->data;
    if (--c->open_handles > 0)
        return;
    if (c->forwards)
        c->dead = true; /* the forwarder still holds it; the last answer frees it */
    else
        tcp_conn_free(c);
}

static void tcp_conn_close(struct tcp_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    if (c->live) {
        /* The slot is free from now on, although the handles close later. */
        c->live = false;
        c->t->nlive--;
        tcp_addr_release(c->t, c->addr);
        c->addr = NULL;
    }
    tcp_idle_sync(c);
    uv_read_stop((uv_stream_t *)&c->h);
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->h, tcp_conn_closed);
    uv_close((uv_handle_t *)&c->timer, tcp_conn_closed);
}

static void tcp_timeout(uv_timer_t *timer)
{
    struct tcp_conn *c = timer->data;
    stats_inc(&c->t->stats->tcp_timeouts);
    tcp_conn_close(c);
}

static void tcp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    struct tcp_conn *c = h->data;
    buf->base = (char *)c->rbuf + c->rlen;
    buf->len = sizeof(c->rbuf) - c->rlen;
}

static void tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* Reads while the unsent replies stay below TCP_PENDING_MAX; once stopped, reads again when
 * they have drained below half (hysteresis, so that reading does not flap per reply). */
static void tcp_flow(struct tcp_conn *c)
{
    if (c->closing)
        return;
    if (c->reading && (c->eof || c->pending >= TCP_PENDING_MAX)) {
        uv_read_stop((uv_stream_t *)&c->h);
        c->reading = false;
    } else if (!c->reading && !c->eof && c->pending < TCP_PENDING_MAX / 2) {
        c->reading = uv_read_start((uv_stream_t *)&c->h, tcp_alloc, tcp_read) == 0;
        if (!c->reading)
            tcp_conn_close(c);
    }
}

/* After a half-close, the connection ends once every question has its answer written. */
static bool tcp_finished(struct tcp_conn *c)
{
    if (c->closing || !c->eof || c->pending || c->forwards)
        return false;
    tcp_conn_close(c);
    return true;
}

static bool tcp_message(struct tcp_conn *c, const uint8_t *msg, size_t len);

/* Answers the complete messages in the read buffer while the unsent replies stay below
 * TCP_PENDING_MAX; the rest waits there for the writes to drain. */
static void tcp_process(struct tcp_conn *c)
{
    size_t off = 0;
    while (!c->closing && c->pending < TCP_PENDING_MAX && c->rlen - off >= 2) {
        size_t mlen = (size_t)c->rbuf[off] << 8 | c->rbuf[off + 1];
        if (c->rlen - off < 2 + mlen)
            break;
        tcp_conn_touch(c);
        if (!tcp_message(c, c->rbuf + off + 2, mlen)) {
            tcp_conn_close(c);
            return;
        }
        off += 2 + mlen;
    }
    if (off && !c->closing) {
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
    }
}

static void tcp_written(uv_write_t *req, int status)
{
    struct tcp_write *wr = (struct tcp_write *)req;
    struct tcp_conn *c = wr->c;
    c->pending -= wr->len;
    free(wr);
    if (c->closing)
        return; /* cancelled by the close, or written after it */
    if (status < 0) {
        tcp_conn_close(c);
        return;
    }
    tcp_conn_touch(c);
    if (!c->reading && c->pending < TCP_PENDING_MAX / 2)
        tcp_process(c); /* what back-pressure left in the buffer */
    if (tcp_finished(c))
        return;
    tcp_flow(c);
    tcp_idle_sync(c);
}

/* Queues one framed message. Returns false when the connection should be dropped. */
static bool tcp_send(struct tcp_conn *c, const uint8_t *msg, size_t len)
{
    struct tcp_write *wr = malloc(sizeof(*wr) + 2 + len);
    if (!wr)
        return false;
    wr->c = c;
    wr->len = 2 + len;
    wr->buf[0] = (uint8_t)(len >> 8);
    wr->buf[1] = (uint8_t)len;
    memcpy(wr->buf + 2, msg, len);
    uv_buf_t b = uv_buf_init((char *)wr->buf, (unsigned)wr->len);
    if (uv_write(&wr->req, (uv_stream_t *)&c->h, &b, 1, tcp_written) < 0) {
        free(wr);
        return false;
    }
    c->pending += wr->len;
    tcp_idle_sync(c);
    return true;
}

/* The forwarder's answer (same thread: the loop's, possibly from inside tcp_message).
 * Answers may overtake earlier ones on the connection, as RFC 7766 6.2.1.1 allows. */
static void tcp_deliver(struct net_pending *np, const uint8_t *msg, size_t len)
{
    struct tcp_pending *tp = (struct tcp_pending *)np;
    struct tcp_conn *c = tp->c;
    struct stats_block *st = c->t->stats;
    uint64_t t_recv = tp->t_recv;
    free(tp->p.msg);
    free(tp);
    c->forwards--;
    if (msg && !c->closing && tcp_send(c, msg, len)) {
        unsigned rcode = len >= DNS_HDR_LEN ? msg[3] & 0xfu : DNS_RCODE_SERVFAIL;
        stats_observe(st, STATS_TCP, rcode, stats_now_ns() - t_recv);
    } else if (msg) {
        stats_inc(&st->dropped[STATS_TCP]);
        tcp_conn_close(c);
    }
    if (c->dead) {
        if (!c->forwards)
            tcp_conn_free(c);
        return;
    }
    if (!tcp_finished(c))
        tcp_idle_sync(c);
}
/* Answers one framed message. Returns false when the connection should be dropped. */
static bool tcp_message(struct tcp_conn *c, const uint8_t *msg, size_t len)
{
    struct net_tcp *t = c->t;
    uint64_t t_recv = stats_now_ns();
    struct query_info info;
    struct query_req req = {.buf = msg,
                            .len = len,
                            .proto = QUERY_PROTO_TCP,
                            .peer = (struct sockaddr *)&c->peer,
                            .now = (uint32_t)time(NULL)};
    struct query_resp resp = {.buf = t->resp, .cap = sizeof(t->resp)};

    const struct snap *s = snap_read_begin(t->slot);
    bool log_queries = s && s->opts.log_queries;
    req.recursion = s && s->opts.forwarding && t->have_hooks &&
                    cidr_match(s->opts.acl, s->opts.nacl, (struct sockaddr *)&c->peer);
    req.updates = t->have_hooks && t->hooks.update;
    query_process(s, &req, &resp, &t->arena, &info);
    bool forward = false;
    if (info.outcome == QUERY_OUTCOME_FORWARD) {
        int n =
            t->hooks.cached(t->hooks.ctx, &info, TCP_MSG_MAX, t->resp, sizeof(t->resp), t->stats);
        if (n > 0)
            resp.len = (size_t)n;
        else
            forward = (info.flags & DNS_FLAG_RD) != 0;
    }
    snap_read_end();
    arena_reset(&t->arena);
    if (log_queries)
        net_qlog_write(&info);
    stats_query(t->stats, STATS_TCP, info.has_question, info.qtype);
    if (info.outcome == QUERY_OUTCOME_UPDATE) {
        /* RFC 2136: the control plane answers on this connection later. */
        struct tcp_pending *tp = calloc(1, sizeof(*tp));
        uint8_t *copy = tp ? malloc(len) : NULL;
        if (!copy) {
            free(tp);
            stats_inc(&t->stats->dropped[STATS_TCP]);
            return true;
        }
        memcpy(copy, msg, len);
        tp->p.qi = info;
        tp->p.limit = TCP_MSG_MAX;
        tp->p.deliver = tcp_deliver;
        tp->p.msg = copy;
        tp->p.msglen = len;
        tp->p.tcp = true;
        memcpy(&tp->p.peer, &c->peer, sizeof(tp->p.peer));
        tp->c = c;
        tp->t_recv = t_recv;
        c->forwards++;
        t->hooks.update(t->hooks.ctx, &tp->p);
        return true;
    }
    if (forward) {
        struct tcp_pending *tp = malloc(sizeof(*tp));
        if (tp) {
            tp->p.qi = info;
            tp->p.limit = TCP_MSG_MAX;
            tp->p.deliver = tcp_deliver;
            tp->p.msg = NULL;
            tp->c = c;
            tp->t_recv = t_recv;
            c->forwards++;
            stats_inc(&t->stats->forwarded);
            t->hooks.forward(t->hooks.ctx, &tp->p);
            return true;
        }
    }
    if (!resp.len) {
        stats_inc(&t->stats->dropped[STATS_TCP]);
        return len >= 12; /* garbage that is not even a header ends the connection */
    }
    if (!tcp_send(c, t->resp, resp.len)) {
        stats_inc(&t->stats->dropped[STATS_TCP]);
        return false;
    }
    stats_observe(t->stats, STATS_TCP, t->resp[3] & 0xfu, stats_now_ns() - t_recv);
    return true;
}

static void tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    struct tcp_conn *c = s->data;
    if (nread == UV_EOF && (c->pending || c->forwards)) {
        /* Half-closed (RFC 7766 6.2.4 style): answer what was asked, then close. */
        c->eof = true;
        tcp_flow(c);
        return;
    }
    if (nread < 0) {
        tcp_conn_close(c);
        return;
    }
    if (nread == 0)
        return;
    /* No timer restart here: only a complete message counts as activity (tcp_process). */
    c->rlen += (size_t)nread;
    tcp_process(c);
    tcp_flow(c);
    tcp_idle_sync(c);
}

static void tcp_reject_closed(uv_handle_t *h)
{
    free(h);
}

/* Takes a connection off the listen queue and closes it at once (without accepting the
 * connection libuv would stop watching the listener). */
static void tcp_reject(struct net_tcp *t, uv_stream_t *server)
{
    uv_tcp_t *tmp = malloc(sizeof(*tmp));
    if (!tmp)
        return;
    uv_tcp_init(t->loop, tmp);
    if (uv_accept(server, (uv_stream_t *)tmp) == 0)
        tcp_limit_hit(t, TCP_LIMIT_FULL);
    uv_close((uv_handle_t *)tmp, tcp_reject_closed);
}

static void tcp_accept(uv_stream_t *server, int status)
{
    struct net_tcp *t = server->data;
    if (status < 0 || t->stopping)
        return;
    bool full = t->nlive >= t->opts.max_clients;
    if (full && !t->idle_head) {
        tcp_reject(t, server); /* every slot is busy answering */
        return;
    }
    struct tcp_conn *c = malloc(sizeof(*c));
    if (!c) {
        tcp_reject(t, server);
        return;
    }
    memset(c, 0, offsetof(struct tcp_conn, rbuf));
    c->t = t;
    uv_tcp_init(t->loop, &c->h);
    uv_timer_init(t->loop, &c->timer);
    c->h.data = c;
    c->timer.data = c;
    c->open_handles = 2;
    c->next = t->conns;
    if (t->conns)
        t->conns->prev = c;
    t->conns = c;
    t->nconns++;
    if (uv_accept(server, (uv_stream_t *)&c->h) < 0) {
        tcp_conn_close(c);
        return;
    }
    int plen = sizeof(c->peer);
    if (uv_tcp_getpeername(&c->h, (struct sockaddr *)&c->peer, &plen) < 0)
        memset(&c->peer, 0, sizeof(c->peer));
    uint8_t key[16];
    tcp_addr_key(&c->peer, key);
    /* The address limit first, so that a client over it cannot evict anyone. */
    if (t->opts.max_per_ip && tcp_addr_count(t, key) >= t->opts.max_per_ip) {
        tcp_limit_hit(t, TCP_LIMIT_PER_IP);
        tcp_conn_close(c);
        return;
    }
    if (full) {
        tcp_limit_hit(t, TCP_LIMIT_EVICT);
        tcp_conn_close(t->idle_head); /* nothing ran since the check: it is still there */
    }
    c->addr = tcp_addr_acquire(t, key); /* after the eviction, which may free a node */
    if (!c->addr) {
        tcp_conn_close(c);
        return;
    }
    c->live = true;
    t->nlive++;
    uv_tcp_nodelay(&c->h, 1);
    tcp_conn_touch(c);
    c->reading = uv_read_start((uv_stream_t *)&c->h, tcp_alloc, tcp_read) == 0;
    if (!c->reading) {
        tcp_conn_close(c);
        return;
    }
    tcp_idle_sync(c);
}

int net_tcp_start(uv_loop_t *loop, int fd, struct snap_slot *slot, const struct net_tcp_opts *opts,
                  const struct net_hooks *hooks, struct net_tcp **out)
{
    struct net_tcp *t = hugemem_alloc(sizeof(*t), false); /* 80 KB, touched as used */
    if (!t)
        return -ENOMEM;
    /* One bucket per allowed connection at most (chains stay short); a power of two. */
    t->nbuckets = 16;
    while (t->nbuckets < opts->max_clients && t->nbuckets < ((size_t)1 << 20))
        t->nbuckets <<= 1;
    t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
    if (!t->buckets) {
        hugemem_free(t, sizeof(*t));
        return -ENOMEM;
    }
    if (getrandom(t->hkey, sizeof(t->hkey), 0) != (ssize_t)sizeof(t->hkey)) {
        /* No entropy yet (early boot): the time still keeps the key unpredictable enough
         * for chain lengths, which is all it protects. */
        uint64_t now = stats_now_ns() ^ (uint64_t)time(NULL) << 20;
        memcpy(t->hkey, &now, sizeof(now));
    }
    t->stats = stats_block_new(); /* not freed with t: see stats/stats.h */
    if (!t->stats) {
        tcp_free(t);
        return -ENOMEM;
    }
    if (hooks) {
        t->hooks = *hooks;
        t->have_hooks = true;
    }
    t->loop = loop;
    t->slot = slot;
    t->opts = *opts;
    arena_init_fixed(&t->arena, t->arena_mem, sizeof(t->arena_mem));
    int r = uv_tcp_init(loop, &t->listener);
    if (r == 0)
        r = uv_tcp_open(&t->listener, fd);
    t->listener.data = t;
    if (r == 0)
        r = uv_listen((uv_stream_t *)&t->listener, 128, tcp_accept);
    if (r < 0) {
        tcp_free(t);
        return r;
    }
    *out = t;
    return 0;
}

void net_tcp_set_opts(struct net_tcp *t, const struct net_tcp_opts *opts)
{
    t->opts = *opts;
}

static void tcp_listener_closed(uv_handle_t *h)
{
    struct net_tcp *t = h->data;
    t->listener_closed = true;
    if (t->nconns == 0)
        tcp_free(t);
}

void net_tcp_stop(struct net_tcp *t)
{
    if (!t || t->stopping)
        return;
    t->stopping = true;
    for (struct tcp_conn *c = t->conns; c; c = c->next)
        tcp_conn_close(c);
    uv_close((uv_handle_t *)&t->listener, tcp_listener_closed);
}
