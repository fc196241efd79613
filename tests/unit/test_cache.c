/*
 * The forwarder's cache (src/cache/): upstream replies rewritten by our writer (OPT dropped,
 * compressed RDATA names expanded and written again), lifetimes (positive, RFC 2308
 * negative, capped), rendering for a client (ID, question case, RA, TTL countdown, OPT,
 * truncation), and the table: hits, misses, replacement, CLOCK eviction, flush.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <urcu.h>

#include <cmocka.h>

#include "cache/cache.h"
#include "cache/msg.h"
#include "dns/dns.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/writer.h"
#include "util/err.h"
#include "zone/snap.h"

static size_t wire_name(const char *text, uint8_t *out)
{
    size_t len;
    assert_int_equal(dns_name_from_text(text, strlen(text), NULL, out, &len), 0);
    return len;
}

/* An upstream reply for www.example.test A written by hand, with compression in RDATA:
 * a CNAME www -> web.example.test (pointer into the question), the A of web, an MX in
 * authority (odd, but checks a compressed RDATA name there), and an OPT. */
static size_t reply_cname(uint8_t *b, uint16_t id, uint32_t ttl1, uint32_t ttl2)
{
    static const uint8_t head[] = {
        0, 0, 0x81, 0x80, 0, 1, 0, 2, 0, 1, 0, 1,
        /* 12: www.example.test. */
        3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0,
        0, 1, 0, 1,
    };
    size_t n = sizeof(head);
    memcpy(b, head, n);
    b[0] = (uint8_t)(id >> 8);
    b[1] = (uint8_t)id;
    /* www CNAME web.<ptr 16 = example.test> */
    static const uint8_t cname[] = {0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 0, 0, 6,
                                    3, 'w', 'e', 'b', 0xc0, 16};
    memcpy(b + n, cname, sizeof(cname));
    b[n + 6] = (uint8_t)(ttl1 >> 24), b[n + 7] = (uint8_t)(ttl1 >> 16);
    b[n + 8] = (uint8_t)(ttl1 >> 8), b[n + 9] = (uint8_t)ttl1;
    size_t web = n + 12; /* "web" label starts here */
    n += sizeof(cname);
    /* web.example.test A 192.0.2.1 */
    uint8_t a[] = {0xc0, (uint8_t)web, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 192, 0, 2, 1};
    a[6] = (uint8_t)(ttl2 >> 24), a[7] = (uint8_t)(ttl2 >> 16);
    a[8] = (uint8_t)(ttl2 >> 8), a[9] = (uint8_t)ttl2;
    memcpy(b + n, a, sizeof(a));
    n += sizeof(a);
    /* example.test MX 10 mail.<example.test> */
    static const uint8_t mx[] = {0xc0, 16, 0, 15, 0, 1, 0, 0, 1, 0, 0, 9,
                                 0, 10, 4, 'm', 'a', 'i', 'l', 0xc0, 16};
    memcpy(b + n, mx, sizeof(mx));
    n += sizeof(mx);
    static const uint8_t opt[] = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0};
    memcpy(b + n, opt, sizeof(opt));
    return n + sizeof(opt);
}

/* NXDOMAIN for nx.example.test A with an SOA (TTL soa_ttl, MINIMUM minimum) in authority. */
static size_t reply_nx(uint8_t *b, uint32_t soa_ttl, uint32_t minimum, bool with_soa)
{
    struct dns_writer dw;
    uint8_t q[DNS_NAME_MAXLEN], apex[DNS_NAME_MAXLEN], rd[300];
    wire_name("nx.example.test", q);
    wire_name("example.test", apex);
    dns_writer_init(&dw, b, 4096, 4096);
    dns_writer_header(&dw, 7, DNS_FLAG_QR | DNS_FLAG_RA | DNS_RCODE_NXDOMAIN);
    dns_writer_question(&dw, q, DNS_TYPE_A, DNS_CLASS_IN);
    if (with_soa) {
        struct wbuf w;
        struct dns_rdata_error e;
        char text[128];
        snprintf(text, sizeof(text), "ns1.example.test. h.example.test. 1 2 3 4 %u", minimum);
        wbuf_init(&w, rd, sizeof(rd));
        assert_int_equal(dns_rdata_from_text(DNS_TYPE_SOA, text, strlen(text), NULL, &w, &e), 0);
        assert_int_equal(dns_writer_rr(&dw, DNS_SECTION_AUTHORITY, apex, DNS_TYPE_SOA,
                                       DNS_CLASS_IN, soa_ttl, rd, (uint16_t)w.pos),
                         0);
    }
    return dns_writer_finish(&dw);
}

/* Parses a rendered answer; returns the RRs as "owner ttl TYPE rdata" lines. */
static unsigned parse(const uint8_t *b, size_t len, struct dns_header *h, char lines[][600])
{
    struct cursor c;
    struct dns_question q;
    cursor_init(&c, b, len);
    assert_int_equal(dns_msg_header(&c, h), 0);
    assert_int_equal(h->qdcount, 1);
    assert_int_equal(dns_msg_question(&c, &q), 0);
    unsigned n = h->ancount + h->nscount + h->arcount;
    for (unsigned i = 0; i < n; i++) {
        struct dns_rr rr;
        assert_int_equal(dns_msg_rr(&c, &rr), 0);
        char owner[300], type[16], rdata[200];
        dns_name_to_text(rr.owner, owner, sizeof(owner), 0);
        dns_type_to_text(rr.type, type, sizeof(type));
        rdata[0] = 0;
        if (rr.type != DNS_TYPE_OPT) {
            uint8_t rd[1024];
            struct wbuf w;
            struct cursor rc = c;
            rc.pos = rr.rdata_off;
            wbuf_init(&w, rd, sizeof(rd));
            assert_int_equal(dns_rdata_unpack(rr.type, &rc, rr.rdlen, &w), 0);
            dns_rdata_to_text(rr.type, rd, w.pos, rdata, sizeof(rdata));
        }
        snprintf(lines[i], 600, "%s %u %s %s", owner, rr.ttl, type, rdata);
    }
    assert_int_equal(c.pos, len);
    return n;
}

static struct cache_client client(const uint8_t *qname, bool edns, size_t limit)
{
    return (struct cache_client){.id = 0xbeef,
                                 .flags = DNS_FLAG_RD | DNS_FLAG_CD,
                                 .qname = qname,
                                 .edns = edns,
                                 .do_bit = edns,
                                 .limit = limit,
                                 .payload = 1232};
}

static void test_msg_rewrite_and_render(void **state)
{
    (void)state;
    uint8_t reply[512], out[4096], lname[DNS_NAME_MAXLEN], asked[DNS_NAME_MAXLEN];
    size_t len = reply_cname(reply, 99, 600, 300);
    wire_name("www.example.test", lname);
    wire_name("WwW.ExAmple.TEST", asked);
    struct cache_msg *m;
    assert_int_equal(cache_msg_new(reply, len, lname, DNS_TYPE_A, DNS_CLASS_IN, 3600, &m), 0);
    assert_int_equal(m->lifetime, 256); /* lowest TTL: the MX's 256 */
    assert_false(m->negative);
    assert_int_equal(m->rcode, 0);
    assert_int_equal(m->nttl, 3); /* the OPT is gone */

    struct cache_client cl = client(asked, true, 4096);
    int n = cache_msg_render(m, &cl, 10, out, sizeof(out));
    assert_true(n > 0);
    struct dns_header h;
    char lines[8][600];
    assert_int_equal(parse(out, (size_t)n, &h, lines), 4);
    assert_int_equal(h.id, 0xbeef);
    assert_int_equal(h.flags, DNS_FLAG_QR | DNS_FLAG_RA | DNS_FLAG_RD | DNS_FLAG_CD);
    assert_memory_equal(out + 12, asked, dns_name_len(asked));
    assert_string_equal(lines[0], "WwW.ExAmple.TEST. 590 CNAME web.ExAmple.TEST.");
    assert_string_equal(lines[1], "web.ExAmple.TEST. 290 A 192.0.2.1");
    assert_string_equal(lines[2], "ExAmple.TEST. 246 MX 10 mail.ExAmple.TEST.");
    assert_string_equal(lines[3], ". 32768 OPT "); /* ours: DO in the TTL field */
    assert_int_equal(out[n - 11 + 3] << 8 | out[n - 11 + 4], 1232);
    assert_int_equal(out[n - 11 + 7], 0x80); /* DO echoed */

    /* TTLs never go below zero; no EDNS, no OPT */
    cl = client(asked, false, 512);
    n = cache_msg_render(m, &cl, 1000, out, sizeof(out));
    assert_int_equal(parse(out, (size_t)n, &h, lines), 3);
    assert_string_equal(lines[0], "WwW.ExAmple.TEST. 0 CNAME web.ExAmple.TEST.");

    /* bigger than the client takes: question only, TC */
    cl = client(asked, false, 40);
    n = cache_msg_render(m, &cl, 0, out, sizeof(out));
    assert_int_equal(parse(out, (size_t)n, &h, lines), 0);
    assert_true(h.flags & DNS_FLAG_TC);
    cache_msg_free(m);

    /* the lifetime is capped */
    assert_int_equal(cache_msg_new(reply, len, lname, DNS_TYPE_A, DNS_CLASS_IN, 60, &m), 0);
    assert_int_equal(m->lifetime, 60);
    cache_msg_free(m);
}

static void test_msg_rejects(void **state)
{
    (void)state;
    uint8_t reply[512], lname[DNS_NAME_MAXLEN];
    size_t len = reply_cname(reply, 99, 600, 300);
    wire_name("other.example.test", lname);
    struct cache_msg *m;
    assert_int_equal(cache_msg_new(reply, len, lname, DNS_TYPE_A, DNS_CLASS_IN, 60, &m),
                     ERR_FORMAT);
    wire_name("www.example.test", lname);
    assert_int_equal(cache_msg_new(reply, len, lname, DNS_TYPE_AAAA, DNS_CLASS_IN, 60, &m),
                     ERR_FORMAT);
    for (size_t cut = 0; cut < len; cut++) /* every truncation is refused, none crashes */
        assert_int_equal(cache_msg_new(reply, cut, lname, DNS_TYPE_A, DNS_CLASS_IN, 60, &m),
                         ERR_FORMAT);
    reply[2] &= 0x7f; /* not a response */
    assert_int_equal(cache_msg_new(reply, len, lname, DNS_TYPE_A, DNS_CLASS_IN, 60, &m),
                     ERR_FORMAT);
    /* an extended RCODE in the OPT: BADVERS (16) has "NOERROR" in the header */
    len = reply_cname(reply, 99, 600, 300);
    assert_int_equal(cache_msg_new(reply, len, lname, DNS_TYPE_A, DNS_CLASS_IN, 60, &m), 0);
    cache_msg_free(m);
    reply[len - 11 + 5] = 1;
    assert_int_equal(cache_msg_new(reply, len, lname, DNS_TYPE_A, DNS_CLASS_IN, 60, &m),
                     ERR_FORMAT);
    /* TC set: a truncated reply is not kept */
    len = reply_cname(reply, 99, 600, 300);
    reply[2] |= 0x02;
    assert_int_equal(cache_msg_new(reply, len, lname, DNS_TYPE_A, DNS_CLASS_IN, 60, &m),
                     ERR_FORMAT);
    /* a second OPT (RFC 6891 6.1.1) */
    len = reply_cname(reply, 99, 600, 300);
    memcpy(reply + len, reply + len - 11, 11);
    reply[11] = 2; /* ARCOUNT */
    assert_int_equal(cache_msg_new(reply, len + 11, lname, DNS_TYPE_A, DNS_CLASS_IN, 60, &m),
                     ERR_FORMAT);
    /* an OPT whose owner is not the root: the MX's owner pointer in front of it */
    len = reply_cname(reply, 99, 600, 300);
    memmove(reply + len - 10, reply + len - 11, 11);
    reply[len - 11] = 0xc0, reply[len - 10] = 16;
    assert_int_equal(cache_msg_new(reply, len + 1, lname, DNS_TYPE_A, DNS_CLASS_IN, 60, &m),
                     ERR_FORMAT);
    /* an OPT in the authority section */
    len = reply_cname(reply, 99, 600, 300);
    reply[9] = 2, reply[11] = 0; /* NSCOUNT 2, ARCOUNT 0: the OPT joins the MX in authority */
    assert_int_equal(cache_msg_new(reply, len, lname, DNS_TYPE_A, DNS_CLASS_IN, 60, &m),
                     ERR_FORMAT);
    /* a compression pointer that points forward */
    len = reply_cname(reply, 99, 600, 300);
    reply[12 + 18 + 4 + 1] = 200;
    assert_int_equal(cache_msg_new(reply, len, lname, DNS_TYPE_A, DNS_CLASS_IN, 60, &m),
                     ERR_FORMAT);
}

static void test_msg_negative(void **state)
{
    (void)state;
    uint8_t reply[4096], lname[DNS_NAME_MAXLEN];
    wire_name("nx.example.test", lname);
    struct cache_msg *m;
    size_t len = reply_nx(reply, 900, 120, true);
    assert_int_equal(cache_msg_new(reply, len, lname, DNS_TYPE_A, DNS_CLASS_IN, 3600, &m), 0);
    assert_true(m->negative);
    assert_int_equal(m->rcode, DNS_RCODE_NXDOMAIN);
    assert_int_equal(m->lifetime, 120); /* min(SOA TTL, MINIMUM) */
    cache_msg_free(m);
    len = reply_nx(reply, 30, 120, true);
    assert_int_equal(cache_msg_new(reply, len, lname, DNS_TYPE_A, DNS_CLASS_IN, 3600, &m), 0);
    assert_int_equal(m->lifetime, 30);
    cache_msg_free(m);
    len = reply_nx(reply, 900, 120, false); /* no SOA: not cached (RFC 2308 5) */
    assert_int_equal(cache_msg_new(reply, len, lname, DNS_TYPE_A, DNS_CLASS_IN, 3600, &m), 0);
    assert_int_equal(m->lifetime, 0);
    cache_msg_free(m);
}

/* A cacheable message for name "<label>.example.test". */
static struct cache_msg *msg_for(const char *label, struct cache_key *k)
{
    uint8_t reply[512];
    char name[64];
    snprintf(name, sizeof(name), "%s.example.test", label);
    struct dns_writer dw;
    uint8_t q[DNS_NAME_MAXLEN];
    size_t qlen = wire_name(name, q);
    dns_writer_init(&dw, reply, sizeof(reply), sizeof(reply));
    dns_writer_header(&dw, 1, DNS_FLAG_QR);
    dns_writer_question(&dw, q, DNS_TYPE_A, DNS_CLASS_IN);
    static const uint8_t a[4] = {192, 0, 2, 9};
    dns_writer_rr(&dw, DNS_SECTION_ANSWER, q, DNS_TYPE_A, DNS_CLASS_IN, 300, a, 4);
    size_t len = dns_writer_finish(&dw);
    memset(k, 0, sizeof(*k));
    memcpy(k->name, q, qlen);
    k->name_len = (uint8_t)qlen;
    k->type = DNS_TYPE_A;
    k->rclass = DNS_CLASS_IN;
    struct cache_msg *m;
    assert_int_equal(cache_msg_new(reply, len, q, DNS_TYPE_A, DNS_CLASS_IN, 3600, &m), 0);
    return m;
}

static bool hit(struct cache *c, const struct cache_key *k, struct cache_stats *st)
{
    uint8_t out[1024];
    struct cache_client cl = client(k->name, false, 512);
    rcu_read_lock();
    int n = cache_answer(c, k, &cl, out, sizeof(out), st);
    rcu_read_unlock();
    return n > 0;
}

static void test_table(void **state)
{
    (void)state;
    struct cache *c = cache_new(2);
    struct cache_stats st = {0};
    struct cache_key ka, kb, kc;
    struct cache_msg *ma = msg_for("a", &ka), *mb = msg_for("b", &kb), *mc = msg_for("c", &kc);

    assert_false(hit(c, &ka, &st));
    assert_int_equal(st.misses, 1);
    assert_true(cache_store(c, &ka, ma));
    assert_true(cache_store(c, &kb, mb));
    assert_int_equal(cache_size(c), 2);
    assert_true(hit(c, &ka, &st)); /* a is now recently used */
    assert_int_equal(st.hits, 1);
    struct cache_key kd = ka;
    kd.do_bit = true; /* DO is part of the key */
    assert_false(hit(c, &kd, &st));
    kd = ka;
    kd.type = DNS_TYPE_AAAA;
    assert_false(hit(c, &kd, &st));

    assert_true(cache_store(c, &kc, mc)); /* full: b (not used since) goes */
    assert_int_equal(cache_size(c), 2);
    assert_int_equal(cache_evictions(c), 1);
    assert_true(hit(c, &ka, &st));
    assert_false(hit(c, &kb, &st));
    assert_true(hit(c, &kc, &st));

    /* storing the same key again replaces the entry, no eviction */
    assert_true(cache_store(c, &kc, msg_for("c", &kc)));
    assert_int_equal(cache_size(c), 2);
    assert_int_equal(cache_evictions(c), 1);
    assert_true(hit(c, &kc, &st));

    cache_flush(c);
    assert_int_equal(cache_size(c), 0);
    assert_false(hit(c, &ka, &st));
    assert_false(hit(c, &kc, &st));

    /* a message that may not be cached is dropped */
    uint8_t reply[4096], lname[DNS_NAME_MAXLEN];
    wire_name("nx.example.test", lname);
    struct cache_msg *m;
    size_t len = reply_nx(reply, 900, 120, false);
    assert_int_equal(cache_msg_new(reply, len, lname, DNS_TYPE_A, DNS_CLASS_IN, 3600, &m), 0);
    struct cache_key kn = {.name_len = (uint8_t)dns_name_len(lname), .type = DNS_TYPE_A,
                           .rclass = DNS_CLASS_IN};
    memcpy(kn.name, lname, kn.name_len);
    assert_false(cache_store(c, &kn, m));
    assert_int_equal(cache_size(c), 0);
    cache_msg_free(m);
    cache_free(c);

    /* a cache of size 0 keeps nothing */
    c = cache_new(0);
    m = msg_for("a", &ka);
    assert_false(cache_store(c, &ka, m));
    cache_msg_free(m);
    assert_false(hit(c, &ka, &st));
    cache_free(c);
}

static int setup(void **state)
{
    (void)state;
    snap_thread_online();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    snap_thread_offline();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msg_rewrite_and_render),
        cmocka_unit_test(test_msg_rejects),
        cmocka_unit_test(test_msg_negative),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
