/*
 * The check of data.mdb (src/store/check.c) through store_open, on real stores in a fresh
 * folder in /tmp: a store cut short at any length is refused with a sentence and left as it
 * was (LMDB read past the end of its map and died of SIGBUS before the check), or, cut only
 * in its unused tail, opens with all its data; damaged pages are refused; and stores that
 * took many puts, overwrites, deletes and large values (overflow pages, branch pages, a
 * free list) always pass, so the check never refuses a store LMDB wrote.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/check.h"
#include "store/store.h"

static char base[] = "/tmp/nanodns-store-check-XXXXXX";

/* ---- helpers ----------------------------------------------------------------------------- */

static void path_of(char *buf, size_t cap, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s", base, name);
    assert_true(n > 0 && (size_t)n < cap);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    assert_true(n >= 0);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n ? (size_t)n : 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* A fresh folder `name` holding only data.mdb with these bytes. */
static void make_store_dir(const char *name, const uint8_t *data, size_t len, char *dir, size_t cap)
{
    char cmd[600], f[600];
    path_of(dir, cap, name);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(f, sizeof(f), "%s/data.mdb", dir);
    FILE *fp = fopen(f, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

/* A hash of every entry a scan sees, and their number. */
struct sum {
    uint64_t h;
    size_t n;
};

static int sum_visit(void *ctx, enum store_table table, const void *key, size_t klen,
                     const void *val, size_t vlen)
{
    struct sum *s = ctx;
    const uint8_t *parts[2] = {key, val};
    size_t lens[2] = {klen, vlen};
    s->h = (s->h ^ (uint64_t)table) * 0x100000001b3ull;
    for (int p = 0; p < 2; p++) {
        s->h = (s->h ^ lens[p]) * 0x100000001b3ull;
        for (size_t i = 0; i < lens[p]; i++)
            s->h = (s->h ^ parts[p][i]) * 0x100000001b3ull;
    }
    s->n++;
    return 0;
}

static struct sum sum_of(const char *dir)
{
    char err[512] = "";
    struct store *st;
    struct sum s = {0xcbf29ce484222325ull, 0};
    if (store_open(dir, &st, err, sizeof(err)))
        fail_msg("%s", err);
    assert_int_equal(store_scan(st, sum_visit, &s), 0);
    store_close(st);
    return s;
}

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return rnd_state >> 8;
}

/* Applies `rounds` transactions of random puts (values up to 9000 bytes: overflow pages),
 * overwrites and deletes to the store in `dir`, reopening it (so checking it) after each. */
static void churn(const char *dir, int rounds)
{
    static uint8_t val[9000];
    char err[512] = "";
    for (int r = 0; r < rounds; r++) {
        struct store *st;
        if (store_open(dir, &st, err, sizeof(err)))
            fail_msg("round %d: %s", r, err);
        struct store_op ops[40];
        uint8_t keys[40][24];
        for (int i = 0; i < 40; i++) {
            size_t klen = 1 + rnd() % 20;
            keys[i][0] = (uint8_t)('a' + rnd() % 4); /* few prefixes: overwrites and deletes hit */
            for (size_t k = 1; k < klen; k++)
                keys[i][k] = (uint8_t)('a' + rnd() % 3);
            size_t vlen = rnd() % 8 == 0 ? rnd() % sizeof(val) : rnd() % 200;
            memset(val, (int)(rnd() & 0xff), vlen);
            bool del = rnd() % 3 == 0;
            ops[i] = (struct store_op){.table = (enum store_table)(rnd() % STORE_NTABLES),
                                       .key = keys[i],
                                       .klen = klen,
                                       .val = del ? NULL : val,
                                       .vlen = del ? 0 : vlen};
        }
        assert_int_equal(store_apply(st, ops, 40), 0);
        store_close(st);
    }
}

/* ---- tests ------------------------------------------------------------------------------- */

/* Stores LMDB wrote pass the check, however they were changed. */
static void test_churn_passes(void **state)
{
    (void)state;
    char dir[256];
    path_of(dir, sizeof(dir), "churn");
    churn(dir, 60);
    char f[300], err[512] = "";
    snprintf(f, sizeof(f), "%s/data.mdb", dir);
    if (store_check_file(f, err, sizeof(err)))
        fail_msg("%s", err);
    struct sum s = sum_of(dir);
    assert_true(s.n > 100);
}

/* A store cut at any length is refused and left as it is, or (cut in its unused tail, or
 * to nothing) opens with all its data (or none). */
static void test_truncated(void **state)
{
    (void)state;
    char dir[256], f[300];
    path_of(dir, sizeof(dir), "whole");
    churn(dir, 12);
    struct sum whole = sum_of(dir);
    snprintf(f, sizeof(f), "%s/data.mdb", dir);
    size_t len;
    uint8_t *data = slurp(f, &len);
    assert_true(len > 8 * 4096);

    size_t refused = 0;
    for (size_t cut = 0; cut < len; cut += cut < 9000 ? 193 : 1531) {
        char cdir[256], err[512] = "";
        make_store_dir("cut", data, cut, cdir, sizeof(cdir));
        struct store *st = NULL;
        int r = store_open(cdir, &st, err, sizeof(err));
        if (r == 0) {
            struct sum s = {0xcbf29ce484222325ull, 0};
            assert_int_equal(store_scan(st, sum_visit, &s), 0);
            store_close(st);
            if (cut == 0)
                assert_int_equal(s.n, 0);
            else
                assert_true(s.n == whole.n && s.h == whole.h);
            continue;
        }
        refused++;
        assert_null(st);
        assert_int_equal(r, STORE_ERR_CORRUPT);
        assert_non_null(strstr(err, "damaged"));
        /* left as it was */
        char cf[300];
        size_t clen;
        snprintf(cf, sizeof(cf), "%s/data.mdb", cdir);
        uint8_t *after = slurp(cf, &clen);
        assert_int_equal(clen, cut);
        assert_memory_equal(after, data, cut);
        free(after);
    }
    assert_true(refused > 10);
    free(data);
}

/* Damaged pages: a wild root, a page that claims to be dirty (LMDB would write through its
 * read-only map), a node offset past the page, a bad lower bound. */
static void test_damaged_pages(void **state)
{
    (void)state;
    char dir[256], f[300], err[512];
    path_of(dir, sizeof(dir), "pages");
    churn(dir, 3);
    snprintf(f, sizeof(f), "%s/data.mdb", dir);
    size_t len;
    uint8_t *data = slurp(f, &len);
    uint8_t *copy = malloc(len);
    assert_non_null(copy);

    /* the newer meta page and its main table's root page */
    uint64_t t0, t1, root;
    memcpy(&t0, data + 16 + 128, 8);
    memcpy(&t1, data + 4096 + 16 + 128, 8);
    size_t meta = t0 < t1 ? 4096 : 0;
    memcpy(&root, data + meta + 16 + 24 + 48 + 40, 8);
    assert_true(root >= 2 && (root + 1) * 4096 <= len);

    static const struct {
        const char *what;
        size_t off;
        uint8_t flip;
    } cases[] = {
        {"outside the", 0 /* root pointer, set below */, 0x40},
        {"flags 0x12", 10 /* of the root page */, 0x10},
        {"offset", 17 /* the first node offset, high byte */, 0xf0},
        {"bad bounds", 12 /* lower */, 0x01},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(copy, data, len);
        size_t off = i == 0 ? meta + 16 + 24 + 48 + 40 + 1 : root * 4096 + cases[i].off;
        copy[off] ^= cases[i].flip;
        char cdir[256];
        make_store_dir("damaged", copy, len, cdir, sizeof(cdir));
        struct store *st = NULL;
        err[0] = 0;
        assert_int_equal(store_open(cdir, &st, err, sizeof(err)), STORE_ERR_CORRUPT);
        assert_null(st);
        if (!strstr(err, cases[i].what))
            fail_msg("case %zu: %s", i, err);
    }
    free(copy);
    free(data);
}

static int group_setup(void **state)
{
    (void)state;
    return mkdtemp(base) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_churn_passes),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_damaged_pages),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
