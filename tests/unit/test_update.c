/* The dynamic layer (src/update/dyn.c) over a build, and the /api/update request rules
 * (src/update/api.c) row by row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "dns/dns.h"
#include "dns/name.h"
#include "update/api.h"
#include "update/dyn.h"
#include "zone/build.h"
#include "zone/snap.h"

static void wire(const char *text, uint8_t *out)
{
    size_t len;
    assert_int_equal(dns_name_from_text(text, strlen(text), NULL, out, &len), 0);
    dns_name_lower(out);
}

static struct conf_dyndns host_entry = {.name = "home.dyn.test", .token = "t0ken",
                                        .expire = 3600, .ttl = 60};

static void conf_with_host(struct conf *c)
{
    memset(c, 0, sizeof(*c));
    wire("home.dyn.test", host_entry.wire);
    wire("dyn.test", host_entry.zone);
    c->dyndns = &host_entry;
    c->ndyndns = 1;
}

static void expect(const struct conf *c, const char *hostname, const char *token, const char *v4,
                   const char *v6, unsigned status, const char *body, bool auth_failed)
{
    struct update_params q = {hostname, token, v4, v6};
    struct update_prep p;
    update_api_prepare(c, &q, 1000, &p);
    assert_int_equal(p.status, status);
    assert_string_equal(p.body, body);
    assert_int_equal(p.commit, status == 200);
    assert_int_equal(p.auth_failed, auth_failed);
}

static void test_api_rows(void **state)
{
    (void)state;
    struct conf c;
    conf_with_host(&c);
    expect(&c, NULL, "t0ken", "1.2.3.4", NULL, 400, "hostname required", false);
    expect(&c, "home.dyn.test", NULL, "1.2.3.4", NULL, 403, "authorization required", false);
    expect(&c, "home.dyn.test", "t0ken", "1.2.3", NULL, 400, "bad ipv4 address", false);
    expect(&c, "home.dyn.test", "t0ken", "", NULL, 400, "bad ipv4 address", false);
    expect(&c, "home.dyn.test", "t0ken", NULL, "", 400, "bad ipv6 address", false);
    expect(&c, "home.dyn.test", "t0ken", NULL, "1.2.3.4", 400, "bad ipv6 address", false);
    expect(&c, "home..dyn.test", "t0ken", NULL, NULL, 400, "bad request", false);
    expect(&c, "", "t0ken", NULL, NULL, 400, "bad request", false);
    expect(&c, ".", "t0ken", NULL, NULL, 400, "bad request", false);
    expect(&c, "other.dyn.test", "t0ken", NULL, NULL, 403, "forbidden", true);
    expect(&c, "home.dyn.test", "t0ke", NULL, NULL, 403, "forbidden", true);
    expect(&c, "home.dyn.test", "t0kenX", NULL, NULL, 403, "forbidden", true);
    expect(&c, "home.dyn.test", "", NULL, NULL, 403, "forbidden", true);
    expect(&c, "HOME.Dyn.Test.", "t0ken", "1.2.3.4", "2001:db8::1", 200, "ok", false);
    expect(&c, "home.dyn.test", "t0ken", NULL, NULL, 200, "ok", false);
}

static void test_api_change(void **state)
{
    (void)state;
    struct conf c;
    conf_with_host(&c);
    struct update_params q = {"home.dyn.test", "t0ken", "192.0.2.1", NULL};
    struct update_prep p;
    update_api_prepare(&c, &q, 1000, &p);
    assert_true(p.commit);
    assert_int_equal(p.change.nsets, 2);
    assert_int_equal(p.change.sets[0].type, DNS_TYPE_A);
    assert_int_equal(p.change.sets[0].count, 1);
    assert_int_equal(p.change.sets[0].ttl, 60);
    assert_memory_equal(p.change.sets[0].rdata, "\x00\x04\xc0\x00\x02\x01", 6);
    assert_int_equal(p.change.sets[1].type, DNS_TYPE_AAAA);
    assert_int_equal(p.change.sets[1].count, 0); /* absent: removed */
    assert_int_equal(p.change.host_expires, 1000 + 3600);
    host_entry.expire = 0;
    update_api_prepare(&c, &q, 1000, &p);
    assert_int_equal(p.change.host_expires, 0);
    host_entry.expire = 3600;
}

static void test_nic(void **state)
{
    (void)state;
    struct conf c;
    conf_with_host(&c);
    struct update_prep p;
    const uint8_t v4[4] = {192, 0, 2, 1};
    update_nic_prepare(&c, "home.dyn.test,x", 13, "t0ken", v4, NULL, 10, &p);
    assert_true(p.commit);
    assert_int_equal(p.change.nsets, 1); /* only the family given */
    assert_int_equal(p.change.sets[0].type, DNS_TYPE_A);
    update_nic_prepare(&c, "home.dyn.test", 13, "t0ken", NULL, NULL, 10, &p);
    assert_true(p.commit);
    assert_int_equal(p.change.nsets, 0);
    update_nic_prepare(&c, "home.dyn.test", 13, "bad", v4, NULL, 10, &p);
    assert_string_equal(p.body, "badauth");
    assert_true(p.auth_failed && !p.commit);
    update_nic_prepare(&c, "home.dyn.test", 13, NULL, v4, NULL, 10, &p);
    assert_string_equal(p.body, "badauth");
    update_nic_prepare(&c, "nobody.dyn.test", 15, "t0ken", v4, NULL, 10, &p);
    assert_string_equal(p.body, "nohost");
    update_nic_prepare(&c, "a..b", 4, "t0ken", v4, NULL, 10, &p);
    assert_string_equal(p.body, "notfqdn");
    update_nic_prepare(&c, "", 0, "t0ken", v4, NULL, 10, &p);
    assert_string_equal(p.body, "notfqdn");

    uint8_t a[4], a6[16];
    bool h4, h6;
    update_nic_myip("192.0.2.9,2001:db8::9", a, &h4, a6, &h6);
    assert_true(h4 && h6);
    assert_memory_equal(a, "\xc0\x00\x02\x09", 4);
    update_nic_myip("2001:db8::9", a, &h4, a6, &h6);
    assert_true(!h4 && h6);
    update_nic_myip("junk,192.0.2.300", a, &h4, a6, &h6);
    assert_true(!h4 && !h6);
    update_nic_myip(NULL, a, &h4, a6, &h6);
    assert_true(!h4 && !h6);
}

static void test_token_equal(void **state)
{
    (void)state;
    assert_true(update_token_equal("abc", "abc"));
    assert_false(update_token_equal("abd", "abc"));
    assert_false(update_token_equal("ab", "abc"));
    assert_false(update_token_equal("abcd", "abc"));
    assert_false(update_token_equal("", "abc"));
    assert_true(update_token_equal("", ""));
}

/* ---- the layer over a build ------------------------------------------------------------- */

static char dir[] = "/tmp/nanodns-test-update-XXXXXX";

static const struct zone_rrset *find(const struct snap *s, const char *name, uint16_t type,
                                     bool *exists)
{
    uint8_t w[DNS_NAME_MAXLEN];
    wire(name, w);
    const struct zone_node *n = zone_tree_get(&s->names, w, dns_name_len(w));
    *exists = n != NULL;
    return n ? zone_node_rrset(n, type) : NULL;
}

static struct snap *build(struct dyn *d, int64_t now)
{
    struct zone_builder *b = zone_builder_new();
    assert_non_null(b);
    struct zone_builder_hooks h = dyn_hooks(d, now);
    zone_builder_set_hooks(b, &h);
    uint8_t apex[DNS_NAME_MAXLEN], mname[DNS_NAME_MAXLEN], owner[DNS_NAME_MAXLEN];
    wire("dyn.test", apex);
    wire("ns.dyn.test", mname);
    uint8_t soa[2 * DNS_NAME_MAXLEN + 20];
    size_t n = dns_name_len(mname);
    memcpy(soa, mname, n);
    memcpy(soa + n, mname, n);
    memcpy(soa + 2 * n, "\x00\x00\x00\x64\x00\x00\x0e\x10\x00\x00\x03\x84\x00\x09\x3a\x80"
                        "\x00\x00\x01\x2c",
           20);
    assert_int_equal(zone_builder_add_zone(b, apex, 300, soa, (uint16_t)(2 * n + 20), -1), 0);
    wire("home.dyn.test", owner);
    assert_int_equal(zone_builder_add_rr(b, owner, DNS_TYPE_A, 300, (const uint8_t *)"\x0a\0\0\1",
                                         4, 0, 0),
                     0);
    assert_int_equal(zone_builder_add_rr(b, owner, DNS_TYPE_TXT, 300, (const uint8_t *)"\x02hi", 3,
                                         0, 1),
                     0);
    assert_int_equal(zone_builder_add_dynamic(b), 0);
    struct snap *s;
    assert_int_equal(zone_builder_finish(b, &s), 0);
    zone_builder_free(b);
    return s;
}

static uint32_t serial_of(const struct snap *s)
{
    const struct zone_rrset *soa = s->zones[0].soa;
    const uint8_t *rd;
    uint16_t len;
    zone_rdata_next(soa->rdata, &rd, &len);
    const uint8_t *p = rd + 2 * dns_name_len(rd);
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_layer(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    char sdir[300], err[256];
    snprintf(sdir, sizeof(sdir), "%s/state", dir);
    struct dyn *d;
    assert_int_equal(dyn_open(sdir, &d, err, sizeof(err)), 0);

    /* nothing dynamic: the static data as it is */
    struct snap *s = build(d, 1000);
    bool exists;
    const struct zone_rrset *a = find(s, "home.dyn.test", DNS_TYPE_A, &exists);
    assert_non_null(a);
    assert_int_equal(serial_of(s), 100);
    snap_free(s);

    /* a host's update replaces its A, adds an AAAA tombstone, and moves the serial */
    struct conf c;
    conf_with_host(&c);
    struct update_params q = {"home.dyn.test", "t0ken", "192.0.2.1", NULL};
    struct update_prep p;
    update_api_prepare(&c, &q, 1000, &p);
    uint8_t zone[DNS_NAME_MAXLEN];
    wire("dyn.test", zone);
    p.change.zones[0] = zone;
    p.change.serials[0] = 101;
    p.change.nzones = 1;
    struct dyn_undo *u;
    assert_int_equal(dyn_stage(d, &p.change, &u), 0);
    assert_int_equal(dyn_persist(d, u), 0);
    dyn_done(u);
    s = build(d, 2000);
    a = find(s, "home.dyn.test", DNS_TYPE_A, &exists);
    assert_non_null(a);
    assert_int_equal(a->count, 1);
    assert_int_equal(a->ttl, 60);
    assert_memory_equal(a->rdata, "\x00\x04\xc0\x00\x02\x01", 6);
    assert_non_null(find(s, "home.dyn.test", DNS_TYPE_TXT, &exists)); /* untouched */
    assert_int_equal(serial_of(s), 101);
    snap_free(s);

    /* expired: no addresses, but the name still exists (NODATA) */
    s = build(d, 1000 + 3600);
    assert_null(find(s, "home.dyn.test", DNS_TYPE_A, &exists));
    assert_true(exists);
    snap_free(s);
    assert_int_equal(dyn_next_expiry(d, 2000), 1000 + 3600);
    assert_int_equal(dyn_next_expiry(d, 1000 + 3600), 0);

    /* a staged change that is undone leaves nothing behind, in memory or on disk */
    struct update_params q2 = {"home.dyn.test", "t0ken", "198.51.100.9", "2001:db8::9"};
    update_api_prepare(&c, &q2, 1500, &p);
    assert_int_equal(dyn_stage(d, &p.change, &u), 0);
    s = build(d, 2000);
    assert_int_equal(find(s, "home.dyn.test", DNS_TYPE_AAAA, &exists)->count, 1);
    snap_free(s);
    dyn_unstage(d, u);
    dyn_free(d);

    /* reopened: what was persisted, and only that */
    assert_int_equal(dyn_open(sdir, &d, err, sizeof(err)), 0);
    s = build(d, 2000);
    a = find(s, "home.dyn.test", DNS_TYPE_A, &exists);
    assert_memory_equal(a->rdata, "\x00\x04\xc0\x00\x02\x01", 6);
    assert_null(find(s, "home.dyn.test", DNS_TYPE_AAAA, &exists));
    assert_int_equal(serial_of(s), 101);
    snap_free(s);
    dyn_free(d);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_serial_newer(void **state)
{
    (void)state;
    assert_true(dyn_serial_newer(2, 1));
    assert_false(dyn_serial_newer(1, 1));
    assert_false(dyn_serial_newer(1, 2));
    assert_true(dyn_serial_newer(0, 0xffffffffu)); /* RFC 1982 wrap */
    assert_true(dyn_serial_newer(0x7fffffffu, 0));
    assert_false(dyn_serial_newer(0x80000000u, 0)); /* undefined: not newer */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_rows),   cmocka_unit_test(test_api_change),
        cmocka_unit_test(test_token_equal), cmocka_unit_test(test_layer),
        cmocka_unit_test(test_serial_newer), cmocka_unit_test(test_nic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
