/*
 * Unit tests for dns/zonefile*.c: every record the parser delivers is printed
 * as "file:line owner ttl TYPE rdata" and every message as "E|W file:line:col:
 * text" ("file: text" when it has no line), and each test compares the
 * complete lists, so a record too many, a wrong line or column or a reworded
 * message fails. Files for $INCLUDE live in a
 * mkdtemp() directory whose path is shown as "D".
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

#define MAX_RECS 2048
#define MAX_MSGS 256

static char recs[MAX_RECS][1024];
static size_t nrec; /* every record delivered, also beyond MAX_RECS */
static char msgs[MAX_MSGS][700];
static size_t nmsg;
static uint64_t rec_hash; /* FNV-1a over every record line, also beyond MAX_RECS */
static size_t stop_after; /* the rr callback returns stop_value on this record
                             (1-based) */
static int stop_value;
static char tmpdir[64]; /* the mkdtemp() directory of the file tests, "" otherwise */
static char rdtext[300000];
static char line_buf[sizeof(rdtext) + 2048];

static const uint8_t example_com[] = "\7example\3com";

/* Replaces each occurrence of tmpdir in s by "D", in place. */
static void strip_dir(char *s)
{
    size_t dl = strlen(tmpdir);
    char *p;
    if (dl == 0)
        return;
    while ((p = strstr(s, tmpdir)) != NULL) {
        p[0] = 'D';
        memmove(p + 1, p + dl, strlen(p + dl) + 1);
    }
}

static int on_rr(void *ctx, const struct dns_zonefile_rr *rr)
{
    (void)ctx;
    char owner[1100], type[16];
    size_t olen;
    assert_int_equal(dns_name_validate(rr->owner, DNS_NAME_MAXLEN, &olen), 0);
    assert_int_equal(olen, rr->owner_len);
    assert_int_equal(rr->rclass, DNS_CLASS_IN);
    assert_true(rr->ttl <= 0x7fffffffu);
    assert_int_equal(dns_rdata_check(rr->type, rr->rdata, rr->rdlen), 0);
    assert_true(dns_name_to_text(rr->owner, owner, sizeof(owner), 0) > 0);
    assert_true(dns_type_to_text(rr->type, type, sizeof(type)) > 0);
    assert_true(dns_rdata_to_text(rr->type, rr->rdata, rr->rdlen, rdtext, sizeof(rdtext)) >= 0);
    /* The file name is left out of the hash, so that a file and a string compare.
     */
    int k = snprintf(line_buf, sizeof(line_buf), "%u %s %u %s %s", rr->line, owner, rr->ttl, type,
                     rdtext);
    assert_true(k > 0 && (size_t)k < sizeof(line_buf));
    for (int i = 0; i <= k; i++)
        rec_hash = (rec_hash ^ (uint8_t)line_buf[i]) * 1099511628211ull;
    if (nrec < MAX_RECS) {
        /* A longer record is cut short here (its hash has all of it). */
        snprintf(recs[nrec], sizeof(recs[nrec]), "%s:%.900s", rr->file, line_buf);
        strip_dir(recs[nrec]);
    }
    nrec++;
    return nrec == stop_after ? stop_value : 0;
}

static void on_msg(void *ctx, bool error, const char *file, unsigned line, unsigned col,
                   const char *msg)
{
    (void)ctx;
    char where[32] = "";
    if (line && col)
        snprintf(where, sizeof(where), ":%u:%u", line, col);
    else if (line)
        snprintf(where, sizeof(where), ":%u", line);
    if (getenv("TEST_ZONEFILE_VERBOSE"))
        fprintf(stderr, "msg: %c %s%s: %s\n", error ? 'E' : 'W', file, where, msg);
    if (nmsg < MAX_MSGS) {
        int k = snprintf(msgs[nmsg], sizeof(msgs[nmsg]), "%c %s%s: %s", error ? 'E' : 'W', file,
                         where, msg);
        assert_true(k > 0 && (size_t)k < sizeof(msgs[nmsg]));
        strip_dir(msgs[nmsg]);
    }
    nmsg++;
}

static void reset(struct dns_zonefile_opts *o)
{
    nrec = nmsg = 0;
    rec_hash = 14695981039346656037ull;
    o->rr = on_rr;
    o->msg = on_msg;
    if (!o->origin)
        o->origin = example_com;
}

/* Parses text named "z" with origin example.com. and the options given. */
static int parse_len_opts(const char *text, size_t len, struct dns_zonefile_opts *o)
{
    reset(o);
    return dns_zonefile_parse_string("z", text, len, o);
}

static int parse_opts(const char *text, struct dns_zonefile_opts *o)
{
    return parse_len_opts(text, strlen(text), o);
}

static int parse(const char *text)
{
    struct dns_zonefile_opts o = {0};
    return parse_opts(text, &o);
}

static int parse_file(const char *path, struct dns_zonefile_opts *o)
{
    reset(o);
    return dns_zonefile_parse_file(path, o);
}

/* Compares a whole list; on a mismatch prints both lists. */
static void expect_lines(const char *what, const char *base, size_t stride, size_t n, size_t cap,
                         const char *const *want)
{
    size_t nw = 0;
    while (want[nw])
        nw++;
    bool ok = n == nw && n <= cap;
    for (size_t i = 0; ok && i < n; i++)
        ok = strcmp(base + i * stride, want[i]) == 0;
    if (ok)
        return;
    print_error("%s: got %zu, want %zu\n", what, n, nw);
    for (size_t i = 0; i < (n > nw ? n : nw); i++) {
        const char *g = i < n && i < cap ? base + i * stride : "-";
        const char *w = i < nw ? want[i] : "-";
        print_error("%s [%zu] got  %s\n%*s want %s\n", strcmp(g, w) ? "!!" : "  ", i, g, 7, "", w);
    }
    fail();
}

#define RECS(...)                                                                                  \
    expect_lines("records", recs[0], sizeof(recs[0]), nrec, MAX_RECS,                              \
                 (const char *const[]){__VA_ARGS__, NULL})
#define MSGS(...)                                                                                  \
    expect_lines("messages", msgs[0], sizeof(msgs[0]), nmsg, MAX_MSGS,                             \
                 (const char *const[]){__VA_ARGS__, NULL})
#define NO_RECS() assert_int_equal(nrec, 0)
#define NO_MSGS() MSGS(NULL)

/* ---- files
 * -------------------------------------------------------------------------------
 */

static int files_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_zonefile.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int files_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    int r = system(cmd);
    tmpdir[0] = 0;
    return r;
}

/* Writes len bytes to D/rel (creating D/sub when rel starts with "sub/");
 * returns the path. */
static const char *put_len(const char *rel, const char *text, size_t len)
{
    static char path[8][256];
    static int k;
    char *p = path[k++ % 8];
    if (strncmp(rel, "sub/", 4) == 0) {
        snprintf(p, 256, "%s/sub", tmpdir);
        assert_true(mkdir(p, 0700) == 0 || errno == EEXIST);
    }
    snprintf(p, 256, "%s/%s", tmpdir, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return p;
}

static const char *put(const char *rel, const char *text)
{
    return put_len(rel, text, strlen(text));
}

/* ---- names, origins, TTLs
 * ---------------------------------------------------------------- */

static void test_origin(void **state)
{
    (void)state;
    assert_int_equal(parse("a 300 A 192.0.2.9\n"
                           "$ORIGIN example.net.\n"
                           "www 300 A 192.0.2.1\n"
                           "$ORIGIN sub\n"
                           "x 300 A 192.0.2.2\n"
                           "@ 300 MX 10 mail\n"
                           "abs.example.org. 300 CNAME www.example.org.\n"
                           "$origin Other.TEST.\n"
                           "y 300 CNAME @\n"),
                     0);
    RECS("z:1 a.example.com. 300 A 192.0.2.9", "z:3 www.example.net. 300 A 192.0.2.1",
         "z:5 x.sub.example.net. 300 A 192.0.2.2",
         "z:6 sub.example.net. 300 MX 10 mail.sub.example.net.",
         "z:7 abs.example.org. 300 CNAME www.example.org.",
         "z:9 y.Other.TEST. 300 CNAME Other.TEST.");
    NO_MSGS();

    /* Without opts.origin the names are relative to the root. */
    struct dns_zonefile_opts o = {0};
    reset(&o);
    o.origin = NULL;
    assert_int_equal(dns_zonefile_parse_string("z", "a 300 NS b\n", 11, &o), 0);
    RECS("z:1 a. 300 NS b.");
}

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(parse("@ 300 A 192.0.2.1\n"
                           "www 300 A 192.0.2.2\n"
                           "www.example.com 300 A 192.0.2.3\n"
                           "www.example.org. 300 A 192.0.2.4\n"
                           ". 300 NS a.root-servers.net.\n"
                           "*.wild 300 A 192.0.2.5\n"
                           "Mixed.Case 300 CNAME Target\n"),
                     0);
    RECS("z:1 example.com. 300 A 192.0.2.1", "z:2 www.example.com. 300 A 192.0.2.2",
         "z:3 www.example.com.example.com. 300 A 192.0.2.3", "z:4 www.example.org. 300 A 192.0.2.4",
         "z:5 . 300 NS a.root-servers.net.", "z:6 *.wild.example.com. 300 A 192.0.2.5",
         "z:7 Mixed.Case.example.com. 300 CNAME Target.example.com.");
    NO_MSGS();
}

static void test_ttl_directive(void **state)
{
    (void)state;
    assert_int_equal(parse("$TTL 1h30m\n"
                           "a A 192.0.2.1\n"
                           "$TTL 1w\n"
                           "b A 192.0.2.2\n"
                           "$TTL 2D\n"
                           "c A 192.0.2.3\n"
                           "$ttl 60\n"
                           "d A 192.0.2.4\n"
                           "$TTL 1H1m1S\n"
                           "e A 192.0.2.5\n"
                           "$TTL 0\n"
                           "f A 192.0.2.6\n"
                           "  $TTL 7\n"
                           "g A 192.0.2.7\n"),
                     0);
    RECS("z:2 a.example.com. 5400 A 192.0.2.1", "z:4 b.example.com. 604800 A 192.0.2.2",
         "z:6 c.example.com. 172800 A 192.0.2.3", "z:8 d.example.com. 60 A 192.0.2.4",
         "z:10 e.example.com. 3661 A 192.0.2.5", "z:12 f.example.com. 0 A 192.0.2.6",
         "z:14 g.example.com. 7 A 192.0.2.7");
    NO_MSGS();

    /* Above 2^31-1 is 0 with a warning (RFC 2181 8); above 2^32-1 an error. */
    assert_int_equal(parse("$TTL 2147483648\n"
                           "a A 192.0.2.1\n"
                           "$TTL 4294967296\n"
                           "b A 192.0.2.2\n"),
                     ERR_SYNTAX);
    RECS("z:2 a.example.com. 0 A 192.0.2.1", "z:4 b.example.com. 0 A 192.0.2.2");
    MSGS("W z:1:6: TTL 2147483648 is above 2147483647; using 0",
         "E z:3:6: invalid TTL \"4294967296\" (above 4294967295)");
}

static void test_blank_owner(void **state)
{
    (void)state;
    assert_int_equal(parse("$TTL 300\n"
                           "@ SOA ns1 hostmaster (\n"
                           "      1 ; serial\n"
                           "      7200 3600 1209600 300 )\n"
                           "  NS ns1\n"
                           "\tNS ns2.other.\n"
                           "www A 192.0.2.1\n"
                           "; a comment line\n"
                           "\n"
                           "    AAAA 2001:db8::1\n"
                           "mail A 192.0.2.2\n"
                           "  ; an indented comment does not start an entry\n"
                           "   \n"
                           "\t  MX 10 mail\n"),
                     0);
    RECS("z:2 example.com. 300 SOA ns1.example.com. hostmaster.example.com. 1 "
         "7200 3600 1209600 "
         "300",
         "z:5 example.com. 300 NS ns1.example.com.", "z:6 example.com. 300 NS ns2.other.",
         "z:7 www.example.com. 300 A 192.0.2.1", "z:10 www.example.com. 300 AAAA 2001:db8::1",
         "z:11 mail.example.com. 300 A 192.0.2.2",
         "z:14 mail.example.com. 300 MX 10 mail.example.com.");
    NO_MSGS();

    assert_int_equal(parse("  300 A 192.0.2.1\n"
                           "a 300 A 192.0.2.2\n"),
                     ERR_SYNTAX);
    RECS("z:2 a.example.com. 300 A 192.0.2.2");
    MSGS("E z:1:3: missing owner name");

    /* After a bad owner the lines that inherit it are checked but not added. */
    assert_int_equal(parse("$TTL 300\n"
                           "good A 192.0.2.1\n"
                           "bad..owner A 192.0.2.2\n"
                           "  A 192.0.2.3\n"
                           "  A 192.0.2.300\n"
                           "next A 192.0.2.4\n"),
                     ERR_SYNTAX);
    RECS("z:2 good.example.com. 300 A 192.0.2.1", "z:6 next.example.com. 300 A 192.0.2.4");
    MSGS("E z:3:1: invalid owner name \"bad..owner\" (invalid domain name)",
         "E z:5:5: invalid IPv4 address \"192.0.2.300\"");

    /* Generated records do not become the previous owner. */
    assert_int_equal(parse("$TTL 300\n"
                           "x A 192.0.2.1\n"
                           "$GENERATE 1-2 g$ A 192.0.2.$\n"
                           "  TXT after\n"),
                     0);
    RECS("z:2 x.example.com. 300 A 192.0.2.1", "z:3 g1.example.com. 300 A 192.0.2.1",
         "z:3 g2.example.com. 300 A 192.0.2.2", "z:4 x.example.com. 300 TXT \"after\"");
}

static void test_ttl_class_order(void **state)
{
    (void)state;
    assert_int_equal(parse("a 100 IN A 192.0.2.1\n"
                           "b IN 200 A 192.0.2.2\n"
                           "c IN A 192.0.2.3\n"
                           "d 400 A 192.0.2.4\n"
                           "e A 192.0.2.5\n"
                           "f 1h in a 192.0.2.6\n"
                           "g CLASS1 500 A 192.0.2.7\n"
                           "  in 2m txt x\n"),
                     0);
    RECS("z:1 a.example.com. 100 A 192.0.2.1", "z:2 b.example.com. 200 A 192.0.2.2",
         "z:3 c.example.com. 200 A 192.0.2.3", "z:4 d.example.com. 400 A 192.0.2.4",
         "z:5 e.example.com. 400 A 192.0.2.5", "z:6 f.example.com. 3600 A 192.0.2.6",
         "z:7 g.example.com. 500 A 192.0.2.7", "z:8 g.example.com. 120 TXT \"x\"");
    NO_MSGS();
}

/* ---- lexical structure
 * ------------------------------------------------------------------- */

static void test_parentheses(void **state)
{
    (void)state;
    assert_int_equal(parse("$TTL 300\n"
                           "www (\n"
                           "  A ; the type\n"
                           "\n"
                           "  ; a comment line inside\n"
                           "  192.0.2.1 ) ; done\n"
                           "txt ( TXT \"one\" ; first\n"
                           "      \"two\" )\n"
                           "mx MX ( 10\n"
                           " mail ) ; after\n"
                           "n A ( ( 192.0.2.2 ) )\n"
                           "x A 192.0.2.9 ; trailing comment\n"
                           "(y) A 192.0.2.10\n"
                           "()\n"
                           "z A 192.0.2.11\n"),
                     0);
    RECS("z:2 www.example.com. 300 A 192.0.2.1", "z:7 txt.example.com. 300 TXT \"one\" \"two\"",
         "z:9 mx.example.com. 300 MX 10 mail.example.com.", "z:11 n.example.com. 300 A 192.0.2.2",
         "z:12 x.example.com. 300 A 192.0.2.9", "z:13 y.example.com. 300 A 192.0.2.10",
         "z:15 z.example.com. 300 A 192.0.2.11");
    NO_MSGS();
}

static void test_quotes(void **state)
{
    (void)state;
    assert_int_equal(parse("$TTL 300\n"
                           "q TXT \"say \\\"hi\\\"\" \"semi;colon\" \"paren ( )\" bare ; c\n"
                           "r TXT \"back\\\\slash\"\"adjacent\" \"\"\n"
                           "s TXT \"one\" \"two\" \"three\"\n"
                           "t TXT \"caf\xc3\xa9\" \"tab\there\"\n"),
                     0);
    RECS("z:2 q.example.com. 300 TXT \"say \\\"hi\\\"\" \"semi;colon\" \"paren ( "
         ")\" \"bare\"",
         "z:3 r.example.com. 300 TXT \"back\\\\slash\" \"adjacent\" \"\"",
         "z:4 s.example.com. 300 TXT \"one\" \"two\" \"three\"",
         "z:5 t.example.com. 300 TXT \"caf\\195\\169\" \"tab\\009here\"");
    NO_MSGS();
}

static void test_escapes(void **state)
{
    (void)state;
    assert_int_equal(parse("$TTL 300\n"
                           "\\065bc A 192.0.2.1\n"
                           "esc\\.aped A 192.0.2.2\n"
                           "sp\\ ace A 192.0.2.3\n"
                           "\\(p\\)\\; A 192.0.2.4\n"
                           "t TXT \"\\065\\066\" \"\\\"\" \"a\\bc\" \"\\255\\009\"\n"
                           "u TXT \\\"unquoted\\;x\\ y\n"),
                     0);
    RECS("z:2 Abc.example.com. 300 A 192.0.2.1", "z:3 esc\\.aped.example.com. 300 A 192.0.2.2",
         "z:4 sp\\032ace.example.com. 300 A 192.0.2.3",
         "z:5 \\(p\\)\\;.example.com. 300 A 192.0.2.4",
         "z:6 t.example.com. 300 TXT \"AB\" \"\\\"\" \"abc\" \"\\255\\009\"",
         "z:7 u.example.com. 300 TXT \"\\\"unquoted;x y\"");
    NO_MSGS();
}

static void test_crlf_and_end(void **state)
{
    (void)state;
    assert_int_equal(parse("$TTL 300\r\n"
                           "www A 192.0.2.1\r\n"
                           "   AAAA 2001:db8::1\r\n"
                           "\r\n"
                           "txt TXT \"a b\" ; c\r\n"
                           "mx MX ( 10 ; x\r\n"
                           "  mail )\r\n"
                           "last A 192.0.2.2"),
                     0);
    RECS("z:2 www.example.com. 300 A 192.0.2.1", "z:3 www.example.com. 300 AAAA 2001:db8::1",
         "z:5 txt.example.com. 300 TXT \"a b\"", "z:6 mx.example.com. 300 MX 10 mail.example.com.",
         "z:8 last.example.com. 300 A 192.0.2.2");
    NO_MSGS();

    assert_int_equal(parse("x 300 TXT \"no newline\" ; comment"), 0);
    RECS("z:1 x.example.com. 300 TXT \"no newline\"");
    assert_int_equal(parse(""), 0);
    NO_RECS();
    NO_MSGS();
    assert_int_equal(parse("; only a comment\n\n   \n\t; another"), 0);
    NO_RECS();
    NO_MSGS();
}

/* ---- types
 * -------------------------------------------------------------------------------
 */

static void test_types(void **state)
{
    (void)state;
    assert_int_equal(parse("$TTL 300\n"
                           "a A 192.0.2.1\n"
                           "aaaa AAAA 2001:DB8:0::1\n"
                           "ns NS ns1\n"
                           "cname CNAME target.example.net.\n"
                           "soa SOA ns1 hostmaster 2024010101 1h 15m 1w 1d\n"
                           "mx MX 10 mail\n"
                           "txt TXT \"v=spf1 -all\"\n"
                           "ptr PTR host\n"
                           "_sip._udp SRV 10 60 5060 sip\n"
                           "caa CAA 0 issue \"ca.example.net\"\n"
                           "naptr NAPTR 100 10 \"U\" \"E2U+sip\" "
                           "\"!^.*$!sip:info@example.com!\" .\n"
                           "sshfp SSHFP 1 1 DD465C09CFA51FB45020CC83316FFF21B9EC74AC\n"
                           "_443._tcp TLSA 3 1 1 "
                           "0123456789abcdef0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n"
                           "https HTTPS 1 . alpn=\"h2,h3\" port=443 ipv4hint=192.0.2.3\n"
                           "svcb SVCB 0 svc.example.net.\n"
                           "ds DS 60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118\n"
                           "dnskey DNSKEY 257 3 13 ( "
                           "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+\n"
                           "    KkxLbxILfDLUT0rAK9iUzy1L53eKGQ== )\n"
                           "dname DNAME example.net.\n"
                           "hinfo HINFO \"Generic PC\" Linux\n"
                           "unknown TYPE65400 \\# 4 0A000001\n"
                           "generic A \\# 4 0A000001\n"
                           "generic-mx MX \\# 3 000A00\n"),
                     0);
    RECS("z:2 a.example.com. 300 A 192.0.2.1", "z:3 aaaa.example.com. 300 AAAA 2001:db8::1",
         "z:4 ns.example.com. 300 NS ns1.example.com.",
         "z:5 cname.example.com. 300 CNAME target.example.net.",
         "z:6 soa.example.com. 300 SOA ns1.example.com. hostmaster.example.com. "
         "2024010101 3600 "
         "900 604800 86400",
         "z:7 mx.example.com. 300 MX 10 mail.example.com.",
         "z:8 txt.example.com. 300 TXT \"v=spf1 -all\"",
         "z:9 ptr.example.com. 300 PTR host.example.com.",
         "z:10 _sip._udp.example.com. 300 SRV 10 60 5060 sip.example.com.",
         "z:11 caa.example.com. 300 CAA 0 issue \"ca.example.net\"",
         "z:12 naptr.example.com. 300 NAPTR 100 10 \"U\" \"E2U+sip\" "
         "\"!^.*$!sip:info@example.com!\" .",
         "z:13 sshfp.example.com. 300 SSHFP 1 1 "
         "DD465C09CFA51FB45020CC83316FFF21B9EC74AC",
         "z:14 _443._tcp.example.com. 300 TLSA 3 1 1 "
         "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
         "z:15 https.example.com. 300 HTTPS 1 . alpn=\"h2,h3\" port=443 "
         "ipv4hint=192.0.2.3",
         "z:16 svcb.example.com. 300 SVCB 0 svc.example.net.",
         "z:17 ds.example.com. 300 DS 60485 5 1 "
         "2BB183AF5F22588179A53B0A98631FAD1A292118",
         "z:18 dnskey.example.com. 300 DNSKEY 257 3 13 "
         "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+"
         "KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
         "z:20 dname.example.com. 300 DNAME example.net.",
         "z:21 hinfo.example.com. 300 HINFO \"Generic PC\" \"Linux\"",
         "z:22 unknown.example.com. 300 TYPE65400 \\# 4 0A000001",
         "z:23 generic.example.com. 300 A 10.0.0.1", "z:24 generic-mx.example.com. 300 MX 10 .");
    NO_MSGS();
}

static void test_type_errors(void **state)
{
    (void)state;
    assert_int_equal(parse("a 300 OPT \\# 0\n"
                           "x 300 IN ANY 192.0.2.1\n"
                           "b 300 AXFR\n"
                           "c 300 AAA 2001:db8::1\n"
                           "d 300\n"
                           "e 300 IN\n"
                           "f 300 A 10.0.0.300\n"
                           "g 300 TYPE65400 0A000001\n"
                           "h 300 \"A\" 192.0.2.1\n"
                           "\"q\" 300 A 192.0.2.1\n"
                           "a..b 300 A 192.0.2.1\n"
                           "i 300 A \\# 3 0A0000\n"
                           "j 300 A 192.0.2.1 extra\n"
                           "k 300 MX 10\n"
                           "ok 300 A 192.0.2.1\n"
                           "l 300 TYPE0 \\# 0\n"),
                     ERR_SYNTAX);
    RECS("z:15 ok.example.com. 300 A 192.0.2.1");
    MSGS("E z:1:7: type OPT cannot be used in a zone",
         "E z:2:10: type ANY cannot be used in a zone",
         "E z:3:7: type AXFR cannot be used in a zone", "E z:4:7: unknown type \"AAA\"",
         "E z:5:6: missing type", "E z:6:9: missing type",
         "E z:7:9: invalid IPv4 address \"10.0.0.300\"",
         "E z:8:17: TYPE65400 data must be in the generic form \"\\# <length> "
         "<hex>\"",
         "E z:9:7: unknown type \"A\"", "E z:10:1: invalid owner name \"q\" (invalid domain name)",
         "E z:11:1: invalid owner name \"a..b\" (invalid domain name)",
         "E z:12:12: generic data is not valid A data", "E z:13:19: unexpected \"extra\"",
         "E z:14:12: missing domain name", "E z:16:7: type TYPE0 cannot be used in a zone");
}

/* ---- TTL and class rules
 * ----------------------------------------------------------------- */

static void test_ttl_rules(void **state)
{
    (void)state;
    /* $TTL is the default; an explicit TTL applies to its record only. */
    assert_int_equal(parse("$TTL 600\n"
                           "a A 192.0.2.1\n"
                           "b 60 A 192.0.2.2\n"
                           "c A 192.0.2.3\n"),
                     0);
    RECS("z:2 a.example.com. 600 A 192.0.2.1", "z:3 b.example.com. 60 A 192.0.2.2",
         "z:4 c.example.com. 600 A 192.0.2.3");
    NO_MSGS();

    /* Without $TTL the last explicit TTL carries on. */
    assert_int_equal(parse("a 120 A 192.0.2.1\n"
                           "b A 192.0.2.2\n"
                           "c 30 A 192.0.2.3\n"
                           "d A 192.0.2.4\n"),
                     0);
    RECS("z:1 a.example.com. 120 A 192.0.2.1", "z:2 b.example.com. 120 A 192.0.2.2",
         "z:3 c.example.com. 30 A 192.0.2.3", "z:4 d.example.com. 30 A 192.0.2.4");
    NO_MSGS();

    /* Neither: the SOA minimum, with a warning, which then acts as $TTL. */
    assert_int_equal(parse("@ SOA ns1 hostmaster (\n"
                           "    1 7200 3600 1209600 900 )\n"
                           "  NS ns1\n"
                           "www 60 A 192.0.2.1\n"
                           "mail A 192.0.2.2\n"),
                     0);
    RECS("z:1 example.com. 900 SOA ns1.example.com. hostmaster.example.com. 1 "
         "7200 3600 1209600 "
         "900",
         "z:3 example.com. 900 NS ns1.example.com.", "z:4 www.example.com. 60 A 192.0.2.1",
         "z:5 mail.example.com. 900 A 192.0.2.2");
    MSGS("W z:2:25: no TTL given; using the SOA minimum 900");

    /* A first record without a TTL, not an SOA: an error; later ones are fine. */
    assert_int_equal(parse("www A 192.0.2.1\n"
                           "www 50 A 192.0.2.2\n"
                           "  A 192.0.2.3\n"),
                     ERR_SYNTAX);
    RECS("z:2 www.example.com. 50 A 192.0.2.2", "z:3 www.example.com. 50 A 192.0.2.3");
    MSGS("E z:1:1: no TTL given, and no $TTL or earlier TTL");

    /* An SOA minimum with the top bit set counts as 0 (RFC 2181 8). */
    assert_int_equal(parse("@ SOA ns1 hostmaster 1 2 3 4 4294967295\n"), 0);
    RECS("z:1 example.com. 0 SOA ns1.example.com. hostmaster.example.com. 1 2 3 "
         "4 4294967295");
    MSGS("W z:1:30: no TTL given; using the SOA minimum 4294967295",
         "W z:1:30: TTL 4294967295 is above 2147483647; using 0");

    /* 2^31-1 is the largest TTL; up to 2^32-1 is 0 with a warning, more is an
     * error. */
    assert_int_equal(parse("a 2147483647 A 192.0.2.1\n"
                           "b 2147483648 A 192.0.2.2\n"
                           "c 4294967296 A 192.0.2.3\n"
                           "d 1x A 192.0.2.4\n"
                           "e 3w1h A 192.0.2.5\n"
                           "f 10000w A 192.0.2.6\n"
                           "g 1h30 A 192.0.2.7\n"),
                     ERR_SYNTAX);
    RECS("z:1 a.example.com. 2147483647 A 192.0.2.1", "z:2 b.example.com. 0 A 192.0.2.2",
         "z:5 e.example.com. 1818000 A 192.0.2.5");
    MSGS("W z:2:3: TTL 2147483648 is above 2147483647; using 0",
         "E z:3:3: invalid TTL \"4294967296\" (above 4294967295)", "E z:4:3: invalid TTL \"1x\"",
         "E z:6:3: invalid TTL \"10000w\" (above 4294967295)", "E z:7:3: invalid TTL \"1h30\"");
}

static void test_class_errors(void **state)
{
    (void)state;
    assert_int_equal(parse("a 300 CH A 192.0.2.1\n"
                           "b 300 ANY A 192.0.2.1\n"
                           "c HS 300 TXT x\n"
                           "d CLASS3 TXT x\n"
                           "e 300 IN A 192.0.2.5\n"
                           "f 300 NONE A 192.0.2.6\n"),
                     ERR_SYNTAX);
    RECS("z:5 e.example.com. 300 A 192.0.2.5");
    MSGS("E z:1:7: class CH does not match the zone's class IN",
         "E z:2:7: class ANY does not match the zone's class IN",
         "E z:3:3: class HS does not match the zone's class IN",
         "E z:4:3: class CLASS3 does not match the zone's class IN",
         "E z:6:7: class NONE does not match the zone's class IN");
}

/* ---- lexical and directive errors
 * -------------------------------------------------------- */

static void test_paren_errors(void **state)
{
    (void)state;
    assert_int_equal(parse("$TTL 300\n"
                           "a A 192.0.2.1\n"
                           "b A 192.0.2.2 )\n"
                           "c A 192.0.2.3\n"),
                     ERR_SYNTAX);
    RECS("z:2 a.example.com. 300 A 192.0.2.1", "z:4 c.example.com. 300 A 192.0.2.3");
    MSGS("E z:3:15: unbalanced parentheses");

    /* An unclosed '(' takes the rest of the file; the error names the line it
     * opened on. */
    assert_int_equal(parse("$TTL 300\n"
                           "a A 192.0.2.1\n"
                           "b MX ( 10\n"
                           "   mail\n"
                           "c A 192.0.2.3\n"),
                     ERR_SYNTAX);
    RECS("z:2 a.example.com. 300 A 192.0.2.1");
    MSGS("E z:3:6: unbalanced parentheses");

    assert_int_equal(parse("$TTL 300\n"
                           "\n"
                           "  (\n"),
                     ERR_SYNTAX);
    NO_RECS();
    MSGS("E z:3:3: unbalanced parentheses");

    /* An error inside parentheses costs the whole entry, reported once where it
     * is: at the opening quote on the entry's second line. */
    assert_int_equal(parse("$TTL 300\n"
                           "@ SOA ns1 hostmaster (\n"
                           "    1 \"bad\n"
                           "    2 3 4 5 ) )\n"
                           "www A 192.0.2.1\n"),
                     ERR_SYNTAX);
    RECS("z:5 www.example.com. 300 A 192.0.2.1");
    MSGS("E z:3:7: unterminated quoted string");
}

static void test_lex_errors(void **state)
{
    (void)state;
    assert_int_equal(parse("$TTL 300\n"
                           "t TXT \"abc\n"
                           "u TXT \"ok\"\n"
                           "a\x01"
                           "b A 192.0.2.1\n"
                           "c A 192.0.2.3\x7f\n"
                           "d A 192.0.2.4 ; \x01 in a comment is fine\n"
                           "caf\xc3\xa9 A 192.0.2.5\n"
                           "e TXT \"open"),
                     ERR_SYNTAX);
    RECS("z:3 u.example.com. 300 TXT \"ok\"", "z:6 d.example.com. 300 A 192.0.2.4");
    MSGS("E z:2:7: unterminated quoted string", "E z:4:2: invalid byte \\001",
         "E z:5:14: invalid byte \\127",
         "E z:7:4: non-ASCII byte \\195 outside quotes (write it as \\DDD)",
         "E z:8:7: unterminated quoted string");

    /* A NUL byte is an error anywhere, comments and quotes included. */
    static const char nul[] = "$TTL 300\na\0b A 192.0.2.1\nc A 192.0.2.3 ; \0\n"
                              "d TXT \"\0\"\ne A 192.0.2.5\n";
    struct dns_zonefile_opts o = {0};
    assert_int_equal(parse_len_opts(nul, sizeof(nul) - 1, &o), ERR_SYNTAX);
    RECS("z:5 e.example.com. 300 A 192.0.2.5");
    MSGS("E z:2:2: invalid byte \\000", "E z:3:17: invalid byte \\000",
         "E z:4:8: invalid byte \\000");
}

static void test_directive_errors(void **state)
{
    (void)state;
    assert_int_equal(parse("$TTL 300\n"
                           "$FOO bar\n"
                           "$ORIGIN\n"
                           "$ORIGIN a b\n"
                           "$ORIGIN a..b\n"
                           "$TTL\n"
                           "$TTL abc\n"
                           "$TTL 4294967296\n"
                           "$TTL 1h 2\n"
                           "$INCLUDE\n"
                           "$INCLUDE a b c\n"
                           "$GENERATE 1-2 a A\n"
                           "x A 192.0.2.1\n"
                           "$ORIGIN \"q\"\n"),
                     ERR_SYNTAX);
    /* None of the bad directives changed the origin or the TTL. */
    RECS("z:13 x.example.com. 300 A 192.0.2.1");
    MSGS("E z:2:1: unknown directive \"$FOO\"", "E z:3:8: $ORIGIN needs one domain name",
         "E z:4:11: $ORIGIN needs one domain name",
         "E z:5:9: invalid $ORIGIN \"a..b\" (invalid domain name)", "E z:6:5: $TTL needs one TTL",
         "E z:7:6: invalid TTL \"abc\"", "E z:8:6: invalid TTL \"4294967296\" (above 4294967295)",
         "E z:9:9: $TTL needs one TTL",
         "E z:10:9: $INCLUDE needs a file name and may have an origin",
         "E z:11:14: $INCLUDE needs a file name and may have an origin",
         "E z:12:18: $GENERATE needs a range, an owner, a type and data",
         "E z:14:9: invalid $ORIGIN \"q\" (invalid domain name)");
}

/* ---- recovery and stopping
 * --------------------------------------------------------------- */

static void test_recovery(void **state)
{
    (void)state;
    assert_int_equal(parse("$TTL 300\n"
                           "good1 A 192.0.2.1\n"
                           "bad1 A 192.0.2.256\n"
                           "good2 A 192.0.2.2\n"
                           "bad2 BOGUS x\n"
                           "good3 MX ( 10\n"
                           "  mail )\n"
                           "bad3 TXT \"open\n"
                           "good4 A 192.0.2.4\n"
                           "$BAD\n"
                           "good5 AAAA 2001:db8::5\n"
                           "bad4 ( A\n"
                           "  192.0.2.7 ) )\n"
                           "good6 A 192.0.2.6\n"),
                     ERR_SYNTAX);
    RECS("z:2 good1.example.com. 300 A 192.0.2.1", "z:4 good2.example.com. 300 A 192.0.2.2",
         "z:6 good3.example.com. 300 MX 10 mail.example.com.",
         "z:9 good4.example.com. 300 A 192.0.2.4", "z:11 good5.example.com. 300 AAAA 2001:db8::5",
         "z:14 good6.example.com. 300 A 192.0.2.6");
    MSGS("E z:3:8: invalid IPv4 address \"192.0.2.256\"", "E z:5:6: unknown type \"BOGUS\"",
         "E z:8:10: unterminated quoted string", "E z:10:1: unknown directive \"$BAD\"",
         "E z:13:15: unbalanced parentheses");
}

/* Every message about a token points at it: line and column (bytes, a tab is
 * one), on the token's own line inside parentheses; a missing field right
 * after the last token of its entry. */
static void test_columns(void **state)
{
    (void)state;
    assert_int_equal(parse("$TTL 300\n"
                           "@ SOA ns1 hostmaster (\n"
                           "    1 2 3 4\n"
                           "    x )\n"
                           "a\tA\t192.0.2.300\n"
                           "b ( A\n"
                           "  192.0.2.1 10.0.0.1 )\n"
                           "c SRV 0 5\n"
                           "d TXT \"open\n"
                           "$GENERATE 1-2 g$ A 10.0.0.${300}\n"
                           "e 300 IN\n"
                           "bad..name A 192.0.2.1\n"
                           "$ORIGIN a b\n"
                           "f A 192.0.2.1 )\n"
                           "\tA 192.0.2.999\n"
                           "h ( A 192.0.2.1\n"),
                     ERR_SYNTAX);
    NO_RECS();
    MSGS("E z:4:5: invalid time value \"x\" (expected seconds 0-4294967295 or units "
         "like 1h30m)",
         "E z:5:5: invalid IPv4 address \"192.0.2.300\"", "E z:7:13: unexpected \"10.0.0.1\"",
         "E z:8:10: missing 16-bit number", "E z:9:7: unterminated quoted string",
         "E z:10:20: invalid IPv4 address \"10.0.0.301\"", "E z:11:9: missing type",
         "E z:12:1: invalid owner name \"bad..name\" (invalid domain name)",
         "E z:13:11: $ORIGIN needs one domain name", "E z:14:15: unbalanced parentheses",
         "E z:15:4: invalid IPv4 address \"192.0.2.999\"", "E z:16:3: unbalanced parentheses");

    /* Warnings too: a TTL at its token, the SOA minimum at the MINIMUM field. */
    assert_int_equal(parse("@ SOA ns1 hostmaster ( 1 2 3 4\n"
                           "\t\t4294967295 )\n"
                           "a 2147483648 A 192.0.2.1\n"),
                     0);
    MSGS("W z:2:3: no TTL given; using the SOA minimum 4294967295",
         "W z:2:3: TTL 4294967295 is above 2147483647; using 0",
         "W z:3:3: TTL 2147483648 is above 2147483647; using 0");

    /* Streamed, a line's start may be dropped at a refill before its first
     * token: 200000 blanks, then a record with the previous owner. */
    size_t cap = 300000, len;
    char *buf = malloc(cap);
    assert_non_null(buf);
    len = (size_t)snprintf(buf, cap, "$TTL 300\nw A 192.0.2.1\n");
    memset(buf + len, ' ', 200000);
    len += 200000;
    len += (size_t)snprintf(buf + len, cap - len, "A 192.0.2.300\n\"x A 192.0.2.2\n");
    for (int file = 0; file < 2; file++) {
        struct dns_zonefile_opts o = {0};
        if (file)
            assert_int_equal(parse_file(put_len("cols.zone", buf, len), &o), ERR_SYNTAX);
        else
            assert_int_equal(parse_len_opts(buf, len, &o), ERR_SYNTAX);
        if (file)
            MSGS("E D/cols.zone:3:200003: invalid IPv4 address \"192.0.2.300\"",
                 "E D/cols.zone:4:1: unterminated quoted string");
        else
            MSGS("E z:3:200003: invalid IPv4 address \"192.0.2.300\"",
                 "E z:4:1: unterminated quoted string");
    }
    free(buf);
}

static void test_max_errors(void **state)
{
    (void)state;
    struct dns_zonefile_opts o = {.max_errors = 3};
    assert_int_equal(parse_opts("$TTL 300\n"
                                "a A 192.0.2.1\n"
                                "b A x\n"
                                "c A 192.0.2.3\n"
                                "d A y\n"
                                "e A 192.0.2.5\n"
                                "f A z\n"
                                "g A 192.0.2.7\n"
                                "h A w\n",
                                &o),
                     ERR_SYNTAX);
    RECS("z:2 a.example.com. 300 A 192.0.2.1", "z:4 c.example.com. 300 A 192.0.2.3",
         "z:6 e.example.com. 300 A 192.0.2.5");
    MSGS("E z:3:5: invalid IPv4 address \"x\"", "E z:5:5: invalid IPv4 address \"y\"",
         "E z:7:5: invalid IPv4 address \"z\"",
         "W z:7:5: too many errors (limit 3); stopping here");

    /* The default is 100. */
    static char many[150 * 16];
    size_t len = 0;
    for (int i = 0; i < 150; i++)
        len += (size_t)snprintf(many + len, sizeof(many) - len, "x%d 300 A y\n", i);
    assert_int_equal(parse(many), ERR_SYNTAX);
    NO_RECS();
    assert_int_equal(nmsg, 101);
    assert_string_equal(msgs[99], "E z:100:11: invalid IPv4 address \"y\"");
    assert_string_equal(msgs[100], "W z:100:11: too many errors (limit 100); stopping here");

    /* Warnings do not count. */
    struct dns_zonefile_opts o1 = {.max_errors = 1};
    assert_int_equal(parse_opts("@ SOA ns1 hostmaster 1 2 3 4 5\n"
                                "a A 192.0.2.1\n",
                                &o1),
                     0);
    assert_int_equal(nrec, 2);
    MSGS("W z:1:30: no TTL given; using the SOA minimum 5");
}

static void test_rr_stop(void **state)
{
    (void)state;
    stop_after = 2;
    stop_value = 42;
    assert_int_equal(parse("$TTL 300\n"
                           "a A 192.0.2.1\n"
                           "bad A x\n"
                           "b A 192.0.2.2\n"
                           "c A 192.0.2.3\n"
                           "bad2 A x\n"),
                     42);
    RECS("z:2 a.example.com. 300 A 192.0.2.1", "z:4 b.example.com. 300 A 192.0.2.2");
    MSGS("E z:3:7: invalid IPv4 address \"x\"");

    /* Inside $GENERATE, with a negative value. */
    stop_after = 3;
    stop_value = -7;
    assert_int_equal(parse("$TTL 300\n"
                           "$GENERATE 1-100 h$ A 192.0.2.$\n"
                           "after A 192.0.2.1\n"),
                     -7);
    RECS("z:2 h1.example.com. 300 A 192.0.2.1", "z:2 h2.example.com. 300 A 192.0.2.2",
         "z:2 h3.example.com. 300 A 192.0.2.3");
    NO_MSGS();
    stop_after = 0;
    stop_value = 0;
}

/* ---- $INCLUDE
 * ----------------------------------------------------------------------------
 */

static void test_include(void **state)
{
    (void)state;
    const char *top = put("main.zone", "$ORIGIN example.com.\n"
                                       "$TTL 300\n"
                                       "www A 192.0.2.1\n"
                                       "$INCLUDE sub/inc.zone\n"
                                       "after A 192.0.2.2\n"
                                       "$INCLUDE sub/inc.zone other.example.\n"
                                       "$INCLUDE \"sub/inc.zone\" rel\n"
                                       "last A 192.0.2.3\n");
    put("sub/inc.zone", "inc A 192.0.2.10\n"
                        "$ORIGIN changed.test.\n"
                        "$TTL 60\n"
                        "x A 192.0.2.11\n"
                        "  TXT \"same owner\"\n");
    struct dns_zonefile_opts o = {0};
    assert_int_equal(parse_file(top, &o), 0);
    /* The origin is the includer's again after the included file, but its $TTL
     * stays in force (BIND, NSD; checked with named-compilezone). */
    RECS("D/main.zone:3 www.example.com. 300 A 192.0.2.1",
         "D/sub/inc.zone:1 inc.example.com. 300 A 192.0.2.10",
         "D/sub/inc.zone:4 x.changed.test. 60 A 192.0.2.11",
         "D/sub/inc.zone:5 x.changed.test. 60 TXT \"same owner\"",
         "D/main.zone:5 after.example.com. 60 A 192.0.2.2",
         "D/sub/inc.zone:1 inc.other.example. 60 A 192.0.2.10",
         "D/sub/inc.zone:4 x.changed.test. 60 A 192.0.2.11",
         "D/sub/inc.zone:5 x.changed.test. 60 TXT \"same owner\"",
         "D/sub/inc.zone:1 inc.rel.example.com. 60 A 192.0.2.10",
         "D/sub/inc.zone:4 x.changed.test. 60 A 192.0.2.11",
         "D/sub/inc.zone:5 x.changed.test. 60 TXT \"same owner\"",
         "D/main.zone:8 last.example.com. 60 A 192.0.2.3");
    NO_MSGS();

    /* So does the last explicit TTL (BIND); a stop in the included file stops
     * everything. */
    const char *top2 = put("main2.zone", "a 100 A 192.0.2.1\n"
                                         "$INCLUDE inc2.zone\n"
                                         "c A 192.0.2.3\n"
                                         "$INCLUDE inc2.zone\n"
                                         "d A 192.0.2.4\n");
    put("inc2.zone", "b 200 A 192.0.2.2\n"
                     "  A 192.0.2.12\n");
    assert_int_equal(parse_file(top2, &o), 0);
    RECS("D/main2.zone:1 a.example.com. 100 A 192.0.2.1",
         "D/inc2.zone:1 b.example.com. 200 A 192.0.2.2",
         "D/inc2.zone:2 b.example.com. 200 A 192.0.2.12",
         "D/main2.zone:3 c.example.com. 200 A 192.0.2.3",
         "D/inc2.zone:1 b.example.com. 200 A 192.0.2.2",
         "D/inc2.zone:2 b.example.com. 200 A 192.0.2.12",
         "D/main2.zone:5 d.example.com. 200 A 192.0.2.4");
    stop_after = 3;
    stop_value = 9;
    assert_int_equal(parse_file(top2, &o), 9);
    stop_after = 0;
    stop_value = 0;
    assert_int_equal(nrec, 3);
    NO_MSGS();

    /* The included file starts without a previous owner. */
    const char *top3 = put("main3.zone", "$TTL 300\n"
                                         "a A 192.0.2.1\n"
                                         "$INCLUDE inc3.zone\n");
    put("inc3.zone", "  A 192.0.2.2\n");
    assert_int_equal(parse_file(top3, &o), ERR_SYNTAX);
    RECS("D/main3.zone:2 a.example.com. 300 A 192.0.2.1");
    MSGS("E D/inc3.zone:1:3: missing owner name");
}

/* A header file with $TTL and the SOA: its $TTL (or the last TTL, or the SOA
 * minimum it took as $TTL) stays in force in the including file, as in BIND
 * and NSD, while the origin and the previous owner are the includer's again
 * (RFC 1035 5.1). The TTLs are the ones named-compilezone gives. */
static void test_include_ttl(void **state)
{
    (void)state;
    put("head.inc", "$TTL 3600\n"
                    "@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n");
    const char *top = put("main.zone", "$INCLUDE head.inc\n"
                                       "@ IN NS ns1\n"
                                       "ns1 IN A 192.0.2.1\n"
                                       "www 7200 IN A 192.0.2.2\n"
                                       "  IN AAAA 2001:db8::2\n");
    struct dns_zonefile_opts o = {0};
    assert_int_equal(parse_file(top, &o), 0);
    RECS("D/head.inc:2 example.com. 3600 SOA ns1.example.com. hostmaster.example.com. 1 7200 "
         "3600 1209600 300",
         "D/main.zone:2 example.com. 3600 NS ns1.example.com.",
         "D/main.zone:3 ns1.example.com. 3600 A 192.0.2.1",
         "D/main.zone:4 www.example.com. 7200 A 192.0.2.2",
         "D/main.zone:5 www.example.com. 3600 AAAA 2001:db8::2");
    NO_MSGS();

    /* The $ORIGIN of the included file does not stay, its $TTL does. */
    put("o.inc", "$ORIGIN sub.example.com.\n"
                 "$TTL 3600\n"
                 "x A 192.0.2.7\n");
    top = put("o.zone", "$TTL 5\n"
                        "$INCLUDE o.inc\n"
                        "y A 192.0.2.8\n");
    assert_int_equal(parse_file(top, &o), 0);
    RECS("D/o.inc:3 x.sub.example.com. 3600 A 192.0.2.7",
         "D/o.zone:3 y.example.com. 3600 A 192.0.2.8");
    NO_MSGS();

    /* Without $TTL: the last explicit TTL, or the SOA minimum taken as $TTL. */
    put("last.inc", "@ 600 IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n");
    top = put("last.zone", "$INCLUDE last.inc\n"
                           "@ IN NS ns1\n");
    assert_int_equal(parse_file(top, &o), 0);
    RECS("D/last.inc:1 example.com. 600 SOA ns1.example.com. hostmaster.example.com. 1 7200 "
         "3600 1209600 300",
         "D/last.zone:2 example.com. 600 NS ns1.example.com.");
    NO_MSGS();
    put("min.inc", "@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n");
    top = put("min.zone", "$INCLUDE min.inc\n"
                          "@ IN NS ns1\n");
    assert_int_equal(parse_file(top, &o), 0);
    RECS("D/min.inc:1 example.com. 300 SOA ns1.example.com. hostmaster.example.com. 1 7200 "
         "3600 1209600 300",
         "D/min.zone:2 example.com. 300 NS ns1.example.com.");
    MSGS("W D/min.inc:1:45: no TTL given; using the SOA minimum 300");

    /* Through two levels, and a $TTL of the includer after it wins again. */
    put("deep2.inc", "$TTL 77\n");
    put("deep1.inc", "$INCLUDE deep2.inc\n");
    top = put("deep.zone", "$TTL 5\n"
                           "a A 192.0.2.1\n"
                           "$INCLUDE deep1.inc\n"
                           "b A 192.0.2.2\n"
                           "$TTL 9\n"
                           "c A 192.0.2.3\n");
    assert_int_equal(parse_file(top, &o), 0);
    RECS("D/deep.zone:2 a.example.com. 5 A 192.0.2.1",
         "D/deep.zone:4 b.example.com. 77 A 192.0.2.2",
         "D/deep.zone:6 c.example.com. 9 A 192.0.2.3");
    NO_MSGS();
}

static void test_include_relative(void **state)
{
    (void)state;
    /* Each file's $INCLUDE is relative to its own directory; absolute paths are
     * kept. */
    const char *top = put("top.zone", "$TTL 300\n"
                                      "$INCLUDE sub/a.zone\n");
    put("sub/a.zone", "a A 192.0.2.1\n"
                      "$INCLUDE b.zone\n");
    put("sub/b.zone", "b A 192.0.2.2\n");
    const char *abs = put("abs.zone", "abs A 192.0.2.3\n");
    char text[512];
    snprintf(text, sizeof(text), "$TTL 300\n$INCLUDE %s\n", abs);
    const char *top2 = put("sub/top2.zone", text);
    struct dns_zonefile_opts o = {0};
    assert_int_equal(parse_file(top, &o), 0);
    RECS("D/sub/a.zone:1 a.example.com. 300 A 192.0.2.1",
         "D/sub/b.zone:1 b.example.com. 300 A 192.0.2.2");
    NO_MSGS();
    assert_int_equal(parse_file(top2, &o), 0);
    RECS("D/abs.zone:1 abs.example.com. 300 A 192.0.2.3");
    NO_MSGS();

    /* From a string: relative to the directory of its name, else the current
     * directory. */
    snprintf(text, sizeof(text), "%s/sub/name", tmpdir);
    reset(&o);
    const char *s = "$TTL 300\n$INCLUDE b.zone\n";
    assert_int_equal(dns_zonefile_parse_string(text, s, strlen(s), &o), 0);
    RECS("D/sub/b.zone:1 b.example.com. 300 A 192.0.2.2");
    NO_MSGS();
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(tmpdir), 0);
    int r = parse("$TTL 300\n$INCLUDE sub/b.zone\n");
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(r, 0);
    RECS("sub/b.zone:1 b.example.com. 300 A 192.0.2.2");
    NO_MSGS();
}

static void test_include_errors(void **state)
{
    (void)state;
    const char *top = put("e.zone", "$TTL 300\n"
                                    "a A 192.0.2.1\n"
                                    "$INCLUDE bad.zone\n"
                                    "$INCLUDE nothere.zone\n"
                                    "$INCLUDE bad.zone a..b\n"
                                    "$INCLUDE sub\n"
                                    "$INCLUDE /dev/null\n"
                                    "b A 192.0.2.2\n");
    put("bad.zone", "ok A 192.0.2.10\n"
                    "\n"
                    "bad A 300.1.1.1\n"
                    "  MX ( 10\n");
    put("sub/x", "");
    struct dns_zonefile_opts o = {0};
    assert_int_equal(parse_file(top, &o), ERR_SYNTAX);
    RECS("D/e.zone:2 a.example.com. 300 A 192.0.2.1",
         "D/bad.zone:1 ok.example.com. 300 A 192.0.2.10",
         "D/e.zone:8 b.example.com. 300 A 192.0.2.2");
    MSGS("E D/bad.zone:3:7: invalid IPv4 address \"300.1.1.1\"",
         "E D/bad.zone:4:6: unbalanced parentheses",
         "E D/e.zone:4:10: cannot open \"D/nothere.zone\": No such file or directory",
         "E D/e.zone:5:19: invalid $INCLUDE origin \"a..b\" (invalid domain name)",
         "E D/e.zone:6:10: cannot open \"D/sub\": Is a directory",
         "E D/e.zone:7:10: cannot open \"/dev/null\": not a regular file");
}

static void test_include_depth(void **state)
{
    (void)state;
    const char *loop = put("loop.zone", "$TTL 300\n"
                                        "a A 192.0.2.1\n"
                                        "$INCLUDE loop.zone\n"
                                        "b A 192.0.2.2\n");
    struct dns_zonefile_opts o = {.max_include_depth = 2};
    assert_int_equal(parse_file(loop, &o), ERR_SYNTAX);
    RECS("D/loop.zone:2 a.example.com. 300 A 192.0.2.1",
         "D/loop.zone:2 a.example.com. 300 A 192.0.2.1",
         "D/loop.zone:2 a.example.com. 300 A 192.0.2.1",
         "D/loop.zone:4 b.example.com. 300 A 192.0.2.2",
         "D/loop.zone:4 b.example.com. 300 A 192.0.2.2",
         "D/loop.zone:4 b.example.com. 300 A 192.0.2.2");
    MSGS("E D/loop.zone:3:1: $INCLUDE nested too deeply (limit 2)");

    struct dns_zonefile_opts o10 = {0};
    assert_int_equal(parse_file(loop, &o10), ERR_SYNTAX);
    assert_int_equal(nrec, 22);
    MSGS("E D/loop.zone:3:1: $INCLUDE nested too deeply (limit 10)");

    struct dns_zonefile_opts no = {.no_include = true};
    assert_int_equal(parse_file(loop, &no), ERR_SYNTAX);
    RECS("D/loop.zone:2 a.example.com. 300 A 192.0.2.1",
         "D/loop.zone:4 b.example.com. 300 A 192.0.2.2");
    MSGS("E D/loop.zone:3:1: $INCLUDE is not allowed here");
    assert_int_equal(parse_opts("$INCLUDE /etc/hostname\n", &no), ERR_SYNTAX);
    MSGS("E z:1:1: $INCLUDE is not allowed here");
}

static void test_missing_file(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/missing.zone", tmpdir);
    struct dns_zonefile_opts o = {0};
    assert_int_equal(parse_file(path, &o), -ENOENT);
    NO_RECS();
    MSGS("E D/missing.zone: cannot open \"D/missing.zone\": No such file or "
         "directory");
}

/* A file is streamed through a buffer; whatever the refills, it must read as
 * the same text in memory does. */
static void same_as_string(const char *name, const char *text, size_t len, int want)
{
    struct dns_zonefile_opts o = {0};
    const char *path = put_len(name, text, len);
    assert_int_equal(parse_len_opts(text, len, &o), want);
    uint64_t h = rec_hash;
    size_t n = nrec, nm = nmsg;
    char last[sizeof(msgs[0])] = "";
    if (nmsg)
        snprintf(last, sizeof(last), "%s", msgs[(nmsg < MAX_MSGS ? nmsg : MAX_MSGS) - 1] + 4);
    assert_int_equal(parse_file(path, &o), want);
    assert_int_equal(nrec, n);
    assert_int_equal(nmsg, nm);
    assert_true(rec_hash == h);
    if (nmsg) {
        const char *m = msgs[(nmsg < MAX_MSGS ? nmsg : MAX_MSGS) - 1];
        assert_non_null(strstr(m, ": "));
        assert_string_equal(strstr(m, ": ") + 2, strstr(last, ": ") + 2);
    }
}

static void test_streaming(void **state)
{
    (void)state;
    size_t cap = 3u << 20, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);

    /* Records of every length around the 64 KiB refills, LF and CR LF, quotes,
     * escapes. */
    len = (size_t)snprintf(buf, cap, "$TTL 300\n");
    for (int i = 0; len < 300000; i++) {
        const char *eol = i % 3 == 0 ? "\r\n" : "\n";
        int pad = i % 97;
        len += (size_t)snprintf(buf + len, cap - len,
                                "h%d A 192.0.2.%d%s  TXT \"%.*s\\\"x\" ( \\065%d ; c%s %d )%s", i,
                                i % 256, eol, pad,
                                "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijk"
                                "lmnopqrstuvwxyz0123456789abcdefghijklmnopqrst",
                                i, eol, i, eol);
    }
    same_as_string("lines.zone", buf, len, 0);
    assert_true(nrec > 5000);

    /* One entry of about 100 KB across several refills (a TXT of many strings).
     */
    len = (size_t)snprintf(buf, cap, "$TTL 300\nbig TXT (\n");
    for (int i = 0; i < 250; i++)
        len += (size_t)snprintf(buf + len, cap - len, " \"%0250d\"\n", i);
    len += (size_t)snprintf(buf + len, cap - len, ")\nafter A 192.0.2.1\n");
    same_as_string("big.zone", buf, len, 0);
    assert_int_equal(nrec, 2);
    assert_string_equal(recs[1], "D/big.zone:254 after.example.com. 300 A 192.0.2.1");

    /* An entry longer than DNS_ZONEFILE_ENTRY_MAX is an error; the parse goes on
     * after it. */
    len = (size_t)snprintf(buf, cap, "$TTL 300\nhuge TXT (\n");
    while (len < DNS_ZONEFILE_ENTRY_MAX + 1000)
        len += (size_t)snprintf(buf + len, cap - len, " \"%0100d\"\n", 7);
    len += (size_t)snprintf(buf + len, cap - len, ")\nafter A 192.0.2.1\n");
    struct dns_zonefile_opts o = {0};
    assert_int_equal(parse_file(put_len("huge.zone", buf, len), &o), ERR_SYNTAX);
    RECS("D/huge.zone:10096 after.example.com. 300 A 192.0.2.1");
    MSGS("E D/huge.zone:2:1: entry longer than 1048576 bytes");
    free(buf);
}

/* ---- $GENERATE
 * ---------------------------------------------------------------------------
 */

static void test_generate_bind(void **state)
{
    (void)state;
    /* The examples of the BIND ARM. */
    assert_int_equal(parse("$TTL 300\n"
                           "$GENERATE 1-2 0 NS SERVER$.EXAMPLE.\n"),
                     0);
    RECS("z:2 0.example.com. 300 NS SERVER1.EXAMPLE.",
         "z:2 0.example.com. 300 NS SERVER2.EXAMPLE.");
    NO_MSGS();

    assert_int_equal(parse("$ORIGIN 0.0.192.IN-ADDR.ARPA.\n"
                           "$TTL 300\n"
                           "$GENERATE 1-127 $ CNAME $.0\n"),
                     0);
    assert_int_equal(nrec, 127);
    assert_string_equal(recs[0], "z:3 1.0.0.192.IN-ADDR.ARPA. 300 CNAME 1.0.0.0.192.IN-ADDR.ARPA.");
    assert_string_equal(recs[9],
                        "z:3 10.0.0.192.IN-ADDR.ARPA. 300 CNAME 10.0.0.0.192.IN-ADDR.ARPA.");
    assert_string_equal(recs[126],
                        "z:3 127.0.0.192.IN-ADDR.ARPA. 300 CNAME 127.0.0.0.192.IN-ADDR.ARPA.");
    NO_MSGS();

    assert_int_equal(parse("$TTL 300\n"
                           "$GENERATE 0-3 host-${0,3,x} A 10.0.0.$\n"
                           "$GENERATE 9-11 host-${0,3,x} A 10.0.0.$\n"),
                     0);
    RECS("z:2 host-000.example.com. 300 A 10.0.0.0", "z:2 host-001.example.com. 300 A 10.0.0.1",
         "z:2 host-002.example.com. 300 A 10.0.0.2", "z:2 host-003.example.com. 300 A 10.0.0.3",
         "z:3 host-009.example.com. 300 A 10.0.0.9", "z:3 host-00a.example.com. 300 A 10.0.0.10",
         "z:3 host-00b.example.com. 300 A 10.0.0.11");
    NO_MSGS();
}

static void test_generate_forms(void **state)
{
    (void)state;
    assert_int_equal(parse("$TTL 300\n"
                           "$GENERATE 0-10/5 s$ A 192.0.2.$\n"
                           "$GENERATE 1-10/4 t$ A 192.0.2.$\n"
                           "$GENERATE 1-3 o$ A 192.0.2.${-1}\n"
                           "$GENERATE 1-1 p$ A 192.0.2.${+10}\n"
                           "$GENERATE 10-10 b-${0,0,o}-${0,4,x}-${0,2,X}-${0,0,d}-${1,3} A "
                           "192.0.2.1\n"
                           "$GENERATE 6699-6699 ${0,0,n} PTR ${0,0,N}.${0,9,n}.${0,3,n}\n"
                           "$GENERATE 1-2 lit\\$$ TXT \"cost \\$$\" \\$ $$\n"
                           "$GENERATE 1-2 t$ 60 IN A 192.0.2.$\n"
                           "$GENERATE 1-1 ${0,63,n} TXT ${0,64,X}\n"
                           "$GENERATE 1-2 m$ MX \"1$ mx$\"\n"),
                     0);
    RECS("z:2 s0.example.com. 300 A 192.0.2.0", "z:2 s5.example.com. 300 A 192.0.2.5",
         "z:2 s10.example.com. 300 A 192.0.2.10", "z:3 t1.example.com. 300 A 192.0.2.1",
         "z:3 t5.example.com. 300 A 192.0.2.5", "z:3 t9.example.com. 300 A 192.0.2.9",
         "z:4 o1.example.com. 300 A 192.0.2.0", "z:4 o2.example.com. 300 A 192.0.2.1",
         "z:4 o3.example.com. 300 A 192.0.2.2", "z:5 p1.example.com. 300 A 192.0.2.11",
         "z:6 b-12-000a-0A-10-011.example.com. 300 A 192.0.2.1",
         "z:7 b.2.a.1.example.com. 300 PTR "
         "B.2.A.1.b.2.a.1.0.b.2.a.1.example.com.",
         "z:8 lit\\$1.example.com. 300 TXT \"cost $1\" \"$\" \"$\"",
         "z:8 lit\\$2.example.com. 300 TXT \"cost $2\" \"$\" \"$\"",
         "z:9 t1.example.com. 60 A 192.0.2.1", "z:9 t2.example.com. 60 A 192.0.2.2",
         "z:10 "
         "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
         "example.com. 300 "
         "TXT "
         "\"0000000000000000000000000000000000000000000000000000000000000001\"",
         "z:11 m1.example.com. 300 MX 11 mx1.example.com.",
         "z:11 m2.example.com. 300 MX 12 mx2.example.com.");
    NO_MSGS();

    /* The first error ends the directive. */
    assert_int_equal(parse("$TTL 300\n"
                           "$GENERATE 254-257 h$ A 192.0.2.$\n"),
                     ERR_SYNTAX);
    RECS("z:2 h254.example.com. 300 A 192.0.2.254", "z:2 h255.example.com. 300 A 192.0.2.255");
    MSGS("E z:2:24: invalid IPv4 address \"192.0.2.256\"");

    /* key="value" stays one SvcParam when a substitution changes the key's
     * length, and tokens apart stay apart. */
    assert_int_equal(parse("$TTL 300\n"
                           "$GENERATE 1-1 s SVCB 1 . key6${0,4}=\"x\"\n"
                           "$GENERATE 10-10 t SVCB 1 . key$= \"x\"\n"),
                     ERR_SYNTAX);
    RECS("z:2 s.example.com. 300 SVCB 1 . key60001=\"x\"");
    MSGS("E z:3:34: invalid SvcParam key \"x\"");

    struct dns_zonefile_opts o = {.max_generate = 5};
    assert_int_equal(parse_opts("$TTL 300\n"
                                "$GENERATE 1-5 a$ A 192.0.2.$\n"
                                "$GENERATE 1-6 b$ A 192.0.2.$\n"
                                "$GENERATE 0-10/2 c$ A 192.0.2.$\n"
                                "$GENERATE 0-9/2 d$ A 192.0.2.$\n",
                                &o),
                     ERR_SYNTAX);
    assert_int_equal(nrec, 10);
    MSGS("E z:3:11: $GENERATE range \"1-6\" is too large (limit 5 records)",
         "E z:4:11: $GENERATE range \"0-10/2\" is too large (limit 5 records)");
}

static void test_generate_errors(void **state)
{
    (void)state;
    assert_int_equal(parse("$TTL 300\n"
                           "$GENERATE 2-1 h$ A 192.0.2.$\n"
                           "$GENERATE 0-1000000 h$ A 192.0.2.1\n"
                           "$GENERATE a-b h$ A 192.0.2.1\n"
                           "$GENERATE 1- h$ A 192.0.2.1\n"
                           "$GENERATE 1 h$ A 192.0.2.1\n"
                           "$GENERATE -1-5 h$ A 192.0.2.1\n"
                           "$GENERATE 1-2/0 h$ A 192.0.2.1\n"
                           "$GENERATE 1-2x h$ A 192.0.2.1\n"
                           "$GENERATE 1-2/ h$ A 192.0.2.1\n"
                           "$GENERATE 1-2/3x h$ A 192.0.2.1\n"
                           "$GENERATE 1-2147483648 h$ A 192.0.2.1\n"
                           "$GENERATE 1-2/9223372036854775807 h$ A 192.0.2.1\n"
                           "$GENERATE +1-2 h$ A 192.0.2.1\n"
                           "ok A 192.0.2.1\n"
                           "$GENERATE 1-2 h$ OPT \\# 0\n"
                           "$GENERATE 1-2 h$ CH A 192.0.2.1\n"
                           "$GENERATE 1-2 h..$ A 192.0.2.1\n"),
                     ERR_SYNTAX);
    RECS("z:15 ok.example.com. 300 A 192.0.2.1");
    MSGS("E z:2:11: invalid $GENERATE range \"2-1\"",
         "E z:3:11: $GENERATE range \"0-1000000\" is too large (limit 1000000 "
         "records)",
         "E z:4:11: invalid $GENERATE range \"a-b\"", "E z:5:11: invalid $GENERATE range \"1-\"",
         "E z:6:11: invalid $GENERATE range \"1\"", "E z:7:11: invalid $GENERATE range \"-1-5\"",
         "E z:8:11: invalid $GENERATE range \"1-2/0\"",
         "E z:9:11: invalid $GENERATE range \"1-2x\"",
         "E z:10:11: invalid $GENERATE range \"1-2/\"",
         "E z:11:11: invalid $GENERATE range \"1-2/3x\"",
         "E z:12:11: invalid $GENERATE range \"1-2147483648\"",
         "E z:13:11: invalid $GENERATE range \"1-2/9223372036854775807\"",
         "E z:14:11: invalid $GENERATE range \"+1-2\"",
         "E z:16:18: type OPT cannot be used in a zone",
         "E z:17:18: class CH does not match the zone's class IN",
         "E z:18:15: invalid owner name \"h..1\" (invalid domain name)");

    /* 1,000,000 records are allowed (stopped by the callback after the first). */
    stop_after = 1;
    stop_value = 5;
    assert_int_equal(parse("$TTL 300\n$GENERATE 1-1000000 h$ A 192.0.2.1\n"), 5);
    RECS("z:2 h1.example.com. 300 A 192.0.2.1");
    NO_MSGS();
    assert_int_equal(parse("$TTL 300\n$GENERATE 2147483647-2147483647 h$ A 192.0.2.1\n"), 5);
    RECS("z:2 h2147483647.example.com. 300 A 192.0.2.1");
    stop_after = 0;
    stop_value = 0;

    /* A bad ${...} ends the directive at the first value. */
    assert_int_equal(parse("$TTL 300\n"
                           "$GENERATE 1-3 h${0,3,q} A 192.0.2.1\n"
                           "$GENERATE 1-3 h${0,3 A 192.0.2.1\n"
                           "$GENERATE 1-3 h${} A 192.0.2.1\n"
                           "$GENERATE 1-3 h${a} A 192.0.2.1\n"
                           "$GENERATE 1-3 h${0,3,x,} A 192.0.2.1\n"
                           "$GENERATE 1-3 h${0,128} A 192.0.2.1\n"
                           "$GENERATE 1-3 h${0,-1} A 192.0.2.1\n"
                           "$GENERATE 1-3 h A 192.0.2.${-2}\n"
                           "$GENERATE 1-3 h A 192.0.2.${9223372036854775807}\n"
                           "$GENERATE 2147483647-2147483647 h A 192.0.2.${1}\n"
                           "ok A 192.0.2.1\n"),
                     ERR_SYNTAX);
    MSGS("E z:2:15: invalid $GENERATE modifier in \"h${0,3,q}\"",
         "E z:3:15: invalid $GENERATE modifier in \"h${0,3\"",
         "E z:4:15: invalid $GENERATE modifier in \"h${}\"",
         "E z:5:15: invalid $GENERATE modifier in \"h${a}\"",
         "E z:6:15: invalid $GENERATE modifier in \"h${0,3,x,}\"",
         "E z:7:15: $GENERATE value out of range in \"h${0,128}\"",
         "E z:8:15: invalid $GENERATE modifier in \"h${0,-1}\"",
         "E z:9:19: $GENERATE value out of range in \"192.0.2.${-2}\"",
         "E z:10:19: $GENERATE value out of range in "
         "\"192.0.2.${9223372036854775807}\"",
         "E z:11:37: $GENERATE value out of range in \"192.0.2.${1}\"");
    RECS("z:12 ok.example.com. 300 A 192.0.2.1");
}

/* ---- dns_zonefile_ttl
 * -------------------------------------------------------------------- */

static int ttl_of(const char *s, uint32_t *v)
{
    *v = 12345;
    return dns_zonefile_ttl(s, strlen(s), v);
}

static void test_ttl_function(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        uint32_t want;
    } ok[] = {
        {"0", 0},
        {"300", 300},
        {"1h30m", 5400},
        {"1w", 604800},
        {"2D", 172800},
        {"1H1M1S", 3661},
        {"90s", 90},
        {"1d1d", 172800},
        {"0000300", 300},
        {"2147483647", 2147483647u},
        {"2147483648", 2147483648u},
        {"4294967295", 4294967295u},
        {"24855d3h14m7s", 2147483647u},
        {"7101w", 4294684800u},
        {"4294967295s", 4294967295u},
    };
    uint32_t v;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(ttl_of(ok[i].in, &v), 0);
        assert_int_equal(v, ok[i].want);
    }
    static const char *const range[] = {"4294967296",    "99999999999999",
                                        "7102w",         "4294967295w",
                                        "4294967295s1s", "99999999999999999999999999"};
    for (size_t i = 0; i < sizeof(range) / sizeof(range[0]); i++) {
        assert_int_equal(ttl_of(range[i], &v), ERR_RANGE);
        assert_int_equal(v, 12345);
    }
    static const char *const bad[] = {"",   "h",   "1x", "1hh", "-1",   " 1",
                                      "1 ", "1.5", "w1", "1h1", "1h30", "99999999999999x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ttl_of(bad[i], &v), ERR_SYNTAX);
        assert_int_equal(v, 12345);
    }
    /* Only `len` bytes are read. */
    assert_int_equal(dns_zonefile_ttl("1h30m", 2, &v), 0);
    assert_int_equal(v, 3600);
}

/* ---- real zone files
 * --------------------------------------------------------------------- */

static void test_bench_zone(void **state)
{
    (void)state;
    const char *path = "../shared/bench/zone/internal.lan.zone";
    if (access(path, R_OK) != 0)
        skip();
    struct dns_zonefile_opts o = {0};
    assert_int_equal(parse_file(path, &o), 0);
    NO_MSGS();
    /* 34 records: SOA, 2 NS, 2 MX, TXT and 28 below the apex. */
    assert_int_equal(nrec, 34);
    assert_string_equal(recs[0], "../shared/bench/zone/internal.lan.zone:7 internal.lan. 3600 SOA "
                                 "ns1.internal.lan. hostmaster.internal.lan. 2024060101 7200 "
                                 "3600 1209600 300");
    assert_string_equal(recs[5], "../shared/bench/zone/internal.lan.zone:17 internal.lan. 3600 TXT "
                                 "\"v=spf1 mx -all\"");
    assert_string_equal(recs[33], "../shared/bench/zone/internal.lan.zone:56 ns1.sub.internal.lan. "
                                  "3600 A 192.0.2.70");
}

static void test_data_zones(void **state)
{
    (void)state;
    static const uint8_t edge[] = "\4edge\4test";
    struct dns_zonefile_opts o = {.origin = edge};
    assert_int_equal(parse_file("tests/data/zones/edge.test.zone", &o), 0);
    NO_MSGS();
    /* 40 records, 2 in the included file (with its own $TTL), then one more, which
     * still has that $TTL (BIND and NSD). */
    assert_int_equal(nrec, 43);
    assert_string_equal(recs[40], "tests/data/zones/edge-include.zone:3 inc.edge.test. 60 A "
                                  "192.0.2.60");
    assert_string_equal(recs[41], "tests/data/zones/edge-include.zone:4 one.inc.edge.test. 60 A "
                                  "192.0.2.61");
    assert_string_equal(recs[42], "tests/data/zones/edge.test.zone:52 after.edge.test. 60 A "
                                  "192.0.2.99");

    static const uint8_t gen[] = "\3gen\4test";
    struct dns_zonefile_opts og = {.origin = gen};
    assert_int_equal(parse_file("tests/data/zones/gen.test.zone", &og), 0);
    NO_MSGS();
    assert_int_equal(nrec, 3 + 5 + 3 + 3 + 3);
    assert_string_equal(recs[16], "tests/data/zones/gen.test.zone:10 252.rev.gen.test. 300 PTR "
                                  "host3.gen.test.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_origin),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_ttl_directive),
        cmocka_unit_test(test_blank_owner),
        cmocka_unit_test(test_ttl_class_order),
        cmocka_unit_test(test_parentheses),
        cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_crlf_and_end),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_type_errors),
        cmocka_unit_test(test_ttl_rules),
        cmocka_unit_test(test_class_errors),
        cmocka_unit_test(test_paren_errors),
        cmocka_unit_test(test_lex_errors),
        cmocka_unit_test(test_directive_errors),
        cmocka_unit_test(test_recovery),
        cmocka_unit_test(test_max_errors),
        cmocka_unit_test_setup_teardown(test_columns, files_setup, files_teardown),
        cmocka_unit_test(test_rr_stop),
        cmocka_unit_test_setup_teardown(test_include, files_setup, files_teardown),
        cmocka_unit_test_setup_teardown(test_include_ttl, files_setup, files_teardown),
        cmocka_unit_test_setup_teardown(test_include_relative, files_setup, files_teardown),
        cmocka_unit_test_setup_teardown(test_include_errors, files_setup, files_teardown),
        cmocka_unit_test_setup_teardown(test_include_depth, files_setup, files_teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, files_setup, files_teardown),
        cmocka_unit_test_setup_teardown(test_streaming, files_setup, files_teardown),
        cmocka_unit_test(test_generate_bind),
        cmocka_unit_test(test_generate_forms),
        cmocka_unit_test(test_generate_errors),
        cmocka_unit_test(test_ttl_function),
        cmocka_unit_test(test_bench_zone),
        cmocka_unit_test(test_data_zones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
