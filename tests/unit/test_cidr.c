/* Address prefixes (src/util/cidr.c): parsing, normalization, matching, IPv4-mapped. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/cidr.h"
#include "util/err.h"

static bool match(const char *prefix, const char *addr)
{
    struct cidr c;
    assert_int_equal(cidr_parse(prefix, &c), 0);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1)
        in4->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1)
        in6->sin6_family = AF_INET6;
    else
        fail();
    return cidr_match(&c, 1, (struct sockaddr *)&ss);
}

static void test_parse(void **state)
{
    (void)state;
    struct cidr c;
    assert_int_equal(cidr_parse("10.0.0.0/8", &c), 0);
    assert_int_equal(c.family, AF_INET);
    assert_int_equal(c.bits, 8);
    assert_int_equal(cidr_parse("10.1.2.3/8", &c), 0); /* host bits cleared */
    assert_int_equal(c.addr[1], 0);
    assert_int_equal(cidr_parse("192.0.2.1", &c), 0);
    assert_int_equal(c.bits, 32);
    assert_int_equal(cidr_parse("fe80::/10", &c), 0);
    assert_int_equal(c.family, AF_INET6);
    assert_int_equal(cidr_parse("::1/128", &c), 0);
    const char *bad[] = {"", "/8", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x",
                         "10.0.0/8", "host/8", "10.0.0.0/8/8", "10.0.0.0/0008"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(cidr_parse(bad[i], &c), ERR_SYNTAX);
}

static void test_match(void **state)
{
    (void)state;
    assert_true(match("10.0.0.0/8", "10.255.1.2"));
    assert_false(match("10.0.0.0/8", "11.0.0.1"));
    assert_true(match("172.16.0.0/12", "172.31.255.255"));
    assert_false(match("172.16.0.0/12", "172.32.0.0"));
    assert_true(match("0.0.0.0/0", "203.0.113.9"));
    assert_true(match("192.0.2.7", "192.0.2.7"));
    assert_false(match("192.0.2.7", "192.0.2.8"));
    assert_true(match("fc00::/7", "fd12::1"));
    assert_false(match("fc00::/7", "fe00::1"));
    assert_true(match("127.0.0.0/8", "::ffff:127.0.0.1")); /* v4-mapped */
    assert_false(match("::1/128", "127.0.0.1"));
    assert_false(match("10.0.0.0/8", "::a00:1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_parse), cmocka_unit_test(test_match)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
