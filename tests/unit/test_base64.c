/* Unit tests for util/base64.c: RFC 4648 section 10 vectors, strictness, buffer limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/base64.h"
#include "util/err.h"

static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
static const char *const b64[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
/* RFC 4648 section 10 base32hex vectors without their padding (DNS never pads). */
static const char *const b32[] = {"", "CO", "CPNG", "CPNMU", "CPNMUOG", "CPNMUOJ1", "CPNMUOJ1E8"};

static void test_base64_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        char text[32];
        uint8_t bin[32];
        size_t n = strlen(plain[i]);
        assert_int_equal(base64_encode((const uint8_t *)plain[i], n, text, sizeof(text)),
                         strlen(b64[i]));
        assert_string_equal(text, b64[i]);
        assert_int_equal(base64_encoded_len(n), strlen(b64[i]));
        assert_int_equal(base64_decode(b64[i], strlen(b64[i]), bin, sizeof(bin)), n);
        assert_memory_equal(bin, plain[i], n);
    }
}

static void test_base64_rejects(void **state)
{
    (void)state;
    uint8_t bin[16];
    static const char *const bad[] = {
        "Zg=",       /* not a multiple of 4 */
        "Zg",        /* unpadded */
        "Zh==",      /* unused bits set: not the canonical encoding of "f" */
        "Zm9=",      /* same for two bytes */
        "Zg==Zg==",  /* padding in the middle */
        "Z===",      /* too much padding */
        "====",      /* padding only */
        "Zm9v YmFy", /* blanks are the caller's business */
        "Zm9v!mFy",  /* outside the alphabet */
        "Zm-v",      /* base64url is not base64 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(base64_decode(bad[i], strlen(bad[i]), bin, sizeof(bin)), ERR_SYNTAX);
}

static void test_base64_space(void **state)
{
    (void)state;
    char text[5];
    uint8_t bin[8];
    /* "Zm9v" needs 4 characters and the NUL. */
    assert_int_equal(base64_encode((const uint8_t *)"foo", 3, text, 5), 4);
    assert_int_equal(base64_encode((const uint8_t *)"foo", 3, text, 4), ERR_SPACE);
    assert_int_equal(base64_decode("Zm9vYmFy", 8, bin, 6), 6);
    assert_int_equal(base64_decode("Zm9vYmFy", 8, bin, 5), ERR_SPACE);
    assert_int_equal(base64_decode("Zm9vYg==", 8, bin, 4), 4);
    assert_int_equal(base64_decode("Zm9vYg==", 8, bin, 3), ERR_SPACE);
}

static void test_base64_in_place(void **state)
{
    (void)state;
    char buf[] = "Zm9vYmFyYmF6cXV4";
    assert_int_equal(base64_decode(buf, strlen(buf), (uint8_t *)buf, sizeof(buf)), 12);
    assert_memory_equal(buf, "foobarbazqux", 12);

    char hex[] = "666F6F626172";
    assert_int_equal(base64_hex_decode(hex, 12, (uint8_t *)hex, sizeof(hex)), 6);
    assert_memory_equal(hex, "foobar", 6);

    char b[] = "CPNMUOJ1E8";
    assert_int_equal(base64_b32hex_decode(b, 10, (uint8_t *)b, sizeof(b)), 6);
    assert_memory_equal(b, "foobar", 6);
}

static void test_b32hex_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        char text[32], lower[32];
        uint8_t bin[32];
        size_t n = strlen(plain[i]);
        assert_int_equal(base64_b32hex_encode((const uint8_t *)plain[i], n, text, sizeof(text)),
                         strlen(b32[i]));
        assert_string_equal(text, b32[i]);
        assert_int_equal(base64_b32hex_encoded_len(n), strlen(b32[i]));
        assert_int_equal(base64_b32hex_decode(b32[i], strlen(b32[i]), bin, sizeof(bin)), n);
        assert_memory_equal(bin, plain[i], n);
        /* Decoding ignores case, as NSEC3 owner names are compared case-insensitively. */
        for (size_t k = 0; k <= strlen(b32[i]); k++)
            lower[k] = (char)(b32[i][k] >= 'A' && b32[i][k] <= 'Z' ? b32[i][k] + 32 : b32[i][k]);
        assert_int_equal(base64_b32hex_decode(lower, strlen(lower), bin, sizeof(bin)), n);
        assert_memory_equal(bin, plain[i], n);
    }
}

static void test_b32hex_rejects(void **state)
{
    (void)state;
    uint8_t bin[16];
    static const char *const bad[] = {
        /* 1, 3 and 6 leftover characters are no whole number of bytes */
        "C",        "CPN", "CPNMUO", "CP", /* unused bits set ("CO" is "f") */
        "CO======",                        /* padding is not used in DNS */
        "CW",                              /* W is past the base32hex alphabet */
        "C O",                             /* blank */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(base64_b32hex_decode(bad[i], strlen(bad[i]), bin, sizeof(bin)),
                         ERR_SYNTAX);
    char text[4];
    assert_int_equal(base64_b32hex_encode((const uint8_t *)"fo", 2, text, sizeof(text)), ERR_SPACE);
    assert_int_equal(base64_b32hex_decode("CPNMUOJ1", 8, bin, 4), ERR_SPACE);
}

static void test_hex(void **state)
{
    (void)state;
    static const uint8_t bytes[] = {0x00, 0x01, 0xab, 0xcd, 0xef, 0xff};
    char text[13];
    uint8_t bin[8];
    assert_int_equal(base64_hex_encode(bytes, sizeof(bytes), text, sizeof(text)), 12);
    assert_string_equal(text, "0001ABCDEFFF");
    assert_int_equal(base64_hex_encode(bytes, sizeof(bytes), text, 12), ERR_SPACE);
    assert_int_equal(base64_hex_decode("0001abcdefFF", 12, bin, sizeof(bin)), 6);
    assert_memory_equal(bin, bytes, 6);
    assert_int_equal(base64_hex_decode("", 0, bin, sizeof(bin)), 0);
    assert_int_equal(base64_hex_decode("ABC", 3, bin, sizeof(bin)), ERR_SYNTAX);
    assert_int_equal(base64_hex_decode("0g", 2, bin, sizeof(bin)), ERR_SYNTAX);
    assert_int_equal(base64_hex_decode("0 1", 3, bin, sizeof(bin)), ERR_SYNTAX);
    assert_int_equal(base64_hex_decode("0001", 4, bin, 1), ERR_SPACE);
}

/* Every byte value survives each encoding, at every length up to 64 (all group offsets). */
static void test_roundtrip_all_bytes(void **state)
{
    (void)state;
    uint8_t in[64], out[64];
    char text[200];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)(i * 37 + 11);
    for (size_t n = 0; n <= sizeof(in); n++) {
        int t = base64_encode(in, n, text, sizeof(text));
        assert_true(t >= 0);
        assert_int_equal(base64_decode(text, (size_t)t, out, sizeof(out)), n);
        assert_memory_equal(out, in, n);
        t = base64_b32hex_encode(in, n, text, sizeof(text));
        assert_true(t >= 0);
        assert_int_equal(base64_b32hex_decode(text, (size_t)t, out, sizeof(out)), n);
        assert_memory_equal(out, in, n);
        t = base64_hex_encode(in, n, text, sizeof(text));
        assert_int_equal(t, 2 * n);
        assert_int_equal(base64_hex_decode(text, (size_t)t, out, sizeof(out)), n);
        assert_memory_equal(out, in, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_vectors),
        cmocka_unit_test(test_base64_rejects),
        cmocka_unit_test(test_base64_space),
        cmocka_unit_test(test_base64_in_place),
        cmocka_unit_test(test_b32hex_vectors),
        cmocka_unit_test(test_b32hex_rejects),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_roundtrip_all_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
