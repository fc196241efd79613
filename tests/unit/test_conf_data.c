/*
 * The data part of the JSON config (src/conf/data.c): records of every kind and their
 * errors, NanoDNS wildcards, CNAME conflicts, duplicates and TTL mismatches reported by the
 * snapshot builder, zones and their SOA defaults, SOA records, rewrites.
 */
#include "confhelp.h"

static void test_record_errors(void **state)
{
    (void)state;
    expect_error(
        "{\"records\": [" REC("a.test", "A", "10.0.0.1") ", " REC(
            "b.test", "A", "10.0.0.2") ", " REC("c.test", "TXT", "x") ", " REC("d.test", "A",
                                                                               "10.0.0.300") "]}",
        "records[3].value: invalid IPv4 address \"10.0.0.300\"");
    expect_error("{\"records\": [" REC("a.test", "A", "fd00::1") "]}",
                 "records[0].value: invalid IPv4 address \"fd00::1\"");
    expect_error("{\"records\": [" REC("a.test", "AAAA", "fd00::zz") "]}",
                 "records[0].value: invalid IPv6 address \"fd00::zz\"");
    expect_error("{\"records\": [" REC("a.test", "AAAA", "10.0.0.1") "]}",
                 "records[0].value: invalid IPv6 address \"10.0.0.1\"");
    expect_error("{\"records\": [" REC("a.test", "CNAME", "a..b") "]}",
                 "records[0].value: invalid domain name \"a..b\"");
    expect_error("{\"records\": [" REC("a.test", "AAA", "10.0.0.1") "]}",
                 "records[0].type: unknown record type \"AAA\"");
    expect_error("{\"records\": [" REC("a.test", "OPT", "1") "]}",
                 "records[0].type: \"OPT\" is not a record type that can be stored");
    expect_error("{\"records\": [" REC("a..test", "A", "10.0.0.1") "]}",
                 "records[0].name: invalid domain name \"a..test\" (invalid domain name)");
    expect_error("{\"records\": [{\"type\": \"A\", \"value\": \"10.0.0.1\"}]}",
                 "records[0]: missing required key \"name\"");
    expect_error("{\"records\": [{\"name\": \"a.test\", \"value\": \"10.0.0.1\"}]}",
                 "records[0]: missing required key \"type\"");
    expect_error("{\"records\": [{\"name\": \"a.test\", \"type\": \"A\"}]}",
                 "records[0]: missing required key \"value\"");
    expect_error("{\"records\": [{\"name\": 5, \"type\": \"A\", \"value\": \"10.0.0.1\"}]}",
                 "records[0].name: expected a string, got 5");
    expect_error("{\"records\": [{\"name\": \"a.test\", \"type\": \"A\", \"value\": 10}]}",
                 "records[0].value: expected a string, got 10");
    expect_error("{\"records\": [{\"name\": \"a.test\", \"type\": \"A\", \"value\": \"10.0.0.1\","
                 " \"ttl\": -1}]}",
                 "records[0].ttl: expected an integer from 0 to 2147483647, got -1");
    expect_error("{\"records\": [{\"name\": \"a.test\", \"type\": \"A\", \"value\": \"10.0.0.1\","
                 " \"ttl\": 2147483648}]}",
                 "records[0].ttl: expected an integer from 0 to 2147483647, got 2147483648");
    expect_error("{\"records\": [{\"name\": \"a.test\", \"type\": \"A\", \"value\": \"10.0.0.1\","
                 " \"ttl\": \"300\"}]}",
                 "records[0].ttl: expected an integer from 0 to 2147483647, got \"300\"");
    expect_error("{\"records\": [{\"name\": \"a.test\", \"type\": \"A\", \"value\": \"10.0.0.1\","
                 " \"wildcard\": \"yes\"}]}",
                 "records[0].wildcard: expected true or false, got \"yes\"");
    expect_error("{\"records\": [{\"name\": \"a.test\", \"type\": \"MX\", \"value\": \"m.test\","
                 " \"priority\": 70000}]}",
                 "records[0].priority: expected an integer from 0 to 65535, got 70000");
    expect_error("{\"records\": [\"a.test A 10.0.0.1\"]}",
                 "records[0]: expected an object, got \"a.test A 10.0.0.1\"");
    expect_error("{\"records\": [" REC("a.test", "SRV", "10 5 sip.test.") "]}",
                 "records[0].value: invalid number \"sip.test.\" (expected 0-65535)");

    /* every bad record is reported, not only the first */
    struct ld l;
    ld_run(&l,
           "{\"records\": [" REC("a.test", "A", "1.2.3") ", " REC(
               "b.test", "A", "10.0.0.1") ", " REC("c.test", "AAAA", "x") "]}",
           true);
    assert_int_equal(l.r, ERR_SYNTAX);
    assert_int_equal(l.d.errors, 2);
    assert_diag(&l, true, "records[0].value: invalid IPv4 address \"1.2.3\"");
    assert_diag(&l, true, "records[2].value: invalid IPv6 address \"x\"");
    ld_free(&l);

    /* a TXT value is literal text; over 64 KiB it cannot be stored */
    size_t n = 70000;
    char *json = malloc(n + 100);
    assert_non_null(json);
    int k = snprintf(json, n + 100,
                     "{\"records\": [{\"name\": \"t.test\", \"type\": \"TXT\", \"value\": \"");
    memset(json + k, 'a', n);
    strcpy(json + k + n, "\"}]}");
    expect_error(json, "records[0].value: text too long (70000 bytes)");
    free(json);
}

static void test_record_values(void **state)
{
    (void)state;
    struct ld l;
    expect_ok(
        &l,
        "{\"records\": ["
        " {\"name\": \"m1.test\", \"type\": \"MX\", \"value\": \"10 mail.example.\"},"
        " {\"name\": \"m2.test\", \"type\": \"MX\", \"value\": \"mail.example\", \"priority\": 20},"
        " {\"name\": \"m3.test\", \"type\": \"mx\", \"value\": \"mail.example.\"},"
        " {\"name\": \"m4.test\", \"type\": \"MX\", \"value\": \"30 mail.example.\", \"priority\": "
        "5},"
        " {\"name\": \"a.test\", \"type\": \"A\", \"value\": \"10.0.0.1\", \"priority\": 5},"
        " {\"name\": \"Mixed.Case.TEST.\", \"type\": \"a\", \"value\": \"10.0.0.2\", \"ttl\": 0},"
        " {\"name\": \"t.test\", \"type\": \"TXT\", \"value\": \"say \\\"hi\\\"; ok\"},"
        " {\"name\": \"p.test\", \"type\": \"PTR\", \"value\": \"host.test\"},"
        " {\"name\": \"n.test\", \"type\": \"NS\", \"value\": \"ns.test\", \"ttl\": 2147483647}"
        "]}",
        2);
    assert_diag(&l, false,
                "records[3].priority: the value gives the preference (priority ignored)");
    assert_diag(&l, false, "records[4].priority: only used for MX records (ignored)");
    assert_rdata(l.s, "m1.test", DNS_TYPE_MX, 0, "10 mail.example.");
    assert_rdata(l.s, "m2.test", DNS_TYPE_MX, 0, "20 mail.example.");
    assert_rdata(l.s, "m3.test", DNS_TYPE_MX, 0, "10 mail.example.");
    assert_rdata(l.s, "m4.test", DNS_TYPE_MX, 0, "30 mail.example.");
    assert_rdata(l.s, "mixed.case.test", DNS_TYPE_A, 0, "10.0.0.2");
    assert_int_equal(zone_node_rrset(node_of(l.s, "mixed.case.test"), DNS_TYPE_A)->ttl, 0);
    assert_int_equal(zone_node_rrset(node_of(l.s, "a.test"), DNS_TYPE_A)->ttl, 300);
    assert_int_equal(zone_node_rrset(node_of(l.s, "n.test"), DNS_TYPE_NS)->ttl, 2147483647);
    assert_rdata(l.s, "t.test", DNS_TYPE_TXT, 0, "\"say \\\"hi\\\"; ok\"");
    assert_rdata(l.s, "p.test", DNS_TYPE_PTR, 0, "host.test.");
    ld_free(&l);
}

static void test_record_types(void **state)
{
    (void)state;
    struct ld l;
    expect_ok(
        &l,
        "{\"records\": ["
        " {\"name\": \"_sip._udp.test\", \"type\": \"SRV\", \"value\": \"10 5 5060 sip.example.\"},"
        " {\"name\": \"test\", \"type\": \"CAA\", \"value\": \"0 issue \\\"letsencrypt.org\\\"\"},"
        " {\"name\": \"_443._tcp.test\", \"type\": \"TLSA\", \"value\": \"3 1 1 "
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"},"
        " {\"name\": \"h.test\", \"type\": \"SSHFP\", \"value\": \"1 1 "
        "0123456789abcdef0123456789abcdef01234567\"},"
        " {\"name\": \"n.test\", \"type\": \"NAPTR\", \"value\": "
        "\"100 10 \\\"u\\\" \\\"E2U+sip\\\" \\\"!^.*$!sip:info@example.com!\\\" .\"},"
        " {\"name\": \"test\", \"type\": \"HTTPS\", \"value\": \"1 . alpn=h2\"},"
        " {\"name\": \"s.test\", \"type\": \"SVCB\", \"value\": \"0 svc.example.\"},"
        " {\"name\": \"d.test\", \"type\": \"DS\", \"value\": \"12345 13 2 "
        "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\"},"
        " {\"name\": \"g.test\", \"type\": \"TYPE65280\", \"value\": \"\\\\# 2 abcd\"},"
        " {\"name\": \"dn.test\", \"type\": \"DNAME\", \"value\": \"other.example.\"}"
        "]}",
        0);
    assert_rdata(l.s, "_sip._udp.test", DNS_TYPE_SRV, 0, "10 5 5060 sip.example.");
    assert_rdata(l.s, "test", DNS_TYPE_CAA, 0, "0 issue \"letsencrypt.org\"");
    assert_rdata(l.s, "_443._tcp.test", DNS_TYPE_TLSA, 0,
                 "3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF");
    assert_rdata(l.s, "d.test", DNS_TYPE_DS, 0,
                 "12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF");
    assert_rdata(l.s, "test", DNS_TYPE_HTTPS, 0, "1 . alpn=\"h2\"");
    assert_non_null(zone_node_rrset(node_of(l.s, "h.test"), DNS_TYPE_SSHFP));
    assert_non_null(zone_node_rrset(node_of(l.s, "n.test"), DNS_TYPE_NAPTR));
    assert_non_null(zone_node_rrset(node_of(l.s, "s.test"), DNS_TYPE_SVCB));
    assert_non_null(zone_node_rrset(node_of(l.s, "g.test"), 65280));
    assert_non_null(zone_node_rrset(node_of(l.s, "dn.test"), DNS_TYPE_DNAME));
    ld_free(&l);
}

static void test_record_wildcards(void **state)
{
    (void)state;
    struct ld l;
    expect_ok(
        &l,
        "{\"records\": ["
        " {\"name\": \"app.test\", \"type\": \"A\", \"value\": \"10.0.0.1\", \"wildcard\": true},"
        " {\"name\": \"app.test\", \"type\": \"TXT\", \"value\": \"only here\", \"wildcard\": "
        "false},"
        " {\"name\": \"*.w.test\", \"type\": \"A\", \"value\": \"10.0.0.2\", \"wildcard\": true}"
        "]}",
        0);
    const struct zone_node *app = node_of(l.s, "app.test");
    assert_non_null(app);
    assert_true(app->flags & ZONE_NODE_WILD1);
    assert_int_equal(app->nrrsets, 2);
    assert_int_equal(app->nwild, 1);
    assert_int_equal(app->wild[0].type, DNS_TYPE_A);
    /* on "*.x" the flag means an RFC 4592 wildcard, nothing more */
    const struct zone_node *star = node_of(l.s, "*.w.test");
    assert_non_null(star);
    assert_int_equal(star->nwild, 0);
    assert_false(star->flags & ZONE_NODE_WILD1);
    assert_true(node_of(l.s, "w.test")->flags & ZONE_NODE_WILDCHILD);
    ld_free(&l);
}

static void test_record_conflicts(void **state)
{
    (void)state;
    expect_error("{\"records\": [" REC("x.test", "A", "10.0.0.1") ", " REC("X.Test.", "CNAME",
                                                                           "y.test") "]}",
                 "records[1]: a CNAME cannot share its name with other data (records[0]); "
                 "RFC 1034 3.6.2");
    expect_error(
        "{\"records\": [" REC("x.test", "CNAME", "y.test") ", " REC("x.test", "TXT", "hello") "]}",
        "records[1]: a CNAME cannot share its name with other data (records[0]); "
        "RFC 1034 3.6.2");
    expect_error("{\"records\": [" REC("x.test", "CNAME", "y.test") ", " REC("x.test", "CNAME",
                                                                             "z.test") "]}",
                 "records[1]: a second CNAME for the same name (first: records[0])");
    expect_error("{\"zones\": {\"example.com\": {}}, \"records\": [" REC("example.com", "CNAME",
                                                                         "y.test") "]}",
                 "records[0]: a CNAME cannot share its name with other data "
                 "(zones[\"example.com\"]); RFC 1034 3.6.2");

    struct ld l;
    expect_ok(
        &l,
        "{\"records\": [" REC("x.test", "A", "10.0.0.1") ", " REC("X.TEST.", "A", "10.0.0.1") "]}",
        1);
    assert_diag(&l, false, "records[1]: duplicate of records[0] (ignored)");
    assert_int_equal(zone_node_rrset(node_of(l.s, "x.test"), DNS_TYPE_A)->count, 1);
    ld_free(&l);

    expect_ok(&l,
              "{\"records\": [{\"name\": \"x.test\", \"type\": \"A\", \"value\": \"10.0.0.1\", "
              "\"ttl\": 300},"
              " {\"name\": \"x.test\", \"type\": \"A\", \"value\": \"10.0.0.2\", \"ttl\": 60},"
              " {\"name\": \"x.test\", \"type\": \"TXT\", \"value\": \"t\", \"ttl\": 9}]}",
              1);
    assert_diag(&l, false,
                "records[1]: TTL differs from records[0] (same name and type); the lowest TTL is "
                "used for all");
    const struct zone_rrset *rs = zone_node_rrset(node_of(l.s, "x.test"), DNS_TYPE_A);
    assert_int_equal(rs->count, 2);
    assert_int_equal(rs->ttl, 60);
    assert_rdata(l.s, "x.test", DNS_TYPE_A, 0, "10.0.0.1");
    assert_rdata(l.s, "x.test", DNS_TYPE_A, 1, "10.0.0.2");
    ld_free(&l);
}

/* ---- zones --------------------------------------------------------------------------------- */

static void test_zones(void **state)
{
    (void)state;
    struct ld l;
    expect_ok(&l, "{\"zones\": {\"Example.COM.\": {}}}", 0);
    assert_int_equal(l.c->nzones, 1);
    assert_int_equal(l.s->nzones, 1);
    /* the default names are built from the zone name as written, as NanoDNS does */
    assert_rdata(l.s, "example.com", DNS_TYPE_SOA, 0,
                 "ns1.Example.COM. admin.Example.COM. 2024010101 3600 900 604800 300");
    const struct zone *z = zone_named(l.s, "example.com");
    assert_int_equal(z->soa->ttl, 300);
    assert_int_equal(z->neg_ttl, 300);
    assert_null(zone_node_rrset(z->apex_node, DNS_TYPE_NS));
    ld_free(&l);

    expect_ok(&l,
              "{\"zones\": {\"example.com\": {\"soa\": {\"serial\": 5, \"minimum\": 60,"
              "  \"rname\": \"hostmaster@example.com\"}, \"ttl\": 3600,"
              "  \"ns\": [\"ns1.example.com\", \"ns2.example.net.\"]},"
              " \"example.org\": {\"soa\": {\"mname\": \"ns.example.org\","
              "  \"rname\": \"john.doe@example.org\", \"serial\": 4294967295, \"refresh\": 0,"
              "  \"retry\": 1, \"expire\": 2, \"minimum\": 4294967295}}}}",
              1); /* ns1.example.com has no address: a warning for a JSON zone */
    assert_true(ld_has(&l, false,
                       "zones[\"example.com\"]: the name server ns1.example.com. of example.com. "
                       "has no address (A or AAAA) in the zone"));
    assert_rdata(l.s, "example.com", DNS_TYPE_SOA, 0,
                 "ns1.example.com. hostmaster.example.com. 5 3600 900 604800 60");
    assert_rdata(l.s, "example.org", DNS_TYPE_SOA, 0,
                 "ns.example.org. john\\.doe.example.org. 4294967295 0 1 2 4294967295");
    z = zone_named(l.s, "example.com");
    assert_int_equal(z->soa->ttl, 3600);
    assert_int_equal(z->neg_ttl, 60);
    const struct zone_rrset *ns = zone_node_rrset(z->apex_node, DNS_TYPE_NS);
    assert_non_null(ns);
    assert_int_equal(ns->count, 2);
    assert_int_equal(ns->ttl, 3600);
    assert_rdata(l.s, "example.com", DNS_TYPE_NS, 0, "ns1.example.com.");
    assert_rdata(l.s, "example.com", DNS_TYPE_NS, 1, "ns2.example.net.");
    ld_free(&l);

    expect_error("{\"zones\": {\"x\": {\"soa\": {\"serial\": \"2024\"}}}}",
                 "zones[\"x\"].soa.serial: expected an integer from 0 to 4294967295, got \"2024\"");
    expect_error("{\"zones\": {\"x\": {\"soa\": {\"refresh\": -1}}}}",
                 "zones[\"x\"].soa.refresh: expected an integer from 0 to 4294967295, got -1");
    expect_error("{\"zones\": {\"x\": {\"soa\": {\"minimum\": 4294967296}}}}",
                 "zones[\"x\"].soa.minimum: expected an integer from 0 to 4294967295, got "
                 "4294967296");
    expect_error("{\"zones\": {\"x\": {\"soa\": {\"mname\": 5}}}}",
                 "zones[\"x\"].soa.mname: expected a string, got 5");
    expect_error("{\"zones\": {\"x\": {\"soa\": {\"mname\": \"a..b\"}}}}",
                 "zones[\"x\"].soa.mname: invalid domain name \"a..b\" (invalid domain name)");
    expect_error("{\"zones\": {\"x\": {\"soa\": []}}}",
                 "zones[\"x\"].soa: expected an object, got []");
    expect_error("{\"zones\": {\"x\": 5}}", "zones[\"x\"]: expected an object, got 5");
    expect_error("{\"zones\": {\"x\": {\"ns\": \"ns1.x\"}}}",
                 "zones[\"x\"].ns: expected a list of host names, got \"ns1.x\"");
    expect_error("{\"zones\": {\"x\": {\"ns\": [5]}}}",
                 "zones[\"x\"].ns[0]: expected a host name, got 5");
    expect_error("{\"zones\": {\"x\": {\"ttl\": -1}}}",
                 "zones[\"x\"].ttl: expected an integer from 0 to 2147483647, got -1");
    expect_error("{\"zones\": {\"a..b\": {}}}",
                 "zones[\"a..b\"]: invalid domain name \"a..b\" (invalid domain name)");
    expect_error("{\"zones\": {\"Example.com\": {}, \"example.com.\": {}}}",
                 "zones[\"example.com.\"]: the same zone as zones[\"Example.com\"]");
}

static void test_soa_records(void **state)
{
    (void)state;
    struct ld l;
    /* an SOA record replaces the zone's SOA (a warning when the zone had one of its own) */
    expect_ok(&l,
              "{\"zones\": {\"example.com\": {\"soa\": {\"serial\": 1}}},"
              " \"records\": [{\"name\": \"example.com\", \"type\": \"SOA\", \"ttl\": 100,"
              "  \"value\": \"ns.example.com. h.example.com. 42 1 2 3 4\"}]}",
              1);
    assert_diag(&l, false, "records[0]: this SOA record replaces zones[\"example.com\"].soa");
    assert_rdata(l.s, "example.com", DNS_TYPE_SOA, 0, "ns.example.com. h.example.com. 42 1 2 3 4");
    const struct zone *z = zone_named(l.s, "example.com");
    assert_int_equal(z->soa->count, 1);
    assert_int_equal(z->soa->ttl, 100);
    assert_int_equal(z->neg_ttl, 4);
    ld_free(&l);

    expect_ok(&l,
              "{\"zones\": {\"example.com\": {}},"
              " \"records\": [{\"name\": \"example.com\", \"type\": \"soa\","
              "  \"value\": \"ns.example.com. h.example.com. 42 1 2 3 4\"}]}",
              0);
    assert_rdata(l.s, "example.com", DNS_TYPE_SOA, 0, "ns.example.com. h.example.com. 42 1 2 3 4");
    ld_free(&l);

    /* at a name that is not a zone it declares one */
    expect_ok(&l,
              "{\"records\": [" REC(
                  "www.other.test", "A",
                  "10.0.0.1") ", "
                              "{\"name\": \"other.test\", \"type\": \"SOA\","
                              "  \"value\": \"ns.other.test. h.other.test. 1 2 3 4 5\"}]}",
              0);
    assert_int_equal(l.c->nzones, 0);
    assert_int_equal(l.s->nzones, 1);
    z = zone_named(l.s, "other.test");
    assert_ptr_equal(node_of(l.s, "www.other.test")->zone, z);
    assert_int_equal(z->neg_ttl, 5);
    ld_free(&l);

    expect_error("{\"records\": [{\"name\": \"z.test\", \"type\": \"SOA\","
                 "  \"value\": \"ns.z.test. h.z.test. 1 2 3 4 5\"},"
                 " {\"name\": \"z.test\", \"type\": \"SOA\","
                 "  \"value\": \"ns.z.test. h.z.test. 2 2 3 4 5\"}]}",
                 "records[1]: a second SOA record for the same zone (first: records[0])");
    expect_error(
        "{\"records\": [{\"name\": \"z.test\", \"type\": \"SOA\", \"value\": \"ns.z.test.\"}]}",
        "records[0].value: missing domain name");
}

/* ---- rewrites ------------------------------------------------------------------------------ */

static void test_rewrites(void **state)
{
    (void)state;
    expect_error("{\"rewrites\": [{\"match\": \"x.test\", \"action\": \"block\"}]}",
                 "rewrites[0].action: unknown action \"block\" (expected \"nxdomain\" or "
                 "\"redirect\")");
    expect_error("{\"rewrites\": [{\"match\": \"x.test\", \"action\": \"redirect\"}]}",
                 "rewrites[0]: action \"redirect\" needs a \"value\" (an IP address)");
    expect_error("{\"rewrites\": [{\"match\": \"x.test\", \"action\": \"nxdomain\"},"
                 " {\"match\": \"x.test\", \"action\": \"redirect\", \"value\": \"10.0.0.300\"}]}",
                 "rewrites[1].value: invalid IP address \"10.0.0.300\"");
    expect_error("{\"rewrites\": [{\"action\": \"nxdomain\"}]}",
                 "rewrites[0]: missing required key \"match\"");
    expect_error("{\"rewrites\": [{\"match\": \"x.test\"}]}",
                 "rewrites[0]: missing required key \"action\"");
    expect_error("{\"rewrites\": [{\"match\": \"x..test\", \"action\": \"nxdomain\"}]}",
                 "rewrites[0].match: invalid domain name \"x..test\" (invalid domain name)");
    expect_error("{\"rewrites\": [5]}", "rewrites[0]: expected an object, got 5");

    struct ld l;
    expect_ok(
        &l,
        "{\"rewrites\": [{\"match\": \"blocked.test\", \"action\": \"NXDOMAIN\"},"
        " {\"match\": \"*.Ads.Test\", \"action\": \"nxdomain\"},"
        " {\"match\": \"r4.test\", \"action\": \"redirect\", \"value\": \"10.9.9.9\"},"
        " {\"match\": \"r6.test\", \"action\": \"Redirect\", \"value\": \"fd00::9\", \"ttl\": 30},"
        " {\"match\": \"blocked.test\", \"action\": \"redirect\", \"value\": \"10.0.0.1\"}]}",
        0);
    assert_int_equal(l.c->nrewrites, 5);
    assert_int_equal(l.s->nrewrites, 5);
    const struct zone_rewrite *rw = l.s->rewrites;
    assert_int_equal(rw[0].action, ZONE_REWRITE_NXDOMAIN);
    assert_int_equal(rw[1].action, ZONE_REWRITE_NXDOMAIN);
    assert_int_equal(rw[2].action, ZONE_REWRITE_REDIRECT);
    assert_int_equal(rw[2].addr_len, 4);
    assert_memory_equal(rw[2].addr, "\x0a\x09\x09\x09", 4);
    assert_int_equal(rw[2].ttl, 60);
    assert_int_equal(rw[3].addr_len, 16);
    assert_int_equal(rw[3].addr[0], 0xfd);
    assert_int_equal(rw[3].addr[15], 9);
    assert_int_equal(rw[3].ttl, 30);

    uint8_t name[DNS_NAME_MAXLEN];
    size_t len;
    assert_int_equal(dns_name_from_text("ads.test", 8, NULL, name, &len), 0);
    const struct zone_rewrite_entry *e = zone_tree_get(&l.s->rewrite_names, name, len);
    assert_non_null(e);
    assert_int_equal(e->exact, -1);
    assert_int_equal(e->below, 1);
    assert_int_equal(dns_name_from_text("blocked.test", 12, NULL, name, &len), 0);
    e = zone_tree_get(&l.s->rewrite_names, name, len);
    assert_non_null(e);
    assert_int_equal(e->exact, 0); /* the first rule wins */
    assert_int_equal(e->below, -1);
    ld_free(&l);
}

/* ---- overrides, files, formats -------------------------------------------------------------- */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_errors),    cmocka_unit_test(test_record_values),
        cmocka_unit_test(test_record_types),     cmocka_unit_test(test_record_wildcards),
        cmocka_unit_test(test_record_conflicts), cmocka_unit_test(test_zones),
        cmocka_unit_test(test_soa_records),      cmocka_unit_test(test_rewrites),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
