/*
 * A second, independent set of tests for dns/zonefile*.c, written with the streaming reader
 * (test_zonefile.c is the first): every record feature with exact owners, types, TTLs and
 * RDATA (printed by dns_rdata_to_text), directives ($ORIGIN, $TTL, $INCLUDE with files in a
 * temporary directory, $GENERATE with the BIND ARM examples), lexical edge cases (CRLF,
 * quotes, escapes, NUL and non-ASCII bytes, long entries across buffer refills), and errors
 * with their exact file, line and text.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dns/dns.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/zonefile.h"
#include "util/err.h"

/* ---- collecting what the parser reports ------------------------------------------------- */

struct got_rr {
    char owner[DNS_NAME_MAXLEN * 4 + 2];
    size_t owner_len;
    char type[16];
    uint32_t ttl;
    char *rdata; /* presentation form */
    uint16_t rdlen;
    char file[512];
    unsigned line, col;
};

struct got_msg {
    bool error;
    char file[512];
    unsigned line, col;
    char text[512];
};

struct got {
    struct got_rr *rr;
    size_t n, cap;
    struct got_msg *msg;
    size_t nmsg, capmsg;
    size_t stop_at; /* rr returns 42 at this record (1-based); 0: never */
};

static char rdtext[300000];

static int got_rr(void *ctx, const struct dns_zonefile_rr *rr)
{
    struct got *g = ctx;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 64;
        g->rr = realloc(g->rr, g->cap * sizeof(*g->rr));
        assert_non_null(g->rr);
    }
    struct got_rr *r = &g->rr[g->n++];
    assert_int_equal(rr->rclass, DNS_CLASS_IN);
    assert_int_equal(rr->owner_len, dns_name_len(rr->owner));
    r->owner_len = rr->owner_len;
    assert_true(dns_name_to_text(rr->owner, r->owner, sizeof(r->owner), 0) > 0);
    assert_true(dns_type_to_text(rr->type, r->type, sizeof(r->type)) > 0);
    r->ttl = rr->ttl;
    r->rdlen = rr->rdlen;
    assert_true(dns_rdata_to_text(rr->type, rr->rdata, rr->rdlen, rdtext, sizeof(rdtext)) >= 0);
    r->rdata = strdup(rdtext);
    snprintf(r->file, sizeof(r->file), "%s", rr->file);
    r->line = rr->line;
    r->col = rr->col;
    return g->stop_at && g->n == g->stop_at ? 42 : 0;
}

static void got_msg(void *ctx, bool error, const char *file, unsigned line, unsigned col,
                    const char *msg)
{
    struct got *g = ctx;
    if (g->nmsg == g->capmsg) {
        g->capmsg = g->capmsg ? g->capmsg * 2 : 16;
        g->msg = realloc(g->msg, g->capmsg * sizeof(*g->msg));
        assert_non_null(g->msg);
    }
    struct got_msg *m = &g->msg[g->nmsg++];
    m->error = error;
    snprintf(m->file, sizeof(m->file), "%s", file);
    m->line = line;
    m->col = col;
    snprintf(m->text, sizeof(m->text), "%s", msg);
}

static void got_free(struct got *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->rr[i].rdata);
    free(g->rr);
    free(g->msg);
    memset(g, 0, sizeof(*g));
}

static uint8_t origin[DNS_NAME_MAXLEN];

static struct dns_zonefile_opts opts(struct got *g)
{
    size_t len;
    memset(g, 0, sizeof(*g));
    assert_int_equal(dns_name_from_text("example.com.", 12, NULL, origin, &len), 0);
    return (struct dns_zonefile_opts){.origin = origin, .rr = got_rr, .msg = got_msg, .ctx = g};
}

/* Parses `text` (named "z") with origin example.com.; returns the parser's result. */
static int parse_len(struct got *g, const char *text, size_t len)
{
    struct dns_zonefile_opts o = opts(g);
    return dns_zonefile_parse_string("z", text, len, &o);
}

static int parse(struct got *g, const char *text)
{
    return parse_len(g, text, strlen(text));
}

static void expect_rr_at(const struct got *g, size_t i, const char *owner, const char *type,
                         uint32_t ttl, const char *rdata, unsigned line)
{
    if (i >= g->n)
        fail_msg("record %zu missing (got %zu)", i, g->n);
    const struct got_rr *r = &g->rr[i];
    assert_string_equal(r->owner, owner);
    assert_string_equal(r->type, type);
    assert_int_equal(r->ttl, ttl);
    assert_string_equal(r->rdata, rdata);
    if (line)
        assert_int_equal(r->line, line);
}

static void expect_rr(const struct got *g, size_t i, const char *owner, const char *type,
                      uint32_t ttl, const char *rdata)
{
    expect_rr_at(g, i, owner, type, ttl, rdata, 0);
}

static void expect_msg(const struct got *g, size_t i, bool error, unsigned line, unsigned col,
                       const char *text)
{
    if (i >= g->nmsg)
        fail_msg("message %zu missing (got %zu): %s", i, g->nmsg, text);
    assert_string_equal(g->msg[i].text, text);
    assert_int_equal(g->msg[i].line, line);
    assert_int_equal(g->msg[i].col, col);
    assert_int_equal(g->msg[i].error, error);
}

/* One error, at `line` and `col`, and no record. */
static void expect_error(const char *text, unsigned line, unsigned col, const char *msg)
{
    struct got g;
    assert_int_equal(parse(&g, text), ERR_SYNTAX);
    assert_int_equal(g.nmsg, 1);
    expect_msg(&g, 0, true, line, col, msg);
    assert_string_equal(g.msg[0].file, "z");
    assert_int_equal(g.n, 0);
    got_free(&g);
}

/* ---- temporary files --------------------------------------------------------------------------
 */

static char tmpdir[64];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_zonefile.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes tmpdir/name (creating one level of directory) and returns its path (static). */
static const char *write_file(const char *name, const char *text, size_t len)
{
    static char path[4][256];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, 256, "%s/%s", tmpdir, name);
    char *slash = strrchr(p, '/');
    *slash = 0;
    mkdir(p, 0700);
    *slash = '/';
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
    return p;
}

static const char *write_text(const char *name, const char *text)
{
    return write_file(name, text, strlen(text));
}

/* ---- records ------------------------------------------------------------------------------ */

static const char soa_zone[] = "$TTL 3600\n"
                               "@ IN SOA ns1 hostmaster ( ; the apex\n"
                               "        2024010101 ; serial\n"
                               "        2h 1H 2w 5m ) ; timers\n"
                               "        NS ns1\n"
                               "        NS ns2.other.test.\n"
                               "        MX 10 mail\n"
                               "ns1     A 192.0.2.1\n"
                               "        AAAA 2001:db8::1\n"
                               "www.example.com. 300 IN A 192.0.2.2\n"
                               "www     IN 600 A 192.0.2.3\n"
                               "www     A 192.0.2.4\n"
                               "sub.example.com. IN TXT \"a b\" \"quote\\\"d\" \"semi;colon(\"\n";

static void test_records(void **state)
{
    (void)state;
    struct got g;
    assert_int_equal(parse(&g, soa_zone), 0);
    assert_int_equal(g.nmsg, 0);
    assert_int_equal(g.n, 10);
    expect_rr_at(&g, 0, "example.com.", "SOA", 3600,
                 "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300", 2);
    expect_rr_at(&g, 1, "example.com.", "NS", 3600, "ns1.example.com.", 5);
    expect_rr_at(&g, 2, "example.com.", "NS", 3600, "ns2.other.test.", 6);
    expect_rr_at(&g, 3, "example.com.", "MX", 3600, "10 mail.example.com.", 7);
    expect_rr_at(&g, 4, "ns1.example.com.", "A", 3600, "192.0.2.1", 8);
    expect_rr_at(&g, 5, "ns1.example.com.", "AAAA", 3600, "2001:db8::1", 9);
    expect_rr_at(&g, 6, "www.example.com.", "A", 300, "192.0.2.2", 10);
    expect_rr_at(&g, 7, "www.example.com.", "A", 600, "192.0.2.3", 11);
    expect_rr_at(&g, 8, "www.example.com.", "A", 3600, "192.0.2.4", 12);
    expect_rr_at(&g, 9, "sub.example.com.", "TXT", 3600, "\"a b\" \"quote\\\"d\" \"semi;colon(\"",
                 13);
    assert_string_equal(g.rr[0].file, "z");
    assert_int_equal(g.rr[4].owner_len, 17);
    got_free(&g);
}

static void test_owners_and_origin(void **state)
{
    (void)state;
    struct got g;
    assert_int_equal(parse(&g, "$TTL 60\n"
                               "@ A 192.0.2.1\n"
                               "$ORIGIN sub\n" /* relative to example.com. */
                               "@ A 192.0.2.2\n"
                               "x CNAME y\n"
                               "$origin other.test.\n"
                               "x A 192.0.2.3\n"
                               "\\065bc A 192.0.2.4\n"
                               "esc\\.aped TXT x\n"
                               "*.wild A 192.0.2.5\n"
                               "  $TTL 30\n" /* indented directives work too */
                               "  A 192.0.2.6\n"),
                     0);
    assert_int_equal(g.nmsg, 0);
    expect_rr(&g, 0, "example.com.", "A", 60, "192.0.2.1");
    expect_rr(&g, 1, "sub.example.com.", "A", 60, "192.0.2.2");
    expect_rr(&g, 2, "x.sub.example.com.", "CNAME", 60, "y.sub.example.com.");
    expect_rr(&g, 3, "x.other.test.", "A", 60, "192.0.2.3");
    expect_rr(&g, 4, "Abc.other.test.", "A", 60, "192.0.2.4");
    expect_rr(&g, 5, "esc\\.aped.other.test.", "TXT", 60, "\"x\"");
    expect_rr(&g, 6, "*.wild.other.test.", "A", 60, "192.0.2.5");
    expect_rr_at(&g, 7, "*.wild.other.test.", "A", 30, "192.0.2.6", 12);
    assert_int_equal(g.n, 8);
    got_free(&g);
}

static void test_types(void **state)
{
    (void)state;
    struct got g;
    assert_int_equal(parse(&g, "$TTL 1\n"
                               "a TYPE65400 \\# 4 0A000001\n"
                               "a A \\# 4 C0000201\n"
                               "a TYPE1 192.0.2.9\n"
                               "a SRV 10 60 5060 sip\n"
                               "a CAA 0 issue \"ca.example.net\"\n"
                               "a DS 12345 13 2 ( 0123456789ABCDEF0123456789ABCDEF\n"
                               "                  0123456789ABCDEF0123456789ABCDEF )\n"
                               "a HTTPS 1 . alpn=\"h2,h3\" port=443\n"
                               "a NSEC b A MX RRSIG\n"
                               "a CLASS1 2 PTR p\n"),
                     0);
    assert_int_equal(g.nmsg, 0);
    expect_rr(&g, 0, "a.example.com.", "TYPE65400", 1, "\\# 4 0A000001");
    expect_rr(&g, 1, "a.example.com.", "A", 1, "192.0.2.1");
    expect_rr(&g, 2, "a.example.com.", "A", 1, "192.0.2.9");
    expect_rr(&g, 3, "a.example.com.", "SRV", 1, "10 60 5060 sip.example.com.");
    expect_rr(&g, 4, "a.example.com.", "CAA", 1, "0 issue \"ca.example.net\"");
    expect_rr(&g, 5, "a.example.com.", "DS", 1,
              "12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF");
    expect_rr(&g, 6, "a.example.com.", "HTTPS", 1, "1 . alpn=\"h2,h3\" port=443");
    expect_rr(&g, 7, "a.example.com.", "NSEC", 1, "b.example.com. A MX RRSIG");
    expect_rr(&g, 8, "a.example.com.", "PTR", 2, "p.example.com.");
    assert_int_equal(g.n, 9);
    got_free(&g);
}

/* Every type of the RDATA table is known by its mnemonic and as TYPEn: whatever "\# 0"
 * does to it, the complaint is never about the type. */
static void test_every_type(void **state)
{
    (void)state;
    struct got g;
    char text[128];
    size_t known = 0;
    for (unsigned type = 1; type < 65536; type++) {
        const struct dns_rdata_desc *d = dns_rdata_desc((uint16_t)type);
        if (!d)
            continue;
        known++;
        for (int generic = 0; generic < 2; generic++) {
            if (generic)
                snprintf(text, sizeof(text), "$TTL 1\nx TYPE%u \\# 0\n", type);
            else
                snprintf(text, sizeof(text), "$TTL 1\nx %s \\# 0\n", d->name);
            parse(&g, text);
            assert_int_equal(g.n + g.nmsg, 1);
            if (g.n)
                assert_int_equal(g.rr[0].rdlen, 0);
            else if (strstr(g.msg[0].text, "type"))
                fail_msg("%s: %s", text, g.msg[0].text);
            got_free(&g);
        }
    }
    assert_true(known > 40);
}

static void test_ttls(void **state)
{
    (void)state;
    uint32_t v;
    static const struct {
        const char *text;
        int r;
        uint32_t v;
    } cases[] = {
        {"0", 0, 0},
        {"3600", 0, 3600},
        {"1h30m", 0, 5400},
        {"1W", 0, 604800},
        {"2d3h4m5s", 0, 183845},
        {"1s1s", 0, 2},
        {"4294967295", 0, UINT32_MAX},
        {"4294967296", ERR_RANGE, 0},
        {"7102w", ERR_RANGE, 0},
        {"1h30", ERR_SYNTAX, 0},
        {"1x", ERR_SYNTAX, 0},
        {"h", ERR_SYNTAX, 0},
        {"", ERR_SYNTAX, 0},
        {"1hh", ERR_SYNTAX, 0},
        {"-1", ERR_SYNTAX, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        v = 12345;
        assert_int_equal(dns_zonefile_ttl(cases[i].text, strlen(cases[i].text), &v), cases[i].r);
        if (cases[i].r == 0)
            assert_int_equal(v, cases[i].v);
    }

    /* Without $TTL: the last explicit TTL (RFC 1035). */
    struct got g;
    assert_int_equal(parse(&g, "a 60 A 192.0.2.1\nb A 192.0.2.2\nc 1h30m A 192.0.2.3\n"
                               "d A 192.0.2.4\n$TTL 1d\ne A 192.0.2.5\nf 5 A 192.0.2.6\n"
                               "g A 192.0.2.7\n"),
                     0);
    uint32_t want[] = {60, 60, 5400, 5400, 86400, 5, 86400};
    assert_int_equal(g.n, 7);
    for (size_t i = 0; i < g.n; i++)
        assert_int_equal(g.rr[i].ttl, want[i]);
    got_free(&g);

    /* Without any: an SOA takes its MINIMUM, which then serves as $TTL (BIND). */
    assert_int_equal(parse(&g, "@ SOA ns1 host 1 2 3 4 300\nwww 60 A 192.0.2.1\nftp A 192.0.2.2\n"),
                     0);
    assert_int_equal(g.nmsg, 1);
    expect_msg(&g, 0, false, 1, 24, "no TTL given; using the SOA minimum 300");
    expect_rr(&g, 0, "example.com.", "SOA", 300, "ns1.example.com. host.example.com. 1 2 3 4 300");
    assert_int_equal(g.rr[1].ttl, 60);
    assert_int_equal(g.rr[2].ttl, 300);
    got_free(&g);

    /* Any other first record: an error. */
    expect_error("www A 192.0.2.1\n", 1, 1, "no TTL given, and no $TTL or earlier TTL");

    /* Above 2^31-1: 0 with a warning (RFC 2181 8, as BIND); above 2^32-1: an error. */
    assert_int_equal(parse(&g, "$TTL 2147483648\na A 192.0.2.1\nb 4294967295 A 192.0.2.2\n"
                               "c 2147483647 A 192.0.2.3\n"),
                     0);
    assert_int_equal(g.nmsg, 2);
    expect_msg(&g, 0, false, 1, 6, "TTL 2147483648 is above 2147483647; using 0");
    expect_msg(&g, 1, false, 3, 3, "TTL 4294967295 is above 2147483647; using 0");
    assert_int_equal(g.rr[0].ttl, 0);
    assert_int_equal(g.rr[1].ttl, 0);
    assert_int_equal(g.rr[2].ttl, 2147483647);
    got_free(&g);
    expect_error("$TTL 1\na 4294967296 A 192.0.2.1\n", 2, 3,
                 "invalid TTL \"4294967296\" (above 4294967295)");
    expect_error("$TTL 1\na 1x A 192.0.2.1\n", 2, 3, "invalid TTL \"1x\"");
    expect_error("$TTL 1h30\n", 1, 6, "invalid TTL \"1h30\"");
    expect_error("$TTL\n", 1, 5, "$TTL needs one TTL");
}

static void test_lexical(void **state)
{
    (void)state;
    struct got g;
    /* CRLF, tabs, no final newline, blank lines and comment lines, comments inside
     * parentheses, non-ASCII inside quotes and comments. */
    static const char crlf[] = "$TTL 5\r\n\r\n; comment \xc3\xa9\r\n"
                               "a\tA\t192.0.2.1 ; c\r\n"
                               "\tTXT ( \"caf\xc3\xa9\" ; x\r\n"
                               "  \"b\" )\r\n"
                               "b A 192.0.2.2";
    assert_int_equal(parse(&g, crlf), 0);
    assert_int_equal(g.nmsg, 0);
    expect_rr_at(&g, 0, "a.example.com.", "A", 5, "192.0.2.1", 4);
    expect_rr_at(&g, 1, "a.example.com.", "TXT", 5, "\"caf\\195\\169\" \"b\"", 5);
    expect_rr_at(&g, 2, "b.example.com.", "A", 5, "192.0.2.2", 7);
    assert_int_equal(g.n, 3);
    got_free(&g);

    /* Adjacent tokens, escaped blanks and quotes. */
    assert_int_equal(parse(&g, "$TTL 5\na TXT \"x\"\"y\"z a\\ b c\\\"d \"\"\n"), 0);
    expect_rr(&g, 0, "a.example.com.", "TXT", 5, "\"x\" \"y\" \"z\" \"a b\" \"c\\\"d\" \"\"");
    got_free(&g);

    /* Empty input, only comments, "()" alone. */
    assert_int_equal(parse(&g, ""), 0);
    assert_int_equal(parse(&g, "; x\n\n   \n ( ) ; y\n;"), 0);
    assert_int_equal(g.n + g.nmsg, 0);

    expect_error("$TTL 5\na TXT \"x\n", 2, 7, "unterminated quoted string");
    expect_error("$TTL 5\na TXT \"x", 2, 7, "unterminated quoted string");
    expect_error("$TTL 5\na TXT \"x\\\"\r\n", 2, 7, "unterminated quoted string");
    expect_error("$TTL 5\na TXT \"x\001\"\n", 2, 9, "invalid byte \\001");
    expect_error("$TTL 5\na TXT x\xc3\xa9\n", 2, 8,
                 "non-ASCII byte \\195 outside quotes (write it as \\DDD)");
    expect_error("$TTL 5\n\n\na\xff A 192.0.2.1\n", 4, 2,
                 "non-ASCII byte \\255 outside quotes (write it as \\DDD)");
    expect_error("$TTL 5\na TXT \\\xc3\n", 2, 8,
                 "non-ASCII byte \\195 outside quotes (write it as \\DDD)");
    expect_error("$TTL 5\na A 192.0.2.1\x7f\n", 2, 14, "invalid byte \\127");
    /* A backslash at the end of a line escapes nothing; the field's parser sees it. */
    expect_error("$TTL 5\na TXT x\\\n", 2, 7, "invalid escape in \"x\\\"");
    expect_error("$TTL 5\na A 192.0.2.1\\\r\n", 2, 5, "invalid IPv4 address \"192.0.2.1\\\"");
    static const char nul[] = "$TTL 5\n; a NUL \0 in a comment\na A 192.0.2.1\nb TXT \"\0\"\n";
    assert_int_equal(parse_len(&g, nul, sizeof(nul) - 1), ERR_SYNTAX);
    assert_int_equal(g.nmsg, 2);
    expect_msg(&g, 0, true, 2, 9, "invalid byte \\000");
    expect_msg(&g, 1, true, 4, 8, "invalid byte \\000");
    expect_rr(&g, 0, "a.example.com.", "A", 5, "192.0.2.1");
    assert_int_equal(g.n, 1);
    got_free(&g);
}

/* A record names the line and column where its entry starts. */
static void test_record_position(void **state)
{
    (void)state;
    struct got g;
    assert_int_equal(parse(&g, "$TTL 5\nwww A 192.0.2.1\n\t\tA 192.0.2.2\n"
                               "( x\n A 192.0.2.3 )\n$GENERATE 1-2 g$ A 10.0.0.$\n"),
                     0);
    assert_int_equal(g.n, 5);
    unsigned want[][2] = {{2, 1}, {3, 3}, {4, 1}, {6, 1}, {6, 1}};
    for (size_t i = 0; i < g.n; i++) {
        assert_int_equal(g.rr[i].line, want[i][0]);
        assert_int_equal(g.rr[i].col, want[i][1]);
    }
    got_free(&g);
}

static void test_parentheses(void **state)
{
    (void)state;
    struct got g;
    /* A missing ')' swallows the rest of the file: reported at the '(' left open. */
    assert_int_equal(parse(&g, "$TTL 5\n@ SOA ns1 host (\n 1 2 3 4 5\nwww A 192.0.2.1\n"),
                     ERR_SYNTAX);
    assert_int_equal(g.nmsg, 1);
    expect_msg(&g, 0, true, 2, 16, "unbalanced parentheses");
    assert_int_equal(g.n, 0);
    got_free(&g);

    /* A stray ')' costs its entry only. */
    assert_int_equal(parse(&g, "$TTL 5\na A 192.0.2.1 )\nb A 192.0.2.2\n"), ERR_SYNTAX);
    expect_msg(&g, 0, true, 2, 15, "unbalanced parentheses");
    expect_rr_at(&g, 0, "b.example.com.", "A", 5, "192.0.2.2", 3);
    assert_int_equal(g.n + g.nmsg, 2);
    got_free(&g);

    /* An error anywhere in a multi-line SOA is reported where it is, not at its first line. */
    assert_int_equal(parse(&g, "$TTL 5\n@ SOA ns1 host (\n 1 ; serial\n 2 3 4\n x )\n"
                               "a A 192.0.2.1\nb A 192.0.2.300\n"),
                     ERR_SYNTAX);
    assert_int_equal(g.nmsg, 2);
    expect_msg(&g, 0, true, 5, 2,
               "invalid time value \"x\" (expected seconds 0-4294967295 or units like 1h30m)");
    expect_msg(&g, 1, true, 7, 5, "invalid IPv4 address \"192.0.2.300\"");
    expect_rr_at(&g, 0, "a.example.com.", "A", 5, "192.0.2.1", 6);
    got_free(&g);

    /* Nested parentheses, and an unterminated quote inside parentheses. */
    assert_int_equal(
        parse(&g, "$TTL 5\na TXT ( ( \"x\" ) \"y\" )\nb TXT ( \"q\n )\nc A 192.0.2.3\n"),
        ERR_SYNTAX);
    expect_rr_at(&g, 0, "a.example.com.", "TXT", 5, "\"x\" \"y\"", 2);
    expect_msg(&g, 0, true, 3, 9, "unterminated quoted string");
    expect_rr_at(&g, 1, "c.example.com.", "A", 5, "192.0.2.3", 5);
    got_free(&g);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("$TTL 5\ntypo AAA 192.0.2.3\n", 2, 6, "unknown type \"AAA\"");
    expect_error("$TTL 5\nx CH TXT \"c\"\n", 2, 3, "class CH does not match the zone's class IN");
    expect_error("$TTL 5\nx 5 HS A 192.0.2.1\n", 2, 5,
                 "class HS does not match the zone's class IN");
    expect_error("$TTL 5\nx NONE A 192.0.2.1\n", 2, 3,
                 "class NONE does not match the zone's class IN");
    expect_error("$TTL 5\nx ANY A 192.0.2.1\n", 2, 3,
                 "class ANY does not match the zone's class IN");
    expect_error("$TTL 5\nx CLASS3 A 192.0.2.1\n", 2, 3,
                 "class CLASS3 does not match the zone's class IN");
    expect_error("$TTL 5\nx IN TSIG 0\n", 2, 6, "type TSIG cannot be used in a zone");
    expect_error("$TTL 5\nx IN TYPE0 \\# 0\n", 2, 6, "type TYPE0 cannot be used in a zone");
    expect_error("$TTL 5\nx 5 IN\n", 2, 7, "missing type");
    expect_error("$TTL 5\nx \"A\" 192.0.2.1\n", 2, 3, "unknown type \"A\"");
    expect_error("$TTL 5\nx A 10.0.0.300\n", 2, 5, "invalid IPv4 address \"10.0.0.300\"");
    expect_error("$TTL 5\nx A\n", 2, 4, "missing IPv4 address");
    expect_error("$TTL 5\nx MX 10 a..b\n", 2, 9, "invalid domain name \"a..b\"");
    expect_error("$TTL 5\na..b A 192.0.2.1\n", 2, 1,
                 "invalid owner name \"a..b\" (invalid domain name)");
    expect_error("$TTL 5\n\"q\" A 192.0.2.1\n", 2, 1,
                 "invalid owner name \"q\" (invalid domain name)");
    expect_error("$TTL 5\n A 192.0.2.1\n", 2, 2, "missing owner name");
    expect_error("$FOO bar\n", 1, 1, "unknown directive \"$FOO\"");
    expect_error("$ORIGIN\n", 1, 8, "$ORIGIN needs one domain name");
    expect_error("$ORIGIN a..b\n", 1, 9, "invalid $ORIGIN \"a..b\" (invalid domain name)");
    expect_error("$TTL 5\nx TYPE65400 \\# 3 0a00\n", 2, 16, "generic data is 2 bytes long, not 3");
}

static void test_recovery(void **state)
{
    (void)state;
    struct got g;
    /* Each error costs its entry; a bad owner is not inherited by the lines below it, which
     * are still checked. */
    assert_int_equal(parse(&g, "$TTL 5\n"
                               "a A 192.0.2.1\n"
                               "bad..name A 192.0.2.2\n"
                               "  A 192.0.2.3\n"
                               "  A 192.0.2.999\n"
                               "b A 192.0.2.4\n"
                               "  AAA 1\n"
                               "  A 192.0.2.5\n"),
                     ERR_SYNTAX);
    assert_int_equal(g.nmsg, 3);
    expect_msg(&g, 0, true, 3, 1, "invalid owner name \"bad..name\" (invalid domain name)");
    expect_msg(&g, 1, true, 5, 5, "invalid IPv4 address \"192.0.2.999\"");
    expect_msg(&g, 2, true, 7, 3, "unknown type \"AAA\"");
    assert_int_equal(g.n, 3);
    expect_rr_at(&g, 0, "a.example.com.", "A", 5, "192.0.2.1", 2);
    expect_rr_at(&g, 1, "b.example.com.", "A", 5, "192.0.2.4", 6);
    expect_rr_at(&g, 2, "b.example.com.", "A", 5, "192.0.2.5", 8);
    got_free(&g);

    /* max_errors: exactly that many errors, then a warning and the end of the parse. */
    struct dns_zonefile_opts o = opts(&g);
    o.max_errors = 3;
    static const char bad[] = "$TTL 5\nx A 1\nx A 2\nx A 3\nx A 4\nx A 5\ny A 192.0.2.1\n";
    assert_int_equal(dns_zonefile_parse_string("z", bad, strlen(bad), &o), ERR_SYNTAX);
    assert_int_equal(g.nmsg, 4);
    expect_msg(&g, 2, true, 4, 5, "invalid IPv4 address \"3\"");
    expect_msg(&g, 3, false, 4, 5, "too many errors (limit 3); stopping here");
    assert_int_equal(g.n, 0);
    got_free(&g);

    /* The default limit is 100. */
    char many[4000] = "$TTL 5\n";
    for (int i = 0; i < 150; i++)
        strcat(many, "x A 1\n");
    assert_int_equal(parse(&g, many), ERR_SYNTAX);
    assert_int_equal(g.nmsg, 101);
    expect_msg(&g, 100, false, 101, 5, "too many errors (limit 100); stopping here");
    got_free(&g);

    /* A non-zero rr return stops the parse with that value. */
    o = opts(&g);
    g.stop_at = 2;
    assert_int_equal(dns_zonefile_parse_string("z", soa_zone, strlen(soa_zone), &o), 42);
    assert_int_equal(g.n, 2);
    got_free(&g);
}

/* ---- $INCLUDE ----------------------------------------------------------------------------- */

static void test_include(void **state)
{
    (void)state;
    struct got g;
    char want[600];
    write_text("inc/part.zone", "$ORIGIN deeper\n" /* relative to the given origin */
                                "$TTL 7\n"
                                "x A 192.0.2.10\n"
                                "$INCLUDE leaf.zone\n" /* beside part.zone */
                                "y A 192.0.2.11\n");
    write_text("inc/leaf.zone", "leaf 9 A 192.0.2.12\n");
    const char *main_path = write_text("main.zone", "$TTL 60\n"
                                                    "a A 192.0.2.1\n"
                                                    "$INCLUDE inc/part.zone part ; comment\n"
                                                    "b A 192.0.2.2\n"
                                                    "  A 192.0.2.3\n"
                                                    "$INCLUDE \"inc/leaf.zone\"\n");
    struct dns_zonefile_opts o = opts(&g);
    assert_int_equal(dns_zonefile_parse_file(main_path, &o), 0);
    assert_int_equal(g.nmsg, 0);
    assert_int_equal(g.n, 7);
    expect_rr_at(&g, 0, "a.example.com.", "A", 60, "192.0.2.1", 2);
    expect_rr_at(&g, 1, "x.deeper.part.example.com.", "A", 7, "192.0.2.10", 3);
    expect_rr_at(&g, 2, "leaf.deeper.part.example.com.", "A", 9, "192.0.2.12", 1);
    expect_rr_at(&g, 3, "y.deeper.part.example.com.", "A", 7, "192.0.2.11", 5);
    /* The origin and the owner are the includer's again; the $TTL of part.zone stays in
     * force (BIND, NSD). */
    expect_rr_at(&g, 4, "b.example.com.", "A", 7, "192.0.2.2", 4);
    expect_rr_at(&g, 5, "b.example.com.", "A", 7, "192.0.2.3", 5);
    expect_rr_at(&g, 6, "leaf.example.com.", "A", 9, "192.0.2.12", 1);
    assert_string_equal(g.rr[0].file, main_path);
    snprintf(want, sizeof(want), "%s/inc/part.zone", tmpdir);
    assert_string_equal(g.rr[1].file, want);
    snprintf(want, sizeof(want), "%s/inc/leaf.zone", tmpdir);
    assert_string_equal(g.rr[2].file, want);
    got_free(&g);

    /* Errors in an included file name it and its line; the parse goes on after it. */
    write_text("bad.zone", "ok A 192.0.2.7\nbad A nope\n  A 192.0.2.8\n");
    main_path = write_text("main2.zone", "$TTL 60\nw A 192.0.2.1\n$INCLUDE bad.zone\n"
                                         "$INCLUDE nothere.zone\nz A 192.0.2.9\ny A 1\n");
    o = opts(&g);
    assert_int_equal(dns_zonefile_parse_file(main_path, &o), ERR_SYNTAX);
    assert_int_equal(g.nmsg, 3);
    snprintf(want, sizeof(want), "%s/bad.zone", tmpdir);
    expect_msg(&g, 0, true, 2, 7, "invalid IPv4 address \"nope\"");
    assert_string_equal(g.msg[0].file, want);
    snprintf(want, sizeof(want), "cannot open \"%s/nothere.zone\": No such file or directory",
             tmpdir);
    expect_msg(&g, 1, true, 4, 10, want);
    assert_string_equal(g.msg[1].file, main_path);
    expect_msg(&g, 2, true, 6, 5, "invalid IPv4 address \"1\"");
    assert_string_equal(g.msg[2].file, main_path);
    assert_int_equal(g.n, 4);
    expect_rr_at(&g, 2, "bad.example.com.", "A", 60, "192.0.2.8", 3);
    expect_rr(&g, 3, "z.example.com.", "A", 60, "192.0.2.9");
    got_free(&g);

    /* An included file starts without a previous owner (as in BIND). */
    write_text("blank.zone", "  A 192.0.2.8\n");
    main_path = write_text("main3.zone", "$TTL 60\nw A 192.0.2.1\n$INCLUDE blank.zone\n");
    o = opts(&g);
    assert_int_equal(dns_zonefile_parse_file(main_path, &o), ERR_SYNTAX);
    expect_msg(&g, 0, true, 1, 3, "missing owner name");
    got_free(&g);

    /* A file that includes itself runs into the depth limit, once. */
    main_path = write_text("loop.zone", "$TTL 60\nl A 192.0.2.1\n$INCLUDE loop.zone\n");
    o = opts(&g);
    o.max_include_depth = 3;
    assert_int_equal(dns_zonefile_parse_file(main_path, &o), ERR_SYNTAX);
    assert_int_equal(g.n, 4);
    assert_int_equal(g.nmsg, 1);
    expect_msg(&g, 0, true, 3, 1, "$INCLUDE nested too deeply (limit 3)");
    got_free(&g);
    o = opts(&g);
    assert_int_equal(dns_zonefile_parse_file(main_path, &o), ERR_SYNTAX);
    assert_int_equal(g.n, 11);
    expect_msg(&g, 0, true, 3, 1, "$INCLUDE nested too deeply (limit 10)");
    got_free(&g);

    /* parse_string: relative to the directory of `name`; refused with no_include. */
    char name[300];
    snprintf(name, sizeof(name), "%s/virtual.zone", tmpdir);
    static const char text[] = "$INCLUDE inc/leaf.zone\n$INCLUDE /dev/null\n$INCLUDE inc\n";
    o = opts(&g);
    assert_int_equal(dns_zonefile_parse_string(name, text, strlen(text), &o), ERR_SYNTAX);
    expect_rr(&g, 0, "leaf.example.com.", "A", 9, "192.0.2.12");
    expect_msg(&g, 0, true, 2, 10, "cannot open \"/dev/null\": not a regular file");
    snprintf(want, sizeof(want), "cannot open \"%s/inc\": Is a directory", tmpdir);
    expect_msg(&g, 1, true, 3, 10, want);
    got_free(&g);
    o = opts(&g);
    o.no_include = true;
    assert_int_equal(dns_zonefile_parse_string(name, text, strlen(text), &o), ERR_SYNTAX);
    expect_msg(&g, 0, true, 1, 1, "$INCLUDE is not allowed here");
    assert_int_equal(g.n, 0);
    got_free(&g);
    expect_error("$INCLUDE\n", 1, 9, "$INCLUDE needs a file name and may have an origin");
    expect_error("$INCLUDE a b c\n", 1, 14, "$INCLUDE needs a file name and may have an origin");
    expect_error("$INCLUDE x bad..o\n", 1, 12,
                 "invalid $INCLUDE origin \"bad..o\" (invalid domain name)");
    expect_error("$INCLUDE \"\"\n", 1, 10, "invalid $INCLUDE file name \"\"");

    /* The top file itself. */
    snprintf(name, sizeof(name), "%s/missing.zone", tmpdir);
    o = opts(&g);
    assert_int_equal(dns_zonefile_parse_file(name, &o), -ENOENT);
    snprintf(want, sizeof(want), "cannot open \"%s\": No such file or directory", name);
    expect_msg(&g, 0, true, 0, 0, want);
    assert_string_equal(g.msg[0].file, name);
    got_free(&g);
}

/* ---- $GENERATE ---------------------------------------------------------------------------- */

static void test_generate_arm(void **state)
{
    (void)state;
    struct got g;
    /* The BIND ARM's example. */
    assert_int_equal(parse(&g, "$TTL 86400\n"
                               "$ORIGIN 0.0.192.IN-ADDR.ARPA.\n"
                               "$GENERATE 1-2 0 NS SERVER$.EXAMPLE.\n"
                               "$GENERATE 1-127 $ CNAME $.0\n"),
                     0);
    assert_int_equal(g.nmsg, 0);
    assert_int_equal(g.n, 129);
    expect_rr_at(&g, 0, "0.0.0.192.IN-ADDR.ARPA.", "NS", 86400, "SERVER1.EXAMPLE.", 3);
    expect_rr_at(&g, 1, "0.0.0.192.IN-ADDR.ARPA.", "NS", 86400, "SERVER2.EXAMPLE.", 3);
    expect_rr_at(&g, 2, "1.0.0.192.IN-ADDR.ARPA.", "CNAME", 86400, "1.0.0.0.192.IN-ADDR.ARPA.", 4);
    expect_rr_at(&g, 128, "127.0.0.192.IN-ADDR.ARPA.", "CNAME", 86400,
                 "127.0.0.0.192.IN-ADDR.ARPA.", 4);
    got_free(&g);

    assert_int_equal(parse(&g, "$TTL 5\n$GENERATE 0-3 host-${0,3,x} A 10.0.0.$\n"), 0);
    assert_int_equal(g.n, 4);
    expect_rr(&g, 0, "host-000.example.com.", "A", 5, "10.0.0.0");
    expect_rr(&g, 3, "host-003.example.com.", "A", 5, "10.0.0.3");
    got_free(&g);
}

static void test_generate_formats(void **state)
{
    (void)state;
    struct got g;
    assert_int_equal(parse(&g, "$TTL 5\n"
                               "$GENERATE 10-11 ${0,3,n} PTR host$.\n"
                               "$GENERATE 26-26 ${0,5,N} PTR h.\n"
                               "$GENERATE 1-1 ${0,4,n} PTR h.\n" /* BIND: a trailing dot */
                               "$GENERATE 5-5 a${-1,3}-${10,4,o}-${250,0,X}-${0} A 10.0.0.1\n"
                               "$GENERATE 1-1 a$$ TXT \"x\\$y$ $$\"\n"
                               "$GENERATE 0-10/5 s$ A 10.0.0.$\n"
                               "$GENERATE 1-2 m$ MX \"10 mx$\"\n"
                               "$GENERATE 1-1 n$ 300 IN MX 20 mx$\n"
                               "$GENERATE 1-1 t$ TXT \"a b $\"\n"
                               "$GENERATE 1-1 h$ HTTPS 1 . alpn=\"h2,h$\" port=44$\n"
                               "$GENERATE 7-7 r${0,2}\\$ CNAME @\n"),
                     0);
    assert_int_equal(g.nmsg, 0);
    size_t i = 0;
    expect_rr(&g, i++, "a.0.example.com.", "PTR", 5, "host10.");
    expect_rr(&g, i++, "b.0.example.com.", "PTR", 5, "host11.");
    expect_rr(&g, i++, "A.1.0.example.com.", "PTR", 5, "h.");
    expect_rr(&g, i++, "1.0.", "PTR", 5, "h.");
    expect_rr(&g, i++, "a004-0017-FF-5.example.com.", "A", 5, "10.0.0.1");
    expect_rr(&g, i++, "a\\$.example.com.", "TXT", 5, "\"x$y1\" \"$\"");
    expect_rr(&g, i++, "s0.example.com.", "A", 5, "10.0.0.0");
    expect_rr(&g, i++, "s5.example.com.", "A", 5, "10.0.0.5");
    expect_rr(&g, i++, "s10.example.com.", "A", 5, "10.0.0.10");
    expect_rr(&g, i++, "m1.example.com.", "MX", 5, "10 mx1.example.com.");
    expect_rr(&g, i++, "m2.example.com.", "MX", 5, "10 mx2.example.com.");
    expect_rr(&g, i++, "n1.example.com.", "MX", 300, "20 mx1.example.com.");
    expect_rr(&g, i++, "t1.example.com.", "TXT", 5, "\"a\" \"b\" \"1\"");
    expect_rr(&g, i++, "h1.example.com.", "HTTPS", 5, "1 . alpn=\"h2,h1\" port=441");
    expect_rr(&g, i++, "r07\\$.example.com.", "CNAME", 5, "example.com.");
    assert_int_equal(g.n, i);
    got_free(&g);

    /* Generated records do not become the previous owner. */
    assert_int_equal(parse(&g, "$TTL 5\na A 10.0.0.1\n$GENERATE 1-1 g$ A 10.0.0.2\n A 10.0.0.3\n"),
                     0);
    expect_rr(&g, 2, "a.example.com.", "A", 5, "10.0.0.3");
    got_free(&g);
}

static void test_generate_errors(void **state)
{
    (void)state;
    struct got g;
    expect_error("$TTL 5\n$GENERATE 5-1 x A 10.0.0.1\n", 2, 11, "invalid $GENERATE range \"5-1\"");
    expect_error("$TTL 5\n$GENERATE 1-2/0 x A 10.0.0.1\n", 2, 11,
                 "invalid $GENERATE range \"1-2/0\"");
    expect_error("$TTL 5\n$GENERATE -1-2 x A 10.0.0.1\n", 2, 11,
                 "invalid $GENERATE range \"-1-2\"");
    expect_error("$TTL 5\n$GENERATE 1-2x x A 10.0.0.1\n", 2, 11,
                 "invalid $GENERATE range \"1-2x\"");
    expect_error("$TTL 5\n$GENERATE 0-2147483648 x A 10.0.0.1\n", 2, 11,
                 "invalid $GENERATE range \"0-2147483648\"");
    expect_error("$TTL 5\n$GENERATE 0-1000000 x$ A 10.0.0.1\n", 2, 11,
                 "$GENERATE range \"0-1000000\" is too large (limit 1000000 records)");
    expect_error("$TTL 5\n$GENERATE 1-2 x${1,2,z} A 10.0.0.1\n", 2, 15,
                 "invalid $GENERATE modifier in \"x${1,2,z}\"");
    expect_error("$TTL 5\n$GENERATE 1-2 x${1, A 10.0.0.1\n", 2, 15,
                 "invalid $GENERATE modifier in \"x${1,\"");
    expect_error("$TTL 5\n$GENERATE 1-2 x${1 A 10.0.0.1\n", 2, 15,
                 "invalid $GENERATE modifier in \"x${1\"");
    expect_error("$TTL 5\n$GENERATE 1-2 x A 10.0.0.${}\n", 2, 19,
                 "invalid $GENERATE modifier in \"10.0.0.${}\"");
    expect_error("$TTL 5\n$GENERATE 1-2 x${-5} A 10.0.0.1\n", 2, 15,
                 "$GENERATE value out of range in \"x${-5}\"");
    expect_error("$TTL 5\n$GENERATE 1-2 x${0,128} A 10.0.0.1\n", 2, 15,
                 "$GENERATE value out of range in \"x${0,128}\"");
    expect_error("$TTL 5\n$GENERATE 1-2 x$ A\n", 2, 19,
                 "$GENERATE needs a range, an owner, a type and data");
    expect_error("$TTL 5\n$GENERATE 1-2\n", 2, 14,
                 "$GENERATE needs a range, an owner, a type and data");
    expect_error("$TTL 5\n$GENERATE 1-2 x$ FOO 1\n", 2, 18, "unknown type \"FOO\"");
    expect_error("$GENERATE 1-2 x$ A 10.0.0.$\n", 1, 1, "no TTL given, and no $TTL or earlier TTL");
    expect_error("$TTL 5\n$GENERATE 1-2 x..$ A 10.0.0.$\n", 2, 15,
                 "invalid owner name \"x..1\" (invalid domain name)");

    /* An error in the middle ends the directive, reported once; what came before stays. */
    assert_int_equal(parse(&g, "$TTL 5\n$GENERATE 250-260 h$ A 10.0.0.$\nz A 10.0.0.1\n"),
                     ERR_SYNTAX);
    assert_int_equal(g.nmsg, 1);
    expect_msg(&g, 0, true, 2, 24, "invalid IPv4 address \"10.0.0.256\"");
    assert_int_equal(g.n, 7);
    expect_rr_at(&g, 5, "h255.example.com.", "A", 5, "10.0.0.255", 2);
    expect_rr_at(&g, 6, "z.example.com.", "A", 5, "10.0.0.1", 3);
    got_free(&g);

    /* max_generate. */
    struct dns_zonefile_opts o = opts(&g);
    o.max_generate = 10;
    static const char t[] = "$TTL 5\n$GENERATE 0-9 x$ A 10.0.0.1\n$GENERATE 0-10 y$ A 10.0.0.1\n";
    assert_int_equal(dns_zonefile_parse_string("z", t, strlen(t), &o), ERR_SYNTAX);
    assert_int_equal(g.n, 10);
    expect_msg(&g, 0, true, 3, 11, "$GENERATE range \"0-10\" is too large (limit 10 records)");
    got_free(&g);
}

/* ---- big input ---------------------------------------------------------------------------- */

/* A growing text buffer. */
struct sbuf {
    char *s;
    size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        assert_true(n >= 0);
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        b->cap = (b->cap + (size_t)n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        assert_non_null(b->s);
    }
}

static void test_streaming(void **state)
{
    (void)state;
    struct got g;
    struct sbuf b = {0};
    /* Enough lines for several buffer refills, a 64 KiB RDATA in the RFC 3597 form spread
     * over lines, a 65280-byte TXT, a 2 MiB comment, and an error on the last line. */
    sb_add(&b, "$TTL 5\n");
    for (int i = 0; i < 30000; i++)
        sb_add(&b, "h%d A 10.%d.%d.%d\n", i, i >> 16, (i >> 8) & 255, i & 255);
    sb_add(&b, "big TYPE65400 \\# 65535 (\n");
    for (int i = 0; i < 65535; i++)
        sb_add(&b, "%02x%s", i & 255, i % 40 == 39 ? "\n" : "");
    sb_add(&b, ")\ntxt TXT");
    for (int i = 0; i < 255; i++)
        sb_add(&b, " \"%0255d\"", i);
    sb_add(&b, "\n;");
    for (int i = 0; i < 2 << 20; i += 64)
        sb_add(&b, "%064d", i);
    sb_add(&b, "\nlast A 10.0.0.1\nbad A 10.0.0.256");
    unsigned last_line = 1 + 30000 + 1 + 65535 / 40 + 1 + 1 + 1 + 1 + 1;

    const char *path = write_file("big.zone", b.s, b.len);
    for (int mode = 0; mode < 2; mode++) {
        struct dns_zonefile_opts o = opts(&g);
        int r = mode ? dns_zonefile_parse_file(path, &o)
                     : dns_zonefile_parse_string("z", b.s, b.len, &o);
        assert_int_equal(r, ERR_SYNTAX);
        assert_int_equal(g.n, 30003);
        assert_int_equal(g.nmsg, 1);
        expect_msg(&g, 0, true, last_line, 7, "invalid IPv4 address \"10.0.0.256\"");
        expect_rr_at(&g, 29999, "h29999.example.com.", "A", 5, "10.0.117.47", 30001);
        assert_string_equal(g.rr[30000].owner, "big.example.com.");
        assert_int_equal(g.rr[30000].rdlen, 65535);
        assert_int_equal(g.rr[30000].line, 30002);
        assert_memory_equal(g.rr[30000].rdata, "\\# 65535 000102", 15);
        assert_int_equal(g.rr[30001].rdlen, 65280);
        expect_rr_at(&g, 30002, "last.example.com.", "A", 5, "10.0.0.1", last_line - 1);
        got_free(&g);
    }
    free(b.s);

    /* An entry longer than DNS_ZONEFILE_ENTRY_MAX is an error, and skipped to its end. */
    memset(&b, 0, sizeof(b));
    sb_add(&b, "$TTL 5\na A 10.0.0.1\nlong TXT (\n");
    for (int i = 0; i < (3 << 20) / 256; i++)
        sb_add(&b, "\"%0253d\"\n", i);
    sb_add(&b, ")\nb A 10.0.0.2\n");
    path = write_file("long.zone", b.s, b.len);
    for (int mode = 0; mode < 2; mode++) {
        struct dns_zonefile_opts o = opts(&g);
        int r = mode ? dns_zonefile_parse_file(path, &o)
                     : dns_zonefile_parse_string("z", b.s, b.len, &o);
        assert_int_equal(r, ERR_SYNTAX);
        assert_int_equal(g.nmsg, 1);
        expect_msg(&g, 0, true, 3, 1, "entry longer than 1048576 bytes");
        assert_int_equal(g.n, 2);
        expect_rr_at(&g, 1, "b.example.com.", "A", 5, "10.0.0.2", 3 + (3 << 20) / 256 + 2);
        got_free(&g);
    }
    free(b.s);
}

static void test_bench_zone(void **state)
{
    (void)state;
    static const char path[] = "../shared/bench/zone/internal.lan.zone";
    if (access(path, R_OK) != 0)
        skip();
    struct got g;
    struct dns_zonefile_opts o = opts(&g);
    size_t len;
    assert_int_equal(dns_name_from_text("internal.lan.", 13, NULL, origin, &len), 0);
    assert_int_equal(dns_zonefile_parse_file(path, &o), 0);
    assert_int_equal(g.nmsg, 0);
    assert_int_equal(g.n, 34);
    expect_rr(&g, 0, "internal.lan.", "SOA", 3600,
              "ns1.internal.lan. hostmaster.internal.lan. 2024060101 7200 3600 1209600 300");
    got_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_record_position),
        cmocka_unit_test(test_owners_and_origin),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_every_type),
        cmocka_unit_test(test_ttls),
        cmocka_unit_test(test_lexical),
        cmocka_unit_test(test_parentheses),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_recovery),
        cmocka_unit_test(test_include),
        cmocka_unit_test(test_generate_arm),
        cmocka_unit_test(test_generate_formats),
        cmocka_unit_test(test_generate_errors),
        cmocka_unit_test(test_streaming),
        cmocka_unit_test(test_bench_zone),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
