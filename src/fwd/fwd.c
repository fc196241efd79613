/*
 * Forwarder. A question lives from the first client that asks it until an upstream answers
 * (or all fail); later clients with the same question join its waiters. Each try at an
 * upstream is an attempt: its own socket (UDP, then TCP if the reply was truncated) and a
 * fresh ID. An attempt that ends - answered, timed out, failed - is abandoned: its handle is
 * closed and late callbacks find it detached from the question and do nothing.
 */
#include "fwd/fwd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <urcu.h>

#include "dns/dns.h"
#include "dns/msg.h"
#include "stats/stats.h"
#include "util/err.h"
#include "util/hugemem.h"
#include "util/log.h"
#include "util/siphash.h"

#define FWD_BUCKETS       4096
#define FWD_MAX_QUESTIONS 10000
#define FWD_MAX_WAITERS   1000
#define FWD_LOG           "nanodns.forwarder"

struct fwd_question;

struct fwd_attempt {
    struct fwd_question *q; /* NULL once abandoned */
    struct fwd_upstream up;
    bool tcp;
    uint64_t t_sent; /* stats_now_ns when sent (UDP) or when connecting began (TCP) */
    union {
        uv_handle_t handle;
        uv_udp_t udp;
        uv_tcp_t tcp;
    } h;
    uv_connect_t connect;
    uv_write_t write;
    uint8_t out[2 + 512];
    size_t out_len;
    uint8_t *in;
    size_t in_len, in_cap;
};

struct fwd_question {
    struct fwd_question *next;
    struct fwd *f;
    struct cache_key key;
    unsigned long hash;
    struct net_pending *waiters;
    size_t nwaiters;
    size_t upstream;
    uint16_t id;
    uint8_t query[512];
    size_t qlen;
    struct fwd_attempt *att;
    uv_timer_t timer;
};

struct fwd {
    uv_loop_t *loop;
    struct cache *cache;
    struct fwd_config cfg;
    struct fwd_stats stats;
    uv_async_t async;
    pthread_mutex_t lock;
    struct net_pending *queue;
    struct net_pending **queue_tail;
    bool stopping;
    struct fwd_question *buckets[FWD_BUCKETS];
    size_t nquestions;
    uint8_t hkey[16];
    uint8_t render[DNS_MSG_MAX];
};

static void fwd__attempt(struct fwd_question *q);

/* ---- counters (read from other threads: relaxed stores) -------------------------------- */

static void fwd__count(uint64_t *c)
{
    stats_inc(c);
}

static void fwd__pending(struct fwd *f)
{
    stats_set(&f->stats.pending, f->nquestions);
}

/* The current attempt has a reply (of any kind) from its upstream. */
static void fwd__answered(struct fwd *f, const struct fwd_attempt *a)
{
    uint64_t ns = stats_now_ns() - a->t_sent;
    fwd__count(&f->stats.latency[stats_bucket(metrics_upstream_bounds_ns, METRICS_NUPLAT, ns)]);
    stats_add(&f->stats.latency_sum_ns, ns);
}

/* ---- addresses -------------------------------------------------------------------------- */

int fwd_parse_upstream(const char *text, uint16_t default_port, struct fwd_upstream *out)
{
    char host[64];
    unsigned long port = default_port;
    const char *p = text;
    memset(out, 0, sizeof(*out));
    snprintf(out->text, sizeof(out->text), "%s", text);
    struct sockaddr_in *in4 = (struct sockaddr_in *)&out->addr;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&out->addr;
    if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        out->len = sizeof(*in6);
        return 0;
    }
    const char *portp = NULL;
    size_t hlen;
    bool v6 = false;
    if (*p == '[') {
        const char *end = strchr(p, ']');
        if (!end)
            return ERR_SYNTAX;
        hlen = (size_t)(end - p - 1);
        p++;
        v6 = true;
        if (end[1] == ':')
            portp = end + 2;
        else if (end[1])
            return ERR_SYNTAX;
    } else {
        const char *colon = strchr(p, ':');
        hlen = colon ? (size_t)(colon - p) : strlen(p);
        if (colon)
            portp = colon + 1;
    }
    if (hlen == 0 || hlen >= sizeof(host))
        return ERR_SYNTAX;
    memcpy(host, p, hlen);
    host[hlen] = 0;
    if (portp) {
        char *end;
        errno = 0;
        port = strtoul(portp, &end, 10);
        if (errno || *end || end == portp || port == 0 || port > 65535)
            return ERR_SYNTAX;
    }
    if (v6 && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        out->len = sizeof(*in6);
        return 0;
    }
    if (!v6 && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        out->len = sizeof(*in4);
        return 0;
    }
    return ERR_SYNTAX;
}

static bool fwd__same_addr(const struct sockaddr *a, const struct sockaddr_storage *b)
{
    if (a->sa_family != b->ss_family)
        return false;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

/* ---- answers to clients ----------------------------------------------------------------- */

/* An answer without data (SERVFAIL, REFUSED) for one client. */
static size_t fwd__error(struct fwd *f, const struct net_pending *p, uint8_t rcode)
{
    const struct query_info *qi = &p->qi;
    uint8_t *b = f->render;
    size_t nlen = dns_name_len(qi->qname), len = 0;
    uint16_t flags = DNS_FLAG_QR | DNS_FLAG_RA | (qi->flags & (DNS_FLAG_RD | DNS_FLAG_CD)) | rcode;
    b[len++] = (uint8_t)(qi->id >> 8);
    b[len++] = (uint8_t)qi->id;
    b[len++] = (uint8_t)(flags >> 8);
    b[len++] = (uint8_t)flags;
    static const uint8_t counts[8] = {0, 1, 0, 0, 0, 0, 0, 0};
    memcpy(b + len, counts, 8);
    len += 8;
    memcpy(b + len, qi->qname, nlen);
    len += nlen;
    b[len++] = (uint8_t)(qi->qtype >> 8);
    b[len++] = (uint8_t)qi->qtype;
    b[len++] = (uint8_t)(qi->qclass >> 8);
    b[len++] = (uint8_t)qi->qclass;
    if (qi->edns) {
        b[11] = 1;
        const uint8_t opt[11] = {0,
                                 0,
                                 DNS_TYPE_OPT,
                                 (uint8_t)(f->cfg.payload >> 8),
                                 (uint8_t)f->cfg.payload,
                                 0,
                                 0,
                                 qi->edns_do ? 0x80 : 0,
                                 0,
                                 0,
                                 0};
        memcpy(b + len, opt, sizeof(opt));
        len += sizeof(opt);
    }
    return len;
}

static void fwd__client(struct fwd *f, const struct net_pending *p, struct cache_client *cl)
{
    *cl = (struct cache_client){
        .id = p->qi.id,
        .flags = p->qi.flags,
        .qname = p->qi.qname,
        .edns = p->qi.edns,
        .do_bit = p->qi.edns_do,
        .limit = p->limit,
        .payload = f->cfg.payload,
    };
}

/* Answers one client with `msg`, or with `rcode` when msg is NULL, and lets it go. */
static void fwd__answer(struct fwd *f, struct net_pending *p, const struct cache_msg *msg,
                        uint8_t rcode)
{
    int len = -1;
    if (msg) {
        struct cache_client cl;
        fwd__client(f, p, &cl);
        len = cache_msg_render(msg, &cl, 0, f->render, sizeof(f->render));
    }
    if (len < 0)
        len = (int)fwd__error(f, p, msg ? DNS_RCODE_SERVFAIL : rcode);
    p->deliver(p, f->render, (size_t)len);
}

/* ---- questions -------------------------------------------------------------------------- */

static unsigned long fwd__hash(const struct fwd *f, const struct cache_key *k)
{
    uint8_t buf[DNS_NAME_MAXLEN + 5];
    memcpy(buf, k->name, k->name_len);
    buf[k->name_len] = (uint8_t)(k->type >> 8);
    buf[k->name_len + 1] = (uint8_t)k->type;
    buf[k->name_len + 2] = (uint8_t)(k->rclass >> 8);
    buf[k->name_len + 3] = (uint8_t)k->rclass;
    buf[k->name_len + 4] = k->do_bit;
    return (unsigned long)siphash24(f->hkey, buf, k->name_len + 5u);
}

static bool fwd__key_eq(const struct cache_key *a, const struct cache_key *b)
{
    return a->name_len == b->name_len && a->type == b->type && a->rclass == b->rclass &&
           a->do_bit == b->do_bit && memcmp(a->name, b->name, a->name_len) == 0;
}

static void fwd__key(const struct query_info *qi, struct cache_key *k)
{
    k->name_len = (uint8_t)dns_name_copy_lower(k->name, qi->qname);
    k->type = qi->qtype;
    k->rclass = qi->qclass;
    k->do_bit = qi->edns_do;
}

static void fwd__attempt_closed(uv_handle_t *h)
{
    struct fwd_attempt *a = h->data;
    free(a->in);
    free(a);
}

static void fwd__abandon(struct fwd_question *q)
{
    struct fwd_attempt *a = q->att;
    if (!a)
        return;
    q->att = NULL;
    a->q = NULL;
    uv_close(&a->h.handle, fwd__attempt_closed);
}

static void fwd__question_closed(uv_handle_t *h)
{
    free(h->data);
}

/* Ends a question: every waiter gets `msg` (or SERVFAIL), the cache gets msg. */
static void fwd__finish(struct fwd_question *q, struct cache_msg *msg)
{
    struct fwd *f = q->f;
    fwd__abandon(q);
    uv_timer_stop(&q->timer);
    struct fwd_question **pp = &f->buckets[q->hash % FWD_BUCKETS];
    while (*pp != q)
        pp = &(*pp)->next;
    *pp = q->next;
    f->nquestions--;
    fwd__pending(f);
    if (!msg)
        fwd__count(&f->stats.failures);
    /* Into the cache before any client hears the answer: a client that asks again at once
     * (or without RD) must find it there. The entry stays valid while we answer: only this
     * thread evicts or flushes. */
    bool cached = msg && f->cfg.cache_enabled && cache_store(f->cache, &q->key, msg);
    while (q->waiters) {
        struct net_pending *p = q->waiters;
        q->waiters = p->next;
        fwd__answer(f, p, msg, DNS_RCODE_SERVFAIL);
    }
    if (msg && !cached)
        cache_msg_free(msg);
    uv_close((uv_handle_t *)&q->timer, fwd__question_closed);
}

/* The current upstream failed: go on with the next one. */
static void fwd__next(struct fwd_question *q)
{
    fwd__abandon(q);
    q->upstream++;
    fwd__attempt(q);
}

/* The current attempt failed other than by timing out. */
static void fwd__fail(struct fwd_question *q)
{
    fwd__count(&q->f->stats.errors);
    fwd__next(q);
}

/* A reply arrived from the upstream of the current attempt. */
static void fwd__reply(struct fwd_question *q, const uint8_t *data, size_t len)
{
    uint8_t rcode = (uint8_t)(data[3] & 0xf);
    if (rcode != DNS_RCODE_NOERROR && rcode != DNS_RCODE_NXDOMAIN) {
        log_debug(FWD_LOG, "upstream %s answered RCODE %u", q->att->up.text, rcode);
        fwd__fail(q);
        return;
    }
    struct cache_msg *msg;
    int r = cache_msg_new(data, len, q->key.name, q->key.type, q->key.rclass, q->f->cfg.cache_ttl,
                          &msg);
    if (r) {
        log_debug(FWD_LOG, "upstream %s sent a reply that does not parse", q->att->up.text);
        fwd__fail(q);
        return;
    }
    fwd__finish(q, msg);
}

/* Is this the reply to our query: our ID, a response, our question? (The full check is in
 * cache_msg_new; this one decides whether to listen on.) */
static bool fwd__ours(const struct fwd_question *q, const uint8_t *data, size_t len)
{
    struct cursor c;
    struct dns_header h;
    struct dns_question qq;
    cursor_init(&c, data, len);
    if (dns_msg_header(&c, &h) || h.id != q->id || !(h.flags & DNS_FLAG_QR) || h.qdcount != 1)
        return false;
    if (dns_msg_question(&c, &qq))
        return false;
    return qq.qtype == q->key.type && qq.qclass == q->key.rclass &&
           dns_name_equal(qq.name, q->key.name);
}

/* ---- TCP -------------------------------------------------------------------------------- */

static void fwd__tcp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    struct fwd_attempt *a = h->data;
    if (a->in_cap - a->in_len < 4096 && a->in_cap < 2 + DNS_MSG_MAX) {
        size_t ncap = a->in_cap ? a->in_cap * 2 : 4096;
        if (ncap > 2 + DNS_MSG_MAX)
            ncap = 2 + DNS_MSG_MAX;
        uint8_t *n = realloc(a->in, ncap);
        if (n) {
            a->in = n;
            a->in_cap = ncap;
        }
    }
    buf->base = (char *)a->in + a->in_len;
    buf->len = a->in_cap - a->in_len;
}

static void fwd__tcp_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    struct fwd_attempt *a = s->data;
    struct fwd_question *q = a->q;
    if (!q || nread == 0)
        return;
    if (nread < 0) {
        fwd__fail(q);
        return;
    }
    a->in_len += (size_t)nread;
    if (a->in_len < 2)
        return;
    size_t mlen = (size_t)a->in[0] << 8 | a->in[1];
    if (a->in_len < 2 + mlen)
        return;
    if (!fwd__ours(q, a->in + 2, mlen)) {
        fwd__fail(q); /* one connection, one query: anything else is wrong */
        return;
    }
    fwd__answered(q->f, a);
    fwd__reply(q, a->in + 2, mlen);
}

static void fwd__tcp_written(uv_write_t *w, int status)
{
    struct fwd_attempt *a = w->data;
    if (status < 0 && a->q)
        fwd__fail(a->q);
}

static void fwd__tcp_connected(uv_connect_t *c, int status)
{
    struct fwd_attempt *a = c->data;
    struct fwd_question *q = a->q;
    if (!q)
        return;
    if (status < 0) {
        fwd__fail(q);
        return;
    }
    uv_buf_t b = uv_buf_init((char *)a->out, (unsigned)a->out_len);
    a->write.data = a;
    if (uv_write(&a->write, (uv_stream_t *)&a->h.tcp, &b, 1, fwd__tcp_written) < 0 ||
        uv_read_start((uv_stream_t *)&a->h.tcp, fwd__tcp_alloc, fwd__tcp_read) < 0)
        fwd__fail(q);
}

/* Asks the same upstream again over TCP (its UDP reply was truncated). */
static void fwd__retry_tcp(struct fwd_question *q)
{
    struct fwd *f = q->f;
    struct fwd_upstream up = q->att->up;
    fwd__abandon(q);
    fwd__count(&f->stats.tcp_retries);
    struct fwd_attempt *a = calloc(1, sizeof(*a));
    if (!a) {
        fwd__count(&f->stats.errors);
        q->upstream++;
        fwd__attempt(q);
        return;
    }
    a->q = q;
    a->up = up;
    a->tcp = true;
    a->h.handle.data = a;
    a->connect.data = a;
    a->out[0] = (uint8_t)(q->qlen >> 8);
    a->out[1] = (uint8_t)q->qlen;
    memcpy(a->out + 2, q->query, q->qlen);
    a->out_len = 2 + q->qlen;
    uv_tcp_init(f->loop, &a->h.tcp);
    q->att = a;
    uv_timer_again(&q->timer);
    a->t_sent = stats_now_ns();
    fwd__count(&f->stats.queries);
    if (uv_tcp_connect(&a->connect, &a->h.tcp, (const struct sockaddr *)&a->up.addr,
                       fwd__tcp_connected) < 0)
        fwd__fail(q);
}

/* ---- UDP -------------------------------------------------------------------------------- */

static void fwd__udp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    struct fwd_attempt *a = h->data;
    if (!a->in) {
        a->in = malloc(DNS_MSG_MAX);
        a->in_cap = a->in ? DNS_MSG_MAX : 0;
    }
    buf->base = (char *)a->in;
    buf->len = a->in_cap;
}

static void fwd__udp_read(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                          const struct sockaddr *from, unsigned flags)
{
    (void)buf;
    struct fwd_attempt *a = h->data;
    struct fwd_question *q = a->q;
    if (!q || nread <= 0 || !from || (flags & UV_UDP_PARTIAL))
        return;
    /* Only the address and port we asked, with our ID and question: anything else may be a
     * spoofing attempt and is ignored while we go on waiting. */
    if (!fwd__same_addr(from, &a->up.addr) || !fwd__ours(q, a->in, (size_t)nread)) {
        log_debug(FWD_LOG, "ignored a reply that does not match a query to %s", a->up.text);
        return;
    }
    fwd__answered(q->f, a);
    if (a->in[2] & (DNS_FLAG_TC >> 8)) {
        fwd__retry_tcp(q);
        return;
    }
    fwd__reply(q, a->in, (size_t)nread);
}

static void fwd__timeout(uv_timer_t *t)
{
    struct fwd_question *q = t->data;
    if (q->att) {
        log_debug(FWD_LOG, "upstream %s did not answer in time", q->att->up.text);
        fwd__count(&q->f->stats.timeouts);
    }
    fwd__next(q);
}

/* Sends the question to upstream number q->upstream; with none left, answers SERVFAIL. */
static void fwd__attempt(struct fwd_question *q)
{
    struct fwd *f = q->f;
    for (; q->upstream < f->cfg.n; q->upstream++) {
        const struct fwd_upstream *up = &f->cfg.up[q->upstream];
        uint16_t id;
        if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
            id = (uint16_t)(uintptr_t)q ^ (uint16_t)cache_now_ms();
        q->id = id;
        q->query[0] = (uint8_t)(id >> 8);
        q->query[1] = (uint8_t)id;

        struct fwd_attempt *a = calloc(1, sizeof(*a));
        if (!a)
            break;
        a->q = q;
        a->up = *up;
        a->h.handle.data = a;
        int r = uv_udp_init_ex(f->loop, &a->h.udp, up->addr.ss_family);
        if (r < 0) {
            free(a);
            fwd__count(&f->stats.errors);
            continue;
        }
        q->att = a;
        /* A socket of its own bound to port 0: the kernel picks a random source port. */
        struct sockaddr_storage any = {.ss_family = up->addr.ss_family};
        if (uv_udp_bind(&a->h.udp, (const struct sockaddr *)&any, 0) < 0 ||
            uv_udp_recv_start(&a->h.udp, fwd__udp_alloc, fwd__udp_read) < 0) {
            fwd__abandon(q);
            fwd__count(&f->stats.errors);
            continue;
        }
        uv_buf_t b = uv_buf_init((char *)q->query, (unsigned)q->qlen);
        if (uv_udp_try_send(&a->h.udp, &b, 1, (const struct sockaddr *)&up->addr) < 0) {
            fwd__abandon(q);
            fwd__count(&f->stats.errors);
            continue;
        }
        a->t_sent = stats_now_ns();
        fwd__count(&f->stats.queries);
        uv_timer_start(&q->timer, fwd__timeout, f->cfg.timeout_ms, f->cfg.timeout_ms);
        return;
    }
    fwd__finish(q, NULL);
}

/* The upstream query for a question: RD, our OPT (with DO when the clients asked for it). */
static size_t fwd__query(const struct fwd *f, const struct cache_key *k, uint8_t *b)
{
    size_t len = 0;
    static const uint8_t hdr[12] = {0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1};
    memcpy(b, hdr, sizeof(hdr));
    len = sizeof(hdr);
    memcpy(b + len, k->name, k->name_len);
    len += k->name_len;
    b[len++] = (uint8_t)(k->type >> 8);
    b[len++] = (uint8_t)k->type;
    b[len++] = (uint8_t)(k->rclass >> 8);
    b[len++] = (uint8_t)k->rclass;
    const uint8_t opt[11] = {0,
                             0,
                             DNS_TYPE_OPT,
                             (uint8_t)(f->cfg.payload >> 8),
                             (uint8_t)f->cfg.payload,
                             0,
                             0,
                             k->do_bit ? 0x80 : 0,
                             0,
                             0,
                             0};
    memcpy(b + len, opt, sizeof(opt));
    return len + sizeof(opt);
}

/* A client's question, on the control thread. */
static void fwd__take(struct fwd *f, struct net_pending *p)
{
    if (f->cfg.n == 0) {
        fwd__answer(f, p, NULL, DNS_RCODE_REFUSED);
        return;
    }
    struct cache_key k;
    fwd__key(&p->qi, &k);
    if (f->cfg.cache_enabled && f->cache) {
        /* Answered while this one waited in the queue? */
        struct cache_client cl;
        struct cache_stats st = {0};
        fwd__client(f, p, &cl);
        rcu_read_lock();
        int len = cache_answer(f->cache, &k, &cl, f->render, sizeof(f->render), &st);
        rcu_read_unlock();
        if (len > 0) {
            p->deliver(p, f->render, (size_t)len);
            return;
        }
    }
    unsigned long h = fwd__hash(f, &k);
    for (struct fwd_question *q = f->buckets[h % FWD_BUCKETS]; q; q = q->next) {
        if (q->hash == h && fwd__key_eq(&q->key, &k)) {
            if (q->nwaiters >= FWD_MAX_WAITERS) {
                fwd__answer(f, p, NULL, DNS_RCODE_SERVFAIL);
                return;
            }
            p->next = q->waiters;
            q->waiters = p;
            q->nwaiters++;
            fwd__count(&f->stats.deduplicated);
            return;
        }
    }
    struct fwd_question *q = f->nquestions < FWD_MAX_QUESTIONS ? calloc(1, sizeof(*q)) : NULL;
    if (!q) {
        fwd__answer(f, p, NULL, DNS_RCODE_SERVFAIL);
        return;
    }
    q->f = f;
    q->key = k;
    q->hash = h;
    p->next = NULL;
    q->waiters = p;
    q->nwaiters = 1;
    q->qlen = fwd__query(f, &k, q->query);
    uv_timer_init(f->loop, &q->timer);
    q->timer.data = q;
    q->next = f->buckets[h % FWD_BUCKETS];
    f->buckets[h % FWD_BUCKETS] = q;
    f->nquestions++;
    fwd__pending(f);
    fwd__attempt(q);
}

static void fwd__wake(uv_async_t *h)
{
    struct fwd *f = h->data;
    pthread_mutex_lock(&f->lock);
    struct net_pending *list = f->queue;
    f->queue = NULL;
    f->queue_tail = &f->queue;
    pthread_mutex_unlock(&f->lock);
    while (list) {
        struct net_pending *p = list;
        list = p->next;
        fwd__take(f, p);
    }
}

/* ---- life cycle ------------------------------------------------------------------------- */

struct fwd *fwd_new(uv_loop_t *loop, struct cache *cache)
{
    struct fwd *f = hugemem_alloc(sizeof(*f), false);
    if (!f)
        return NULL;
    f->loop = loop;
    f->cache = cache;
    f->queue_tail = &f->queue;
    f->cfg.payload = DNS_EDNS_DEFAULT_PAYLOAD;
    f->cfg.timeout_ms = 3000;
    if (getrandom(f->hkey, sizeof(f->hkey), 0) != (ssize_t)sizeof(f->hkey)) {
        uint64_t t = cache_now_ms();
        memcpy(f->hkey, &t, sizeof(t));
    }
    pthread_mutex_init(&f->lock, NULL);
    if (uv_async_init(loop, &f->async, fwd__wake) < 0) {
        pthread_mutex_destroy(&f->lock);
        hugemem_free(f, sizeof(*f));
        return NULL;
    }
    f->async.data = f;
    return f;
}

void fwd_configure(struct fwd *f, const struct fwd_config *cfg)
{
    f->cfg = *cfg;
    if (!f->cfg.payload)
        f->cfg.payload = DNS_EDNS_DEFAULT_PAYLOAD;
    if (!f->cfg.timeout_ms)
        f->cfg.timeout_ms = 1;
}

void fwd_submit(struct fwd *f, struct net_pending *p)
{
    pthread_mutex_lock(&f->lock);
    if (f->stopping) {
        pthread_mutex_unlock(&f->lock);
        p->deliver(p, NULL, 0);
        return;
    }
    p->next = NULL;
    *f->queue_tail = p;
    f->queue_tail = &p->next;
    pthread_mutex_unlock(&f->lock);
    uv_async_send(&f->async);
}

void fwd_stop(struct fwd *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->lock);
    f->stopping = true;
    struct net_pending *list = f->queue;
    f->queue = NULL;
    f->queue_tail = &f->queue;
    pthread_mutex_unlock(&f->lock);
    while (list) {
        struct net_pending *p = list;
        list = p->next;
        p->deliver(p, NULL, 0);
    }
    for (size_t b = 0; b < FWD_BUCKETS; b++) {
        while (f->buckets[b]) {
            struct fwd_question *q = f->buckets[b];
            f->buckets[b] = q->next;
            f->nquestions--;
            fwd__pending(f);
            while (q->waiters) {
                struct net_pending *p = q->waiters;
                q->waiters = p->next;
                p->deliver(p, NULL, 0);
            }
            fwd__abandon(q);
            uv_timer_stop(&q->timer);
            uv_close((uv_handle_t *)&q->timer, fwd__question_closed);
        }
    }
    uv_close((uv_handle_t *)&f->async, NULL);
}

void fwd_free(struct fwd *f)
{
    if (!f)
        return;
    pthread_mutex_destroy(&f->lock);
    hugemem_free(f, sizeof(*f));
}

_Static_assert(sizeof(struct fwd_stats) % sizeof(uint64_t) == 0,
               "struct fwd_stats holds uint64_t counters only");

void fwd_stats_read(const struct fwd *f, struct fwd_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!f)
        return;
    /* Every field is a uint64_t counter. */
    const uint64_t *in = (const uint64_t *)&f->stats;
    uint64_t *o = (uint64_t *)out;
    for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
        o[i] = __atomic_load_n(&in[i], __ATOMIC_RELAXED);
}
