/* DNS cookies: the RFC 9018 construction against its Appendix A vectors, the age window, and
 * the query path's handling (RFC 7873 5.2): new, valid, renewed, malformed, BADCOOKIE under
 * the "require" policy, the previous secret after a rotation, cookies off. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "qhelp.h"

#include "dns/cookie.h"

static void hex(const char *h, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

struct vector {
    const char *secret, *client, *ip;
    uint32_t now;
    const char *server;
};

/* RFC 9018 Appendix A.1 to A.4. */
static const struct vector vectors[] = {
    {"e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100", 1559731985,
     "010000005cf79f111f8130c3eee29480"},
    {"e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100", 1559734385,
     "010000005cf7a871d4a564a1442aca77"},
    {"e5e973e5a6b2a43f48e7dc849e37bfcf", "fc93fc62807ddb86", "203.0.113.203", 1559734700,
     "010000005cf7a9acf73a7810aca2381e"},
    {"445536bcd2513298075a5d379663c962", "22681ab97d52c298", "2001:db8:220:1:59de:d0f4:8769:82b8",
     1559741961, "010000005cf7c609a6bb79d16625507a"},
};

static size_t ip_of(const char *text, uint8_t ip[16])
{
    if (inet_pton(AF_INET, text, ip) == 1)
        return 4;
    assert_int_equal(inet_pton(AF_INET6, text, ip), 1);
    return 16;
}

static void test_rfc9018_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const struct vector *v = &vectors[i];
        uint8_t secret[16], client[8], want[16], got[16], ip[16];
        hex(v->secret, secret, 16);
        hex(v->client, client, 8);
        hex(v->server, want, 16);
        size_t ip_len = ip_of(v->ip, ip);
        dns_cookie_make(secret, client, ip, ip_len, v->now, got);
        assert_memory_equal(got, want, 16);
        assert_true(dns_cookie_check(secret, client, got, 16, ip, ip_len));
        /* another address, another client cookie, another secret: not ours */
        ip[ip_len - 1] ^= 1;
        assert_false(dns_cookie_check(secret, client, got, 16, ip, ip_len));
        ip[ip_len - 1] ^= 1;
        client[0] ^= 1;
        assert_false(dns_cookie_check(secret, client, got, 16, ip, ip_len));
        client[0] ^= 1;
        secret[15] ^= 1;
        assert_false(dns_cookie_check(secret, client, got, 16, ip, ip_len));
    }
    /* A.3: the reserved bytes a client set are part of the hash. */
    uint8_t secret[16], cookie[24], ip[16];
    hex("e5e973e5a6b2a43f48e7dc849e37bfcf", secret, 16);
    hex("fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5", cookie, 24);
    size_t ip_len = ip_of("203.0.113.203", ip);
    assert_true(dns_cookie_check(secret, cookie, cookie + 8, 16, ip, ip_len));
    /* A.4: the cookie the old secret made checks with it and not with the new one. */
    hex("22681ab97d52c298010000005cf7c57926556bd0934c72f8", cookie, 24);
    ip_len = ip_of("2001:db8:220:1:59de:d0f4:8769:82b8", ip);
    hex("dd3bdf9344b678b185a6f5cb60fca715", secret, 16);
    assert_true(dns_cookie_check(secret, cookie, cookie + 8, 16, ip, ip_len));
    hex("445536bcd2513298075a5d379663c962", secret, 16);
    assert_false(dns_cookie_check(secret, cookie, cookie + 8, 16, ip, ip_len));
    /* other versions and lengths are not ours */
    cookie[8] = 2;
    assert_false(dns_cookie_check(secret, cookie, cookie + 8, 16, ip, ip_len));
    assert_false(dns_cookie_check(secret, cookie, cookie + 8, 8, ip, ip_len));
}

static void test_age(void **state)
{
    (void)state;
    const uint32_t now = 1559731985;
    assert_int_equal(dns_cookie_age(now, now), DNS_COOKIE_FRESH);
    assert_int_equal(dns_cookie_age(now - 1800, now), DNS_COOKIE_FRESH);
    assert_int_equal(dns_cookie_age(now - 1801, now), DNS_COOKIE_WORN);
    assert_int_equal(dns_cookie_age(now - 3600, now), DNS_COOKIE_WORN);
    assert_int_equal(dns_cookie_age(now - 3601, now), DNS_COOKIE_STALE);
    assert_int_equal(dns_cookie_age(now + 300, now), DNS_COOKIE_FRESH);
    assert_int_equal(dns_cookie_age(now + 301, now), DNS_COOKIE_STALE);
    /* an hour old across the wrap of the 32-bit timestamp */
    assert_int_equal(dns_cookie_age(4294964696u, 1000), DNS_COOKIE_WORN);
}

static void test_mapped_address(void **state)
{
    (void)state;
    struct sockaddr_in in = {.sin_family = AF_INET};
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET, "192.0.2.7", &in.sin_addr);
    inet_pton(AF_INET6, "::ffff:192.0.2.7", &in6.sin6_addr);
    uint8_t a[16], b[16];
    assert_int_equal(dns_cookie_client_ip((struct sockaddr *)&in, a), 4);
    assert_int_equal(dns_cookie_client_ip((struct sockaddr *)&in6, b), 4);
    assert_memory_equal(a, b, 4);
}

/* ---- the query path ------------------------------------------------------------------- */

#define ZONE_JSON(policy, secret)                                                             \
    "{\"server\": {\"cookies\": \"" policy "\", \"cookie_secret\": \"" secret "\"},"           \
    " \"zones\": {\"example.com\": {}},"                                                       \
    " \"records\": [{\"name\": \"www.example.com\", \"type\": \"A\", \"value\": \"192.0.2.1\"}]}"
#define SECRET1 "e5e973e5a6b2a43f48e7dc849e37bfcf"
#define SECRET2 "445536bcd2513298075a5d379663c962"

static struct sockaddr_in client_addr;
static const uint32_t NOW = 1800000000u;

static int setup(void **state)
{
    (void)state;
    client_addr = (struct sockaddr_in){.sin_family = AF_INET};
    inet_pton(AF_INET, "198.51.100.100", &client_addr.sin_addr);
    qh_peer = (struct sockaddr *)&client_addr;
    qh_now = NOW;
    return 0;
}

/* The COOKIE option of a response's OPT: its length, 0 when there is none. */
static size_t resp_cookie(const struct qh_resp *r, uint8_t out[40])
{
    size_t pos = 0;
    while (pos + 4 <= r->opt_len) {
        uint16_t code = (uint16_t)(r->opt[pos] << 8 | r->opt[pos + 1]);
        uint16_t len = (uint16_t)(r->opt[pos + 2] << 8 | r->opt[pos + 3]);
        if (code == DNS_EDNS_COOKIE) {
            assert_true(len <= 40);
            memcpy(out, r->opt + pos + 4, len);
            return len;
        }
        pos += 4u + len;
    }
    return 0;
}

static void ask(const struct snap *s, const uint8_t *cookie, size_t len, enum query_proto proto,
                struct qh_resp *r)
{
    struct qh_query q = {.id = 7, .flags = DNS_FLAG_RD, .name = "www.example.com",
                         .qtype = DNS_TYPE_A, .edns_size = 1232, .cookie = cookie,
                         .cookie_len = len};
    uint8_t pkt[512];
    size_t n = qh_build(&q, pkt, sizeof(pkt));
    qh_run_raw(s, pkt, n, proto, r);
}

static void test_query_new_and_valid(void **state)
{
    (void)state;
    struct snap *s = qh_snap_from_json(ZONE_JSON("on", SECRET1));
    struct qh_resp r;
    uint8_t client[8] = {0x24, 0x64, 0xc4, 0xab, 0xcf, 0x10, 0xc9, 0x57}, got[40], want[16];
    ask(s, client, 8, QUERY_PROTO_UDP, &r);
    assert_int_equal(DNS_RCODE(r.h.flags), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 1);
    assert_int_equal(r.info.cookie, QUERY_COOKIE_NEW);
    assert_int_equal(resp_cookie(&r, got), 24);
    assert_memory_equal(got, client, 8);
    uint8_t secret[16];
    hex(SECRET1, secret, 16);
    dns_cookie_make(secret, client, (const uint8_t *)&client_addr.sin_addr, 4, NOW, want);
    assert_memory_equal(got + 8, want, 16);

    /* sent back: valid, and handed back unchanged while fresh */
    uint8_t held[24];
    memcpy(held, got, 24);
    qh_now = NOW + 1000;
    ask(s, held, 24, QUERY_PROTO_UDP, &r);
    assert_int_equal(r.info.cookie, QUERY_COOKIE_VALID);
    assert_int_equal(resp_cookie(&r, got), 24);
    assert_memory_equal(got, held, 24);

    /* worn (over half an hour): still valid, renewed */
    qh_now = NOW + 2000;
    ask(s, held, 24, QUERY_PROTO_UDP, &r);
    assert_int_equal(r.info.cookie, QUERY_COOKIE_VALID);
    resp_cookie(&r, got);
    assert_memory_not_equal(got + 8, held + 8, 16);
    dns_cookie_make(secret, client, (const uint8_t *)&client_addr.sin_addr, 4, NOW + 2000, want);
    assert_memory_equal(got + 8, want, 16);

    /* stale (over an hour): not valid, but answered with a new cookie under "on" */
    qh_now = NOW + 3601;
    ask(s, held, 24, QUERY_PROTO_UDP, &r);
    assert_int_equal(r.info.cookie, QUERY_COOKIE_NEW);
    assert_int_equal(DNS_RCODE(r.h.flags), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 1);

    /* from another address: not valid */
    qh_now = NOW;
    client_addr.sin_addr.s_addr ^= htonl(1);
    ask(s, held, 24, QUERY_PROTO_UDP, &r);
    assert_int_equal(r.info.cookie, QUERY_COOKIE_NEW);
    setup(NULL);
    /* no cookie: none in the reply */
    ask(s, NULL, 0, QUERY_PROTO_UDP, &r);
    assert_int_equal(r.info.cookie, QUERY_COOKIE_NONE);
    assert_int_equal(resp_cookie(&r, got), 0);
    snap_free(s);
}

static void test_query_malformed(void **state)
{
    (void)state;
    struct snap *s = qh_snap_from_json(ZONE_JSON("on", SECRET1));
    struct qh_resp r;
    uint8_t junk[48] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const size_t bad[] = {0, 7, 9, 15, 41};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ask(s, junk, bad[i], QUERY_PROTO_UDP, &r);
        assert_int_equal(DNS_RCODE(r.h.flags), DNS_RCODE_FORMERR);
        assert_int_equal(r.n[1], 0);
        assert_int_equal(r.n[3], 1); /* our OPT: the OPT itself was sound */
    }
    /* 16 to 40 bytes are well formed; a server cookie not of our form is simply not valid */
    const size_t good[] = {16, 24, 40};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ask(s, junk, good[i], QUERY_PROTO_UDP, &r);
        assert_int_equal(DNS_RCODE(r.h.flags), DNS_RCODE_NOERROR);
        assert_int_equal(r.info.cookie, QUERY_COOKIE_NEW);
    }
    snap_free(s);
}

static void test_query_require(void **state)
{
    (void)state;
    struct snap *s = qh_snap_from_json(ZONE_JSON("require", SECRET1));
    struct qh_resp r;
    uint8_t client[8] = {8, 7, 6, 5, 4, 3, 2, 1}, got[40];
    /* client cookie only, UDP: BADCOOKIE (23) with a cookie to retry with, no answer */
    ask(s, client, 8, QUERY_PROTO_UDP, &r);
    assert_int_equal(DNS_RCODE(r.h.flags), DNS_RCODE_BADCOOKIE & 0xf);
    assert_int_equal(r.info.rcode, DNS_RCODE_BADCOOKIE);
    assert_int_equal(r.info.cookie, QUERY_COOKIE_BAD);
    assert_int_equal(r.n[1], 0);
    assert_false(r.h.flags & DNS_FLAG_AA);
    assert_int_equal(resp_cookie(&r, got), 24);
    /* the retry with it is answered */
    uint8_t held[24];
    memcpy(held, got, 24);
    ask(s, held, 24, QUERY_PROTO_UDP, &r);
    assert_int_equal(DNS_RCODE(r.h.flags), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 1);
    assert_int_equal(r.info.cookie, QUERY_COOKIE_VALID);
    /* TCP proves the address: answered */
    ask(s, client, 8, QUERY_PROTO_TCP, &r);
    assert_int_equal(DNS_RCODE(r.h.flags), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 1);
    /* a client without cookies is answered (rate limiting deals with those) */
    ask(s, NULL, 0, QUERY_PROTO_UDP, &r);
    assert_int_equal(DNS_RCODE(r.h.flags), DNS_RCODE_NOERROR);
    assert_int_equal(r.n[1], 1);
    snap_free(s);
}

static void test_query_previous_secret(void **state)
{
    (void)state;
    struct snap *s = qh_snap_from_json(ZONE_JSON("on", SECRET2));
    /* the control plane keeps the secret before a rotation (server/cookie.c) */
    hex(SECRET1, s->opts.cookie_prev_secret, 16);
    s->opts.cookie_prev_until = NOW + 100;
    uint8_t client[8] = {1, 1, 2, 3, 5, 8, 13, 21}, held[24], got[40], secret[16], want[16];
    memcpy(held, client, 8);
    hex(SECRET1, secret, 16);
    dns_cookie_make(secret, client, (const uint8_t *)&client_addr.sin_addr, 4, NOW - 10, held + 8);
    struct qh_resp r;
    ask(s, held, 24, QUERY_PROTO_UDP, &r);
    assert_int_equal(r.info.cookie, QUERY_COOKIE_VALID);
    resp_cookie(&r, got);
    hex(SECRET2, secret, 16);
    dns_cookie_make(secret, client, (const uint8_t *)&client_addr.sin_addr, 4, NOW, want);
    assert_memory_equal(got + 8, want, 16); /* renewed with the current secret */
    /* after the grace period the old secret is not accepted */
    qh_now = NOW + 100;
    ask(s, held, 24, QUERY_PROTO_UDP, &r);
    assert_int_equal(r.info.cookie, QUERY_COOKIE_NEW);
    snap_free(s);
}

static void test_query_off(void **state)
{
    (void)state;
    struct snap *s = qh_snap_from_json(ZONE_JSON("off", ""));
    struct qh_resp r;
    uint8_t client[8] = {1}, got[40];
    ask(s, client, 8, QUERY_PROTO_UDP, &r);
    assert_int_equal(DNS_RCODE(r.h.flags), DNS_RCODE_NOERROR);
    assert_int_equal(r.info.cookie, QUERY_COOKIE_NONE);
    assert_int_equal(resp_cookie(&r, got), 0);
    snap_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc9018_vectors),
        cmocka_unit_test(test_age),
        cmocka_unit_test(test_mapped_address),
        cmocka_unit_test_setup(test_query_new_and_valid, setup),
        cmocka_unit_test_setup(test_query_malformed, setup),
        cmocka_unit_test_setup(test_query_require, setup),
        cmocka_unit_test_setup(test_query_previous_secret, setup),
        cmocka_unit_test_setup(test_query_off, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
