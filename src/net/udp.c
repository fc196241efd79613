#include "net/udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/qlog.h"
#include "net/rrl.h"
#include "query/query.h"
#include "dns/dns.h"
#include "util/arena.h"
#include "util/cidr.h"
#include "util/log.h"

#define UDP_BATCH      64
#define UDP_RECV_SIZE  4096 /* a larger query is not a query we answer */
#define UDP_RESP_SIZE  4096 /* udp_max_payload is at most 4096 */
#define UDP_ARENA_SIZE 16384

union udp_ctl {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
    struct cmsghdr align;
};

struct udp_worker {
    struct net_udp *u;
    int fd; /* this worker's socket */
    unsigned index;
    pthread_t thread;
    bool started;
    unsigned armed; /* receive headers set up from the last batch: only those are reset */
    struct mmsghdr rmsg[UDP_BATCH];
    struct mmsghdr smsg[UDP_BATCH];
    struct iovec riov[UDP_BATCH];
    struct iovec siov[UDP_BATCH];
    struct sockaddr_storage peers[UDP_BATCH];
    union udp_ctl rctl[UDP_BATCH];
    union udp_ctl sctl[UDP_BATCH];
    struct query_info infos[UDP_BATCH];
    struct stats_block *stats; /* this worker's counters */
    unsigned rrl_slip;         /* rate-limited responses since the last one that slipped */
    uint8_t rbuf[UDP_BATCH][UDP_RECV_SIZE];
    uint8_t sbuf[UDP_BATCH][UDP_RESP_SIZE];
    _Alignas(16) uint8_t arena_mem[UDP_ARENA_SIZE];
};

struct net_udp {
    atomic_bool stop;
    bool pktinfo;
    struct snap_slot *slot;
    struct net_hooks hooks;
    bool have_hooks;
    struct stats_block *ctl_stats; /* forwarded answers, sent from the control thread */
    struct rrl *rrl;               /* response rate limiting, shared by the workers */
    int nworkers;
    struct udp_worker **workers;
};

/* Seconds of a coarse clock (a vDSO read), once per batch: CLOCK_REALTIME_COARSE for cookie
 * timestamps, CLOCK_MONOTONIC_COARSE for rate limiting, so that a clock step does not refill
 * or starve every bucket at once. */
static uint32_t udp_seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint32_t)ts.tv_sec;
}

/* Builds the reply's control message from the query's, so the reply leaves from the
 * address the query was sent to. Returns the control length (0: none). */
static size_t udp_reply_ctl(struct msghdr *rq, union udp_ctl *out)
{
    size_t len = 0;
    memset(out, 0, sizeof(*out));
    for (struct cmsghdr *c = CMSG_FIRSTHDR(rq); c; c = CMSG_NXTHDR(rq, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo in, reply = {0};
            memcpy(&in, CMSG_DATA(c), sizeof(in));
            reply.ipi_spec_dst = in.ipi_addr;
            struct cmsghdr *o = (struct cmsghdr *)(out->buf + len);
            o->cmsg_level = IPPROTO_IP;
            o->cmsg_type = IP_PKTINFO;
            o->cmsg_len = CMSG_LEN(sizeof(reply));
            memcpy(CMSG_DATA(o), &reply, sizeof(reply));
            return CMSG_SPACE(sizeof(reply));
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo in;
            memcpy(&in, CMSG_DATA(c), sizeof(in));
            struct cmsghdr *o = (struct cmsghdr *)(out->buf + len);
            o->cmsg_level = IPPROTO_IPV6;
            o->cmsg_type = IPV6_PKTINFO;
            o->cmsg_len = CMSG_LEN(sizeof(in));
            memcpy(CMSG_DATA(o), &in, sizeof(in));
            return CMSG_SPACE(sizeof(in));
        }
    }
    return len;
}

static void udp_send(struct udp_worker *w, unsigned n)
{
    int fd = w->fd;
    unsigned off = 0;
    while (off < n) {
        int r = sendmmsg(fd, w->smsg + off, n - off, MSG_DONTWAIT);
        if (r > 0) {
            off += (unsigned)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        /* A failed reply (unreachable peer, full buffer) is dropped; the client retries. */
        off++;
    }
}

/* A question waiting for the forwarder: where its answer goes. */
struct udp_pending {
    struct net_pending p;
    uint64_t t_recv;           /* when its datagram arrived (stats_now_ns) */
    struct stats_block *stats; /* the control thread's block (outlives the net_udp) */
    int fd;
    socklen_t peerlen;
    size_t ctllen;
    struct sockaddr_storage peer;
    union udp_ctl ctl;
};

/* On the control thread: the answer leaves from the worker's socket, as the query came in.
 * Without an answer (shutting down; possibly on another thread) nothing is counted. */
static void udp_deliver(struct net_pending *np, const uint8_t *msg, size_t len)
{
    struct udp_pending *up = (struct udp_pending *)np;
    if (msg) {
        struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
        struct msghdr mh = {
            .msg_name = &up->peer,
            .msg_namelen = up->peerlen,
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = up->ctllen ? up->ctl.buf : NULL,
            .msg_controllen = up->ctllen,
        };
        ssize_t r = sendmsg(up->fd, &mh, MSG_DONTWAIT);
        (void)r; /* a lost answer is retried by the client */
        unsigned rcode = len >= DNS_HDR_LEN ? msg[3] & 0xfu : DNS_RCODE_SERVFAIL;
        stats_observe(up->stats, STATS_UDP, rcode, stats_now_ns() - up->t_recv);
    }
    free(up->p.msg);
    free(up);
}

/* The largest answer a UDP client takes. */
static size_t udp_limit(const struct query_info *qi, const struct snap *s)
{
    if (!qi->edns)
        return 512;
    size_t ours = s->opts.udp_max_payload;
    size_t lim = qi->edns_udp < ours ? qi->edns_udp : ours;
    return lim < 512 ? 512 : lim;
}

/* A name outside our data, for a client that may use forwarding: the cache, else the
 * forwarder (if the client asked for recursion), else the REFUSED already in the buffer.
 * Returns the length to send now (0: the forwarder answers later). */
static size_t udp_forward(struct udp_worker *w, const struct snap *s, unsigned i, unsigned slot,
                          size_t len, uint64_t t_recv)
{
    struct net_udp *u = w->u;
    const struct query_info *qi = &w->infos[i];
    size_t limit = udp_limit(qi, s);
    int n = u->hooks.cached(u->hooks.ctx, qi, limit, w->sbuf[slot], UDP_RESP_SIZE, w->stats);
    if (n > 0)
        return (size_t)n;
    if (!(qi->flags & DNS_FLAG_RD))
        return len;
    struct udp_pending *p = malloc(sizeof(*p));
    if (!p)
        return len;
    struct msghdr *rq = &w->rmsg[i].msg_hdr;
    p->p.qi = *qi;
    p->p.limit = limit;
    p->p.deliver = udp_deliver;
    p->p.msg = NULL;
    p->t_recv = t_recv;
    p->stats = u->ctl_stats;
    p->fd = w->fd;
    p->peerlen = rq->msg_namelen;
    memcpy(&p->peer, &w->peers[i], sizeof(p->peer));
    p->ctllen = u->pktinfo ? udp_reply_ctl(rq, &p->ctl) : 0;
    stats_inc(&w->stats->forwarded);
    u->hooks.forward(u->hooks.ctx, &p->p);
    return 0;
}

/* An UPDATE (RFC 2136): the whole message goes to the control plane, which answers from
 * this worker's socket later. Off the hot path: it allocates. */
static void udp_update(struct udp_worker *w, unsigned i, uint64_t t_recv)
{
    struct net_udp *u = w->u;
    struct udp_pending *p = calloc(1, sizeof(*p));
    size_t len = w->rmsg[i].msg_len;
    uint8_t *msg = p ? malloc(len ? len : 1) : NULL;
    if (!msg) {
        free(p);
        stats_inc(&w->stats->dropped[STATS_UDP]);
        return;
    }
    memcpy(msg, w->rbuf[i], len);
    struct msghdr *rq = &w->rmsg[i].msg_hdr;
    p->p.qi = w->infos[i];
    p->p.limit = 512;
    p->p.deliver = udp_deliver;
    p->p.msg = msg;
    p->p.msglen = len;
    memcpy(&p->p.peer, &w->peers[i], sizeof(p->p.peer));
    p->t_recv = t_recv;
    p->stats = u->ctl_stats;
    p->fd = w->fd;
    p->peerlen = rq->msg_namelen;
    memcpy(&p->peer, &w->peers[i], sizeof(p->peer));
    p->ctllen = u->pktinfo ? udp_reply_ctl(rq, &p->ctl) : 0;
    u->hooks.update(u->hooks.ctx, &p->p);
}

/* Receives one batch, blocking until at least one datagram is there (MSG_WAITFORONE:
 * one system call takes what is queued, up to UDP_BATCH), answers it and sends the answers
 * with one sendmmsg. Returns false when the socket was shut down (stop). */
static bool udp_batch(struct udp_worker *w, struct arena *arena)
{
    struct net_udp *u = w->u;
    /* The kernel rewrites the name and control lengths of the headers it filled. */
    for (unsigned i = 0; i < w->armed; i++) {
        w->rmsg[i].msg_hdr.msg_namelen = sizeof(w->peers[i]);
        w->rmsg[i].msg_hdr.msg_controllen = u->pktinfo ? sizeof(w->rctl[i].buf) : 0;
    }
    int n = recvmmsg(w->fd, w->rmsg, UDP_BATCH, MSG_WAITFORONE, NULL);
    /* After shutdown(SHUT_RD) every receive returns at once with an empty datagram, so
     * recvmmsg fills the whole batch with them: the flag, not the count, says stop. */
    if (atomic_load_explicit(&u->stop, memory_order_relaxed))
        return false;
    if (n <= 0) {
        w->armed = 0;
        if (errno != EINTR && errno != EAGAIN && errno != ENOMEM && errno != ENOBUFS)
            log_error("nanodns.server", "UDP worker: receive failed: %s", strerror(errno));
        return true;
    }
    w->armed = (unsigned)n;
    /* One timestamp per batch: every query in it waited for the same sendmmsg. */
    uint64_t t_recv = stats_now_ns();
    uint32_t now = udp_seconds(CLOCK_REALTIME_COARSE);
    struct stats_block *st = w->stats;

    unsigned nsend = 0;
    const struct snap *s = snap_read_begin(u->slot);
    bool log_queries = s && s->opts.log_queries;
    /* Rate limiting off costs this test and one branch per query. */
    bool rrl_on = s && rrl_enabled(&s->opts.rrl);
    uint32_t mono = rrl_on ? udp_seconds(CLOCK_MONOTONIC_COARSE) : 0;
    for (int i = 0; i < n; i++) {
        struct msghdr *rq = &w->rmsg[i].msg_hdr;
        w->infos[i].has_question = false;
        if (rq->msg_flags & MSG_TRUNC) {
            stats_query(st, STATS_UDP, false, 0);
            stats_inc(&st->dropped[STATS_UDP]);
            continue;
        }
        struct query_req req = {
            .buf = w->rbuf[i],
            .len = w->rmsg[i].msg_len,
            .proto = QUERY_PROTO_UDP,
            .peer = (struct sockaddr *)&w->peers[i],
            .now = now};
        req.recursion = s && s->opts.forwarding && u->have_hooks &&
                        cidr_match(s->opts.acl, s->opts.nacl, (struct sockaddr *)&w->peers[i]);
        req.updates = u->have_hooks && u->hooks.update;
        struct query_resp resp = {.buf = w->sbuf[nsend], .cap = UDP_RESP_SIZE};
        query_process(s, &req, &resp, arena, &w->infos[i]);
        arena_reset(arena);
        stats_query(st, STATS_UDP, w->infos[i].has_question, w->infos[i].qtype);
        if (w->infos[i].outcome == QUERY_OUTCOME_UPDATE) {
            udp_update(w, (unsigned)i, t_recv);
            continue; /* answered by the control plane */
        }
        if (w->infos[i].outcome == QUERY_OUTCOME_FORWARD) {
            resp.len = udp_forward(w, s, (unsigned)i, nsend, resp.len, t_recv);
            if (!resp.len)
                continue; /* the forwarder answers it, from the control thread */
        }
        if (!resp.len) {
            stats_inc(&st->dropped[STATS_UDP]);
            continue;
        }
        if (rrl_on) {
            enum rrl_verdict v = rrl_check(u->rrl, &s->opts.rrl, (struct sockaddr *)&w->peers[i],
                                           &w->infos[i], resp.buf, resp.len, mono, &w->rrl_slip);
            /* A slip whose rewrite fails (never for our own responses) is dropped instead. */
            if (v == RRL_DROP || (v == RRL_SLIP && rrl_slip(resp.buf, resp.len, &resp.len))) {
                stats_inc(&st->rrl_dropped);
                stats_inc(&st->dropped[STATS_UDP]);
                continue;
            }
            if (v == RRL_SLIP)
                stats_inc(&st->rrl_slipped);
        }
        w->siov[nsend] = (struct iovec){.iov_base = w->sbuf[nsend], .iov_len = resp.len};
        size_t ctl = u->pktinfo ? udp_reply_ctl(rq, &w->sctl[nsend]) : 0;
        w->smsg[nsend].msg_hdr = (struct msghdr){
            .msg_name = &w->peers[i],
            .msg_namelen = rq->msg_namelen,
            .msg_iov = &w->siov[nsend],
            .msg_iovlen = 1,
            .msg_control = ctl ? w->sctl[nsend].buf : NULL,
            .msg_controllen = ctl,
        };
        nsend++;
    }
    snap_read_end();
    if (nsend) {
        udp_send(w, nsend);
        uint64_t lat = stats_now_ns() - t_recv;
        for (unsigned j = 0; j < nsend; j++)
            stats_observe(st, STATS_UDP, w->sbuf[j][3] & 0xfu, lat);
    }
    if (log_queries)
        for (int i = 0; i < n; i++)
            net_qlog_write(&w->infos[i]);
    return true;
}

static void *udp_worker_main(void *arg)
{
    struct udp_worker *w = arg;
    struct arena arena;
    arena_init_fixed(&arena, w->arena_mem, sizeof(w->arena_mem));
    struct net_udp *u = w->u;
    /* Named here, in one system call, rather than by pthread_setname_np from the starting
     * thread (open, write and close of /proc/self/task/N/comm on its way to the next). */
    char name[16];
    snprintf(name, sizeof(name), "nanodns-udp%u", w->index % 1000u);
    prctl(PR_SET_NAME, name, 0, 0, 0);
    for (unsigned i = 0; i < UDP_BATCH; i++) {
        w->riov[i] = (struct iovec){.iov_base = w->rbuf[i], .iov_len = UDP_RECV_SIZE};
        w->rmsg[i].msg_hdr = (struct msghdr){
            .msg_name = &w->peers[i],
            .msg_namelen = sizeof(w->peers[i]),
            .msg_iov = &w->riov[i],
            .msg_iovlen = 1,
            .msg_control = u->pktinfo ? w->rctl[i].buf : NULL,
            .msg_controllen = u->pktinfo ? sizeof(w->rctl[i].buf) : 0,
        };
    }
    snap_thread_online();
    /* Between batches the thread is blocked in recvmmsg: an RCU quiescent state by
     * construction (the read section ends inside udp_batch). */
    while (udp_batch(w, &arena))
        ;
    snap_thread_offline();
    return NULL;
}

/* Asks for the destination address only where it can differ: a wildcard bind. */
static bool udp_want_pktinfo(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    int one = 1;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        return false;
    if (ss.ss_family == AF_INET &&
        ((struct sockaddr_in *)&ss)->sin_addr.s_addr == htonl(INADDR_ANY))
        return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) == 0;
    if (ss.ss_family == AF_INET6 &&
        IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr)) {
        bool ok = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) == 0;
        /* IPv4 clients of a dual-stack socket come with IP_PKTINFO. */
        setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
        return ok;
    }
    return false;
}

/* Worker memory comes straight from mmap: zero pages that the kernel backs only when a
 * datagram of that size lands in a buffer, so an idle worker costs a few pages. */
static struct udp_worker *udp_worker_alloc(void)
{
    void *p = mmap(NULL, sizeof(struct udp_worker), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int net_udp_start(const int *fds, int nworkers, struct snap_slot *slot,
                  const struct net_hooks *hooks, struct net_udp **out)
{
    struct net_udp *u = calloc(1, sizeof(*u));
    if (!u)
        return -ENOMEM;
    u->slot = slot;
    if (hooks) {
        u->hooks = *hooks;
        u->have_hooks = true;
    }
    u->workers = calloc((size_t)nworkers, sizeof(*u->workers));
    u->ctl_stats = stats_block_new();
    if (!u->workers || !u->ctl_stats) {
        net_udp_stop(u);
        return -ENOMEM;
    }
    /* Small: the table itself is mapped by the first worker that limits a response. */
    int rr = rrl_new(&u->rrl);
    if (rr) {
        net_udp_stop(u);
        return rr;
    }
    for (int i = 0; i < nworkers; i++) {
        bool p = udp_want_pktinfo(fds[i]);
        if (i == 0)
            u->pktinfo = p;
    }

    for (int i = 0; i < nworkers; i++) {
        struct udp_worker *w = udp_worker_alloc();
        if (!w) {
            net_udp_stop(u);
            return -ENOMEM;
        }
        w->u = u;
        w->fd = fds[i];
        w->index = (unsigned)i;
        u->workers[u->nworkers++] = w;
        w->stats = stats_block_new();
        if (!w->stats) {
            net_udp_stop(u);
            return -ENOMEM;
        }
        int r = pthread_create(&w->thread, NULL, udp_worker_main, w);
        if (r) {
            net_udp_stop(u);
            return -r;
        }
        w->started = true;
    }
    *out = u;
    return 0;
}

void net_udp_stop(struct net_udp *u)
{
    if (!u)
        return;
    /* A blocked recvmmsg returns once its socket is shut down for reading; the kernel
     * reports ENOTCONN for an unconnected UDP socket but wakes the readers all the same. */
    atomic_store(&u->stop, true);
    for (int i = 0; i < u->nworkers; i++)
        shutdown(u->workers[i]->fd, SHUT_RD);
    for (int i = 0; i < u->nworkers; i++) {
        if (u->workers[i]->started)
            pthread_join(u->workers[i]->thread, NULL);
        munmap(u->workers[i], sizeof(struct udp_worker));
    }
    free(u->workers);
    rrl_free(u->rrl);
    free(u);
}
