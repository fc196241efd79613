/*
 * Unit tests for dns/rdata*.c: a text -> wire -> text round trip for every type in the
 * descriptor table, wire bytes for the tricky encodings (RFC 9460 appendix D for SvcParams),
 * the generic form, parse errors, the wire check, unpacking compressed names from a message,
 * compression on output, and the NanoDNS TXT splitting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dns/dns.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/writer.h"
#include "util/err.h"

static uint8_t wire_buf[100000];
static char text_buf[300000];

/* Parses text or fails the test with the parser's message. Returns the wire length. */
static size_t parse(uint16_t type, const char *text, const uint8_t *origin, uint8_t *out,
                    size_t cap)
{
    struct wbuf w;
    struct dns_rdata_error e;
    wbuf_init(&w, out, cap);
    int r = dns_rdata_from_text(type, text, strlen(text), origin, &w, &e);
    if (r)
        fail_msg("type %u \"%s\": %d at %zu: %s", type, text, r, e.offset, e.msg);
    return w.pos;
}

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = 0;
    for (const char *p = hex; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        unsigned v;
        assert_int_equal(sscanf(p, "%2x", &v), 1);
        out[n++] = (uint8_t)v;
        p += 2;
    }
    return n;
}

/* text -> wire -> text: the wire passes the check, prints as `want` (NULL: as `in`), and
 * `want` parses back to the same wire. `hex`, if given, is the expected wire form. */
static void roundtrip(uint16_t type, const char *in, const char *want, const char *hex)
{
    uint8_t w1[4096], w2[4096], exp[4096];
    size_t n1 = parse(type, in, NULL, w1, sizeof(w1));
    if (hex) {
        size_t ne = unhex(hex, exp);
        assert_int_equal(n1, ne);
        assert_memory_equal(w1, exp, ne);
    }
    assert_int_equal(dns_rdata_check(type, w1, n1), 0);
    int t = dns_rdata_to_text(type, w1, n1, text_buf, sizeof(text_buf));
    assert_true(t >= 0);
    assert_int_equal((size_t)t, strlen(text_buf));
    assert_string_equal(text_buf, want ? want : in);
    size_t n2 = parse(type, text_buf, NULL, w2, sizeof(w2));
    assert_int_equal(n2, n1);
    assert_memory_equal(w2, w1, n1);
}

struct rt_case {
    uint16_t type;
    const char *in;
    const char *want; /* NULL: same as in */
    const char *hex;  /* NULL: not checked */
};

static const struct rt_case rt_cases[] = {
    {DNS_TYPE_A, "192.0.2.1", NULL, "C0000201"},
    {DNS_TYPE_NS, "ns1.example.", NULL, "036E7331076578616D706C6500"},
    {DNS_TYPE_MD, "md.example.", NULL, NULL},
    {DNS_TYPE_MF, "mf.example.", NULL, NULL},
    {DNS_TYPE_CNAME, "Target.Example.", NULL, "06546172676574074578616D706C6500"},
    {DNS_TYPE_SOA, "ns1.example. hostmaster.example. 2024010101 7200 3600 1209600 300", NULL, NULL},
    {DNS_TYPE_SOA, "ns1 admin 1 1h 15m 1w2d 1D", "ns1. admin. 1 3600 900 777600 86400",
     "036E733100 0561646D696E00 00000001 00000E10 00000384 000BDD80 00015180"},
    {DNS_TYPE_MB, "mb.example.", NULL, NULL},
    {DNS_TYPE_MG, "mg.example.", NULL, NULL},
    {DNS_TYPE_MR, "mr.example.", NULL, NULL},
    {DNS_TYPE_PTR, "host.example.", NULL, NULL},
    {DNS_TYPE_HINFO, "\"Generic PC\" \"Linux\"", NULL, NULL},
    {DNS_TYPE_HINFO, "PC Linux", "\"PC\" \"Linux\"", "025043 054C696E7578"},
    {DNS_TYPE_MINFO, "rmail.example. email.example.", NULL, NULL},
    {DNS_TYPE_MX, "10 mail.example.", NULL, "000A 046D61696C 076578616D706C65 00"},
    {DNS_TYPE_TXT, "\"v=spf1 -all\"", NULL, "0B763D73706631202D616C6C"},
    {DNS_TYPE_TXT, "\"a\" \"b c\" d\\\"e", "\"a\" \"b c\" \"d\\\"e\"", "0161 03622063 03642265"},
    {DNS_TYPE_TXT, "\"\\000\\255x\\\\\" \"\"", NULL, "0400FF785C 00"},
    {DNS_TYPE_RP, "admin.example. txt.example.", NULL, NULL},
    {DNS_TYPE_AFSDB, "1 afsdb.example.", NULL, NULL},
    {DNS_TYPE_RT, "10 relay.example.", NULL, NULL},
    {DNS_TYPE_AAAA, "2001:db8::1", NULL, "20010DB8000000000000000000000001"},
    {DNS_TYPE_AAAA, "2001:0DB8:0000::0001", "2001:db8::1", NULL},
    {DNS_TYPE_AAAA, "::ffff:192.0.2.1", NULL, NULL},
    {DNS_TYPE_SRV, "10 5 5060 sip.example.", NULL, "000A 0005 13C4 03736970076578616D706C6500"},
    {DNS_TYPE_NAPTR, "100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .", NULL, NULL},
    {DNS_TYPE_NAPTR, "10 100 S SIP+D2U \"\" _sip._udp.example.",
     "10 100 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.", NULL},
    {DNS_TYPE_KX, "10 kx.example.", NULL, NULL},
    {DNS_TYPE_CERT, "1 2 3 AAAA", NULL, "0001 0002 03 000000"},
    {DNS_TYPE_DNAME, "example.net.", NULL, NULL},
    {DNS_TYPE_DS, "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118", NULL, NULL},
    {DNS_TYPE_DS, "60485 5 1 2bb183af5f22588179a5 3b0a98631fad1a292118",
     "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118", NULL},
    {DNS_TYPE_SSHFP, "1 1 DD465C09CFA51FB45020CC83316FFF21B9EC74AC", NULL, NULL},
    {DNS_TYPE_RRSIG,
     "A 8 3 86400 20240101000000 20231201000000 12345 example. oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip"
     "8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6oB9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN2"
     "0XPXV6nwwfoXmJQbsLNrLfkGJ5D6fwFm8nN+6pBzeDQfsS3Ap3o=",
     NULL, NULL},
    /* Plain seconds are accepted and printed as dates; TYPEnnn as the mnemonic. */
    {DNS_TYPE_RRSIG, "TYPE1 8 2 300 1704067200 0 1 example. AAAA",
     "A 8 2 300 20240101000000 19700101000000 1 example. AAAA",
     "0001 08 02 0000012C 65920080 00000000 0001 076578616D706C6500 000000"},
    {DNS_TYPE_NSEC, "host.example. A MX RRSIG NSEC TYPE1234", NULL,
     "04686F7374076578616D706C6500 0006 400100000003 041B"
     "0000000000000000000000000000000000000000000000000000 20"},
    {DNS_TYPE_NSEC, "host.example. nsec a mx A", "host.example. A MX NSEC",
     "04686F7374076578616D706C6500 0006 400100000001"},
    {DNS_TYPE_NSEC, "host.example.", NULL, NULL},
    {DNS_TYPE_DNSKEY,
     "257 3 8 AwEAAagAIKlVZrpC6Ia7gEzahOR+9W29euxhJhVVLOyQbSEW0O8gcCjFFVQUTf6v58fLjwBd0YI0Ez"
     "rAcQqBGCzh/RStIoO8g0NfnfL2MTJRkxoXbfDaUeVPQuYEhg37NZWAJQ9VnMVDxP/VHL496M/QZxkjf5/Efucp2"
     "gaDX6RS6CXpoY68LsvPVjR0ZSwzz1apAzvN9dlzEheX7ICJBBtuA6G3LQpzW5hOA2hzCTMjJPJ8LbqF6dsV6DoB"
     "Qzgul0sGIcGOYl7OyQdXfZ57relSQageu+ipAdTTJ25AsRTAoub8ONGcLmqrAmRLKBP1dfwhYB4N7knNnulqQxA+"
     "Uk1ihz0=",
     NULL, NULL},
    {DNS_TYPE_DHCID, "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=", NULL, NULL},
    {DNS_TYPE_NSEC3, "1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG", NULL,
     "01 01 000C 04AABBCCDD 14 174EB2409FE28BCB4887A1836F957F0A8425E27B 0006 400000000002"},
    {DNS_TYPE_NSEC3, "1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22bojr",
     "1 0 0 - 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR", NULL},
    {DNS_TYPE_NSEC3PARAM, "1 0 0 -", NULL, "01 00 0000 00"},
    {DNS_TYPE_NSEC3PARAM, "1 0 10 aabb", "1 0 10 AABB", "01 00 000A 02AABB"},
    {DNS_TYPE_TLSA, "3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6", NULL,
     NULL},
    {DNS_TYPE_SMIMEA, "3 0 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6",
     NULL, NULL},
    {DNS_TYPE_CDS, "0 0 0 00", NULL, "0000 00 00 00"},
    {DNS_TYPE_CDNSKEY, "0 3 0 AA==", NULL, "0000 03 00 00"},
    /* Algorithm mnemonics (RFC 4034 2.2, 3.2, 5.3; RFC 4398 2.2), printed as numbers. */
    {DNS_TYPE_DNSKEY, "257 3 RSASHA256 AwEAAQ==", "257 3 8 AwEAAQ==", "0101 03 08 03010001"},
    {DNS_TYPE_CDNSKEY, "256 3 ed25519 AA==", "256 3 15 AA==", "0100 03 0F 00"},
    {DNS_TYPE_DS, "1 ECDSAP256SHA256 2 AB", "1 13 2 AB", "0001 0D 02 AB"},
    {DNS_TYPE_CDS, "1 RSASHA1-NSEC3-SHA1 1 AB", "1 7 1 AB", "0001 07 01 AB"},
    {DNS_TYPE_RRSIG, "A PRIVATEOID 2 300 1704067200 0 1 example. AAAA",
     "A 254 2 300 20240101000000 19700101000000 1 example. AAAA", NULL},
    {DNS_TYPE_CERT, "1 2 DSA AAAA", "1 2 3 AAAA", "0001 0002 03 000000"},
    {DNS_TYPE_CERT, "PGP 0 RSASHA1 AAAA", "3 0 5 AAAA", "0003 0000 05 000000"},
    {DNS_TYPE_CERT, "oid 1 253 AAAA", "254 1 253 AAAA", "00FE 0001 FD 000000"},
    {DNS_TYPE_OPENPGPKEY, "mQINBFit2jsBEADrbl5vjVxYeAE0g0IDYCBpHirv1Sjlqxx5gjtPhb2YE8WsgQ+yBHv1",
     NULL, NULL},
    {DNS_TYPE_CSYNC, "66 3 A NS AAAA", NULL, "00000042 0003 0004 60000008"},
    {DNS_TYPE_ZONEMD,
     "2018031500 1 1 FEBE3D4CE2EC2FFA4BA99D46CD69D6D29711E55217057BEE7EB1A7B641A47BA7FED2DD5B97"
     "AE499FAFA4F22C6BD647DE",
     NULL, NULL},
    {DNS_TYPE_HTTPS, "1 . alpn=h2,h3 port=443 ipv4hint=192.0.2.1",
     "1 . alpn=\"h2,h3\" port=443 ipv4hint=192.0.2.1",
     "0001 00 0001 0006 026832 026833 0003 0002 01BB 0004 0004 C0000201"},
    {DNS_TYPE_HTTPS, "1 . ech=AEX+ ipv6hint=2001:db8::1 no-default-alpn alpn=h2 ohttp",
     "1 . alpn=\"h2\" no-default-alpn ech=AEX+ ipv6hint=2001:db8::1 ohttp", NULL},
    {DNS_TYPE_SVCB, "0 svc.example.", NULL, "0000 03737663076578616D706C6500"},
    {DNS_TYPE_SVCB, "2 svc.example. dohpath=\"/dns-query{?dns}\" key65000 key7000=\"a b\"",
     "2 svc.example. dohpath=\"/dns-query{?dns}\" key7000=\"a b\" key65000", NULL},
    {DNS_TYPE_SPF, "\"v=spf1 -all\"", NULL, NULL},
    {DNS_TYPE_L32, "10 10.1.2.0", NULL, "000A 0A010200"},
    {DNS_TYPE_LP, "10 l64-subnet.example.", NULL, NULL},
    {DNS_TYPE_URI, "10 1 \"https://www.example.com/path\"", NULL, NULL},
    {DNS_TYPE_URI, "10 1 ftp://ftp1.example.com/public", "10 1 \"ftp://ftp1.example.com/public\"",
     NULL},
    {DNS_TYPE_CAA, "0 issue \"letsencrypt.org\"", NULL,
     "00 05 6973737565 6C657473656E63727970742E6F7267"},
    {DNS_TYPE_CAA, "128 tbs \"Unknown\"", NULL, NULL},
    {DNS_TYPE_CAA, "0 issue \";\"", NULL, NULL},
    {DNS_TYPE_CAA, "0 iodef \"\"", NULL, "00 05 696F646566"},
};

static void test_roundtrip_all_types(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rt_cases) / sizeof(rt_cases[0]); i++)
        roundtrip(rt_cases[i].type, rt_cases[i].in, rt_cases[i].want, rt_cases[i].hex);

    /* Every row of the table is covered above. */
    for (unsigned type = 0; type < 65536; type++) {
        if (!dns_rdata_desc((uint16_t)type))
            continue;
        bool found = false;
        for (size_t i = 0; i < sizeof(rt_cases) / sizeof(rt_cases[0]); i++)
            found |= rt_cases[i].type == type;
        if (!found)
            fail_msg("type %u has a descriptor but no round-trip case", type);
    }
}

/* The table is sorted (binary search), fields running to the end come last, only the
 * RFC 1035 types compress, and every mnemonic parses back to its type. */
static void test_table_invariants(void **state)
{
    (void)state;
    int prev = -1, rows = 0;
    for (unsigned type = 0; type < 65536; type++) {
        const struct dns_rdata_desc *d = dns_rdata_desc((uint16_t)type);
        if (!d)
            continue;
        rows++;
        assert_int_equal(d->type, type);
        assert_true((int)type > prev);
        prev = (int)type;
        uint16_t back;
        assert_int_equal(dns_type_from_text(d->name, strlen(d->name), &back), 0);
        assert_int_equal(back, type);
        assert_string_equal(dns_type_name((uint16_t)type), d->name);
        size_t n = 0;
        while (n < DNS_RDF_MAX && d->fields[n] != DNS_RDF_END)
            n++;
        assert_true(n >= 1 && n < DNS_RDF_MAX);
        for (size_t i = 0; i < n; i++) {
            uint8_t k = d->fields[i];
            bool to_end = k == DNS_RDF_STRS || k == DNS_RDF_HEX || k == DNS_RDF_B64 ||
                          k == DNS_RDF_REST || k == DNS_RDF_SVCPARAMS || k == DNS_RDF_BITMAP;
            if (to_end)
                assert_int_equal(i, n - 1);
            if (k == DNS_RDF_NAME_C)
                assert_true(type >= DNS_TYPE_NS && type <= DNS_TYPE_MX);
        }
    }
    assert_true(rows >= 40);
    assert_null(dns_rdata_desc(DNS_TYPE_NULL));
    assert_null(dns_rdata_desc(0));
    assert_null(dns_rdata_desc(65535));
}

/* RFC 9460 appendix D: presentation and wire forms of SVCB. */
static void test_svcb_rfc9460_vectors(void **state)
{
    (void)state;
    roundtrip(DNS_TYPE_HTTPS, "0 foo.example.com.", NULL,
              "0000 03666f6f076578616d706c6503636f6d00");
    roundtrip(DNS_TYPE_SVCB, "1 .", NULL, "0001 00");
    roundtrip(DNS_TYPE_SVCB, "16 foo.example.com. port=53", NULL,
              "0010 03666f6f076578616d706c6503636f6d00 0003 0002 0035");
    roundtrip(DNS_TYPE_SVCB, "1 foo.example.com. key667=hello",
              "1 foo.example.com. key667=\"hello\"",
              "0001 03666f6f076578616d706c6503636f6d00 029b 0005 68656c6c6f");
    roundtrip(DNS_TYPE_SVCB, "1 foo.example.com. key667=\"hello\\210qoo\"", NULL,
              "0001 03666f6f076578616d706c6503636f6d00 029b 0009 68656c6c6fd2716f6f");
    roundtrip(DNS_TYPE_SVCB, "1 foo.example.com. ipv6hint=\"2001:db8::1,2001:db8::53:1\"",
              "1 foo.example.com. ipv6hint=2001:db8::1,2001:db8::53:1",
              "0001 03666f6f076578616d706c6503636f6d00 0006 0020"
              "20010db8000000000000000000000001 20010db8000000000000000000530001");
    roundtrip(DNS_TYPE_SVCB, "1 example.com. ipv6hint=\"2001:db8:122:344::192.0.2.33\"",
              "1 example.com. ipv6hint=2001:db8:122:344::c000:221",
              "0001 076578616d706c6503636f6d00 0006 0010 20010db80122034400000000c0000221");
    roundtrip(DNS_TYPE_SVCB,
              "16 foo.example.org. alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1",
              "16 foo.example.org. mandatory=alpn,ipv4hint alpn=\"h2,h3-19\" ipv4hint=192.0.2.1",
              "0010 03666f6f076578616d706c65036f726700 0000 0004 0001 0004"
              "0001 0009 02683205 68332d3139 0004 0004 c0000201");
    /* A known key in the keyNNNNN form carries its wire value (RFC 9460 2.1). */
    roundtrip(DNS_TYPE_HTTPS,
              "1 . key1=\"\\002h2\" key3=\"\\001\\187\" key4=\"\\001\\002\\003\\004\"",
              "1 . alpn=\"h2\" port=443 ipv4hint=1.2.3.4",
              "0001 00 0001 0003 026832 0003 0002 01bb 0004 0004 01020304");
    /* The two-level escaping of appendix A.1: the ALPN ids are "f\oo,bar" and "h2". */
    static const char *const printed = "16 foo.example.org. alpn=\"f\\\\\\\\oo\\\\,bar,h2\"";
    roundtrip(DNS_TYPE_SVCB, "16 foo.example.org. alpn=\"f\\\\\\\\oo\\\\,bar,h2\"", printed,
              "0010 03666f6f076578616d706c65036f726700 0001 000c 08 665c6f6f2c626172 026832");
    roundtrip(DNS_TYPE_SVCB, "16 foo.example.org. alpn=f\\\\\\092oo\\092,bar,h2", printed,
              "0010 03666f6f076578616d706c65036f726700 0001 000c 08 665c6f6f2c626172 026832");
}

struct err_case {
    uint16_t type;
    const char *text;
    int code;
    const char *msg; /* NULL: any message */
    size_t offset;
};

static void expect_errors(const struct err_case *cases, size_t n)
{
    uint8_t buf[1024];
    for (size_t i = 0; i < n; i++) {
        struct wbuf w;
        struct dns_rdata_error e;
        wbuf_init(&w, buf, sizeof(buf));
        w.pos = 3; /* whatever was there before must stay */
        int r =
            dns_rdata_from_text(cases[i].type, cases[i].text, strlen(cases[i].text), NULL, &w, &e);
        if (r != cases[i].code)
            fail_msg("\"%s\": got %d (%s), want %d", cases[i].text, r, e.msg, cases[i].code);
        if (cases[i].msg)
            assert_string_equal(e.msg, cases[i].msg);
        else
            assert_true(strlen(e.msg) > 0);
        assert_int_equal(e.offset, cases[i].offset);
        assert_int_equal(w.pos, 3);
        assert_int_equal(w.err, 0);
    }
}

/* RFC 9460 appendix D.3 failure cases and a few more. */
static void test_svcb_errors(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {DNS_TYPE_SVCB, "1 foo.example.com. key123=abc key123=def", ERR_SYNTAX,
         "duplicate SvcParam key \"key123\"", 30},
        {DNS_TYPE_SVCB, "1 foo.example.com. mandatory", ERR_SYNTAX,
         "SvcParam \"mandatory\" needs a value", 19},
        {DNS_TYPE_SVCB, "1 foo.example.com. alpn", ERR_SYNTAX, NULL, 19},
        {DNS_TYPE_SVCB, "1 foo.example.com. port", ERR_SYNTAX, NULL, 19},
        {DNS_TYPE_SVCB, "1 foo.example.com. ipv4hint", ERR_SYNTAX, NULL, 19},
        {DNS_TYPE_SVCB, "1 foo.example.com. ipv6hint", ERR_SYNTAX, NULL, 19},
        {DNS_TYPE_SVCB, "1 foo.example.com. no-default-alpn=abc", ERR_SYNTAX,
         "SvcParam \"no-default-alpn\" takes no value", 19},
        {DNS_TYPE_SVCB, "1 foo.example.com. mandatory=key123", ERR_SYNTAX,
         "mandatory key \"key123\" is not among the SvcParams", 19},
        {DNS_TYPE_SVCB, "1 foo.example.com. mandatory=mandatory", ERR_SYNTAX,
         "mandatory may not list itself", 19},
        {DNS_TYPE_SVCB, "1 foo.example.com. mandatory=key123,key123 key123=abc", ERR_SYNTAX,
         "duplicate key \"key123\" in mandatory", 19},
        {DNS_TYPE_HTTPS, "1 . foo=bar", ERR_SYNTAX, "invalid SvcParam key \"foo\"", 4},
        /* keyNNNNN takes the wire form (RFC 9460 2.1), even for a key with a name. */
        {DNS_TYPE_HTTPS, "1 . key3=443", ERR_SYNTAX, "invalid wire value for \"key3\"", 4},
        {DNS_TYPE_HTTPS, "1 . key1=h2", ERR_SYNTAX, "invalid wire value for \"key1\"", 4},
        {DNS_TYPE_HTTPS, "1 . key4=1.2.3.4", ERR_SYNTAX, NULL, 4},
        {DNS_TYPE_HTTPS, "1 . key65536=x", ERR_SYNTAX, NULL, 4},
        {DNS_TYPE_HTTPS, "1 . key01=x", ERR_SYNTAX, "invalid SvcParam key \"key01\"", 4},
        {DNS_TYPE_HTTPS, "1 . key0003=53", ERR_SYNTAX, NULL, 4},
        {DNS_TYPE_HTTPS, "1 . alpn=h2 mandatory=key01", ERR_SYNTAX, NULL, 12},
        {DNS_TYPE_HTTPS, "1 . port=70000", ERR_SYNTAX, "invalid port \"70000\" (expected 0-65535)",
         4},
        {DNS_TYPE_HTTPS, "1 . alpn=h2,,h3", ERR_SYNTAX,
         "invalid alpn \"h2,,h3\" (expected ids of 1-255 bytes)", 4},
        {DNS_TYPE_HTTPS, "1 . alpn=h2,", ERR_SYNTAX, NULL, 4},
        {DNS_TYPE_HTTPS, "1 . ipv4hint=192.0.2.1,::1", ERR_SYNTAX, "invalid IPv4 address \"::1\"",
         4},
        {DNS_TYPE_HTTPS, "1 . ipv6hint=192.0.2.1", ERR_SYNTAX, NULL, 4},
        {DNS_TYPE_HTTPS, "1 . ech=AEX", ERR_SYNTAX, "invalid ech \"AEX\" (expected base64)", 4},
        {DNS_TYPE_HTTPS, "1 . alpn=\"h2\\\\\"", ERR_SYNTAX, NULL, 4}, /* a lone value-list \ */
        {DNS_TYPE_HTTPS, "1 . dohpath=\\1", ERR_SYNTAX, "invalid escape in \"\\1\"", 4},
        {DNS_TYPE_HTTPS, "1 . ipv6hint=\"::1,::2\\\\\"", ERR_SYNTAX,
         "invalid ipv6hint \"::1,::2\\\\\"", 4},
        {DNS_TYPE_HTTPS, "1 . port=443 port=443", ERR_SYNTAX, NULL, 13},
        {DNS_TYPE_HTTPS, "1 . port=443 alpn=h2 port=80", ERR_SYNTAX,
         "duplicate SvcParam key \"port\"", 21},
        {DNS_TYPE_HTTPS, "1 . alpn=\"h2", ERR_SYNTAX, "unterminated quoted string", 9},
    };
    expect_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_generic(void **state)
{
    (void)state;
    /* Unknown types only have the generic form; hex may be split and in either case. */
    roundtrip(65280, "\\# 4 0A000001", NULL, "0A000001");
    roundtrip(65280, "\\# 4 0a00 0001", "\\# 4 0A000001", NULL);
    roundtrip(65280, "\\# 0", NULL, "");
    roundtrip(DNS_TYPE_NULL, "\\# 3 ABCDEF", NULL, NULL);
    /* Known types accept it too and print their own form. */
    roundtrip(DNS_TYPE_A, "\\# 4 0A000001", "10.0.0.1", "0A000001");
    roundtrip(DNS_TYPE_MX, "\\# 3 000A00", "10 .", NULL);
    roundtrip(DNS_TYPE_TXT, "\\# 6 0568656C6C6F", "\"hello\"", NULL);
    /* A quoted "\#" is a string, not the generic marker. */
    roundtrip(DNS_TYPE_TXT, "\"\\\\#\" 0", "\"\\\\#\" \"0\"", "025C23 0130");

    static const struct err_case cases[] = {
        {DNS_TYPE_A, "\\# 3 0A0000", ERR_FORMAT, "generic data is not valid A data", 3},
        {DNS_TYPE_MX, "\\# 2 000A", ERR_FORMAT, "generic data is not valid MX data", 3},
        {DNS_TYPE_A, "\\# 4 0A00", ERR_SYNTAX, "generic data is 2 bytes long, not 4", 3},
        {DNS_TYPE_A, "\\# 4 0A00000102", ERR_SYNTAX, "generic data is 5 bytes long, not 4", 3},
        {65280, "\\# 0 00", ERR_SYNTAX, "unexpected \"00\"", 5},
        {65280, "\\# 2", ERR_SYNTAX, "missing hex data", 4},
        {65280, "\\#", ERR_SYNTAX, "missing generic data length", 2},
        {65280, "\\# 65536 00", ERR_RANGE, "invalid number \"65536\" (expected 0-65535)", 3},
        {65280, "\\# 1 0G", ERR_SYNTAX, "invalid hex \"0G\"", 5},
        {65280, "\\# 2 0 0 1", ERR_SYNTAX, "invalid hex \"001\"", 5},
        {65280, "0A000001", ERR_SYNTAX,
         "TYPE65280 data must be in the generic form \"\\# <length> <hex>\"", 0},
        {65280, "", ERR_SYNTAX, NULL, 0},
    };
    expect_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_errors(void **state)
{
    (void)state;
    static char long_b64[200], long_msg[200], txt256[300];
    memset(long_b64, 'A', 99);
    memcpy(long_b64, "257 3 8 ", 8);
    long_b64[99] = 0; /* 91 base64 characters: not a multiple of 4 */
    snprintf(long_msg, sizeof(long_msg), "invalid base64 \"%.60s...\"", long_b64 + 8);
    txt256[0] = '"';
    memset(txt256 + 1, 'x', 256);
    strcpy(txt256 + 257, "\"");

    const struct err_case cases[] = {
        {DNS_TYPE_A, "10.0.0.300", ERR_SYNTAX, "invalid IPv4 address \"10.0.0.300\"", 0},
        {DNS_TYPE_A, "10.0.0", ERR_SYNTAX, "invalid IPv4 address \"10.0.0\"", 0},
        {DNS_TYPE_A, "010.0.0.1", ERR_SYNTAX, NULL, 0},
        {DNS_TYPE_A, "1.2.3.4 5", ERR_SYNTAX, "unexpected \"5\"", 8},
        {DNS_TYPE_A, "", ERR_SYNTAX, "missing IPv4 address", 0},
        {DNS_TYPE_AAAA, "fd00::zz", ERR_SYNTAX, "invalid IPv6 address \"fd00::zz\"", 0},
        {DNS_TYPE_MX, "10 a..b", ERR_NAME, "invalid domain name \"a..b\"", 3},
        {DNS_TYPE_MX, "10 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.",
         ERR_LABEL,
         "invalid domain name \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" "
         "(label longer than 63 bytes)",
         3},
        {DNS_TYPE_MX, "70000 mail.", ERR_RANGE, "invalid number \"70000\" (expected 0-65535)", 0},
        {DNS_TYPE_MX, "-1 mail.", ERR_SYNTAX, "invalid number \"-1\" (expected 0-65535)", 0},
        {DNS_TYPE_MX, "10", ERR_SYNTAX, "missing domain name", 2},
        {DNS_TYPE_MX, "10   ", ERR_SYNTAX, "missing domain name", 5},
        {DNS_TYPE_SSHFP, "1 256 AB", ERR_RANGE, "invalid number \"256\" (expected 0-255)", 2},
        {DNS_TYPE_SOA, "a. b. 4294967296 1 1 1 1", ERR_RANGE,
         "invalid number \"4294967296\" (expected 0-4294967295)", 6},
        {DNS_TYPE_SOA, "a. b. 1 1h30 1 1 1", ERR_SYNTAX,
         "invalid time value \"1h30\" (expected seconds 0-4294967295 or units like 1h30m)", 8},
        {DNS_TYPE_SOA, "a. b. 1 1 1 7102w 1", ERR_RANGE, NULL, 12},
        {DNS_TYPE_SOA, "a. b. 1 1 1 1 h", ERR_SYNTAX, NULL, 14},
        {DNS_TYPE_TXT, txt256, ERR_RANGE, "character-string longer than 255 bytes", 0},
        {DNS_TYPE_TXT, "\"a\\25\"", ERR_SYNTAX, "invalid escape in \"a\\25\"", 0},
        {DNS_TYPE_TXT, "\"abc", ERR_SYNTAX, "unterminated quoted string", 0},
        {DNS_TYPE_TXT, "abc\\", ERR_SYNTAX, "backslash at the end of the text", 3},
        {DNS_TYPE_TXT, "", ERR_SYNTAX, "missing character-string", 0},
        {DNS_TYPE_DNSKEY, "257 3 8 AwEAAa!=", ERR_SYNTAX, "invalid base64 \"AwEAAa!=\"", 8},
        {DNS_TYPE_DNSKEY, "257 3 RSASHA257 AA==", ERR_SYNTAX,
         "invalid algorithm \"RSASHA257\" (expected 0-255 or a mnemonic)", 6},
        {DNS_TYPE_CERT, "X509 0 0 AA==", ERR_SYNTAX,
         "invalid certificate type \"X509\" (expected 0-65535 or a mnemonic)", 0},
        {DNS_TYPE_DS, "1 256 2 AB", ERR_RANGE, "invalid number \"256\" (expected 0-255)", 2},
        {DNS_TYPE_DNSKEY, long_b64, ERR_SYNTAX, long_msg, 8},
        {DNS_TYPE_DNSKEY, "257 3 8", ERR_SYNTAX, "missing base64 data", 7},
        {DNS_TYPE_DNSKEY, "257 3 8 \"\"", ERR_SYNTAX, "empty base64 data", 10},
        {DNS_TYPE_DNSKEY, "257 3 8 AA== AA==", ERR_SYNTAX, "invalid base64 \"AA==AA==\"", 8},
        {DNS_TYPE_SSHFP, "1 1", ERR_SYNTAX, "missing hex data", 3},
        {DNS_TYPE_DS, "1 2 3 ABC", ERR_SYNTAX, "invalid hex \"ABC\"", 6},
        {DNS_TYPE_NSEC, "a. A FOO", ERR_TYPE, "unknown record type \"FOO\"", 5},
        {DNS_TYPE_NSEC, "a. TYPE65536", ERR_TYPE, NULL, 3},
        {DNS_TYPE_RRSIG, "BOGUS 8 2 1 0 0 1 . AA==", ERR_TYPE, "unknown record type \"BOGUS\"", 0},
        {DNS_TYPE_RRSIG, "A 8 2 1 20241301000000 0 1 . AA==", ERR_RANGE,
         "invalid timestamp \"20241301000000\" (expected YYYYMMDDHHmmSS or seconds)", 8},
        {DNS_TYPE_RRSIG, "A 8 2 1 20230229000000 0 1 . AA==", ERR_RANGE, NULL, 8},
        {DNS_TYPE_RRSIG, "A 8 2 1 20240230000000 0 1 . AA==", ERR_RANGE, NULL, 8},
        {DNS_TYPE_RRSIG, "A 8 2 1 20240101240000 0 1 . AA==", ERR_RANGE, NULL, 8},
        {DNS_TYPE_RRSIG, "A 8 2 1 2024010100000x 0 1 . AA==", ERR_SYNTAX, NULL, 8},
        {DNS_TYPE_NSEC3PARAM, "1 0 0 xyz", ERR_SYNTAX, "invalid salt \"xyz\"", 6},
        {DNS_TYPE_NSEC3, "1 0 0 - !!", ERR_SYNTAX, "invalid base32hex \"!!\"", 8},
        {DNS_TYPE_NSEC3, "1 0 0 - \"\"", ERR_SYNTAX, "invalid base32hex \"\"", 8},
        {DNS_TYPE_CAA, "0 is-sue \"x\"", ERR_SYNTAX,
         "invalid tag \"is-sue\" (expected 1-255 letters and digits)", 2},
        {DNS_TYPE_CAA, "0 issue a b", ERR_SYNTAX, "unexpected \"b\"", 10},
    };
    expect_errors(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_origin_and_tokens(void **state)
{
    (void)state;
    uint8_t origin[DNS_NAME_MAXLEN], buf[512], want[512];
    size_t olen;
    assert_int_equal(dns_name_from_text("example.com.", 12, NULL, origin, &olen), 0);
    size_t n = parse(DNS_TYPE_MX, "10 mail", origin, buf, sizeof(buf));
    size_t wn = parse(DNS_TYPE_MX, "10 mail.example.com.", NULL, want, sizeof(want));
    assert_int_equal(n, wn);
    assert_memory_equal(buf, want, n);
    n = parse(DNS_TYPE_SOA, "@ hostmaster 1 2 3 4 5", origin, buf, sizeof(buf));
    wn = parse(DNS_TYPE_SOA, "example.com. hostmaster.example.com. 1 2 3 4 5", NULL, want,
               sizeof(want));
    assert_int_equal(n, wn);
    assert_memory_equal(buf, want, n);

    /* dns_rdata_from_tokens: "missing" points at the end of the last token. */
    struct dns_tok toks[4];
    size_t ntok;
    struct wbuf w;
    struct dns_rdata_error e;
    const char *text = "10 \"x\"  ";
    assert_int_equal(dns_text_tokenize(text, strlen(text), toks, 4, &ntok, NULL), 0);
    wbuf_init(&w, buf, sizeof(buf));
    assert_int_equal(dns_rdata_from_tokens(DNS_TYPE_MX, toks, ntok, NULL, &w, &e), 0);
    assert_int_equal(w.pos, 5);
    wbuf_init(&w, buf, sizeof(buf));
    assert_int_equal(dns_rdata_from_tokens(DNS_TYPE_SRV, toks, ntok, NULL, &w, &e), ERR_SYNTAX);
    assert_string_equal(e.msg, "invalid number \"x\" (expected 0-65535)");
    assert_int_equal(e.offset, 3);
    assert_int_equal(dns_rdata_from_tokens(DNS_TYPE_MX, toks, 1, NULL, &w, &e), ERR_SYNTAX);
    assert_string_equal(e.msg, "missing domain name");
    assert_int_equal(e.offset, 2);
    assert_int_equal(dns_rdata_from_tokens(DNS_TYPE_HINFO, toks + 1, 1, NULL, &w, &e), ERR_SYNTAX);
    assert_int_equal(e.offset, 6); /* past the closing quote */
    assert_int_equal(w.pos, 0);
}

static void test_space(void **state)
{
    (void)state;
    uint8_t buf[64];
    struct wbuf w;
    struct dns_rdata_error e;
    /* "10 mail.example." takes 16 bytes. */
    wbuf_init(&w, buf, 16);
    assert_int_equal(dns_rdata_from_text(DNS_TYPE_MX, "10 mail.example.", 16, NULL, &w, &e), 0);
    assert_int_equal(w.pos, 16);
    wbuf_init(&w, buf, 15);
    assert_int_equal(dns_rdata_from_text(DNS_TYPE_MX, "10 mail.example.", 16, NULL, &w, &e),
                     ERR_SPACE);
    assert_int_equal(w.pos, 0);
    assert_int_equal(w.err, 0);
    wbuf_init(&w, buf, 5);
    assert_int_equal(dns_rdata_from_text(DNS_TYPE_DS, "1 2 3 00112233", 14, NULL, &w, &e),
                     ERR_SPACE);
    wbuf_init(&w, buf, 3);
    assert_int_equal(dns_rdata_from_text(DNS_TYPE_TXT, "abcd", 4, NULL, &w, &e), ERR_SPACE);
    wbuf_init(&w, buf, 8);
    assert_int_equal(dns_rdata_from_text(DNS_TYPE_HTTPS, "1 . alpn=h2,h3", 14, NULL, &w, &e),
                     ERR_SPACE);

    /* Printing: the exact size fits, one byte less does not. */
    size_t n = parse(DNS_TYPE_MX, "10 mail.example.", NULL, buf, sizeof(buf));
    char text[32];
    assert_int_equal(dns_rdata_to_text(DNS_TYPE_MX, buf, n, text, 17), 16);
    assert_string_equal(text, "10 mail.example.");
    assert_int_equal(dns_rdata_to_text(DNS_TYPE_MX, buf, n, text, 16), ERR_SPACE);
    assert_int_equal(dns_rdata_to_text(DNS_TYPE_MX, buf, n, text, 0), ERR_SPACE);
    n = parse(DNS_TYPE_TXT, "\"a\\000\"", NULL, buf, sizeof(buf));
    assert_int_equal(dns_rdata_to_text(DNS_TYPE_TXT, buf, n, text, 8), 7);
    assert_string_equal(text, "\"a\\000\"");
    assert_int_equal(dns_rdata_to_text(DNS_TYPE_TXT, buf, n, text, 7), ERR_SPACE);
}

/* Longer data than one decoding chunk, and the 65535-byte limit. */
static void test_large(void **state)
{
    (void)state;
    static char text[140000];
    struct wbuf w;
    struct dns_rdata_error e;
    size_t p = (size_t)sprintf(text, "0 0 0 ");
    for (int i = 0; i < 3000; i++)
        text[p++] = "0123456789ABCDEF"[i % 16];
    text[p] = 0;
    wbuf_init(&w, wire_buf, sizeof(wire_buf));
    assert_int_equal(dns_rdata_from_text(DNS_TYPE_TLSA, text, p, NULL, &w, &e), 0);
    assert_int_equal(w.pos, 3 + 1500);
    assert_int_equal(wire_buf[3 + 1499], 0x67);
    assert_int_equal(dns_rdata_to_text(DNS_TYPE_TLSA, wire_buf, w.pos, text_buf, sizeof(text_buf)),
                     p);
    assert_memory_equal(text_buf, text, p);

    /* Base64 longer than a decoding chunk, split into tokens at odd places. */
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static char want[4000];
    size_t q = (size_t)sprintf(want, "257 3 8 ");
    p = q;
    memcpy(text, want, p);
    for (int i = 0; i < 2400; i++) {
        text[p++] = want[q++] = b64[i % 64];
        if (i % 333 == 332)
            text[p++] = ' ';
    }
    text[p] = want[q] = 0;
    wbuf_init(&w, wire_buf, sizeof(wire_buf));
    assert_int_equal(dns_rdata_from_text(DNS_TYPE_DNSKEY, text, p, NULL, &w, &e), 0);
    assert_int_equal(w.pos, 4 + 1800);
    assert_int_equal(
        dns_rdata_to_text(DNS_TYPE_DNSKEY, wire_buf, w.pos, text_buf, sizeof(text_buf)), q);
    assert_string_equal(text_buf, want);
    /* A padded group that ends a full chunk cannot be followed by more data. */
    p = (size_t)sprintf(text, "257 3 8 ");
    memset(text + p, 'A', 1022);
    p += 1022;
    p += (size_t)sprintf(text + p, "== AAAA");
    wbuf_init(&w, wire_buf, sizeof(wire_buf));
    assert_int_equal(dns_rdata_from_text(DNS_TYPE_DNSKEY, text, p, NULL, &w, &e), ERR_SYNTAX);
    assert_int_equal(e.offset, 8);
    assert_string_equal(e.msg, "invalid base64 \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                               "AAAAAAAAAAAA...\"");
    assert_int_equal(w.pos, 0);

    /* 300 strings of 255 bytes would be 76800 bytes. */
    p = 0;
    for (int i = 0; i < 300; i++) {
        memset(text + p, 'x', 255);
        p += 255;
        text[p++] = ' ';
    }
    wbuf_init(&w, wire_buf, sizeof(wire_buf));
    assert_int_equal(dns_rdata_from_text(DNS_TYPE_TXT, text, p, NULL, &w, &e), ERR_RANGE);
    assert_string_equal(e.msg, "record data longer than 65535 bytes");
    assert_int_equal(w.pos, 0);
}

static void test_check(void **state)
{
    (void)state;
    uint8_t b[300];
    static const struct {
        uint16_t type;
        const char *hex;
        int ok;
    } cases[] = {
        {DNS_TYPE_A, "0A000001", 1},
        {DNS_TYPE_A, "0A0000", 0},
        {DNS_TYPE_A, "0A00000100", 0},
        {DNS_TYPE_MX, "000A 00", 1},
        {DNS_TYPE_MX, "000A 0161C00C", 0},  /* no compression pointers in stored RDATA */
        {DNS_TYPE_MX, "000A 0161", 0},      /* name runs off the end */
        {DNS_TYPE_MX, "000A 016100 00", 0}, /* a byte left over */
        {DNS_TYPE_TXT, "", 0},              /* one string at least */
        {DNS_TYPE_TXT, "00", 1},
        {DNS_TYPE_TXT, "0361", 0},
        {DNS_TYPE_HINFO, "0161", 0},
        {DNS_TYPE_CAA, "00 056973737565 61", 1},
        {DNS_TYPE_CAA, "00 00", 0},         /* empty tag */
        {DNS_TYPE_CAA, "00 022D61", 0},     /* "-a" */
        {DNS_TYPE_DNSKEY, "0101 03 08", 0}, /* no key */
        {DNS_TYPE_DS, "0001 08 02", 0},     /* no digest */
        {DNS_TYPE_NSEC, "00 0001 40", 1},
        {DNS_TYPE_NSEC, "00", 1},
        {DNS_TYPE_NSEC, "00 0002 4000", 0},       /* trailing zero byte */
        {DNS_TYPE_NSEC, "00 0000", 0},            /* empty window */
        {DNS_TYPE_NSEC, "00 0101 40 0001 40", 0}, /* windows out of order */
        {DNS_TYPE_NSEC, "00 0001 40 0001 40", 0}, /* repeated window */
        {DNS_TYPE_NSEC, "00 0021 40", 0},         /* 33 bytes */
        {DNS_TYPE_NSEC3, "01 00 0000 00 00", 0},  /* empty hash */
        {DNS_TYPE_NSEC3, "01 00 0000 00 01AA", 1},
        {DNS_TYPE_SVCB, "0001 00 0003 0002 0035 0001 0003 026832", 0}, /* keys out of order */
        {DNS_TYPE_SVCB, "0001 00 0001 0003 026832 0003 0002 0035", 1},
        {DNS_TYPE_SVCB, "0001 00 0003 0002 0035 0003 0002 0035", 0}, /* repeated key */
        {DNS_TYPE_SVCB, "0001 00 0003 0001 35", 0},                  /* port of 1 byte */
        {DNS_TYPE_SVCB, "0001 00 0001 0003 006832", 0},              /* empty alpn id */
        {DNS_TYPE_SVCB, "0001 00 0000 0002 0003", 0},                /* mandatory port absent */
        {DNS_TYPE_SVCB, "0001 00 0000 0002 0003 0003 0002 0035", 1},
        {DNS_TYPE_SVCB, "0001 00 0000 0004 0003 0001 0003 0002 0035", 0}, /* unsorted list */
        {DNS_TYPE_SVCB, "0001 00 0002 0001 00", 0}, /* no-default-alpn with a value */
        {DNS_TYPE_SVCB, "0001 00 0004 0003 C00002", 0},
        {DNS_TYPE_SVCB, "0001 00 0005 0000", 0},
        {DNS_TYPE_SVCB, "0001 00 0007 0000 FDE8 0000", 1},
        {DNS_TYPE_SVCB, "0001 00 0003 0002 00", 0}, /* value runs off the end */
        {DNS_TYPE_NULL, "", 1},
        {65280, "C0", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = unhex(cases[i].hex, b);
        int r = dns_rdata_check(cases[i].type, b, n);
        if ((r == 0) != cases[i].ok)
            fail_msg("type %u %s: check returned %d", cases[i].type, cases[i].hex, r);
        /* Data that fails the check prints in the generic form. */
        assert_true(dns_rdata_to_text(cases[i].type, b, n, text_buf, sizeof(text_buf)) >= 0);
        if (!cases[i].ok)
            assert_memory_equal(text_buf, "\\# ", 3);
    }
    assert_int_equal(dns_rdata_check(65280, wire_buf, 65535), 0);
    assert_int_equal(dns_rdata_check(65280, wire_buf, 65536), ERR_FORMAT);
    /* An A record of 3 bytes, printed generically, parses back as the same bytes. */
    static const uint8_t a3[] = {10, 0, 0};
    assert_int_equal(dns_rdata_to_text(DNS_TYPE_A, a3, 3, text_buf, sizeof(text_buf)), 11);
    assert_string_equal(text_buf, "\\# 3 0A0000");
    assert_int_equal(dns_rdata_to_text(65280, NULL, 0, text_buf, sizeof(text_buf)), 4);
    assert_string_equal(text_buf, "\\# 0");
}

/* A message builder: appends bytes and returns where they went. */
struct msgb {
    uint8_t b[512];
    size_t n;
};

static size_t put(struct msgb *m, const char *hex)
{
    size_t at = m->n;
    m->n += unhex(hex, m->b + m->n);
    return at;
}

static void expect_unpack(const struct msgb *m, size_t at, uint16_t type, uint16_t rdlen,
                          const char *text)
{
    uint8_t out[600], want[600];
    struct cursor c;
    struct wbuf w;
    cursor_init(&c, m->b, m->n);
    c.pos = at;
    wbuf_init(&w, out, sizeof(out));
    assert_int_equal(dns_rdata_unpack(type, &c, rdlen, &w), 0);
    assert_int_equal(c.pos, at + rdlen);
    assert_int_equal(c.err, 0);
    size_t wn = parse(type, text, NULL, want, sizeof(want));
    assert_int_equal(w.pos, wn);
    assert_memory_equal(out, want, wn);
    assert_int_equal(dns_rdata_check(type, out, w.pos), 0);
}

static void expect_unpack_err(const struct msgb *m, size_t at, uint16_t type, uint16_t rdlen,
                              int err)
{
    uint8_t out[600];
    struct cursor c;
    struct wbuf w;
    cursor_init(&c, m->b, m->n);
    c.pos = at;
    wbuf_init(&w, out, sizeof(out));
    w.pos = 2;
    assert_int_equal(dns_rdata_unpack(type, &c, rdlen, &w), err);
    assert_int_equal(c.err, err);
    assert_int_equal(w.pos, 2); /* nothing half-written */
}

static void test_unpack(void **state)
{
    (void)state;
    struct msgb m = {.n = 0};
    put(&m, "0000 8180 0001 0000 0000 0000");
    size_t origin = put(&m, "076578616D706C65 03636F6D 00"); /* example.com at 12 */
    assert_int_equal(origin, 12);
    put(&m, "000F 0001");
    /* MX 10 mail.example.com, compressed. */
    size_t mx = put(&m, "000A 046D61696C C00C");
    /* SOA: ns1.example.com, hostmaster.example.com, five numbers. */
    size_t soa = put(&m, "036E7331 C00C 0A686F73746D6173746572 C00C"
                         "00000001 00000002 00000003 00000004 00000005");
    /* SRV: compressed targets are not sent by RFC 2782 servers, but are accepted. */
    size_t srv = put(&m, "000A 0005 13C4 03736970 C00C");
    /* NS whose pointer leads to the MX's name: mail.example.com. */
    size_t ns = put(&m, "C01F");
    assert_int_equal(mx + 2, 31);
    size_t fwd = put(&m, "000A C0FF");
    size_t raw = put(&m, "DEADBEEF");

    expect_unpack(&m, mx, DNS_TYPE_MX, 9, "10 mail.example.com.");
    expect_unpack(&m, soa, DNS_TYPE_SOA, 39, "ns1.example.com. hostmaster.example.com. 1 2 3 4 5");
    expect_unpack(&m, srv, DNS_TYPE_SRV, 12, "10 5 5060 sip.example.com.");
    expect_unpack(&m, ns, DNS_TYPE_NS, 2, "mail.example.com.");
    expect_unpack(&m, raw, 65280, 4, "\\# 4 DEADBEEF");
    expect_unpack(&m, raw, DNS_TYPE_A, 4, "222.173.190.239");

    expect_unpack_err(&m, mx, DNS_TYPE_MX, 10, ERR_FORMAT); /* a byte left over */
    expect_unpack_err(&m, mx, DNS_TYPE_MX, 8, ERR_FORMAT);  /* the name crosses the end */
    expect_unpack_err(&m, mx, DNS_TYPE_MX, 2, ERR_FORMAT);
    expect_unpack_err(&m, fwd, DNS_TYPE_MX, 4, ERR_PTR);
    expect_unpack_err(&m, raw, DNS_TYPE_A, 5, ERR_TRUNC); /* past the message */
    expect_unpack_err(&m, raw, DNS_TYPE_A, 3, ERR_FORMAT);
    expect_unpack_err(&m, raw, DNS_TYPE_TXT, 4, ERR_FORMAT); /* 0xDE bytes announced */

    /* Decompression that no longer fits the output is ERR_SPACE, not a format error. */
    uint8_t small[10];
    struct cursor c;
    struct wbuf w;
    cursor_init(&c, m.b, m.n);
    c.pos = mx;
    wbuf_init(&w, small, sizeof(small));
    assert_int_equal(dns_rdata_unpack(DNS_TYPE_MX, &c, 9, &w), ERR_SPACE);
    assert_int_equal(w.pos, 0);
    assert_int_equal(c.pos, mx);
}

/* dns_rdata_write through dns_writer_rr: RFC 1035 types compress, later types do not. */
static void test_write_compression(void **state)
{
    (void)state;
    uint8_t msg[512], rd[300], out[300];
    struct dns_writer dw;
    uint8_t owner[DNS_NAME_MAXLEN];
    size_t olen;
    assert_int_equal(dns_name_from_text("example.com.", 12, NULL, owner, &olen), 0);
    dns_writer_init(&dw, msg, sizeof(msg), sizeof(msg));
    dns_writer_header(&dw, 1, DNS_FLAG_QR);
    assert_int_equal(dns_writer_question(&dw, owner, DNS_TYPE_MX, DNS_CLASS_IN), 0);

    static const struct {
        uint16_t type;
        const char *text;
        int compressed; /* RDLENGTH expected when compressed, 0 when sent as is */
    } cases[] = {
        {DNS_TYPE_MX, "10 mail.example.com.", 9},
        {DNS_TYPE_NS, "example.com.", 2},
        {DNS_TYPE_CNAME, "www.example.com.", 6},
        {DNS_TYPE_PTR, "mail.example.com.", 2}, /* the MX's name is a target now */
        {DNS_TYPE_SOA, "ns1.example.com. www.example.com. 1 2 3 4 5", 6 + 2 + 20},
        {DNS_TYPE_MINFO, "a.example.com. b.example.com.", 4 + 4},
        {DNS_TYPE_SRV, "10 5 5060 example.com.", 0},
        {DNS_TYPE_RP, "mail.example.com. example.com.", 0},
        {DNS_TYPE_AFSDB, "1 example.com.", 0},
        {DNS_TYPE_DNAME, "example.com.", 0},
        {DNS_TYPE_HTTPS, "1 example.com. alpn=h2", 0},
        {DNS_TYPE_TXT, "\"example.com\"", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = parse(cases[i].type, cases[i].text, NULL, rd, sizeof(rd));
        size_t at = dns_writer_len(&dw);
        assert_int_equal(dns_writer_rr(&dw, DNS_SECTION_ANSWER, owner, cases[i].type, DNS_CLASS_IN,
                                       300, rd, (uint16_t)n),
                         0);
        /* Owner (a 2-byte pointer), type, class, TTL, then RDLENGTH. */
        size_t rdl_at = at + 2 + 8;
        uint16_t rdlen = (uint16_t)(msg[rdl_at] << 8 | msg[rdl_at + 1]);
        assert_int_equal(dns_writer_len(&dw), rdl_at + 2 + rdlen);
        if (cases[i].compressed) {
            assert_int_equal(rdlen, cases[i].compressed);
        } else {
            assert_int_equal(rdlen, n);
            assert_memory_equal(msg + rdl_at + 2, rd, n);
        }
        /* Reading it back gives the original RDATA. */
        struct cursor c;
        struct wbuf w;
        cursor_init(&c, msg, dns_writer_len(&dw));
        c.pos = rdl_at + 2;
        wbuf_init(&w, out, sizeof(out));
        assert_int_equal(dns_rdata_unpack(cases[i].type, &c, rdlen, &w), 0);
        assert_int_equal(w.pos, n);
        assert_memory_equal(out, rd, n);
    }
    /* The MX target exactly: preference, "mail", pointer to example.com at 12. */
    static const uint8_t mx[] = {0, 10, 4, 'm', 'a', 'i', 'l', 0xc0, 12};
    assert_memory_equal(msg + 12 + 17 + 12, mx, sizeof(mx));
    assert_int_equal(dns_writer_finish(&dw), dns_writer_len(&dw));
    assert_int_equal(msg[7], sizeof(cases) / sizeof(cases[0])); /* ANCOUNT */
}

static void test_write_space(void **state)
{
    (void)state;
    uint8_t msg[64], rd[64];
    struct dns_writer dw;
    size_t n = parse(DNS_TYPE_SRV, "10 5 5060 sip.example.", NULL, rd, sizeof(rd));
    dns_writer_init(&dw, msg, sizeof(msg), 12 + 2 + n - 1);
    dns_writer_header(&dw, 1, 0);
    assert_int_equal(dns_rdata_write(&dw, DNS_TYPE_SRV, rd, (uint16_t)n), ERR_SPACE);
    dns_writer_set_limit(&dw, 12 + 2 + n);
    dw.w.pos = 12;
    dw.w.err = 0;
    assert_int_equal(dns_rdata_write(&dw, DNS_TYPE_SRV, rd, (uint16_t)n), 0);
    assert_int_equal(dns_writer_len(&dw), 12 + 2 + n);

    n = parse(DNS_TYPE_MX, "10 mail.example.", NULL, rd, sizeof(rd));
    dns_writer_init(&dw, msg, sizeof(msg), 12 + 2 + 5);
    dns_writer_header(&dw, 1, 0);
    assert_int_equal(dns_rdata_write(&dw, DNS_TYPE_MX, rd, (uint16_t)n), ERR_SPACE);
    /* dns_writer_rr rolls the whole RR back. */
    uint8_t root = 0;
    dns_writer_init(&dw, msg, sizeof(msg), 12 + 1 + 10 + 5);
    dns_writer_header(&dw, 1, 0);
    assert_int_equal(dns_writer_rr(&dw, DNS_SECTION_ANSWER, &root, DNS_TYPE_MX, DNS_CLASS_IN, 1, rd,
                                   (uint16_t)n),
                     ERR_SPACE);
    assert_int_equal(dns_writer_len(&dw), 12);
}

static void test_txt_from_raw(void **state)
{
    (void)state;
    static char value[70000];
    struct wbuf w;
    memset(value, 'v', sizeof(value));
    static const struct {
        size_t len, wire, strings;
    } cases[] = {{0, 1, 1},     {1, 2, 1},     {255, 256, 1},      {256, 258, 2},
                 {510, 512, 2}, {511, 514, 3}, {65279, 65535, 256}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wbuf_init(&w, wire_buf, sizeof(wire_buf));
        assert_int_equal(dns_rdata_txt_from_raw(value, cases[i].len, &w), 0);
        assert_int_equal(w.pos, cases[i].wire);
        assert_int_equal(dns_rdata_check(DNS_TYPE_TXT, wire_buf, w.pos), 0);
        size_t strings = 0, bytes = 0;
        for (size_t p = 0; p < w.pos; p += 1u + wire_buf[p]) {
            strings++;
            bytes += wire_buf[p];
            /* Every string but the last is full. */
            if (p + 1u + wire_buf[p] < w.pos)
                assert_int_equal(wire_buf[p], 255);
        }
        assert_int_equal(strings, cases[i].strings);
        assert_int_equal(bytes, cases[i].len);
    }
    /* Quotes and backslashes are literal. */
    wbuf_init(&w, wire_buf, sizeof(wire_buf));
    assert_int_equal(dns_rdata_txt_from_raw("a \"b\"\\", 6, &w), 0);
    assert_int_equal(dns_rdata_to_text(DNS_TYPE_TXT, wire_buf, w.pos, text_buf, 100), 11);
    assert_string_equal(text_buf, "\"a \\\"b\\\"\\\\\"");

    wbuf_init(&w, wire_buf, sizeof(wire_buf));
    assert_int_equal(dns_rdata_txt_from_raw(value, 65280, &w), ERR_RANGE);
    wbuf_init(&w, wire_buf, 256);
    assert_int_equal(dns_rdata_txt_from_raw(value, 256, &w), ERR_SPACE);
}

static void test_type_and_class_names(void **state)
{
    (void)state;
    uint16_t v;
    char buf[16];
    static const struct {
        const char *text;
        uint16_t type;
    } ok[] = {{"A", 1},           {"a", 1},         {"Aaaa", 28},
              {"nsec3param", 51}, {"TYPE123", 123}, {"type65535", 65535},
              {"TYPE0", 0},       {"OPT", 41},      {"tsig", 250},
              {"IXFR", 251},      {"AXFR", 252},    {"MAILA", 254},
              {"MAILB", 253},     {"ANY", 255},     {"CAA", 257},
              {"NULL", 10},       {"Https", 65},    {"TKEY", 249},
              {"NSAP-PTR", 23},   {"dlv", 32769}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(dns_type_from_text(ok[i].text, strlen(ok[i].text), &v), 0);
        assert_int_equal(v, ok[i].type);
    }
    static const char *const bad[] = {"", "FOO", "TYPE", "TYPE65536", "TYPE-1", "TYPE1x", "A "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(dns_type_from_text(bad[i], strlen(bad[i]), &v), ERR_TYPE);

    assert_int_equal(dns_type_to_text(1, buf, sizeof(buf)), 1);
    assert_string_equal(buf, "A");
    assert_int_equal(dns_type_to_text(65280, buf, sizeof(buf)), 9);
    assert_string_equal(buf, "TYPE65280");
    assert_int_equal(dns_type_to_text(65280, buf, 9), ERR_SPACE);
    assert_int_equal(dns_type_to_text(DNS_TYPE_NSEC3PARAM, buf, sizeof(buf)), 10);
    assert_string_equal(dns_type_name(DNS_TYPE_OPT), "OPT");
    assert_string_equal(dns_type_name(DNS_TYPE_IXFR), "IXFR");
    assert_string_equal(dns_type_name(DNS_TYPE_HTTPS), "HTTPS");
    assert_null(dns_type_name(65280));
    assert_null(dns_type_name(0));

    static const struct {
        const char *text;
        uint16_t rclass;
    } classes[] = {{"IN", 1},     {"in", 1},    {"CH", 3},       {"HS", 4},
                   {"NONE", 254}, {"ANY", 255}, {"CLASS42", 42}, {"class1", 1}};
    for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
        assert_int_equal(dns_class_from_text(classes[i].text, strlen(classes[i].text), &v), 0);
        assert_int_equal(v, classes[i].rclass);
    }
    assert_true(dns_class_from_text("CS", 2, &v) < 0);
    assert_true(dns_class_from_text("CLASS70000", 10, &v) < 0);
    assert_int_equal(dns_class_to_text(1, buf, sizeof(buf)), 2);
    assert_string_equal(buf, "IN");
    assert_int_equal(dns_class_to_text(254, buf, sizeof(buf)), 4);
    assert_string_equal(buf, "NONE");
    assert_int_equal(dns_class_to_text(42, buf, sizeof(buf)), 7);
    assert_string_equal(buf, "CLASS42");
}

static void test_time_and_timestamp(void **state)
{
    (void)state;
    roundtrip(DNS_TYPE_SOA, ". . 0 1w2d3h4m5s 1S 1M 0w", ". . 0 788645 1 60 0",
              "00 00 00000000 000C08A5 00000001 0000003C 00000000");
    roundtrip(DNS_TYPE_SOA, ". . 4294967295 4294967295 1 1 1", NULL, NULL);
    /* Dates past 2106 wrap around, as RFC 4034 3.1.5 serial arithmetic intends. */
    roundtrip(DNS_TYPE_RRSIG, "A 8 2 1 21060207062816 19700101000000 1 . AA==",
              "A 8 2 1 19700101000000 19700101000000 1 . AA==", NULL);
    /* BIND prints times near the present, so a date before 1970 is read modulo 2^32 too. */
    roundtrip(DNS_TYPE_RRSIG, "A 8 2 1 19640514173144 19691231235959 1 . AA==",
              "A 8 2 1 21000621000000 21060207062815 1 . AA==", NULL);
    roundtrip(DNS_TYPE_RRSIG, "A 8 2 1 20240229235959 4294967295 1 . AA==",
              "A 8 2 1 20240229235959 21060207062815 1 . AA==", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_all_types),
        cmocka_unit_test(test_table_invariants),
        cmocka_unit_test(test_svcb_rfc9460_vectors),
        cmocka_unit_test(test_svcb_errors),
        cmocka_unit_test(test_generic),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_origin_and_tokens),
        cmocka_unit_test(test_space),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_unpack),
        cmocka_unit_test(test_write_compression),
        cmocka_unit_test(test_write_space),
        cmocka_unit_test(test_txt_from_raw),
        cmocka_unit_test(test_type_and_class_names),
        cmocka_unit_test(test_time_and_timestamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
