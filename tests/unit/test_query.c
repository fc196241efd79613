/*
 * The hot path in-process: query_process on hand-built packets against a snapshot built
 * from JSON. Covers every row of the contract's section 3 table, the section 2 matching
 * rules, the RFC 1034 algorithm (CNAME chains and loops, wildcards, ENTs, delegation with
 * glue, DS at a cut), rewrites, EDNS, truncation and the error RCODEs.
 */
#include "qhelp.h"

static const char cfg[] =
    "{\"zones\": {\"internal.lan\": {\"soa\": {\"mname\": \"ns1.internal.lan\","
    "   \"rname\": \"admin.internal.lan\", \"serial\": 7, \"minimum\": 120}, \"ttl\": 3600,"
    "   \"ns\": [\"ns1.internal.lan\"]},"
    "  \"other.lan\": {}},"
    " \"records\": ["
    "  {\"name\": \"ns1.internal.lan\", \"type\": \"A\", \"value\": \"192.168.1.10\", \"ttl\": "
    "3600},"
    "  {\"name\": \"web.internal.lan\", \"type\": \"A\", \"value\": \"192.168.1.100\"},"
    "  {\"name\": \"multi.internal.lan\", \"type\": \"A\", \"value\": \"10.0.0.2\"},"
    "  {\"name\": \"multi.internal.lan\", \"type\": \"A\", \"value\": \"10.0.0.1\"},"
    "  {\"name\": \"api.internal.lan\", \"type\": \"CNAME\", \"value\": \"web.internal.lan\"},"
    "  {\"name\": \"chain.internal.lan\", \"type\": \"CNAME\", \"value\": \"api.internal.lan\"},"
    "  {\"name\": \"dangling.internal.lan\", \"type\": \"CNAME\", \"value\": "
    "\"gone.internal.lan\"},"
    "  {\"name\": \"out.internal.lan\", \"type\": \"CNAME\", \"value\": \"www.example.com\"},"
    "  {\"name\": \"cross.internal.lan\", \"type\": \"CNAME\", \"value\": \"host.other.lan\"},"
    "  {\"name\": \"host.other.lan\", \"type\": \"AAAA\", \"value\": \"fd00::5\"},"
    "  {\"name\": \"loop1.internal.lan\", \"type\": \"CNAME\", \"value\": \"loop2.internal.lan\"},"
    "  {\"name\": \"loop2.internal.lan\", \"type\": \"CNAME\", \"value\": \"loop1.internal.lan\"},"
    "  {\"name\": \"dn.internal.lan\", \"type\": \"DNAME\", \"value\": \"other.lan\", "
    "\"ttl\": 900},"
    "  {\"name\": \"d.other.lan\", \"type\": \"DNAME\", \"value\": "
    "\"%s.%s.internal.lan\"},"
    "  {\"name\": \"internal.lan\", \"type\": \"MX\", \"value\": \"web.internal.lan\", "
    "\"priority\": 5},"
    "  {\"name\": \"internal.lan\", \"type\": \"TXT\", \"value\": \"v=spf1 -all\"},"
    "  {\"name\": \"wildcard.internal.lan\", \"type\": \"A\", \"value\": \"192.168.1.200\", "
    "\"wildcard\": true},"
    "  {\"name\": \"*.w.internal.lan\", \"type\": \"A\", \"value\": \"192.168.1.201\"},"
    "  {\"name\": \"real.w.internal.lan\", \"type\": \"TXT\", \"value\": \"exists\"},"
    "  {\"name\": \"a.b.c.internal.lan\", \"type\": \"A\", \"value\": \"10.1.1.1\"},"
    "  {\"name\": \"sub.internal.lan\", \"type\": \"NS\", \"value\": \"ns.sub.internal.lan\"},"
    "  {\"name\": \"sub.internal.lan\", \"type\": \"DS\", \"value\": \"12345 13 2 "
    "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\"},"
    "  {\"name\": \"ns.sub.internal.lan\", \"type\": \"A\", \"value\": \"192.168.1.53\"},"
    "  {\"name\": \"_sip._udp.internal.lan\", \"type\": \"SRV\", \"value\": \"10 5 5060 "
    "web.internal.lan\"},"
    "  {\"name\": \"long.internal.lan\", \"type\": \"TXT\", \"value\": \"%s\"},"
    "  {\"name\": \"local.example.org\", \"type\": \"A\", \"value\": \"203.0.113.7\"}"
    " ],"
    " \"rewrites\": ["
    "  {\"match\": \"blocked.example.com\", \"action\": \"nxdomain\"},"
    "  {\"match\": \"*.ads.example.com\", \"action\": \"nxdomain\"},"
    "  {\"match\": \"*.redir.test\", \"action\": \"redirect\", \"value\": \"10.9.9.9\"},"
    "  {\"match\": \"v6.redir6.test\", \"action\": \"redirect\", \"value\": \"fd00::9\", \"ttl\": "
    "30}"
    " ]}";

static struct snap *snap;

/* A 50-byte label, for names near the 255-byte limit. */
#define L50 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"

static int setup(void **state)
{
    (void)state;
    static char json[8192];
    char big[601];
    memset(big, 'x', 600);
    big[600] = 0;
    snprintf(json, sizeof(json), cfg, L50, L50, big);
    snap = qh_snap_from_json(json);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    snap_free(snap);
    return 0;
}

static void test_a_hit(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(snap, "web.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(r.h.id, 0x1234);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_true(QH_AA(&r));
    assert_true(r.h.flags & DNS_FLAG_RD);
    assert_false(r.h.flags & DNS_FLAG_RA);
    assert_int_equal(r.n[1], 1);
    assert_string_equal(QH_AN(&r, 0)->owner, "web.internal.lan.");
    assert_string_equal(QH_AN(&r, 0)->rdata, "192.168.1.100");
    assert_int_equal(QH_AN(&r, 0)->ttl, 300);
    assert_int_equal(r.n[2], 0); /* minimal responses: no NS in authority */
}

static void test_case_kept(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(snap, "WeB.Internal.LAN", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_string_equal(r.qname, "WeB.Internal.LAN.");
    assert_string_equal(QH_AN(&r, 0)->owner, "WeB.Internal.LAN.");
}

static void test_nodata(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(snap, "web.internal.lan", DNS_TYPE_AAAA, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_true(QH_AA(&r));
    assert_int_equal(r.n[1], 0);
    assert_int_equal(r.n[2], 1);
    assert_int_equal(QH_NS(&r, 0)->type, DNS_TYPE_SOA);
    assert_string_equal(QH_NS(&r, 0)->owner, "internal.lan.");
    /* RFC 2308: min(SOA TTL 3600, MINIMUM 120) */
    assert_int_equal(QH_NS(&r, 0)->ttl, 120);
}

static void test_nxdomain(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(snap, "nope.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NXDOMAIN);
    assert_true(QH_AA(&r));
    assert_int_equal(r.n[1], 0);
    assert_int_equal(r.n[2], 1);
    assert_int_equal(QH_NS(&r, 0)->type, DNS_TYPE_SOA);
    assert_string_equal(QH_NS(&r, 0)->rdata,
                        "ns1.internal.lan. admin.internal.lan. 7 3600 900 604800 120");
}

static void test_cname_chase(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(snap, "chain.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_true(QH_AA(&r));
    assert_int_equal(r.n[1], 3);
    assert_int_equal(QH_AN(&r, 0)->type, DNS_TYPE_CNAME);
    assert_string_equal(QH_AN(&r, 0)->owner, "chain.internal.lan.");
    assert_string_equal(QH_AN(&r, 1)->owner, "api.internal.lan.");
    assert_int_equal(QH_AN(&r, 2)->type, DNS_TYPE_A);
    assert_string_equal(QH_AN(&r, 2)->owner, "web.internal.lan.");

    qh_ask(snap, "api.internal.lan", DNS_TYPE_CNAME, &r);
    assert_int_equal(r.n[1], 1);
    assert_int_equal(QH_AN(&r, 0)->type, DNS_TYPE_CNAME);

    /* the chain ends in NODATA: CNAME plus SOA */
    qh_ask(snap, "api.internal.lan", DNS_TYPE_AAAA, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 1);
    assert_int_equal(r.n[2], 1);
    assert_int_equal(QH_NS(&r, 0)->type, DNS_TYPE_SOA);
}

static void test_cname_edges(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(snap, "dangling.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NXDOMAIN); /* RFC 6604: the last name */
    assert_true(QH_AA(&r));
    assert_int_equal(r.n[1], 1);
    assert_int_equal(r.n[2], 1);

    qh_ask(snap, "out.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 1);
    assert_int_equal(r.n[2], 0);

    qh_ask(snap, "cross.internal.lan", DNS_TYPE_AAAA, &r);
    assert_int_equal(r.n[1], 2);
    assert_string_equal(QH_AN(&r, 1)->rdata, "fd00::5");

    qh_ask(snap, "loop1.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 2);
}

/* RFC 6672: below a DNAME, the DNAME, a synthesized CNAME, then the new name. */
static void test_dname(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(snap, "Host.dn.internal.lan", DNS_TYPE_AAAA, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_true(QH_AA(&r));
    assert_int_equal(r.n[1], 3);
    assert_int_equal(QH_AN(&r, 0)->type, DNS_TYPE_DNAME);
    assert_string_equal(QH_AN(&r, 0)->owner, "dn.internal.lan.");
    assert_int_equal(QH_AN(&r, 1)->type, DNS_TYPE_CNAME);
    assert_string_equal(QH_AN(&r, 1)->owner, "Host.dn.internal.lan.");
    assert_int_equal(QH_AN(&r, 1)->ttl, 900);
    assert_string_equal(QH_AN(&r, 1)->rdata, "Host.other.lan.");
    assert_string_equal(QH_AN(&r, 2)->rdata, "fd00::5");

    /* the new name does not exist: NXDOMAIN from the target zone */
    qh_ask(snap, "gone.dn.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NXDOMAIN);
    assert_int_equal(r.n[1], 2);

    /* the owner itself is an ordinary name */
    qh_ask(snap, "dn.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 0);
    assert_int_equal(r.n[2], 1);

    /* d.other.lan (13 bytes) maps to a 116-byte name: a 153-byte prefix makes 269 bytes,
     * which is YXDOMAIN with the DNAME only; a 51-byte one fits */
    char name[256];
    snprintf(name, sizeof(name), "%s.d.other.lan", L50);
    qh_ask(snap, name, DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NXDOMAIN);
    assert_int_equal(r.n[1], 2);
    snprintf(name, sizeof(name), "%s.%s.%s.d.other.lan", L50, L50, L50);
    qh_ask(snap, name, DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_YXDOMAIN);
    assert_true(QH_AA(&r));
    assert_int_equal(r.n[1], 1);
    assert_int_equal(QH_AN(&r, 0)->type, DNS_TYPE_DNAME);
}

static void test_apex(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(snap, "internal.lan", DNS_TYPE_SOA, &r);
    assert_int_equal(r.n[1], 1);
    assert_int_equal(QH_AN(&r, 0)->ttl, 3600);

    qh_ask(snap, "internal.lan", DNS_TYPE_NS, &r);
    assert_int_equal(r.n[1], 1);
    assert_string_equal(QH_AN(&r, 0)->rdata, "ns1.internal.lan.");
    assert_int_equal(r.n[3], 1); /* the NS target's address */
    assert_string_equal(QH_AR(&r, 0)->rdata, "192.168.1.10");

    qh_ask(snap, "internal.lan", DNS_TYPE_MX, &r);
    assert_int_equal(r.n[1], 1);
    assert_string_equal(QH_AN(&r, 0)->rdata, "5 web.internal.lan.");
    assert_int_equal(r.n[3], 1);

    /* a zone declared as {} still has an SOA with the defaults */
    qh_ask(snap, "other.lan", DNS_TYPE_SOA, &r);
    assert_int_equal(r.n[1], 1);
    assert_string_equal(QH_AN(&r, 0)->rdata,
                        "ns1.other.lan. admin.other.lan. 2024010101 3600 900 604800 300");
}

static void test_any(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(snap, "internal.lan", DNS_TYPE_ANY, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 4); /* SOA NS MX TXT */
}

static void test_rrset(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(snap, "multi.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(r.n[1], 2);
    assert_string_equal(QH_AN(&r, 0)->rdata, "10.0.0.2"); /* config order */
    assert_string_equal(QH_AN(&r, 1)->rdata, "10.0.0.1");
}

static void test_txt_split(void **state)
{
    (void)state;
    struct qh_resp r;
    struct qh_query q = {
        .id = 1, .name = "long.internal.lan", .qtype = DNS_TYPE_TXT, .edns_size = 4096};
    qh_run(snap, &q, &r);
    assert_int_equal(r.n[1], 1);
    /* 600 bytes -> 255 + 255 + 90 */
    const char *t = QH_AN(&r, 0)->rdata;
    assert_int_equal(strlen(t), 600 + 6 + 2);
    assert_int_equal(t[256], '"');
    assert_int_equal(t[257], ' ');
}

static void test_nanodns_wildcard(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(snap, "wildcard.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(r.n[1], 1);
    qh_ask(snap, "foo.wildcard.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 1);
    assert_string_equal(QH_AN(&r, 0)->owner, "foo.wildcard.internal.lan.");
    assert_string_equal(QH_AN(&r, 0)->rdata, "192.168.1.200");
    qh_ask(snap, "a.b.wildcard.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NXDOMAIN);
    qh_ask(snap, "foo.wildcard.internal.lan", DNS_TYPE_AAAA, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 0);
    assert_int_equal(r.n[2], 1);
}

static void test_rfc_wildcard(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(snap, "x.w.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(r.n[1], 1);
    assert_string_equal(QH_AN(&r, 0)->owner, "x.w.internal.lan.");
    qh_ask(snap, "y.x.w.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(r.n[1], 1); /* any depth below a non-existent name */
    /* no synthesis at or below an existing name */
    qh_ask(snap, "real.w.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 0);
    qh_ask(snap, "z.real.w.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NXDOMAIN);
    /* the wildcard's parent itself is an empty non-terminal */
    qh_ask(snap, "w.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 0);
}

static void test_ent(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(snap, "b.c.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 0);
    assert_int_equal(r.n[2], 1);
    qh_ask(snap, "c.internal.lan", DNS_TYPE_TXT, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
}

static void test_delegation(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(snap, "host.sub.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_false(QH_AA(&r));
    assert_int_equal(r.n[1], 0);
    assert_int_equal(r.n[2], 1);
    assert_int_equal(QH_NS(&r, 0)->type, DNS_TYPE_NS);
    assert_string_equal(QH_NS(&r, 0)->owner, "sub.internal.lan.");
    assert_int_equal(r.n[3], 1);
    assert_string_equal(QH_AR(&r, 0)->owner, "ns.sub.internal.lan.");

    qh_ask(snap, "sub.internal.lan", DNS_TYPE_A, &r);
    assert_false(QH_AA(&r));
    assert_int_equal(r.n[2], 1);

    /* glue is not answered authoritatively */
    qh_ask(snap, "ns.sub.internal.lan", DNS_TYPE_A, &r);
    assert_false(QH_AA(&r));
    assert_int_equal(r.n[1], 0);

    /* DS is answered by the parent side */
    qh_ask(snap, "sub.internal.lan", DNS_TYPE_DS, &r);
    assert_true(QH_AA(&r));
    assert_int_equal(r.n[1], 1);
    assert_int_equal(QH_AN(&r, 0)->type, DNS_TYPE_DS);
}

static void test_srv_additional(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(snap, "_sip._udp.internal.lan", DNS_TYPE_SRV, &r);
    assert_int_equal(r.n[1], 1);
    assert_string_equal(QH_AN(&r, 0)->rdata, "10 5 5060 web.internal.lan.");
    assert_int_equal(r.n[3], 1);
    assert_string_equal(QH_AR(&r, 0)->owner, "web.internal.lan.");
}

static void test_rewrites(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(snap, "blocked.example.com", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NXDOMAIN);
    assert_int_equal(r.n[1] + r.n[2], 0);
    qh_ask(snap, "x.y.ads.example.com", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NXDOMAIN);
    /* "*.suffix" does not match the suffix itself */
    qh_ask(snap, "ads.example.com", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_REFUSED);

    qh_ask(snap, "a.redir.test", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 1);
    assert_string_equal(QH_AN(&r, 0)->rdata, "10.9.9.9");
    assert_int_equal(QH_AN(&r, 0)->ttl, 60);
    qh_ask(snap, "a.redir.test", DNS_TYPE_AAAA, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 0);
    qh_ask(snap, "v6.redir6.test", DNS_TYPE_AAAA, &r);
    assert_int_equal(r.n[1], 1);
    assert_string_equal(QH_AN(&r, 0)->rdata, "fd00::9");
    assert_int_equal(QH_AN(&r, 0)->ttl, 30);
}

static void test_outside(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(snap, "www.example.net", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_REFUSED);
    assert_false(QH_AA(&r));
    assert_int_equal(r.n[0], 1);

    qh_ask(snap, "local.example.org", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_true(QH_AA(&r));
    assert_int_equal(r.n[1], 1);
    qh_ask(snap, "local.example.org", DNS_TYPE_AAAA, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1] + r.n[2], 0);
    qh_ask(snap, "x.local.example.org", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_REFUSED);
}

static void test_errors(void **state)
{
    (void)state;
    struct qh_resp r;
    uint8_t pkt[512];
    struct qh_query q = {.id = 7, .name = "web.internal.lan", .qtype = DNS_TYPE_A};

    q.flags = 2 << 11; /* STATUS */
    qh_run(snap, &q, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOTIMP);
    assert_int_equal(r.n[0], 1);
    assert_int_equal(DNS_OPCODE(r.h.flags), 2);

    q.flags = DNS_FLAG_QR;
    qh_run(snap, &q, &r);
    assert_int_equal(r.len, 0);

    q.flags = 0;
    q.qclass = DNS_CLASS_CH;
    qh_run(snap, &q, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_REFUSED);
    q.qclass = DNS_CLASS_HS;
    qh_run(snap, &q, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_REFUSED);
    q.qclass = 0;

    size_t len = qh_build(&q, pkt, sizeof(pkt));
    pkt[5] = 2; /* QDCOUNT 2 */
    qh_run_raw(snap, pkt, len, QUERY_PROTO_UDP, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_FORMERR);
    assert_int_equal(r.n[0], 0);
    pkt[5] = 0;
    qh_run_raw(snap, pkt, len, QUERY_PROTO_UDP, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_FORMERR);
    pkt[5] = 1;
    qh_run_raw(snap, pkt, 14, QUERY_PROTO_UDP, &r); /* question cut short */
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_FORMERR);
    assert_int_equal(r.h.id, 7);
    qh_run_raw(snap, pkt, 11, QUERY_PROTO_UDP, &r);
    assert_int_equal(r.len, 0);

    q.qtype = DNS_TYPE_AXFR;
    qh_run(snap, &q, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_REFUSED);
}

static void test_edns(void **state)
{
    (void)state;
    struct qh_resp r;
    struct qh_query q = {.id = 9,
                         .name = "web.internal.lan",
                         .qtype = DNS_TYPE_A,
                         .edns_size = 4096,
                         .edns_do = true};
    qh_run(snap, &q, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[3], 1);
    const struct qh_rr *opt = QH_AR(&r, 0);
    assert_int_equal(opt->type, DNS_TYPE_OPT);
    assert_int_equal(opt->rclass, 1232);
    assert_int_equal(opt->ttl, DNS_EDNS_FLAG_DO);

    q.edns_do = false;
    q.edns_version = 1;
    qh_run(snap, &q, &r);
    assert_int_equal(QH_RCODE(&r), 0);
    assert_int_equal(r.n[1], 0);
    assert_int_equal(r.n[3], 1);
    assert_int_equal(QH_AR(&r, 0)->ttl >> 24, 1); /* BADVERS = 16: upper bits 1 */
    assert_int_equal((QH_AR(&r, 0)->ttl >> 16) & 0xff, 0);
    assert_int_equal(r.info.rcode, DNS_RCODE_BADVERS);

    /* two OPT records: FORMERR without OPT */
    uint8_t pkt[512];
    q.edns_version = 0;
    size_t len = qh_build(&q, pkt, sizeof(pkt));
    memcpy(pkt + len, pkt + len - 11, 11);
    pkt[11] = 2;
    qh_run_raw(snap, pkt, len + 11, QUERY_PROTO_UDP, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_FORMERR);
    assert_int_equal(r.n[3], 0);

    /* an unknown option is ignored */
    len = qh_build(&q, pkt, sizeof(pkt));
    pkt[len - 1] = 6;
    memcpy(pkt + len, "\xfd\xe9\x00\x02zz", 6);
    qh_run_raw(snap, pkt, len + 6, QUERY_PROTO_UDP, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 1);
    /* an option overrunning the OPT is FORMERR */
    pkt[len - 1] = 5;
    qh_run_raw(snap, pkt, len + 5, QUERY_PROTO_UDP, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_FORMERR);
}

static void test_truncation(void **state)
{
    (void)state;
    struct qh_resp r;
    struct qh_query q = {.id = 3, .name = "long.internal.lan", .qtype = DNS_TYPE_TXT};
    qh_run(snap, &q, &r); /* 600 bytes of TXT, no EDNS: 512 limit */
    assert_true(QH_TC(&r));
    assert_true(r.len <= 512);
    assert_int_equal(r.n[1], 0);
    assert_int_equal(r.n[0], 1);

    q.edns_size = 600; /* too small with the OPT still reserved */
    qh_run(snap, &q, &r);
    assert_true(QH_TC(&r));
    assert_true(r.len <= 600);
    assert_int_equal(r.n[3], 1); /* the OPT survives truncation */

    q.edns_size = 1232;
    qh_run(snap, &q, &r);
    assert_false(QH_TC(&r));
    assert_int_equal(r.n[1], 1);

    uint8_t pkt[512];
    q.edns_size = 0;
    size_t len = qh_build(&q, pkt, sizeof(pkt));
    qh_run_raw(snap, pkt, len, QUERY_PROTO_TCP, &r);
    assert_false(QH_TC(&r));
    assert_int_equal(r.n[1], 1);
}

static void test_chaos_nsid(void **state)
{
    (void)state;
    struct qh_resp r;
    struct snap *s = qh_snap_from_json("{\"server\": {\"identity\": \"ns7.example\"}}");
    struct qh_query q = {.id = 5, .name = "id.server", .qtype = DNS_TYPE_TXT,
                         .qclass = DNS_CLASS_CH};
    qh_run(s, &q, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_true(QH_AA(&r));
    assert_int_equal(r.n[1], 1);
    assert_int_equal(QH_AN(&r, 0)->rclass, DNS_CLASS_CH);
    assert_int_equal(QH_AN(&r, 0)->ttl, 0);
    assert_string_equal(QH_AN(&r, 0)->rdata, "\"ns7.example\"");
    q.name = "VERSION.BIND";
    qh_run(s, &q, &r);
    assert_int_equal(r.n[1], 1);
    assert_string_equal(QH_AN(&r, 0)->rdata, "\"nanodns " NANODNS_VERSION "\"");
    q.qtype = DNS_TYPE_A; /* another type: NODATA */
    qh_run(s, &q, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 0);
    q.name = "authors.bind";
    q.qtype = DNS_TYPE_TXT;
    qh_run(s, &q, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_REFUSED);

    /* NSID only when asked for, with the identity */
    struct qh_query n = {.id = 6, .name = "x.test", .qtype = DNS_TYPE_A, .edns_size = 1232,
                         .nsid = true};
    qh_run(s, &n, &r);
    assert_int_equal(r.opt_len, 4 + 11);
    assert_memory_equal(r.opt, "\x00\x03\x00\x0bns7.example", 15);
    n.nsid = false;
    qh_run(s, &n, &r);
    assert_int_equal(r.opt_len, 0);
    snap_free(s);

    /* hidden: REFUSED, and no NSID */
    s = qh_snap_from_json("{\"server\": {\"identity\": false, \"version\": false}}");
    q.name = "hostname.bind";
    qh_run(s, &q, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_REFUSED);
    q.name = "version.server";
    qh_run(s, &q, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_REFUSED);
    n.nsid = true;
    qh_run(s, &n, &r);
    assert_int_equal(r.opt_len, 0);
    snap_free(s);
}

static void test_no_snapshot(void **state)
{
    (void)state;
    struct qh_resp r;
    qh_ask(NULL, "web.internal.lan", DNS_TYPE_A, &r);
    assert_int_equal(QH_RCODE(&r), DNS_RCODE_SERVFAIL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_hit),
        cmocka_unit_test(test_case_kept),
        cmocka_unit_test(test_nodata),
        cmocka_unit_test(test_nxdomain),
        cmocka_unit_test(test_cname_chase),
        cmocka_unit_test(test_cname_edges),
        cmocka_unit_test(test_dname),
        cmocka_unit_test(test_apex),
        cmocka_unit_test(test_any),
        cmocka_unit_test(test_rrset),
        cmocka_unit_test(test_txt_split),
        cmocka_unit_test(test_nanodns_wildcard),
        cmocka_unit_test(test_rfc_wildcard),
        cmocka_unit_test(test_ent),
        cmocka_unit_test(test_delegation),
        cmocka_unit_test(test_srv_additional),
        cmocka_unit_test(test_rewrites),
        cmocka_unit_test(test_outside),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_edns),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_chaos_nsid),
        cmocka_unit_test(test_no_snapshot),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
