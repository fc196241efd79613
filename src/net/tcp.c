#include "net/tcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/qlog.h"
#include "query/query.h"
#include "dns/dns.h"
#include "util/arena.h"
#include "util/cidr.h"
#include "util/hugemem.h"
#include "util/log.h"

#define TCP_MSG_MAX     65535
#define TCP_PENDING_MAX (256u * 1024) /* stop reading while this much is unsent */

struct tcp_conn {
    uv_tcp_t h; /* first: the handle's data points back here anyway */
    uv_timer_t timer;
    struct net_tcp *t;
    struct tcp_conn *prev, *next;
    size_t rlen;
    size_t pending;
    int open_handles;
    unsigned forwards; /* questions at the forwarder: the connection stays allocated */
    bool reading;
    bool closing;
    bool dead; /* closed while questions were at the forwarder */
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
    size_t nconns;
    bool stopping;
    bool listener_closed;
    struct net_hooks hooks;
    bool have_hooks;
    struct stats_block *stats; /* this loop's counters */
    uint8_t resp[TCP_MSG_MAX];
    _Alignas(16) uint8_t arena_mem[16384];
    struct arena arena;
};

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
        hugemem_free(t, sizeof(*t));
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
    uv_read_stop((uv_stream_t *)&c->h);
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->h, tcp_conn_closed);
    uv_close((uv_handle_t *)&c->timer, tcp_conn_closed);
}

static void tcp_idle(uv_timer_t *timer)
{
    tcp_conn_close(timer->data);
}

static void tcp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    struct tcp_conn *c = h->data;
    buf->base = (char *)c->rbuf + c->rlen;
    buf->len = sizeof(c->rbuf) - c->rlen;
}

static void tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void tcp_written(uv_write_t *req, int status)
{
    struct tcp_write *wr = (struct tcp_write *)req;
    struct tcp_conn *c = wr->c;
    c->pending -= wr->len;
    free(wr);
    if (status < 0) {
        tcp_conn_close(c);
        return;
    }
    if (!c->closing && !c->reading && c->pending < TCP_PENDING_MAX / 2) {
        c->reading = uv_read_start((uv_stream_t *)&c->h, tcp_alloc, tcp_read) == 0;
        if (!c->reading)
            tcp_conn_close(c);
    }
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
    return true;
}

/* The forwarder's answer (same thread: the loop's). Answers may overtake earlier ones on
 * the connection, as RFC 7766 6.2.1.1 allows. */
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
    if (c->dead && !c->forwards)
        tcp_conn_free(c);
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
    if (nread < 0) {
        tcp_conn_close(c);
        return;
    }
    if (nread == 0)
        return;
    c->rlen += (size_t)nread;
    uv_timer_again(&c->timer);
    size_t off = 0;
    while (!c->closing && c->rlen - off >= 2) {
        size_t mlen = (size_t)c->rbuf[off] << 8 | c->rbuf[off + 1];
        if (c->rlen - off < 2 + mlen)
            break;
        if (!tcp_message(c, c->rbuf + off + 2, mlen)) {
            tcp_conn_close(c);
            return;
        }
        off += 2 + mlen;
    }
    if (off) {
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
    }
    if (c->pending >= TCP_PENDING_MAX && c->reading) {
        uv_read_stop(s);
        c->reading = false;
    }
}

static void tcp_reject_closed(uv_handle_t *h)
{
    free(h);
}

static void tcp_accept(uv_stream_t *server, int status)
{
    struct net_tcp *t = server->data;
    if (status < 0 || t->stopping)
        return;
    if (t->nconns >= t->opts.max_clients) {
        /* Full: take the connection off the queue and close it at once. */
        uv_tcp_t *tmp = malloc(sizeof(*tmp));
        if (!tmp)
            return;
        uv_tcp_init(t->loop, tmp);
        if (uv_accept(server, (uv_stream_t *)tmp) == 0)
            log_debug("nanodns.server", "TCP connection refused: %zu clients", t->nconns);
        uv_close((uv_handle_t *)tmp, tcp_reject_closed);
        return;
    }
    struct tcp_conn *c = malloc(sizeof(*c));
    if (!c)
        return;
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
    uv_tcp_nodelay(&c->h, 1);
    int plen = sizeof(c->peer);
    if (uv_tcp_getpeername(&c->h, (struct sockaddr *)&c->peer, &plen) < 0)
        memset(&c->peer, 0, sizeof(c->peer));
    uv_timer_start(&c->timer, tcp_idle, t->opts.idle_timeout_ms, t->opts.idle_timeout_ms);
    c->reading = uv_read_start((uv_stream_t *)&c->h, tcp_alloc, tcp_read) == 0;
    if (!c->reading)
        tcp_conn_close(c);
}

int net_tcp_start(uv_loop_t *loop, int fd, struct snap_slot *slot, const struct net_tcp_opts *opts,
                  const struct net_hooks *hooks, struct net_tcp **out)
{
    struct net_tcp *t = hugemem_alloc(sizeof(*t), false); /* 80 KB, touched as used */
    if (!t)
        return -ENOMEM;
    t->stats = stats_block_new(); /* not freed with t: see stats/stats.h */
    if (!t->stats) {
        hugemem_free(t, sizeof(*t));
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
        hugemem_free(t, sizeof(*t));
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
        hugemem_free(t, sizeof(*t));
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
