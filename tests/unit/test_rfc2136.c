/* RFC 2136 UPDATE (src/update/rfc2136.c) on hand-built messages against a config's snapshot:
 * the zone and policy checks, each prerequisite kind, the update operations and their rules,
 * the serial, and the reply. TSIG itself is tested in test_tsig.c. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "dns/dns.h"
#include "dns/name.h"
#include "update/rfc2136.h"

static const char config[] =
    "{\"server\": {\"upstream\": []},"
    " \"zones\": {\"ex.test\": {\"soa\": {\"serial\": 7}, \"ns\": [\"ns1.ex.test\", "
    "\"ns2.ex.test\"], \"allow_update\": [\"192.0.2.0/24\"]},"
    "            \"closed.test\": {}},"
    " \"records\": [{\"name\": \"ns1.ex.test\", \"type\": \"A\", \"value\": \"10.0.0.1\"},"
    "  {\"name\": \"ns2.ex.test\", \"type\": \"A\", \"value\": \"10.0.0.2\"},"
    "  {\"name\": \"www.ex.test\", \"type\": \"A\", \"value\": \"10.0.0.3\"},"
    "  {\"name\": \"www.ex.test\", \"type\": \"A\", \"value\": \"10.0.0.4\"},"
    "  {\"name\": \"c.ex.test\", \"type\": \"CNAME\", \"value\": \"www.ex.test\"}]}";

static struct conf *conf;
static struct snap *snap;

/* ---- a little message builder ------------------------------------------------------------ */

struct msg {
    uint8_t b[4096];
    size_t n;
    uint16_t counts[4];
};

static void put16(struct msg *m, uint16_t v)
{
    m->b[m->n++] = (uint8_t)(v >> 8);
    m->b[m->n++] = (uint8_t)v;
}

static void put_name(struct msg *m, const char *text)
{
    size_t len;
    assert_int_equal(dns_name_from_text(text, strlen(text), NULL, m->b + m->n, &len), 0);
    m->n += len;
}

static void start(struct msg *m, const char *zone)
{
    memset(m, 0, sizeof(*m));
    m->n = 12;
    m->b[0] = 0x12, m->b[1] = 0x34;
    m->b[2] = 5 << 3; /* opcode UPDATE */
    put_name(m, zone);
    put16(m, DNS_TYPE_SOA);
    put16(m, DNS_CLASS_IN);
    m->counts[0] = 1;
}

/* An RR in section 1 (prerequisites) or 2 (updates); rdata as bytes. */
static void rr(struct msg *m, int section, const char *owner, uint16_t type, uint16_t rclass,
               uint32_t ttl, const void *rd, uint16_t rdlen)
{
    put_name(m, owner);
    put16(m, type);
    put16(m, rclass);
    put16(m, (uint16_t)(ttl >> 16));
    put16(m, (uint16_t)ttl);
    put16(m, rdlen);
    if (rdlen)
        memcpy(m->b + m->n, rd, rdlen);
    m->n += rdlen;
    m->counts[section]++;
}

static void finish(struct msg *m)
{
    for (int i = 0; i < 4; i++) {
        m->b[4 + 2 * i] = (uint8_t)(m->counts[i] >> 8);
        m->b[5 + 2 * i] = (uint8_t)m->counts[i];
    }
}

static const uint8_t A1[4] = {192, 0, 2, 1}, A3[4] = {10, 0, 0, 3}, A4[4] = {10, 0, 0, 4};

static uint16_t run(struct msg *m, const char *from, struct rfc2136_result *res)
{
    finish(m);
    struct sockaddr_storage peer = {0};
    struct sockaddr_in *in = (struct sockaddr_in *)&peer;
    in->sin_family = AF_INET;
    inet_pton(AF_INET, from, &in->sin_addr);
    struct rfc2136_ctx x = {.conf = conf, .snap = snap, .peer = &peer, .now = 1700000000};
    rfc2136_process(&x, m->b, m->n, res);
    return res->rcode;
}

static uint16_t rcode_of(struct msg *m)
{
    struct rfc2136_result res;
    uint16_t r = run(m, "192.0.2.9", &res);
    rfc2136_result_free(&res);
    return r;
}

static const struct dyn_rrset *set_of(const struct rfc2136_result *res, const char *owner,
                                      uint16_t type)
{
    uint8_t w[DNS_NAME_MAXLEN];
    size_t len;
    assert_int_equal(dns_name_from_text(owner, strlen(owner), NULL, w, &len), 0);
    for (size_t i = 0; i < res->change.nsets; i++)
        if (res->change.sets[i].type == type && dns_name_equal(res->change.sets[i].owner, w))
            return &res->change.sets[i];
    return NULL;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_zone_and_policy(void **state)
{
    (void)state;
    struct msg m;
    start(&m, "other.test");
    rr(&m, 2, "x.other.test", DNS_TYPE_A, DNS_CLASS_IN, 60, A1, 4);
    assert_int_equal(rcode_of(&m), DNS_RCODE_NOTAUTH);
    start(&m, "closed.test");
    rr(&m, 2, "x.closed.test", DNS_TYPE_A, DNS_CLASS_IN, 60, A1, 4);
    assert_int_equal(rcode_of(&m), DNS_RCODE_REFUSED);
    start(&m, "ex.test");
    rr(&m, 2, "x.ex.test", DNS_TYPE_A, DNS_CLASS_IN, 60, A1, 4);
    struct rfc2136_result res;
    assert_int_equal(run(&m, "198.51.100.1", &res), DNS_RCODE_REFUSED); /* not in the prefix */
    rfc2136_result_free(&res);
    /* a zone section that is not one SOA entry */
    start(&m, "ex.test");
    m.b[m.n - 3] = DNS_TYPE_A;
    assert_int_equal(rcode_of(&m), DNS_RCODE_FORMERR);
    start(&m, "ex.test");
    m.counts[0] = 2;
    assert_int_equal(rcode_of(&m), DNS_RCODE_FORMERR);
    /* truncated */
    start(&m, "ex.test");
    rr(&m, 2, "x.ex.test", DNS_TYPE_A, DNS_CLASS_IN, 60, A1, 4);
    m.n -= 2;
    assert_int_equal(rcode_of(&m), DNS_RCODE_FORMERR);
}

static void test_prerequisites(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint16_t type, rclass;
        const void *rd;
        uint16_t rdlen;
        uint16_t want;
    } rows[] = {
        {"www.ex.test", DNS_TYPE_ANY, DNS_CLASS_ANY, NULL, 0, DNS_RCODE_NOERROR},
        {"no.ex.test", DNS_TYPE_ANY, DNS_CLASS_ANY, NULL, 0, DNS_RCODE_NXDOMAIN},
        {"no.ex.test", DNS_TYPE_ANY, DNS_CLASS_NONE, NULL, 0, DNS_RCODE_NOERROR},
        {"www.ex.test", DNS_TYPE_ANY, DNS_CLASS_NONE, NULL, 0, DNS_RCODE_YXDOMAIN},
        {"www.ex.test", DNS_TYPE_A, DNS_CLASS_ANY, NULL, 0, DNS_RCODE_NOERROR},
        {"www.ex.test", DNS_TYPE_MX, DNS_CLASS_ANY, NULL, 0, DNS_RCODE_NXRRSET},
        {"www.ex.test", DNS_TYPE_MX, DNS_CLASS_NONE, NULL, 0, DNS_RCODE_NOERROR},
        {"www.ex.test", DNS_TYPE_A, DNS_CLASS_NONE, NULL, 0, DNS_RCODE_YXRRSET},
        {"www.ex.test", DNS_TYPE_A, DNS_CLASS_ANY, A1, 4, DNS_RCODE_FORMERR}, /* rdata */
        {"x.other.test", DNS_TYPE_A, DNS_CLASS_ANY, NULL, 0, DNS_RCODE_NOTZONE},
        {"www.ex.test", DNS_TYPE_A, DNS_CLASS_CH, NULL, 0, DNS_RCODE_FORMERR},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct msg m;
        start(&m, "ex.test");
        rr(&m, 1, rows[i].name, rows[i].type, rows[i].rclass, 0, rows[i].rd, rows[i].rdlen);
        rr(&m, 2, "p.ex.test", DNS_TYPE_A, DNS_CLASS_IN, 60, A1, 4);
        print_message("row %zu\n", i);
        assert_int_equal(rcode_of(&m), rows[i].want);
    }
    /* value dependent: exactly the RRset, in any order */
    struct msg m;
    start(&m, "ex.test");
    rr(&m, 1, "www.ex.test", DNS_TYPE_A, DNS_CLASS_IN, 0, A4, 4);
    rr(&m, 1, "www.ex.test", DNS_TYPE_A, DNS_CLASS_IN, 0, A3, 4);
    assert_int_equal(rcode_of(&m), DNS_RCODE_NOERROR);
    start(&m, "ex.test");
    rr(&m, 1, "www.ex.test", DNS_TYPE_A, DNS_CLASS_IN, 0, A3, 4);
    assert_int_equal(rcode_of(&m), DNS_RCODE_NXRRSET);
    /* a prerequisite with a TTL: FORMERR */
    start(&m, "ex.test");
    rr(&m, 1, "www.ex.test", DNS_TYPE_A, DNS_CLASS_ANY, 5, NULL, 0);
    assert_int_equal(rcode_of(&m), DNS_RCODE_FORMERR);
}

static void test_updates(void **state)
{
    (void)state;
    struct msg m;
    struct rfc2136_result res;
    /* add, delete one RR, delete an RRset, delete a name */
    start(&m, "ex.test");
    rr(&m, 2, "new.ex.test", DNS_TYPE_A, DNS_CLASS_IN, 60, A1, 4);
    rr(&m, 2, "new.ex.test", DNS_TYPE_A, DNS_CLASS_IN, 90, A1, 4); /* duplicate: TTL only */
    rr(&m, 2, "www.ex.test", DNS_TYPE_A, DNS_CLASS_NONE, 0, A3, 4);
    rr(&m, 2, "c.ex.test", DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL, 0);
    assert_int_equal(run(&m, "192.0.2.9", &res), DNS_RCODE_NOERROR);
    assert_true(res.commit);
    const struct dyn_rrset *s = set_of(&res, "new.ex.test", DNS_TYPE_A);
    assert_non_null(s);
    assert_int_equal(s->count, 1);
    assert_int_equal(s->ttl, 90);
    s = set_of(&res, "www.ex.test", DNS_TYPE_A);
    assert_int_equal(s->count, 1);
    assert_memory_equal(s->rdata, "\x00\x04\x0a\x00\x00\x04", 6);
    s = set_of(&res, "c.ex.test", DNS_TYPE_CNAME);
    assert_int_equal(s->count, 0);
    assert_int_equal(res.change.nzones, 1);
    assert_int_equal(res.change.serials[0], 8);
    /* the reply: header with NOERROR, zone echoed */
    uint8_t out[1024];
    size_t n = rfc2136_reply(m.b, m.n, &res, res.rcode, 0, out, sizeof(out));
    assert_int_equal(n, res.zone_end);
    assert_memory_equal(out, "\x12\x34\xa8\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
    rfc2136_result_free(&res);

    /* apex rules: SOA and NS are never deleted, the last NS stays */
    start(&m, "ex.test");
    rr(&m, 2, "ex.test", DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL, 0);
    rr(&m, 2, "ex.test", DNS_TYPE_NS, DNS_CLASS_ANY, 0, NULL, 0);
    rr(&m, 2, "ex.test", DNS_TYPE_SOA, DNS_CLASS_ANY, 0, NULL, 0);
    uint8_t ns1[DNS_NAME_MAXLEN], ns2[DNS_NAME_MAXLEN];
    size_t l1, l2;
    dns_name_from_text("ns1.ex.test", 11, NULL, ns1, &l1);
    dns_name_from_text("ns2.ex.test", 11, NULL, ns2, &l2);
    rr(&m, 2, "ex.test", DNS_TYPE_NS, DNS_CLASS_NONE, 0, ns1, (uint16_t)l1);
    rr(&m, 2, "ex.test", DNS_TYPE_NS, DNS_CLASS_NONE, 0, ns2, (uint16_t)l2);
    assert_int_equal(run(&m, "192.0.2.9", &res), DNS_RCODE_NOERROR);
    s = set_of(&res, "ex.test", DNS_TYPE_NS);
    assert_non_null(s);
    assert_int_equal(s->count, 1);
    assert_null(set_of(&res, "ex.test", DNS_TYPE_SOA));
    rfc2136_result_free(&res);

    /* CNAME rules: nothing beside a CNAME, no CNAME beside data; nothing changed: no serial */
    start(&m, "ex.test");
    rr(&m, 2, "c.ex.test", DNS_TYPE_A, DNS_CLASS_IN, 60, A1, 4);
    rr(&m, 2, "www.ex.test", DNS_TYPE_CNAME, DNS_CLASS_IN, 60, ns1, (uint16_t)l1);
    assert_int_equal(run(&m, "192.0.2.9", &res), DNS_RCODE_NOERROR);
    assert_false(res.commit);
    rfc2136_result_free(&res);

    /* SOA: only a newer serial, and then that serial */
    uint8_t soa[2 * DNS_NAME_MAXLEN + 20];
    size_t sl = 0;
    memcpy(soa, ns1, l1), sl += l1;
    memcpy(soa + sl, ns2, l2), sl += l2;
    memcpy(soa + sl, "\x00\x00\x00\x05\0\0\0\1\0\0\0\1\0\0\0\1\0\0\0\1", 20);
    start(&m, "ex.test");
    rr(&m, 2, "ex.test", DNS_TYPE_SOA, DNS_CLASS_IN, 60, soa, (uint16_t)(sl + 20));
    assert_int_equal(run(&m, "192.0.2.9", &res), DNS_RCODE_NOERROR);
    assert_false(res.commit); /* serial 5 is older than 7 */
    rfc2136_result_free(&res);
    soa[sl + 3] = 99;
    start(&m, "ex.test");
    rr(&m, 2, "ex.test", DNS_TYPE_SOA, DNS_CLASS_IN, 60, soa, (uint16_t)(sl + 20));
    assert_int_equal(run(&m, "192.0.2.9", &res), DNS_RCODE_NOERROR);
    assert_true(res.commit);
    assert_int_equal(res.change.serials[0], 99);
    rfc2136_result_free(&res);

    /* prescan: meta types, TTLs and classes that cannot be */
    start(&m, "ex.test");
    rr(&m, 2, "x.ex.test", DNS_TYPE_ANY, DNS_CLASS_IN, 60, NULL, 0);
    assert_int_equal(rcode_of(&m), DNS_RCODE_FORMERR);
    start(&m, "ex.test");
    rr(&m, 2, "x.ex.test", DNS_TYPE_A, DNS_CLASS_ANY, 60, NULL, 0);
    assert_int_equal(rcode_of(&m), DNS_RCODE_FORMERR);
    start(&m, "ex.test");
    rr(&m, 2, "x.ex.test", DNS_TYPE_A, DNS_CLASS_NONE, 60, A1, 4);
    assert_int_equal(rcode_of(&m), DNS_RCODE_FORMERR);
    start(&m, "ex.test");
    rr(&m, 2, "x.other.test", DNS_TYPE_A, DNS_CLASS_IN, 60, A1, 4);
    assert_int_equal(rcode_of(&m), DNS_RCODE_NOTZONE);
    /* an A of 3 bytes */
    start(&m, "ex.test");
    rr(&m, 2, "x.ex.test", DNS_TYPE_A, DNS_CLASS_IN, 60, A1, 3);
    assert_int_equal(rcode_of(&m), DNS_RCODE_FORMERR);
}

static int setup(void **state)
{
    (void)state;
    struct conf_diag d;
    conf_diag_init(&d);
    int r = conf_load("test.json", (const uint8_t *)config, sizeof(config) - 1, NULL, &conf,
                      &snap, &d);
    conf_diag_deinit(&d);
    return r;
}

static int teardown(void **state)
{
    (void)state;
    snap_free(snap);
    conf_free(conf);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zone_and_policy),
        cmocka_unit_test(test_prerequisites),
        cmocka_unit_test(test_updates),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
