/*
 * query_process: the single entry point of the hot path. It sizes the response (512 bytes
 * without EDNS, the client's EDNS size capped by ours over UDP, 65535 over TCP), echoes the
 * header and question, runs the lookup and fills in the flags:
 *   QR set; opcode, RD and CD copied; AA only for authoritative answers; RA only for clients
 *   that may use forwarding; Z and AD clear.
 * An internal failure (no snapshot) becomes SERVFAIL here and only here.
 */
#include "query/query.h"

#include <string.h>

#include "dns/cookie.h"
#include "dns/dns.h"
#include "query/internal.h"

static size_t query__limit(const struct query *q, const struct snap *snap, size_t cap)
{
    size_t limit;
    if (q->proto == QUERY_PROTO_TCP) {
        limit = DNS_MSG_MAX;
    } else if (q->edns) {
        size_t ours = snap ? snap->opts.udp_max_payload : DNS_EDNS_DEFAULT_PAYLOAD;
        limit = q->edns_udp < ours ? q->edns_udp : ours;
        if (limit < DNS_UDP_MIN)
            limit = DNS_UDP_MIN;
    } else {
        limit = DNS_UDP_MIN;
    }
    return limit < cap ? limit : cap;
}

/* RFC 7873 5.2 with RFC 9018 cookies: a valid server cookie is handed back as it is while
 * fresh, else a new one is made with the current secret (also for one made with the
 * previous secret, which is still accepted). Under the "require" policy a UDP query from a
 * cookie-aware client without a valid server cookie gets BADCOOKIE and the new cookie,
 * and no answer (5.2.3); so does a query without a question (5.4), under either policy,
 * when the server cookie it sends is not valid. Clients that send no cookie at all are
 * answered as ever (the rate limiter deals with them). Returns false when the query is not
 * to be answered. */
static bool query__cookie(struct query *q, const struct snap *snap, const struct query_req *req,
                          struct query_info *info, bool go)
{
    if (!q->cookie || !snap || snap->opts.cookie_mode == SNAP_COOKIE_OFF || !req->peer)
        return go;
    uint8_t ip[16];
    size_t ip_len = dns_cookie_client_ip(req->peer, ip);
    if (!ip_len)
        return go;
    const struct snap_opts *o = &snap->opts;
    bool valid = false, renew = true;
    if (q->cookie_server) {
        bool cur = dns_cookie_check(o->cookie_secret, q->cookie_client, q->cookie_server,
                                    q->cookie_server_len, ip, ip_len);
        bool prev = !cur && o->cookie_prev_until > req->now &&
                    dns_cookie_check(o->cookie_prev_secret, q->cookie_client, q->cookie_server,
                                     q->cookie_server_len, ip, ip_len);
        if (cur || prev) {
            enum dns_cookie_age age =
                dns_cookie_age(dns_cookie_timestamp(q->cookie_server), req->now);
            valid = age != DNS_COOKIE_STALE;
            renew = age != DNS_COOKIE_FRESH || prev;
        }
    }
    if (renew)
        dns_cookie_make(o->cookie_secret, q->cookie_client, ip, ip_len, req->now, q->cookie_out);
    else
        memcpy(q->cookie_out, q->cookie_server, DNS_COOKIE_SERVER_LEN);
    q->cookie_reply = true;
    info->cookie = valid ? QUERY_COOKIE_VALID : QUERY_COOKIE_NEW;
    if (q->cookie_probe && q->cookie_server && !valid) {
        /* 5.4: a query without a question re-checking a server cookie learns it is bad */
        q->rcode = DNS_RCODE_BADCOOKIE;
        info->cookie = QUERY_COOKIE_BAD;
        return go;
    }
    if (!valid && go && o->cookie_mode == SNAP_COOKIE_REQUIRE && q->proto == QUERY_PROTO_UDP) {
        q->rcode = DNS_RCODE_BADCOOKIE;
        q->outcome = QUERY_OUTCOME_ERROR;
        info->cookie = QUERY_COOKIE_BAD;
        return false;
    }
    return go;
}

void query_process(const struct snap *snap, const struct query_req *req, struct query_resp *resp,
                   struct arena *arena, struct query_info *info)
{
    struct query q;
    memset(&q, 0, sizeof(q));
    q.snap = snap;
    q.proto = req->proto;
    q.arena = arena;
    q.updates = req->updates;
    resp->len = 0;

    bool go = query__parse(&q, req->buf, req->len);

    info->outcome = q.outcome;
    info->has_question = q.has_q;
    info->edns = q.edns;
    info->tc = false;
    info->id = q.hdr.id;
    info->flags = q.hdr.flags;
    info->edns_do = q.edns_do;
    info->edns_udp = q.edns ? q.edns_udp : DNS_UDP_MIN;
    info->cookie = QUERY_COOKIE_NONE;
    info->neg_zone = NULL;
    if (q.has_q) {
        memcpy(info->qname, q.q.name, q.q.name_len);
        info->qtype = q.q.qtype;
        info->qclass = q.q.qclass;
    }
    if (q.outcome == QUERY_OUTCOME_DROP || q.outcome == QUERY_OUTCOME_UPDATE ||
        resp->cap < DNS_UDP_MIN)
        return;
    go = query__cookie(&q, snap, req, info, go);

    dns_writer_init(&q.dw, resp->buf, resp->cap, query__limit(&q, snap, resp->cap));
    uint16_t flags = DNS_FLAG_QR | (q.hdr.flags & (0x7800u | DNS_FLAG_RD | DNS_FLAG_CD));
    dns_writer_header(&q.dw, q.hdr.id, flags);
    if (q.has_q && dns_writer_question(&q.dw, q.q.name, q.q.qtype, q.q.qclass)) {
        q.has_q = false; /* cannot happen within 512 bytes, but never send half a question */
    }
    if (q.edns) {
        q.opt_len = QUERY_OPT_LEN;
        if (q.nsid && snap && !snap->opts.identity_hidden)
            q.opt_len += 4u + snap->opts.identity_len;
        if (q.cookie_reply)
            q.opt_len += QUERY_COOKIE_OPT_LEN;
        dns_writer_set_limit(&q.dw, dns_writer_limit(&q.dw) - q.opt_len);
    }

    if (go) {
        if (!snap) {
            q.rcode = DNS_RCODE_SERVFAIL;
            q.outcome = QUERY_OUTCOME_ERROR;
        } else if (q.q.qclass == DNS_CLASS_CH) {
            query__chaos(&q);
        } else {
            query__lookup(&q);
            query__put_authority(&q);
            query__put_additional(&q);
        }
    }
    query__put_opt(&q);

    if (q.aa && (q.rcode == DNS_RCODE_NOERROR || q.rcode == DNS_RCODE_NXDOMAIN ||
                 q.rcode == DNS_RCODE_YXDOMAIN))
        flags |= DNS_FLAG_AA;
    if (req->recursion)
        flags |= DNS_FLAG_RA;
    if (q.outcome == QUERY_OUTCOME_NOTOURS && req->recursion)
        q.outcome = QUERY_OUTCOME_FORWARD;
    if (q.tc)
        flags |= DNS_FLAG_TC;
    flags |= q.rcode & 0xfu;
    dns_writer_set_flags(&q.dw, flags);
    resp->len = dns_writer_finish(&q.dw);

    info->outcome = q.outcome;
    info->rcode = q.rcode;
    info->tc = q.tc;
    info->neg_zone = q.neg_zone ? q.neg_zone->apex : NULL;
}
