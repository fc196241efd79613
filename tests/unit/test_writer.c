/*
 * The message writer (src/dns/writer.c) and reader (src/dns/msg.c): header counts, name
 * compression (whole names, suffixes, case-insensitive, inside RDATA only for RFC 1035
 * types), the size limit (a failed write changes nothing), mark/rollback (length, counts and
 * the compression table), and reading every written message back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns/dns.h"
#include "dns/msg.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/writer.h"
#include "util/err.h"

/* ---- helpers ------------------------------------------------------------------------------ */

static size_t wn(const char *text, uint8_t out[DNS_NAME_MAXLEN])
{
    size_t len;
    assert_int_equal(dns_name_from_text(text, strlen(text), NULL, out, &len), 0);
    return len;
}

static uint8_t buf[65535];

/* Label starts of names as written: the only legal compression targets. */
struct targets {
    bool at[65536];
};

/* Walks a name in place; every pointer must go back to a recorded label start. */
static size_t walk_name(const uint8_t *msg, size_t len, size_t off, struct targets *t)
{
    size_t start = off;
    for (;;) {
        assert_true(off < len);
        uint8_t l = msg[off];
        if ((l & 0xc0) == 0xc0) {
            assert_true(off + 1 < len);
            size_t to = (size_t)(l & 0x3f) << 8 | msg[off + 1];
            if (!t->at[to])
                fail_msg("pointer at %zu to %zu, which is not the start of a written label", off,
                         to);
            assert_true(to < start);
            return off + 2;
        }
        assert_int_equal(l & 0xc0, 0);
        if (l == 0)
            return off + 1;
        t->at[off] = true;
        off += 1u + l;
    }
}

/* Parses the whole message with dns_msg_* and checks every compression pointer, including
 * those inside CNAME/NS/PTR/MX/SOA RDATA. Returns the header. */
static struct dns_header check_msg(const uint8_t *msg, size_t len)
{
    static struct targets t;
    memset(&t, 0, sizeof(t));
    struct cursor c;
    struct dns_header h;
    cursor_init(&c, msg, len);
    assert_int_equal(dns_msg_header(&c, &h), 0);
    for (unsigned i = 0; i < h.qdcount; i++) {
        size_t at = c.pos;
        struct dns_question q;
        assert_int_equal(dns_msg_question(&c, &q), 0);
        assert_int_equal(walk_name(msg, len, at, &t) + 4, c.pos);
    }
    unsigned nrr = (unsigned)h.ancount + h.nscount + h.arcount;
    for (unsigned i = 0; i < nrr; i++) {
        size_t at = c.pos;
        struct dns_rr rr;
        assert_int_equal(dns_msg_rr(&c, &rr), 0);
        assert_int_equal(walk_name(msg, len, at, &t) + 10, rr.rdata_off);
        size_t p = rr.rdata_off;
        switch (rr.type) {
        case DNS_TYPE_CNAME:
        case DNS_TYPE_NS:
        case DNS_TYPE_PTR:
            p = walk_name(msg, len, p, &t);
            break;
        case DNS_TYPE_MX:
            p = walk_name(msg, len, p + 2, &t);
            break;
        case DNS_TYPE_SOA:
            p = walk_name(msg, len, p, &t);
            p = walk_name(msg, len, p, &t) + 20;
            break;
        default:
            p += rr.rdlen;
            break;
        }
        assert_int_equal(p, rr.rdata_off + rr.rdlen);
        /* and the RDATA decompresses cleanly */
        uint8_t rd[65535];
        struct wbuf w;
        struct cursor rc = c;
        rc.pos = rr.rdata_off;
        wbuf_init(&w, rd, sizeof(rd));
        assert_int_equal(dns_rdata_unpack(rr.type, &rc, rr.rdlen, &w), 0);
    }
    assert_int_equal(c.pos, len);
    return h;
}

/* Reads RR number `idx` (0-based over all sections) and returns its owner as text. */
static void read_rr(const uint8_t *msg, size_t len, unsigned idx, struct dns_rr *rr, char *owner,
                    size_t cap)
{
    struct cursor c;
    struct dns_header h;
    cursor_init(&c, msg, len);
    assert_int_equal(dns_msg_header(&c, &h), 0);
    for (unsigned i = 0; i < h.qdcount; i++) {
        struct dns_question q;
        assert_int_equal(dns_msg_question(&c, &q), 0);
    }
    for (unsigned i = 0; i <= idx; i++)
        assert_int_equal(dns_msg_rr(&c, rr), 0);
    assert_true(dns_name_to_text(rr->owner, owner, cap, 0) > 0);
}

static int put_a(struct dns_writer *dw, enum dns_section sec, const char *owner, uint8_t last)
{
    uint8_t name[DNS_NAME_MAXLEN];
    uint8_t a[4] = {192, 0, 2, last};
    wn(owner, name);
    return dns_writer_rr(dw, sec, name, DNS_TYPE_A, DNS_CLASS_IN, 300, a, 4);
}

static int put_name_rr(struct dns_writer *dw, enum dns_section sec, const char *owner,
                       uint16_t type, const char *target)
{
    uint8_t name[DNS_NAME_MAXLEN], rd[DNS_NAME_MAXLEN + 2];
    size_t off = type == DNS_TYPE_MX || type == DNS_TYPE_SRV ? (type == DNS_TYPE_MX ? 2 : 6) : 0;
    memset(rd, 0, off);
    if (off)
        rd[1] = 10;
    size_t n = wn(target, rd + off);
    wn(owner, name);
    return dns_writer_rr(dw, sec, name, type, DNS_CLASS_IN, 60, rd, (uint16_t)(off + n));
}

static void start(struct dns_writer *dw, size_t cap, size_t limit, const char *qname)
{
    memset(buf, 0xee, sizeof(buf));
    dns_writer_init(dw, buf, cap, limit);
    dns_writer_header(dw, 0x1234, DNS_FLAG_QR);
    if (qname) {
        uint8_t name[DNS_NAME_MAXLEN];
        wn(qname, name);
        assert_int_equal(dns_writer_question(dw, name, DNS_TYPE_A, DNS_CLASS_IN), 0);
    }
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_header_counts(void **state)
{
    (void)state;
    struct dns_writer dw;
    dns_writer_init(&dw, buf, sizeof(buf), 512);
    assert_int_equal(dns_writer_flags(&dw), 0); /* no header yet */
    dns_writer_set_flags(&dw, 0xffff);
    assert_int_equal(dns_writer_len(&dw), 0);
    dns_writer_header(&dw, 0xbeef, DNS_FLAG_QR | DNS_FLAG_RD);
    assert_int_equal(dns_writer_len(&dw), DNS_HDR_LEN);
    assert_int_equal(dns_writer_flags(&dw), DNS_FLAG_QR | DNS_FLAG_RD);
    dns_writer_set_flags(&dw, DNS_FLAG_QR | DNS_FLAG_AA | DNS_FLAG_RD | DNS_RCODE_NXDOMAIN);
    assert_int_equal(dns_writer_flags(&dw), DNS_FLAG_QR | DNS_FLAG_AA | DNS_FLAG_RD | 3);

    uint8_t q[DNS_NAME_MAXLEN];
    wn("www.example.com", q);
    assert_int_equal(dns_writer_question(&dw, q, DNS_TYPE_AAAA, DNS_CLASS_IN), 0);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "www.example.com", 1), 0);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "www.example.com", 2), 0);
    assert_int_equal(
        put_name_rr(&dw, DNS_SECTION_AUTHORITY, "example.com", DNS_TYPE_NS, "ns1.example.com"), 0);
    assert_int_equal(put_a(&dw, DNS_SECTION_ADDITIONAL, "ns1.example.com", 53), 0);
    assert_int_equal(put_a(&dw, DNS_SECTION_ADDITIONAL, "ns2.example.org", 54), 0);
    /* the counts are only in the header after finish */
    assert_memory_equal(buf + 4, "\0\0\0\0\0\0\0\0", 8);
    size_t len = dns_writer_finish(&dw);
    assert_int_equal(len, dns_writer_len(&dw));

    struct dns_header h = check_msg(buf, len);
    assert_int_equal(h.id, 0xbeef);
    assert_int_equal(h.flags, DNS_FLAG_QR | DNS_FLAG_AA | DNS_FLAG_RD | 3);
    assert_int_equal(h.qdcount, 1);
    assert_int_equal(h.ancount, 2);
    assert_int_equal(h.nscount, 1);
    assert_int_equal(h.arcount, 2);

    struct cursor c;
    cursor_init(&c, buf, len);
    assert_int_equal(dns_msg_header(&c, &h), 0);
    struct dns_question qq;
    assert_int_equal(dns_msg_question(&c, &qq), 0);
    assert_int_equal(qq.qtype, DNS_TYPE_AAAA);
    assert_int_equal(qq.qclass, DNS_CLASS_IN);
    assert_int_equal(qq.name_len, 17);
    assert_memory_equal(qq.name, q, 17);

    static const char *const owners[] = {"www.example.com.", "www.example.com.", "example.com.",
                                         "ns1.example.com.", "ns2.example.org."};
    static const uint16_t types[] = {DNS_TYPE_A, DNS_TYPE_A, DNS_TYPE_NS, DNS_TYPE_A, DNS_TYPE_A};
    for (unsigned i = 0; i < 5; i++) {
        struct dns_rr rr;
        char owner[300];
        read_rr(buf, len, i, &rr, owner, sizeof(owner));
        assert_string_equal(owner, owners[i]);
        assert_int_equal(rr.type, types[i]);
        assert_int_equal(rr.rclass, DNS_CLASS_IN);
        assert_int_equal(rr.ttl, types[i] == DNS_TYPE_A ? 300 : 60);
        if (types[i] == DNS_TYPE_A) {
            assert_int_equal(rr.rdlen, 4);
            assert_int_equal(buf[rr.rdata_off], 192);
        }
    }
    struct dns_rr rr;
    char owner[300];
    read_rr(buf, len, 1, &rr, owner, sizeof(owner));
    assert_int_equal(buf[rr.rdata_off + 3], 2);

    /* a second header restarts the message */
    dns_writer_header(&dw, 7, 0);
    assert_int_equal(dns_writer_len(&dw), DNS_HDR_LEN);
}

static void test_compression(void **state)
{
    (void)state;
    struct dns_writer dw;
    start(&dw, sizeof(buf), sizeof(buf), "www.example.com");
    assert_int_equal(dns_writer_len(&dw), 12 + 17 + 4);
    uint8_t name[DNS_NAME_MAXLEN];

    /* the whole name again: a pointer to the question */
    size_t at = dns_writer_len(&dw);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "www.example.com", 1), 0);
    assert_memory_equal(buf + at, "\xc0\x0c", 2);
    assert_int_equal(dns_writer_len(&dw), at + 2 + 10 + 4);

    /* case does not matter */
    at = dns_writer_len(&dw);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "WWW.Example.COM", 2), 0);
    assert_memory_equal(buf + at, "\xc0\x0c", 2);

    /* a suffix points into the middle of the first name */
    at = dns_writer_len(&dw);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "mail.EXAMPLE.com", 3), 0);
    assert_memory_equal(buf + at, "\4mail\xc0\x10", 7);
    size_t mail = at;
    at = dns_writer_len(&dw);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "com", 4), 0);
    assert_memory_equal(buf + at, "\xc0\x18", 2);

    /* a suffix of a name that was itself partly compressed */
    at = dns_writer_len(&dw);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "x.mail.example.com", 5), 0);
    assert_int_equal(buf[at], 1);
    assert_int_equal(buf[at + 1], 'x');
    assert_int_equal(buf[at + 2], 0xc0);
    assert_int_equal(buf[at + 3], mail);

    /* nothing in common: written in full */
    at = dns_writer_len(&dw);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "other.net", 6), 0);
    assert_memory_equal(buf + at, "\5other\3net\0", 11);
    /* a label that only looks alike ("example" vs "exampl") is not a match */
    at = dns_writer_len(&dw);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "exampl.com", 7), 0);
    assert_memory_equal(buf + at, "\6exampl\xc0\x18", 9);

    /* the root name is never a pointer */
    struct dns_writer_mark m;
    dns_writer_mark(&dw, &m);
    at = dns_writer_len(&dw);
    wn(".", name);
    assert_int_equal(dns_writer_name(&dw, name, true), 0);
    assert_int_equal(dns_writer_len(&dw), at + 1);
    assert_int_equal(buf[at], 0);
    dns_writer_rollback(&dw, &m);

    size_t len = dns_writer_finish(&dw);
    struct dns_header h = check_msg(buf, len);
    assert_int_equal(h.ancount, 7);
    static const char *const owners[] = {
        "www.example.com.",    "www.example.com.", "mail.example.com.", "com.",
        "x.mail.example.com.", "other.net.",       "exampl.com."};
    for (unsigned i = 0; i < 7; i++) {
        struct dns_rr rr;
        char owner[300];
        read_rr(buf, len, i, &rr, owner, sizeof(owner));
        assert_string_equal(owner, owners[i]);
        assert_int_equal(buf[rr.rdata_off + 3], i + 1);
    }
}

static void test_no_compression(void **state)
{
    (void)state;
    struct dns_writer dw;
    start(&dw, sizeof(buf), sizeof(buf), "www.example.com");
    uint8_t name[DNS_NAME_MAXLEN];
    size_t n = wn("www.example.com", name);
    size_t at = dns_writer_len(&dw);
    assert_int_equal(dns_writer_name(&dw, name, false), 0);
    assert_int_equal(dns_writer_len(&dw), at + n);
    assert_memory_equal(buf + at, name, n);
    /* a compressed write after it still finds a target */
    at = dns_writer_len(&dw);
    assert_int_equal(dns_writer_name(&dw, name, true), 0);
    assert_int_equal(dns_writer_len(&dw), at + 2);
    assert_int_equal(buf[at] & 0xc0, 0xc0);
}

static void test_rdata_compression(void **state)
{
    (void)state;
    struct dns_writer dw;
    start(&dw, sizeof(buf), sizeof(buf), "www.example.com");
    assert_int_equal(put_name_rr(&dw, DNS_SECTION_ANSWER, "alias.example.com", DNS_TYPE_CNAME,
                                 "www.example.com"),
                     0);
    assert_int_equal(
        put_name_rr(&dw, DNS_SECTION_ANSWER, "example.com", DNS_TYPE_MX, "mail.example.com"), 0);
    assert_int_equal(put_name_rr(&dw, DNS_SECTION_ANSWER, "_sip._udp.example.com", DNS_TYPE_SRV,
                                 "www.example.com"),
                     0);
    size_t len = dns_writer_finish(&dw);
    check_msg(buf, len);

    struct dns_rr rr;
    char owner[300];
    read_rr(buf, len, 0, &rr, owner, sizeof(owner));
    assert_int_equal(rr.type, DNS_TYPE_CNAME);
    assert_int_equal(rr.rdlen, 2);
    assert_memory_equal(buf + rr.rdata_off, "\xc0\x0c", 2);

    read_rr(buf, len, 1, &rr, owner, sizeof(owner));
    assert_int_equal(rr.type, DNS_TYPE_MX);
    assert_int_equal(rr.rdlen, 2 + 5 + 2);
    assert_memory_equal(buf + rr.rdata_off, "\0\12\4mail\xc0\x10", 9);

    /* SRV is not an RFC 1035 type: its target stays uncompressed (RFC 3597 section 4) */
    read_rr(buf, len, 2, &rr, owner, sizeof(owner));
    assert_int_equal(rr.type, DNS_TYPE_SRV);
    assert_int_equal(rr.rdlen, 6 + 17);
    assert_memory_equal(buf + rr.rdata_off + 6, "\3www\7example\3com\0", 17);
}

static void test_limit(void **state)
{
    (void)state;
    struct dns_writer dw;
    start(&dw, sizeof(buf), 49, "www.example.com");
    assert_int_equal(dns_writer_limit(&dw), 49);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "www.example.com", 1), 0);
    assert_int_equal(dns_writer_len(&dw), 49);

    uint8_t before[64];
    memcpy(before, buf, 49);
    unsigned ncomp = dw.ncomp;
    uint16_t counts[4];
    memcpy(counts, dw.counts, sizeof(counts));

    /* not even a pointer fits */
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "www.example.com", 2), ERR_SPACE);
    assert_int_equal(dns_writer_len(&dw), 49);
    assert_memory_equal(dw.counts, counts, sizeof(counts));
    assert_int_equal(dw.ncomp, ncomp);

    /* now room for the owner and the fixed part, but not the RDATA */
    dns_writer_set_limit(&dw, 49 + 2 + 10 + 3);
    assert_int_equal(put_a(&dw, DNS_SECTION_ADDITIONAL, "www.example.com", 2), ERR_SPACE);
    assert_int_equal(dns_writer_len(&dw), 49);
    assert_memory_equal(dw.counts, counts, sizeof(counts));
    /* a new owner name (new targets) with RDATA that does not fit */
    dns_writer_set_limit(&dw, 49 + 12 + 10 + 3);
    assert_int_equal(put_a(&dw, DNS_SECTION_AUTHORITY, "new.example.org", 2), ERR_SPACE);
    assert_int_equal(dns_writer_len(&dw), 49);
    assert_int_equal(dw.ncomp, ncomp);
    /* a compressible name in RDATA that only partly fits */
    dns_writer_set_limit(&dw, 49 + 12 + 7 + 2);
    assert_int_equal(put_name_rr(&dw, DNS_SECTION_ANSWER, "www.example.com", DNS_TYPE_CNAME,
                                 "target.example.net"),
                     ERR_SPACE);
    assert_int_equal(dns_writer_len(&dw), 49);
    assert_int_equal(dw.ncomp, ncomp);
    /* a question whose name fits but not its type and class */
    uint8_t name[DNS_NAME_MAXLEN];
    wn("q.example.net", name);
    dns_writer_set_limit(&dw, 49 + 15 + 3);
    assert_int_equal(dns_writer_question(&dw, name, DNS_TYPE_A, DNS_CLASS_IN), ERR_SPACE);
    assert_int_equal(dns_writer_len(&dw), 49);
    assert_int_equal(dw.ncomp, ncomp);
    assert_memory_equal(dw.counts, counts, sizeof(counts));
    /* a bare name */
    dns_writer_set_limit(&dw, 49 + 10);
    assert_int_equal(dns_writer_name(&dw, name, true), ERR_SPACE);
    assert_int_equal(dns_writer_len(&dw), 49);
    assert_int_equal(dw.ncomp, ncomp);
    assert_memory_equal(buf, before, 49);

    /* the writer is not stuck: with room, writes work and the message is sound */
    dns_writer_set_limit(&dw, 512);
    assert_int_equal(put_a(&dw, DNS_SECTION_AUTHORITY, "new.example.org", 2), 0);
    assert_int_equal(put_a(&dw, DNS_SECTION_ADDITIONAL, "x.new.example.org", 3), 0);
    size_t len = dns_writer_finish(&dw);
    struct dns_header h = check_msg(buf, len);
    assert_int_equal(h.ancount, 1);
    assert_int_equal(h.nscount, 1);
    assert_int_equal(h.arcount, 1);
    struct dns_rr rr;
    char owner[300];
    read_rr(buf, len, 2, &rr, owner, sizeof(owner));
    assert_string_equal(owner, "x.new.example.org.");
}

static void test_set_limit(void **state)
{
    (void)state;
    struct dns_writer dw;
    dns_writer_init(&dw, buf, 100, 200);
    assert_int_equal(dns_writer_limit(&dw), 100); /* never above the buffer */
    dns_writer_header(&dw, 1, 0);
    uint8_t name[DNS_NAME_MAXLEN];
    wn("www.example.com", name);
    assert_int_equal(dns_writer_question(&dw, name, DNS_TYPE_A, DNS_CLASS_IN), 0);
    dns_writer_set_limit(&dw, 5);
    assert_int_equal(dns_writer_limit(&dw), dns_writer_len(&dw)); /* never below the length */
    assert_int_equal(dns_writer_len(&dw), 33);
    assert_int_equal(dns_writer_name(&dw, name, true), ERR_SPACE);
    dns_writer_set_limit(&dw, 1000);
    assert_int_equal(dns_writer_limit(&dw), 100);
    dns_writer_set_limit(&dw, 60);
    assert_int_equal(dns_writer_limit(&dw), 60);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "www.example.com", 1), 0);
    assert_int_equal(dns_writer_len(&dw), 49);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "www.example.com", 1), ERR_SPACE);
    check_msg(buf, dns_writer_finish(&dw));
}

/* Writes the decoy of the rollback tests: an RR whose TXT RDATA holds "\3bar\0" exactly
 * where the label "bar" of a rolled-back name was. */
static void put_decoy(struct dns_writer *dw, size_t mark, size_t bar_at)
{
    uint8_t q[DNS_NAME_MAXLEN], txt[64];
    wn("q.test", q);
    /* owner pointer (2), type/class/ttl (8), rdlength (2), then the string length byte */
    size_t content = mark + 2 + 8 + 2 + 1;
    assert_true(bar_at >= content);
    size_t k = bar_at - content;
    txt[0] = (uint8_t)(k + 5 + 3);
    memset(txt + 1, 'x', k);
    memcpy(txt + 1 + k, "\3bar\0", 5);
    memcpy(txt + 1 + k + 5, "xxx", 3);
    assert_int_equal(dns_writer_rr(dw, DNS_SECTION_ANSWER, q, DNS_TYPE_TXT, DNS_CLASS_IN, 1, txt,
                                   (uint16_t)(txt[0] + 1)),
                     0);
    assert_memory_equal(buf + bar_at, "\3bar\0", 5);
}

static void test_rollback(void **state)
{
    (void)state;
    struct dns_writer dw;
    start(&dw, sizeof(buf), sizeof(buf), "q.test");
    struct dns_writer_mark m;
    dns_writer_mark(&dw, &m);
    size_t mark = dns_writer_len(&dw);
    unsigned ncomp = dw.ncomp;
    assert_int_equal(m.pos, mark);

    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "aaaaaaaaaaaaaaaaaaaa.foo.bar", 1), 0);
    size_t bar_at = mark + 21 + 4;
    assert_memory_equal(buf + bar_at, "\3bar\0", 5);
    assert_int_equal(put_a(&dw, DNS_SECTION_ADDITIONAL, "foo.bar", 2), 0);
    assert_true(dw.ncomp > ncomp);
    dns_writer_rollback(&dw, &m);
    assert_int_equal(dns_writer_len(&dw), mark);
    assert_int_equal(dw.ncomp, ncomp);
    assert_int_equal(dw.counts[DNS_SECTION_ANSWER], 0);
    assert_int_equal(dw.counts[DNS_SECTION_ADDITIONAL], 0);
    assert_int_equal(dw.counts[DNS_SECTION_QUESTION], 1);

    /* the old label positions now hold other bytes; "bar" must not point at them */
    put_decoy(&dw, mark, bar_at);
    size_t at = dns_writer_len(&dw);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "bar", 3), 0);
    assert_memory_equal(buf + at, "\3bar\0", 5);
    size_t len = dns_writer_finish(&dw);
    struct dns_header h = check_msg(buf, len);
    assert_int_equal(h.ancount, 2);
    assert_int_equal(h.arcount, 0);
    struct dns_rr rr;
    char owner[300];
    read_rr(buf, len, 1, &rr, owner, sizeof(owner));
    assert_string_equal(owner, "bar.");
    assert_int_equal(buf[rr.rdata_off + 3], 3);
}

/* The same through the rollback a failed dns_writer_rr does by itself. */
static void test_failed_write_forgets_names(void **state)
{
    (void)state;
    struct dns_writer dw;
    start(&dw, sizeof(buf), sizeof(buf), "q.test");
    size_t mark = dns_writer_len(&dw);
    unsigned ncomp = dw.ncomp;
    uint8_t owner[DNS_NAME_MAXLEN];
    wn("aaaaaaaaaaaaaaaaaaaa.foo.bar", owner);
    uint8_t big[600];
    memset(big, 0, sizeof(big));
    dns_writer_set_limit(&dw, mark + 100);
    assert_int_equal(dns_writer_rr(&dw, DNS_SECTION_ANSWER, owner, DNS_TYPE_NULL, DNS_CLASS_IN, 1,
                                   big, sizeof(big)),
                     ERR_SPACE);
    assert_int_equal(dns_writer_len(&dw), mark);
    assert_int_equal(dw.ncomp, ncomp);
    dns_writer_set_limit(&dw, sizeof(buf));
    /* the failed owner was written at mark before the RDATA failed */
    assert_memory_equal(buf + mark + 25, "\3bar\0", 5);
    put_decoy(&dw, mark, mark + 25);
    size_t at = dns_writer_len(&dw);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "bar", 3), 0);
    assert_memory_equal(buf + at, "\3bar\0", 5);
    check_msg(buf, dns_writer_finish(&dw));
}

static void test_many_names(void **state)
{
    (void)state;
    struct dns_writer dw;
    start(&dw, sizeof(buf), sizeof(buf), "www.example.com");
    char name[64];
    /* far more labels than the table holds */
    for (int i = 0; i < 60; i++) {
        snprintf(name, sizeof(name), "n%d.z%d.test%d", i, i, i);
        assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, name, (uint8_t)i), 0);
    }
    assert_true(dw.ncomp <= DNS_WRITER_COMP_MAX);
    for (int i = 0; i < 60; i++) {
        snprintf(name, sizeof(name), "m.n%d.z%d.test%d", i, i, i);
        assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, name, (uint8_t)i), 0);
    }
    /* the question is still a target */
    size_t at = dns_writer_len(&dw);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "www.example.com", 0), 0);
    assert_memory_equal(buf + at, "\xc0\x0c", 2);
    size_t len = dns_writer_finish(&dw);
    struct dns_header h = check_msg(buf, len);
    assert_int_equal(h.ancount, 121);
    for (int i = 0; i < 120; i += 7) {
        struct dns_rr rr;
        char owner[300], want[64];
        read_rr(buf, len, (unsigned)i, &rr, owner, sizeof(owner));
        snprintf(want, sizeof(want), "%sn%d.z%d.test%d.", i < 60 ? "" : "m.", i % 60, i % 60,
                 i % 60);
        assert_string_equal(owner, want);
    }
}

/* "a.a. ... .a.<end>" with `n` labels "a" (text into out). */
static void deep_name(char *out, int n, const char *end)
{
    out[0] = 0;
    for (int i = 0; i < n; i++)
        strcat(out, "a.");
    strcat(out, end);
}

/* Long names that differ only in their last label (the ones that made the target search
 * quadratic in labels): none points at another, while a repeated name and a suffix still
 * point at the right targets. */
static void test_deep_names(void **state)
{
    (void)state;
    struct dns_writer dw;
    start(&dw, sizeof(buf), sizeof(buf), NULL);
    char name[300], text[300];
    for (int i = 0; i < 40; i++) {
        snprintf(text, sizeof(text), "x%02d", i);
        deep_name(name, 124, text);
        assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, name, (uint8_t)i), 0);
    }
    size_t at = dns_writer_len(&dw);
    deep_name(name, 124, "x00"); /* the first again: one pointer */
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, name, 40), 0);
    assert_memory_equal(buf + at, "\xc0\x0c", 2);
    at = dns_writer_len(&dw);
    /* a suffix of the first (the table holds the first name's first 96 labels) */
    deep_name(name, 100, "x00");
    char b[310];
    snprintf(b, sizeof(b), "b.%s", name);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, b, 41), 0);
    assert_memory_equal(buf + at, "\1b\xc0\x3c", 4); /* 12 + 24 labels "a" */
    size_t len = dns_writer_finish(&dw);
    struct dns_header h = check_msg(buf, len);
    assert_int_equal(h.ancount, 42);
    for (unsigned i = 0; i < 42; i++) {
        struct dns_rr rr;
        char owner[300], want[310];
        read_rr(buf, len, i, &rr, owner, sizeof(owner));
        if (i < 41) {
            snprintf(text, sizeof(text), "x%02u.", i % 40);
            deep_name(want, 124, text);
        } else {
            deep_name(name, 100, "x00.");
            snprintf(want, sizeof(want), "b.%s", name);
        }
        assert_string_equal(owner, want);
    }
}

/* Offsets past 0x3fff cannot be pointed at; names there are written in full. */
static void test_far_names(void **state)
{
    (void)state;
    struct dns_writer dw;
    start(&dw, sizeof(buf), sizeof(buf), "pad.test");
    static uint8_t txt[256 * 70];
    for (int i = 0; i < 70; i++) {
        txt[256 * i] = 255;
        memset(txt + 256 * i + 1, 'a' + i % 26, 255);
    }
    uint8_t pad[DNS_NAME_MAXLEN];
    wn("pad.test", pad);
    assert_int_equal(dns_writer_rr(&dw, DNS_SECTION_ANSWER, pad, DNS_TYPE_TXT, DNS_CLASS_IN, 1, txt,
                                   sizeof(txt)),
                     0);
    assert_true(dns_writer_len(&dw) > 0x4000);
    size_t first = dns_writer_len(&dw);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "late.example", 1), 0);
    assert_memory_equal(buf + first, "\4late\7example\0", 14);
    size_t second = dns_writer_len(&dw);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "late.example", 2), 0);
    assert_memory_equal(buf + second, "\4late\7example\0", 14);
    /* an early name is still a target */
    size_t third = dns_writer_len(&dw);
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "x.pad.test", 3), 0);
    assert_memory_equal(buf + third, "\1x\xc0\x0c", 4);
    size_t len = dns_writer_finish(&dw);
    struct dns_header h = check_msg(buf, len);
    assert_int_equal(h.ancount, 4);
}

static void test_reader_errors(void **state)
{
    (void)state;
    struct dns_writer dw;
    start(&dw, sizeof(buf), sizeof(buf), "www.example.com");
    assert_int_equal(put_a(&dw, DNS_SECTION_ANSWER, "www.example.com", 1), 0);
    size_t len = dns_writer_finish(&dw);
    struct cursor c;
    struct dns_header h;
    struct dns_question q;
    struct dns_rr rr;

    cursor_init(&c, buf, 11);
    assert_int_equal(dns_msg_header(&c, &h), ERR_TRUNC);

    /* every truncation of the message fails somewhere, never reads past the end */
    for (size_t cut = DNS_HDR_LEN; cut < len; cut++) {
        uint8_t *copy = malloc(cut);
        assert_non_null(copy);
        memcpy(copy, buf, cut);
        cursor_init(&c, copy, cut);
        assert_int_equal(dns_msg_header(&c, &h), 0);
        int r = dns_msg_question(&c, &q);
        if (!r)
            r = dns_msg_rr(&c, &rr);
        assert_int_not_equal(r, 0);
        free(copy);
    }

    /* an RDLENGTH past the end */
    buf[len - 5] = 5;
    cursor_init(&c, buf, len);
    assert_int_equal(dns_msg_header(&c, &h), 0);
    assert_int_equal(dns_msg_question(&c, &q), 0);
    assert_int_equal(dns_msg_rr(&c, &rr), ERR_TRUNC);

    /* a pointer forward */
    static const uint8_t fwd[] = {0, 1,    0,  0, 0,   1, 0, 0, 0, 0, 0,
                                  0, 0xc0, 14, 1, 'a', 0, 0, 1, 0, 1};
    cursor_init(&c, fwd, sizeof(fwd));
    assert_int_equal(dns_msg_header(&c, &h), 0);
    assert_int_equal(dns_msg_question(&c, &q), ERR_PTR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_counts),  cmocka_unit_test(test_compression),
        cmocka_unit_test(test_no_compression), cmocka_unit_test(test_rdata_compression),
        cmocka_unit_test(test_limit),          cmocka_unit_test(test_set_limit),
        cmocka_unit_test(test_rollback),       cmocka_unit_test(test_failed_write_forgets_names),
        cmocka_unit_test(test_many_names),     cmocka_unit_test(test_far_names),
        cmocka_unit_test(test_deep_names),     cmocka_unit_test(test_reader_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
