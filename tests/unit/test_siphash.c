/* SipHash-2-4 against the reference vectors of the paper (key 00..0f, messages 00..n-1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/siphash.h"

static void test_vectors(void **state)
{
    (void)state;
    uint8_t key[16], msg[64];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    assert_true(siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ull);
    assert_true(siphash24(key, msg, 1) == 0x74f839c593dc67fdull);
    assert_true(siphash24(key, msg, 7) == 0xab0200f58b01d137ull);
    assert_true(siphash24(key, msg, 8) == 0x93f5f5799a932462ull);
    assert_true(siphash24(key, msg, 15) == 0xa129ca6149be45e5ull);
    assert_true(siphash24(key, msg, 63) == 0x958a324ceb064572ull);
    key[0] ^= 1; /* another key, another hash */
    assert_true(siphash24(key, msg, 15) != 0xa129ca6149be45e5ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_vectors)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
