/*
 * Response rate limiting (src/net/rrl.c): buckets per client prefix and per kind, slip, the
 * exemptions, refill and the window floor with the clock passed in, the kind of real
 * responses from query_process, and the truncated rewrite of a slipped response.
 */
#include "qhelp.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "net/rrl.h"
#include "util/err.h"

#define NOW 1000u

static struct sockaddr_storage peer_storage[4];

/* A socket address for `text` (IPv4 or IPv6); up to four live at once. */
static const struct sockaddr *addr(const char *text)
{
    static unsigned next;
    struct sockaddr_storage *ss = &peer_storage[next++ % 4];
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, text, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(40000);
    } else if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(40000);
    } else {
        fail();
    }
    return (const struct sockaddr *)ss;
}

static void cfg_init(struct snap_rrl *c, uint32_t rate, uint8_t slip)
{
    memset(c, 0, sizeof(*c));
    for (int k = 0; k < RRL_NKIND; k++)
        c->rate[k] = rate;
    c->slip = slip;
    c->window = 15;
    c->v4_prefix = 24;
    c->v6_prefix = 56;
}

/* A response's header (only ANCOUNT matters to the kind) and the query_info beside it. */
struct resp {
    struct query_info info;
    uint8_t buf[DNS_HDR_LEN];
};

static void resp_init(struct resp *r, const char *qname, uint16_t qtype, enum query_outcome outcome,
                      uint16_t rcode, uint16_t ancount)
{
    memset(r, 0, sizeof(*r));
    r->info.outcome = outcome;
    r->info.has_question = true;
    size_t len;
    assert_int_equal(dns_name_from_text(qname, strlen(qname), NULL, r->info.qname, &len), 0);
    r->info.qtype = qtype;
    r->info.qclass = DNS_CLASS_IN;
    r->info.rcode = rcode;
    r->buf[2] = 0x84;
    r->buf[3] = (uint8_t)(rcode & 0xf);
    r->buf[4] = 0;
    r->buf[5] = 1;
    r->buf[6] = (uint8_t)(ancount >> 8);
    r->buf[7] = (uint8_t)ancount;
}

static void answer(struct resp *r, const char *qname)
{
    resp_init(r, qname, DNS_TYPE_A, QUERY_OUTCOME_ANSWER, DNS_RCODE_NOERROR, 1);
}

/* An NXDOMAIN for `qname` whose SOA comes from `zone` (kept in static storage). */
static void nxdomain(struct resp *r, const char *qname, const char *zone)
{
    static uint8_t apex[4][DNS_NAME_MAXLEN];
    static unsigned next;
    uint8_t *a = apex[next++ % 4];
    size_t len;
    resp_init(r, qname, DNS_TYPE_A, QUERY_OUTCOME_ANSWER, DNS_RCODE_NXDOMAIN, 0);
    assert_int_equal(dns_name_from_text(zone, strlen(zone), NULL, a, &len), 0);
    r->info.neg_zone = a;
}

static enum rrl_verdict check(struct rrl *l, const struct snap_rrl *c, const char *peer,
                              const struct resp *r, uint32_t now, unsigned *slip)
{
    return rrl_check(l, c, addr(peer), &r->info, r->buf, sizeof(r->buf), now, slip);
}

/* How many of n identical responses at `now` pass. */
static unsigned passes(struct rrl *l, const struct snap_rrl *c, const char *peer,
                       const struct resp *r, uint32_t now, unsigned n)
{
    unsigned ok = 0, slip = 0;
    for (unsigned i = 0; i < n; i++)
        ok += check(l, c, peer, r, now, &slip) == RRL_PASS;
    return ok;
}

static struct rrl *new_rrl(void)
{
    struct rrl *l = NULL;
    assert_int_equal(rrl_new(&l), 0);
    assert_non_null(l);
    return l;
}

static void test_burst_and_prefixes(void **state)
{
    (void)state;
    struct rrl *l = new_rrl();
    struct snap_rrl c;
    cfg_init(&c, 5, 0);
    struct resp r;
    answer(&r, "www.example.com");
    unsigned slip = 0;
    for (int i = 0; i < 5; i++)
        assert_int_equal(check(l, &c, "192.0.2.1", &r, NOW, &slip), RRL_PASS);
    for (int i = 0; i < 20; i++)
        assert_int_equal(check(l, &c, "192.0.2.1", &r, NOW, &slip), RRL_DROP);
    /* The same /24 shares the bucket; another /24 has its own. */
    assert_int_equal(check(l, &c, "192.0.2.200", &r, NOW, &slip), RRL_DROP);
    assert_int_equal(passes(l, &c, "192.0.3.1", &r, NOW, 10), 5);
    /* An IPv4-mapped IPv6 source is the IPv4 client. */
    assert_int_equal(check(l, &c, "::ffff:192.0.2.9", &r, NOW, &slip), RRL_DROP);
    /* A /16 prefix joins the two /24s. */
    c.v4_prefix = 16;
    assert_int_equal(passes(l, &c, "198.51.1.1", &r, NOW, 3), 3);
    assert_int_equal(passes(l, &c, "198.51.2.1", &r, NOW, 3), 2);
    /* rate 0 for the kind: never limited. */
    c.rate[RRL_KIND_ANSWER] = 0;
    assert_int_equal(passes(l, &c, "192.0.2.1", &r, NOW, 50), 50);
    rrl_free(l);
}

static void test_ipv6_prefix(void **state)
{
    (void)state;
    struct rrl *l = new_rrl();
    struct snap_rrl c;
    cfg_init(&c, 4, 0);
    struct resp r;
    answer(&r, "www.example.com");
    assert_int_equal(passes(l, &c, "2001:db8:0:100::1", &r, NOW, 4), 4);
    /* 2001:db8:0:1ff:: is in the same /56 (the first 7 bytes agree), 2001:db8:0:200:: not. */
    assert_int_equal(passes(l, &c, "2001:db8:0:1ff:ffff::2", &r, NOW, 4), 0);
    assert_int_equal(passes(l, &c, "2001:db8:0:200::1", &r, NOW, 10), 4);
    /* A /64 prefix separates them again (a new bucket). */
    c.v6_prefix = 64;
    assert_int_equal(passes(l, &c, "2001:db8:0:1ff::2", &r, NOW, 10), 4);
    assert_int_equal(passes(l, &c, "2001:db8:0:1ff::3", &r, NOW, 10), 0);
    rrl_free(l);
}

static void test_slip(void **state)
{
    (void)state;
    struct rrl *l = new_rrl();
    struct snap_rrl c;
    struct resp r;
    answer(&r, "www.example.com");
    unsigned slip = 0;

    cfg_init(&c, 2, 2); /* every other limited response slips */
    assert_int_equal(passes(l, &c, "192.0.2.1", &r, NOW, 2), 2);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(check(l, &c, "192.0.2.1", &r, NOW, &slip), RRL_DROP);
        assert_int_equal(check(l, &c, "192.0.2.1", &r, NOW, &slip), RRL_SLIP);
    }
    c.slip = 3;
    slip = 0;
    unsigned n[3] = {0};
    for (int i = 0; i < 30; i++)
        n[check(l, &c, "192.0.2.1", &r, NOW, &slip)]++;
    assert_int_equal(n[RRL_PASS], 0);
    assert_int_equal(n[RRL_SLIP], 10);
    assert_int_equal(n[RRL_DROP], 20);
    c.slip = 1; /* always */
    for (int i = 0; i < 10; i++)
        assert_int_equal(check(l, &c, "192.0.2.1", &r, NOW, &slip), RRL_SLIP);
    c.slip = 0; /* never */
    for (int i = 0; i < 10; i++)
        assert_int_equal(check(l, &c, "192.0.2.1", &r, NOW, &slip), RRL_DROP);
    /* An extended RCODE cannot be said without its OPT record: never slipped. */
    c.slip = 1;
    resp_init(&r, "www.example.com", DNS_TYPE_A, QUERY_OUTCOME_ERROR, DNS_RCODE_BADCOOKIE, 0);
    assert_int_equal(passes(l, &c, "192.0.2.1", &r, NOW, 2), 2);
    for (int i = 0; i < 10; i++)
        assert_int_equal(check(l, &c, "192.0.2.1", &r, NOW, &slip), RRL_DROP);
    resp_init(&r, "www.example.com", DNS_TYPE_A, QUERY_OUTCOME_ERROR, DNS_RCODE_REFUSED, 0);
    assert_int_equal(check(l, &c, "192.0.2.1", &r, NOW, &slip), RRL_SLIP);
    rrl_free(l);
}

static void test_exempt(void **state)
{
    (void)state;
    struct rrl *l = new_rrl();
    struct snap_rrl c;
    cfg_init(&c, 3, 2);
    assert_int_equal(cidr_parse("192.0.2.0/25", &c.exempt[0]), 0);
    assert_int_equal(cidr_parse("2001:db8::/32", &c.exempt[1]), 0);
    c.nexempt = 2;
    struct resp r;
    answer(&r, "www.example.com");
    assert_int_equal(passes(l, &c, "192.0.2.1", &r, NOW, 100), 100);
    assert_int_equal(passes(l, &c, "2001:db8::1", &r, NOW, 100), 100);
    /* Exempt responses are not counted: the rest of the /24 still has its whole budget. */
    assert_int_equal(passes(l, &c, "192.0.2.200", &r, NOW, 10), 3);

    /* A valid server cookie proves the address: never limited, never counted. */
    struct resp cr = r;
    cr.info.cookie = QUERY_COOKIE_VALID;
    assert_true(rrl_exempt(&c, addr("203.0.113.1"), &cr.info));
    assert_false(rrl_exempt(&c, addr("203.0.113.1"), &r.info));
    assert_int_equal(passes(l, &c, "203.0.113.1", &cr, NOW, 100), 100);
    assert_int_equal(passes(l, &c, "203.0.113.1", &r, NOW, 10), 3);
    assert_int_equal(passes(l, &c, "203.0.113.1", &cr, NOW, 10), 10);
    /* A client cookie alone (or a bad one) proves nothing. */
    cr.info.cookie = QUERY_COOKIE_NEW;
    assert_int_equal(passes(l, &c, "203.0.113.1", &cr, NOW, 10), 0);
    cr.info.cookie = QUERY_COOKIE_BAD;
    assert_int_equal(passes(l, &c, "203.0.113.1", &cr, NOW, 10), 0);
    rrl_free(l);
}

static void test_refill_and_window(void **state)
{
    (void)state;
    struct rrl *l = new_rrl();
    struct snap_rrl c;
    cfg_init(&c, 5, 0);
    c.window = 3;
    struct resp r;
    answer(&r, "www.example.com");
    unsigned slip = 0;
    /* Just over: balance -1. A second later 5 tokens are back, less the one owed. */
    assert_int_equal(passes(l, &c, "192.0.2.1", &r, NOW, 6), 5);
    assert_int_equal(passes(l, &c, "192.0.2.1", &r, NOW + 1, 10), 4);
    /* Long idle: full again, never more than `rate`. */
    assert_int_equal(passes(l, &c, "192.0.2.1", &r, NOW + 100, 10), 5);

    /* A flood sinks to -rate*window = -15 and no lower: 3 idle seconds bring it to 0, so the
     * next response is still limited, and one more second lets 4 through. */
    assert_int_equal(passes(l, &c, "198.51.100.1", &r, NOW, 1000), 5);
    assert_int_equal(check(l, &c, "198.51.100.1", &r, NOW + 3, &slip), RRL_DROP);
    assert_int_equal(passes(l, &c, "198.51.100.1", &r, NOW + 4, 10), 4);
    /* A flood that goes on at more than `rate` is never answered. */
    for (uint32_t t = NOW + 10; t < NOW + 40; t++)
        assert_int_equal(passes(l, &c, "203.0.113.1", &r, t, 20), t == NOW + 10 ? 5 : 0);

    /* A stamp a little ahead of the caller (another worker's later batch) is no time. */
    assert_int_equal(passes(l, &c, "192.0.2.99", &r, NOW + 500, 6), 5);
    assert_int_equal(passes(l, &c, "192.0.2.99", &r, NOW + 499, 3), 0);
    rrl_free(l);
}

static void test_keys(void **state)
{
    (void)state;
    struct rrl *l = new_rrl();
    struct snap_rrl c;
    cfg_init(&c, 3, 0);
    struct resp r;
    char name[64];

    /* NXDOMAIN for random names in one zone: one bucket; another zone has its own. */
    unsigned ok = 0, slip = 0;
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof(name), "r%d.example.com", i);
        nxdomain(&r, name, "example.com");
        ok += check(l, &c, "192.0.2.1", &r, NOW, &slip) == RRL_PASS;
    }
    assert_int_equal(ok, 3);
    nxdomain(&r, "r1.example.net", "EXAMPLE.net");
    assert_int_equal(passes(l, &c, "192.0.2.1", &r, NOW, 10), 3);
    nxdomain(&r, "r2.example.net", "example.NET"); /* case does not matter */
    assert_int_equal(passes(l, &c, "192.0.2.1", &r, NOW, 10), 0);

    /* Answers: one bucket per name and type, case-insensitive. */
    ok = 0;
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof(name), "h%d.example.com", i);
        answer(&r, name);
        ok += check(l, &c, "192.0.2.1", &r, NOW, &slip) == RRL_PASS;
    }
    assert_int_equal(ok, 50);
    answer(&r, "www.example.com");
    assert_int_equal(passes(l, &c, "192.0.2.1", &r, NOW, 10), 3);
    answer(&r, "WWW.Example.COM");
    assert_int_equal(passes(l, &c, "192.0.2.1", &r, NOW, 10), 0);
    r.info.qtype = DNS_TYPE_AAAA;
    assert_int_equal(passes(l, &c, "192.0.2.1", &r, NOW, 10), 3);

    /* Kinds have their own buckets and rates: NODATA for the same name is separate. */
    resp_init(&r, "www.example.com", DNS_TYPE_A, QUERY_OUTCOME_ANSWER, DNS_RCODE_NOERROR, 0);
    c.rate[RRL_KIND_NODATA] = 7;
    assert_int_equal(passes(l, &c, "192.0.2.1", &r, NOW, 10), 7);

    /* Errors: one bucket per prefix whatever the name. */
    ok = 0;
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "e%d.example.org", i);
        resp_init(&r, name, DNS_TYPE_A, QUERY_OUTCOME_NOTOURS, DNS_RCODE_REFUSED, 0);
        ok += check(l, &c, "192.0.2.1", &r, NOW, &slip) == RRL_PASS;
    }
    assert_int_equal(ok, 3);
    rrl_free(l);
}

static void test_kind(void **state)
{
    (void)state;
    struct resp r;
    resp_init(&r, "a.example", DNS_TYPE_A, QUERY_OUTCOME_ANSWER, DNS_RCODE_NOERROR, 2);
    assert_int_equal(rrl_kind(&r.info, r.buf, sizeof(r.buf)), RRL_KIND_ANSWER);
    r.info.outcome = QUERY_OUTCOME_REWRITE;
    assert_int_equal(rrl_kind(&r.info, r.buf, sizeof(r.buf)), RRL_KIND_ANSWER);
    resp_init(&r, "a.example", DNS_TYPE_A, QUERY_OUTCOME_ANSWER, DNS_RCODE_NOERROR, 0);
    assert_int_equal(rrl_kind(&r.info, r.buf, sizeof(r.buf)), RRL_KIND_NODATA);
    resp_init(&r, "a.example", DNS_TYPE_A, QUERY_OUTCOME_REFERRAL, DNS_RCODE_NOERROR, 0);
    assert_int_equal(rrl_kind(&r.info, r.buf, sizeof(r.buf)), RRL_KIND_REFERRAL);
    resp_init(&r, "a.example", DNS_TYPE_A, QUERY_OUTCOME_ANSWER, DNS_RCODE_NXDOMAIN, 0);
    assert_int_equal(rrl_kind(&r.info, r.buf, sizeof(r.buf)), RRL_KIND_NXDOMAIN);
    const uint16_t errors[] = {DNS_RCODE_FORMERR, DNS_RCODE_SERVFAIL, DNS_RCODE_NOTIMP,
                               DNS_RCODE_REFUSED, DNS_RCODE_BADVERS,  DNS_RCODE_BADCOOKIE};
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        resp_init(&r, "a.example", DNS_TYPE_A, QUERY_OUTCOME_ERROR, errors[i], 0);
        assert_int_equal(rrl_kind(&r.info, r.buf, sizeof(r.buf)), RRL_KIND_ERROR);
    }
    /* Never limited: nothing sent, forwarded, an UPDATE. */
    const enum query_outcome never[] = {QUERY_OUTCOME_DROP, QUERY_OUTCOME_FORWARD,
                                        QUERY_OUTCOME_UPDATE};
    struct snap_rrl c;
    cfg_init(&c, 1, 1);
    struct rrl *l = new_rrl();
    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
        resp_init(&r, "a.example", DNS_TYPE_A, never[i], DNS_RCODE_REFUSED, 0);
        assert_int_equal(rrl_kind(&r.info, r.buf, sizeof(r.buf)), -1);
        assert_int_equal(passes(l, &c, "192.0.2.1", &r, NOW, 20), 20);
    }
    answer(&r, "a.example");
    assert_int_equal(rrl_kind(&r.info, r.buf, 0), -1); /* nothing to send */
    assert_int_equal(rrl_check(l, &c, NULL, &r.info, r.buf, sizeof(r.buf), NOW, &(unsigned){0}),
                     RRL_PASS);
    rrl_free(l);
}

/* The settings as conf.c fills them, and the kinds of real responses from query_process. */
static void test_config_and_real_responses(void **state)
{
    (void)state;
    struct snap *s = qh_snap_from_json(
        "{\"server\": {\"rate_limit\": 2, \"rate_limit_nxdomain\": 1, \"rate_limit_errors\": 0,"
        "  \"rate_limit_slip\": 1, \"rate_limit_exempt\": [\"10.0.0.0/8\"]},"
        " \"zones\": {\"ex.test\": {}},"
        " \"records\": [{\"name\": \"www.ex.test\", \"type\": \"A\", \"value\": \"192.0.2.7\"},"
        "  {\"name\": \"sub.ex.test\", \"type\": \"NS\", \"value\": \"ns.elsewhere.test\"}]}");
    const struct snap_rrl *c = &s->opts.rrl;
    assert_true(rrl_enabled(c));
    assert_int_equal(c->rate[RRL_KIND_ANSWER], 2);
    assert_int_equal(c->rate[RRL_KIND_NODATA], 2);
    assert_int_equal(c->rate[RRL_KIND_NXDOMAIN], 1);
    assert_int_equal(c->rate[RRL_KIND_ERROR], 0);
    assert_int_equal(c->slip, 1);
    assert_int_equal(c->nexempt, 1);

    struct rrl *l = new_rrl();
    struct qh_resp r;
    unsigned slip = 0;
    struct sockaddr_storage client;
    memcpy(&client, addr("192.0.2.1"), sizeof(client));
    const struct sockaddr *peer = (const struct sockaddr *)&client;
    static const struct {
        const char *name;
        uint16_t qtype;
        int kind;
    } cases[] = {
        {"www.ex.test", DNS_TYPE_A, RRL_KIND_ANSWER},
        {"www.ex.test", DNS_TYPE_TXT, RRL_KIND_NODATA},
        {"nope.ex.test", DNS_TYPE_A, RRL_KIND_NXDOMAIN},
        {"x.sub.ex.test", DNS_TYPE_A, RRL_KIND_REFERRAL},
        {"not.ours.test", DNS_TYPE_A, RRL_KIND_ERROR},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        qh_ask(s, cases[i].name, cases[i].qtype, &r);
        assert_true(r.len > 0);
        assert_int_equal(rrl_kind(&r.info, qh_buf, r.len), cases[i].kind);
        if (cases[i].kind == RRL_KIND_NXDOMAIN)
            assert_non_null(r.info.neg_zone);
        unsigned want = c->rate[cases[i].kind] ? c->rate[cases[i].kind] : 10;
        unsigned ok = 0;
        for (int k = 0; k < 10; k++)
            ok += rrl_check(l, c, peer, &r.info, qh_buf, r.len, NOW, &slip) == RRL_PASS;
        assert_int_equal(ok, want);
        ok = 0;
        for (int k = 0; k < 10; k++)
            ok += rrl_check(l, c, addr("10.1.2.3"), &r.info, qh_buf, r.len, NOW, &slip) == RRL_PASS;
        assert_int_equal(ok, 10);
    }
    /* A real answer, truncated: header and question, TC, no records. */
    qh_ask(s, "WWW.ex.test", DNS_TYPE_A, &r);
    size_t qlen = 12 + 13 + 4, len = 0;
    assert_true(r.len > qlen);
    assert_int_equal(rrl_slip(qh_buf, r.len, &len), 0);
    assert_int_equal(len, qlen);
    struct qh_resp t;
    qh_parse(qh_buf, len, &t);
    assert_true(QH_TC(&t) && QH_AA(&t));
    assert_int_equal(t.h.id, 0x1234);
    assert_int_equal(QH_RCODE(&t), DNS_RCODE_NOERROR);
    assert_string_equal(t.qname, "WWW.ex.test.");
    assert_int_equal(t.n[0] + t.n[1] + t.n[2] + t.n[3], 1);
    rrl_free(l);
    snap_free(s);

    /* rate_limit 0: every kind off. */
    s = qh_snap_from_json("{\"server\": {\"rate_limit\": 0, \"rate_limit_nxdomain\": 5}}");
    assert_false(rrl_enabled(&s->opts.rrl));
    snap_free(s);
}

/* A response with an answer, an authority record and an OPT, rcode NXDOMAIN (the content
 * does not have to make sense for the rewrite). */
static size_t build_response(uint8_t *buf, size_t cap, uint16_t qdcount)
{
    struct wbuf w;
    wbuf_init(&w, buf, cap);
    wbuf_u16(&w, 0xbeef);
    wbuf_u16(&w, DNS_FLAG_QR | DNS_FLAG_AA | DNS_FLAG_RD | DNS_RCODE_NXDOMAIN);
    wbuf_u16(&w, qdcount);
    wbuf_u16(&w, 1);
    wbuf_u16(&w, 1);
    wbuf_u16(&w, 1);
    for (uint16_t i = 0; i < qdcount; i++) {
        wbuf_bytes(&w, "\3www\7example\3com\0", 17);
        wbuf_u16(&w, DNS_TYPE_A);
        wbuf_u16(&w, DNS_CLASS_IN);
    }
    wbuf_bytes(&w, "\xc0\x0c", 2);
    wbuf_u16(&w, DNS_TYPE_A);
    wbuf_u16(&w, DNS_CLASS_IN);
    wbuf_u32(&w, 300);
    wbuf_u16(&w, 4);
    wbuf_bytes(&w, "\xc0\x00\x02\x01", 4);
    wbuf_bytes(&w, "\xc0\x10", 2);
    wbuf_u16(&w, DNS_TYPE_SOA);
    wbuf_u16(&w, DNS_CLASS_IN);
    wbuf_u32(&w, 300);
    wbuf_u16(&w, 0);
    wbuf_u8(&w, 0);
    wbuf_u16(&w, DNS_TYPE_OPT);
    wbuf_u16(&w, 1232);
    wbuf_u32(&w, 0);
    wbuf_u16(&w, 0);
    assert_int_equal(w.err, 0);
    return w.pos;
}

static void test_slip_rewrite(void **state)
{
    (void)state;
    uint8_t buf[512];
    size_t len = build_response(buf, sizeof(buf), 1), out = 0;
    assert_int_equal(rrl_slip(buf, len, &out), 0);
    assert_int_equal(out, 12 + 17 + 4 + 11);
    /* header (TC set, one question, the OPT in additional), question, OPT */
    static const uint8_t want[] = {0xbe, 0xef, 0x87, 0x03, 0,   1,   0,   0,   0,   0,   0,
                                   1,    3,    'w',  'w',  'w', 7,   'e', 'x', 'a', 'm', 'p',
                                   'l',  'e',  3,    'c',  'o', 'm', 0,   0,   1,   0,   1,
                                   0,    0,    41,   0x04, 0xd0, 0,  0,   0,   0,   0,   0};
    assert_memory_equal(buf, want, sizeof(want));
    /* Twice is the same. */
    assert_int_equal(rrl_slip(buf, out, &out), 0);
    assert_int_equal(out, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));

    /* No question (a FORMERR to a message without one); here the answer's compressed owner
     * then points at itself, so no record parses: the header alone. */
    len = build_response(buf, sizeof(buf), 0);
    assert_int_equal(rrl_slip(buf, len, &out), 0);
    assert_int_equal(out, 12);
    assert_int_equal(buf[2] & 0x02, 0x02);
    assert_int_equal(buf[5] | buf[7] | buf[9] | buf[11], 0);
    /* Without an OPT, or with records that do not parse: header and question only. */
    len = build_response(buf, sizeof(buf), 1);
    buf[11] = 0; /* ARCOUNT 0: the OPT is not a record of the message */
    assert_int_equal(rrl_slip(buf, len, &out), 0);
    assert_int_equal(out, 12 + 17 + 4);
    assert_int_equal(buf[11], 0);
    len = build_response(buf, sizeof(buf), 1);
    assert_int_equal(rrl_slip(buf, 12 + 17 + 4 + 5, &out), 0); /* cut inside the answer */
    assert_int_equal(out, 12 + 17 + 4);
    assert_int_equal(buf[7] | buf[9] | buf[11], 0);
}

static void test_slip_malformed(void **state)
{
    (void)state;
    uint8_t buf[512], orig[512];
    size_t len = build_response(buf, sizeof(buf), 1), out = 12345;
    memcpy(orig, buf, len);
    /* Every prefix shorter than header + question is refused, the buffer untouched. */
    for (size_t n = 0; n < 12 + 17 + 4; n++) {
        assert_true(rrl_slip(buf, n, &out) < 0);
        assert_memory_equal(buf, orig, len);
        assert_int_equal(out, 12345);
    }
    /* Two questions are not ours. */
    len = build_response(buf, sizeof(buf), 2);
    memcpy(orig, buf, len);
    assert_int_equal(rrl_slip(buf, len, &out), ERR_SYNTAX);
    assert_memory_equal(buf, orig, len);
    /* A bad label type, a label running past the end, a pointer in the question. */
    len = build_response(buf, sizeof(buf), 1);
    buf[12] = 0x43;
    memcpy(orig, buf, len);
    assert_true(rrl_slip(buf, len, &out) < 0);
    assert_memory_equal(buf, orig, len);
    buf[12] = 63;
    assert_true(rrl_slip(buf, 40, &out) < 0);
    buf[12] = 0xc0;
    buf[13] = 12;
    assert_true(rrl_slip(buf, len, &out) < 0);
    assert_int_equal(out, 12345);
}

/* Many more keys than slots: the table replaces the stalest, nothing is held back wrongly. */
static void test_table_full(void **state)
{
    (void)state;
    struct rrl *l = new_rrl();
    struct snap_rrl c;
    cfg_init(&c, 1, 0);
    struct resp r;
    answer(&r, "www.example.com");
    unsigned slip = 0;
    struct sockaddr_in in = {.sin_family = AF_INET};
    unsigned ok = 0;
    for (uint32_t i = 0; i < 4 * RRL_SLOTS; i++) {
        in.sin_addr.s_addr = htonl(0x0a000000u + (i << 8));
        ok += rrl_check(l, &c, (struct sockaddr *)&in, &r.info, r.buf, sizeof(r.buf),
                        NOW + i / RRL_SLOTS, &slip) == RRL_PASS;
    }
    /* A fingerprint collision within a line may join two keys; nearly every one passed. */
    assert_true(ok > 4 * RRL_SLOTS - 64);
    rrl_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_and_prefixes),
        cmocka_unit_test(test_ipv6_prefix),
        cmocka_unit_test(test_slip),
        cmocka_unit_test(test_exempt),
        cmocka_unit_test(test_refill_and_window),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_kind),
        cmocka_unit_test(test_config_and_real_responses),
        cmocka_unit_test(test_slip_rewrite),
        cmocka_unit_test(test_slip_malformed),
        cmocka_unit_test(test_table_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
