#pragma once
/*
 * Test helpers for the hot path: build a snapshot from JSON, build query packets by hand,
 * run query_process and take the response apart. Header-only; each test includes it once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "dns/dns.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "query/query.h"
#include "zone/snap.h"

static struct snap *qh_snap_from_json(const char *json)
{
    struct conf_diag d;
    struct conf *c = NULL;
    struct snap *s = NULL;
    conf_diag_init(&d);
    int r = conf_load("test.json", (const uint8_t *)json, strlen(json), NULL, &c, &s, &d);
    for (size_t i = 0; i < d.n; i++)
        if (d.msgs[i].error)
            fprintf(stderr, "config error: %s\n", d.msgs[i].text);
    conf_diag_deinit(&d);
    assert_int_equal(r, 0);
    conf_free(c);
    return s;
}

struct qh_query {
    uint16_t id;
    uint16_t flags; /* default RD */
    const char *name;
    uint16_t qtype;
    uint16_t qclass; /* default IN */
    int edns_size;   /* 0: no OPT */
    uint8_t edns_version;
    bool edns_do;
    bool nsid; /* ask for NSID (an empty option 3) */
    const uint8_t *cookie; /* a COOKIE option (10) with these bytes */
    size_t cookie_len;
};

/* Writes a query packet; returns its length. */
static size_t qh_build(const struct qh_query *q, uint8_t *buf, size_t cap)
{
    struct wbuf w;
    uint8_t name[DNS_NAME_MAXLEN];
    size_t nlen;
    wbuf_init(&w, buf, cap);
    wbuf_u16(&w, q->id);
    wbuf_u16(&w, q->flags);
    wbuf_u16(&w, 1);
    wbuf_u16(&w, 0);
    wbuf_u16(&w, 0);
    wbuf_u16(&w, q->edns_size ? 1 : 0);
    assert_int_equal(dns_name_from_text(q->name, strlen(q->name), NULL, name, &nlen), 0);
    wbuf_bytes(&w, name, nlen);
    wbuf_u16(&w, q->qtype);
    wbuf_u16(&w, q->qclass ? q->qclass : DNS_CLASS_IN);
    if (q->edns_size) {
        wbuf_u8(&w, 0);
        wbuf_u16(&w, DNS_TYPE_OPT);
        wbuf_u16(&w, (uint16_t)q->edns_size);
        wbuf_u8(&w, 0);
        wbuf_u8(&w, q->edns_version);
        wbuf_u16(&w, q->edns_do ? DNS_EDNS_FLAG_DO : 0);
        wbuf_u16(&w, (uint16_t)((q->nsid ? 4 : 0) + (q->cookie ? 4 + q->cookie_len : 0)));
        if (q->nsid) {
            wbuf_u16(&w, DNS_EDNS_NSID);
            wbuf_u16(&w, 0);
        }
        if (q->cookie) {
            wbuf_u16(&w, DNS_EDNS_COOKIE);
            wbuf_u16(&w, (uint16_t)q->cookie_len);
            wbuf_bytes(&w, q->cookie, q->cookie_len);
        }
    }
    assert_int_equal(w.err, 0);
    return w.pos;
}

/* One parsed record of a response. */
struct qh_rr {
    char owner[300];
    uint16_t type;
    uint16_t rclass;
    uint32_t ttl;
    char rdata[1024]; /* presentation form */
};

struct qh_resp {
    size_t len;
    struct dns_header h;
    char qname[300];
    uint16_t qtype;
    unsigned n[4]; /* QD AN NS AR */
    uint8_t opt[512]; /* RDATA of the OPT record, if any */
    size_t opt_len;
    struct qh_rr rr[3][48];
    struct query_info info;
};

static uint8_t qh_buf[65535];
/* The client address and clock query_process is given (DNS cookies); NULL: none. */
static const struct sockaddr *qh_peer;
static uint32_t qh_now;

static inline void qh_parse(const uint8_t *buf, size_t len, struct qh_resp *r)
{
    struct cursor c;
    cursor_init(&c, buf, len);
    assert_int_equal(dns_msg_header(&c, &r->h), 0);
    r->n[0] = r->h.qdcount;
    r->n[1] = r->h.ancount;
    r->n[2] = r->h.nscount;
    r->n[3] = r->h.arcount;
    r->qname[0] = 0;
    for (unsigned i = 0; i < r->h.qdcount; i++) {
        struct dns_question q;
        assert_int_equal(dns_msg_question(&c, &q), 0);
        dns_name_to_text(q.name, r->qname, sizeof(r->qname), 0);
        r->qtype = q.qtype;
    }
    for (int s = 0; s < 3; s++) {
        assert_true(r->n[s + 1] <= 48);
        for (unsigned i = 0; i < r->n[s + 1]; i++) {
            struct dns_rr rr;
            assert_int_equal(dns_msg_rr(&c, &rr), 0);
            struct qh_rr *o = &r->rr[s][i];
            dns_name_to_text(rr.owner, o->owner, sizeof(o->owner), 0);
            o->type = rr.type;
            o->rclass = rr.rclass;
            o->ttl = rr.ttl;
            o->rdata[0] = 0;
            if (rr.type == DNS_TYPE_OPT) {
                assert_true(rr.rdlen <= sizeof(r->opt));
                memcpy(r->opt, buf + rr.rdata_off, rr.rdlen);
                r->opt_len = rr.rdlen;
                continue;
            }
            uint8_t rd[65535];
            struct wbuf w;
            struct cursor rc = c;
            rc.pos = rr.rdata_off;
            wbuf_init(&w, rd, sizeof(rd));
            assert_int_equal(dns_rdata_unpack(rr.type, &rc, rr.rdlen, &w), 0);
            assert_true(dns_rdata_to_text(rr.type, rd, w.pos, o->rdata, sizeof(o->rdata)) >= 0);
        }
    }
    assert_int_equal(c.pos, len);
}

/* Runs one query; returns the parsed response (len 0 when dropped). */
static inline void qh_run_raw(const struct snap *s, const uint8_t *pkt, size_t len,
                              enum query_proto proto, struct qh_resp *r)
{
    static uint8_t arena_mem[16384];
    struct arena a;
    arena_init_fixed(&a, arena_mem, sizeof(arena_mem));
    struct query_req req = {.buf = pkt, .len = len, .proto = proto, .peer = qh_peer, .now = qh_now};
    struct query_resp resp = {.buf = qh_buf, .cap = sizeof(qh_buf)};
    memset(r, 0, sizeof(*r));
    query_process(s, &req, &resp, &a, &r->info);
    r->len = resp.len;
    if (resp.len)
        qh_parse(qh_buf, resp.len, r);
}

static inline void qh_run(const struct snap *s, const struct qh_query *q, struct qh_resp *r)
{
    uint8_t pkt[1024];
    size_t len = qh_build(q, pkt, sizeof(pkt));
    qh_run_raw(s, pkt, len, QUERY_PROTO_UDP, r);
}

static inline void qh_ask(const struct snap *s, const char *name, uint16_t qtype, struct qh_resp *r)
{
    struct qh_query q = {.id = 0x1234, .flags = DNS_FLAG_RD, .name = name, .qtype = qtype};
    qh_run(s, &q, r);
}

#define QH_RCODE(r) ((r)->h.flags & 0xfu)
#define QH_AA(r)    (((r)->h.flags & DNS_FLAG_AA) != 0)
#define QH_TC(r)    (((r)->h.flags & DNS_FLAG_TC) != 0)
#define QH_AN(r, i) (&(r)->rr[0][i])
#define QH_NS(r, i) (&(r)->rr[1][i])
#define QH_AR(r, i) (&(r)->rr[2][i])
