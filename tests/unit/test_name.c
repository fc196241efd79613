/* Unit tests for dns/name.c: text conversion with escapes and origins, the 63/255 limits,
 * decompression (and its defences), comparison and the RFC 4034 6.1 canonical order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dns/name.h"
#include "util/err.h"

/* Parses text (absolute or relative to origin, NULL for the root) or fails the test. */
static size_t name_of(const char *text, const uint8_t *origin, uint8_t out[DNS_NAME_MAXLEN])
{
    size_t len = 0;
    assert_int_equal(dns_name_from_text(text, strlen(text), origin, out, &len), 0);
    assert_int_equal(len, dns_name_len(out));
    return len;
}

static void test_from_text_wire(void **state)
{
    (void)state;
    uint8_t n[DNS_NAME_MAXLEN];
    assert_int_equal(name_of("www.Example.com.", NULL, n), 17);
    assert_memory_equal(n, "\3www\7Example\3com", 17);
    assert_int_equal(name_of(".", NULL, n), 1);
    assert_int_equal(n[0], 0);
    /* Escapes: \. is a dot inside a label, \DDD any byte, \X the character itself. */
    assert_int_equal(name_of("a\\.b.c\\\\d.\\065\\000\\255.", NULL, n), 13);
    assert_memory_equal(n, "\3a.b\3c\\d\3A\0\377\0", 13);
}

static void test_from_text_errors(void **state)
{
    (void)state;
    uint8_t n[DNS_NAME_MAXLEN];
    size_t len;
    static const char *const bad[] = {"",    "..",    ".a",    "a..b", "a.b..",
                                      "a\\", "a\\25", "\\256", "\\12x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(dns_name_from_text(bad[i], strlen(bad[i]), NULL, n, &len), ERR_NAME);
}

static void test_origin(void **state)
{
    (void)state;
    uint8_t origin[DNS_NAME_MAXLEN], n[DNS_NAME_MAXLEN], want[DNS_NAME_MAXLEN];
    name_of("example.com.", NULL, origin);
    name_of("www.example.com.", NULL, want);

    assert_int_equal(name_of("www", origin, n), 17);
    assert_memory_equal(n, want, 17);
    /* A trailing dot makes the name absolute: the origin is not appended. */
    assert_int_equal(name_of("www.", origin, n), 5);
    assert_memory_equal(n, "\3www\0", 5);
    assert_int_equal(name_of("@", origin, n), 13);
    assert_memory_equal(n, origin, 13);
    /* Without an origin, relative names are relative to the root. */
    assert_int_equal(name_of("www.example.com", NULL, n), 17);
    assert_memory_equal(n, want, 17);
    assert_int_equal(name_of("@", NULL, n), 1);
    /* "\@" is a label holding '@', not the origin. */
    assert_int_equal(name_of("\\@", origin, n), 15);
    assert_memory_equal(n, "\1@\7example\3com", 15);
}

/* Text of labels of the given lengths ('a' .. 'd'), with a trailing dot when `dot`. */
static size_t make_text(char *buf, const int *lens, int nlabels, bool dot)
{
    size_t p = 0;
    for (int i = 0; i < nlabels; i++) {
        if (i)
            buf[p++] = '.';
        memset(buf + p, 'a' + i, (size_t)lens[i]);
        p += (size_t)lens[i];
    }
    if (dot)
        buf[p++] = '.';
    buf[p] = 0;
    return p;
}

static void test_limits(void **state)
{
    (void)state;
    uint8_t n[DNS_NAME_MAXLEN], origin[DNS_NAME_MAXLEN];
    size_t len, tl;
    char text[400];

    /* 63 bytes per label. */
    tl = make_text(text, (const int[]){63}, 1, true);
    assert_int_equal(dns_name_from_text(text, tl, NULL, n, &len), 0);
    assert_int_equal(len, 65);
    tl = make_text(text, (const int[]){64}, 1, true);
    assert_int_equal(dns_name_from_text(text, tl, NULL, n, &len), ERR_LABEL);
    tl = make_text(text, (const int[]){1, 64, 1}, 3, false);
    assert_int_equal(dns_name_from_text(text, tl, NULL, n, &len), ERR_LABEL);

    /* 255 bytes of wire form: 63.63.63.61. is 64 * 3 + 62 + 1 bytes. */
    tl = make_text(text, (const int[]){63, 63, 63, 61}, 4, true);
    assert_int_equal(dns_name_from_text(text, tl, NULL, n, &len), 0);
    assert_int_equal(len, 255);
    tl = make_text(text, (const int[]){63, 63, 63, 62}, 4, true);
    assert_int_equal(dns_name_from_text(text, tl, NULL, n, &len), ERR_NAME_LONG);
    tl = make_text(text, (const int[]){63, 63, 63, 61, 1}, 5, false);
    assert_int_equal(dns_name_from_text(text, tl, NULL, n, &len), ERR_NAME_LONG);
    /* The same limit applies after appending the origin (254 bytes + "x"). */
    tl = make_text(text, (const int[]){63, 63, 63, 60}, 4, true);
    assert_int_equal(dns_name_from_text(text, tl, NULL, origin, &len), 0);
    assert_int_equal(len, 254);
    assert_int_equal(dns_name_from_text("@", 1, origin, n, &len), 0);
    assert_int_equal(len, 254);
    assert_int_equal(dns_name_from_text("x", 1, origin, n, &len), ERR_NAME_LONG);

    /* dns_name_validate enforces both too. */
    uint8_t wire[300];
    memset(wire, 0, sizeof(wire));
    wire[0] = 64;
    assert_int_equal(dns_name_validate(wire, sizeof(wire), &len), ERR_FORMAT);
    size_t q = 0;
    for (int i = 0; i < 4; i++) {
        wire[q] = 63;
        memset(wire + q + 1, 'x', 63);
        q += 64;
    }
    wire[q] = 0;
    assert_int_equal(dns_name_validate(wire, sizeof(wire), &len), ERR_NAME_LONG);
    wire[192] = 61; /* 63.63.63.61 */
    wire[192 + 62] = 0;
    assert_int_equal(dns_name_validate(wire, sizeof(wire), &len), 0);
    assert_int_equal(len, 255);
    assert_int_equal(dns_name_validate(wire, 254, &len), ERR_TRUNC);
    static const uint8_t ptr[] = {3, 'w', 'w', 'w', 0xc0, 12};
    assert_int_equal(dns_name_validate(ptr, sizeof(ptr), &len), ERR_PTR);
}

static void test_to_text(void **state)
{
    (void)state;
    uint8_t n[DNS_NAME_MAXLEN];
    char text[DNS_NAME_MAXLEN * 4 + 1];
    static const uint8_t odd[] = {9,    'a', '.', '"', '(', ' ', 0, 0x7f,
                                  '\\', '@', 3,   'c', 'o', 'm', 0};
    assert_int_equal(dns_name_to_text(odd, text, sizeof(text), 0), 28);
    assert_string_equal(text, "a\\.\\\"\\(\\032\\000\\127\\\\\\@.com.");
    /* ... and that text parses back to the same wire name. */
    size_t len;
    assert_int_equal(dns_name_from_text(text, strlen(text), NULL, n, &len), 0);
    assert_int_equal(len, sizeof(odd));
    assert_memory_equal(n, odd, sizeof(odd));

    name_of("web.internal.lan.", NULL, n);
    assert_int_equal(dns_name_to_text(n, text, sizeof(text), DNS_NAME_TEXT_NODOT), 16);
    assert_string_equal(text, "web.internal.lan");
    uint8_t root[1] = {0};
    assert_int_equal(dns_name_to_text(root, text, sizeof(text), DNS_NAME_TEXT_NODOT), 1);
    assert_string_equal(text, ".");
    /* "web.internal.lan." needs 18 bytes with the NUL. */
    assert_int_equal(dns_name_to_text(n, text, 18, 0), 17);
    assert_int_equal(dns_name_to_text(n, text, 17, 0), ERR_SPACE);
}

static void test_equal_and_lower(void **state)
{
    (void)state;
    uint8_t a[DNS_NAME_MAXLEN], b[DNS_NAME_MAXLEN], c[DNS_NAME_MAXLEN];
    name_of("WWW.Example.COM.", NULL, a);
    name_of("www.example.com.", NULL, b);
    assert_true(dns_name_equal(a, b));
    name_of("www.example.co.", NULL, c);
    assert_false(dns_name_equal(a, c));
    name_of("ww.wexample.com.", NULL, c); /* same letters, other labels */
    assert_false(dns_name_equal(b, c));
    /* Only ASCII letters fold: 0xC0 and 0xE0 stay different. */
    static const uint8_t hi1[] = {1, 0xc0, 0}, hi2[] = {1, 0xe0, 0};
    assert_false(dns_name_equal(hi1, hi2));

    uint8_t low[DNS_NAME_MAXLEN];
    assert_int_equal(dns_name_copy_lower(low, a), 17);
    assert_memory_equal(low, b, 17);
    dns_name_lower(a);
    assert_memory_equal(a, b, 17);
    assert_int_equal(dns_name_labels(b), 3);
}

/* RFC 4034 section 6.1 lists these names in canonical order. */
static void test_canonical_order(void **state)
{
    (void)state;
    static const char *const order[] = {
        "example.",         "a.example.",      "yljkjljk.a.example.",
        "Z.a.example.",     "zABC.a.EXAMPLE.", "z.example.",
        "\\001.z.example.", "*.z.example.",    "\\200.z.example.",
    };
    size_t n = sizeof(order) / sizeof(order[0]);
    uint8_t names[9][DNS_NAME_MAXLEN];
    for (size_t i = 0; i < n; i++)
        name_of(order[i], NULL, names[i]);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            int c = dns_name_compare(names[i], names[j]);
            if (i < j)
                assert_true(c < 0);
            else if (i > j)
                assert_true(c > 0);
            else
                assert_int_equal(c, 0);
        }
    }
    uint8_t upper[DNS_NAME_MAXLEN];
    name_of("Z.A.EXAMPLE.", NULL, upper);
    assert_int_equal(dns_name_compare(upper, names[3]), 0);
}

static void test_subdomain(void **state)
{
    (void)state;
    uint8_t a[DNS_NAME_MAXLEN], b[DNS_NAME_MAXLEN], root[1] = {0};
    name_of("www.Example.com.", NULL, a);
    name_of("example.COM.", NULL, b);
    assert_true(dns_name_is_subdomain(a, b));
    assert_true(dns_name_is_subdomain(b, b));
    assert_false(dns_name_is_subdomain(b, a));
    assert_true(dns_name_is_subdomain(a, root));
    name_of("ample.com.", NULL, b);
    assert_false(dns_name_is_subdomain(a, b));
    uint8_t offs[DNS_NAME_MAXLABELS];
    assert_int_equal(dns_name_label_offsets(a, offs), 3);
    assert_int_equal(offs[0], 0);
    assert_int_equal(offs[1], 4);
    assert_int_equal(offs[2], 12);
    name_of("*.example.", NULL, a);
    assert_true(dns_name_is_wildcard(a));
    assert_false(dns_name_is_wildcard(b));
}

/* A message: header, example.com at 12, then names that point back into it. */
static const uint8_t msg[] = {
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    /* 12 */ 7,
    'e',
    'x',
    'a',
    'm',
    'p',
    'l',
    'e',
    3,
    'c',
    'o',
    'm',
    0,
    /* 25 */ 3,
    'w',
    'w',
    'w',
    0xc0,
    12,
    /* 31 */ 0xc0,
    25,
    /* 33 */ 4,
    'm',
    'a',
    'i',
    'l',
    0xc0,
    25,
    /* 40 */ 0xc0,
    42, /* forward */
    /* 42 */ 1,
    'a',
    0xc0,
    42, /* back to its own start: a loop */
    /* 46 */ 1,
    'b',
    0x40, /* reserved label type */
    /* 49 */ 2,
    'c', /* truncated */
};

static void test_unpack(void **state)
{
    (void)state;
    struct cursor c;
    uint8_t n[DNS_NAME_MAXLEN], want[DNS_NAME_MAXLEN];
    size_t len;
    cursor_init(&c, msg, sizeof(msg));

    c.pos = 12;
    assert_int_equal(dns_name_unpack(&c, n, &len), 0);
    assert_int_equal(len, 13);
    assert_int_equal(c.pos, 25);

    assert_int_equal(dns_name_unpack(&c, n, &len), 0);
    assert_int_equal(len, name_of("www.example.com.", NULL, want));
    assert_memory_equal(n, want, len);
    assert_int_equal(c.pos, 31); /* just past the pointer, not where it led */

    assert_int_equal(dns_name_unpack(&c, n, &len), 0); /* a pointer to a pointer */
    assert_memory_equal(n, want, len);
    assert_int_equal(c.pos, 33);

    assert_int_equal(dns_name_unpack(&c, n, &len), 0);
    assert_int_equal(len, name_of("mail.www.example.com.", NULL, want));
    assert_memory_equal(n, want, len);
    assert_int_equal(c.pos, 40);
    assert_int_equal(c.err, 0);
}

static void test_unpack_bad(void **state)
{
    (void)state;
    struct cursor c;
    uint8_t n[DNS_NAME_MAXLEN];
    size_t len;
    static const struct {
        size_t pos;
        int err;
    } cases[] = {{40, ERR_PTR}, {42, ERR_PTR}, {46, ERR_FORMAT}, {49, ERR_TRUNC}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cursor_init(&c, msg, sizeof(msg));
        c.pos = cases[i].pos;
        assert_int_equal(dns_name_unpack(&c, n, &len), cases[i].err);
        assert_int_equal(c.err, cases[i].err); /* sticky */
        assert_int_equal(dns_name_unpack(&c, n, &len), cases[i].err);
    }
    /* A pointer cut off by the end of the message. */
    static const uint8_t cut[] = {1, 'a', 0xc0};
    cursor_init(&c, cut, sizeof(cut));
    assert_int_equal(dns_name_unpack(&c, n, &len), ERR_TRUNC);
}

/* Pointers may stitch together a name longer than 255 bytes; unpack must refuse it. */
static void test_unpack_too_long(void **state)
{
    (void)state;
    uint8_t m[512], n[DNS_NAME_MAXLEN];
    size_t p = 0, len;
    struct cursor c;
    for (int i = 0; i < 3; i++) {
        m[p++] = 63;
        memset(m + p, 'x', 63);
        p += 63;
    }
    m[p++] = 0; /* 193 bytes at 0 */
    size_t second = p;
    m[p++] = 63;
    memset(m + p, 'y', 63);
    p += 63;
    m[p++] = 0xc0;
    m[p++] = 0;
    cursor_init(&c, m, p);
    c.pos = second;
    assert_int_equal(dns_name_unpack(&c, n, &len), ERR_NAME_LONG);

    /* With a 61-byte label the name is 62 + 193 = 255 bytes: just fits. */
    m[second] = 61;
    m[second + 62] = 0xc0;
    m[second + 63] = 0;
    cursor_init(&c, m, second + 64);
    c.pos = second;
    assert_int_equal(dns_name_unpack(&c, n, &len), 0);
    assert_int_equal(len, 255);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_text_wire),  cmocka_unit_test(test_from_text_errors),
        cmocka_unit_test(test_origin),          cmocka_unit_test(test_limits),
        cmocka_unit_test(test_to_text),         cmocka_unit_test(test_equal_and_lower),
        cmocka_unit_test(test_canonical_order), cmocka_unit_test(test_subdomain),
        cmocka_unit_test(test_unpack),          cmocka_unit_test(test_unpack_bad),
        cmocka_unit_test(test_unpack_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
