/* Upstream entry forms of the forwarder (src/fwd/fwd.c: fwd_parse_upstream). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fwd/fwd.h"
#include "util/err.h"

static void expect(const char *text, int family, const char *addr, unsigned port)
{
    struct fwd_upstream u;
    char got[64];
    assert_int_equal(fwd_parse_upstream(text, 53, &u), 0);
    assert_int_equal(u.addr.ss_family, family);
    if (family == AF_INET) {
        const struct sockaddr_in *in = (const void *)&u.addr;
        inet_ntop(AF_INET, &in->sin_addr, got, sizeof(got));
        assert_int_equal(ntohs(in->sin_port), port);
        assert_int_equal(u.len, sizeof(*in));
    } else {
        const struct sockaddr_in6 *in = (const void *)&u.addr;
        inet_ntop(AF_INET6, &in->sin6_addr, got, sizeof(got));
        assert_int_equal(ntohs(in->sin6_port), port);
        assert_int_equal(u.len, sizeof(*in));
    }
    assert_string_equal(got, addr);
    assert_string_equal(u.text, text);
}

static void test_forms(void **state)
{
    (void)state;
    expect("8.8.8.8", AF_INET, "8.8.8.8", 53);
    expect("127.0.0.1:5353", AF_INET, "127.0.0.1", 5353);
    expect("[2001:db8::1]:853", AF_INET6, "2001:db8::1", 853);
    expect("[::1]", AF_INET6, "::1", 53);
    expect("2001:db8::53", AF_INET6, "2001:db8::53", 53);
    struct fwd_upstream u;
    const char *bad[] = {"", "1.1.1", "1.1.1.1:", "1.1.1.1:0", "1.1.1.1:70000", "[::1",
                         "[::1]x", "[1.2.3.4]:53", "::1:53:x", "host.example:53", "1.1.1.1:53x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(fwd_parse_upstream(bad[i], 53, &u), ERR_SYNTAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_forms)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
