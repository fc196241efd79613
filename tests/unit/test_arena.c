/*
 * The bump allocator (src/util/arena.c): a fixed arena over a caller buffer (NULL when full,
 * reset), a growing arena (blocks, large objects, alignment, overflow-checked arrays, reset).
 * ASan checks that no two allocations overlap and that nothing is written out of bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/arena.h"

static _Alignas(16) uint8_t mem[256];

static void test_fixed(void **state)
{
    (void)state;
    struct arena a;
    arena_init_fixed(&a, mem, 64);
    uint8_t *p1 = arena_alloc(&a, 24);
    assert_ptr_equal(p1, mem);
    uint8_t *p2 = arena_alloc(&a, 20); /* 24..44 */
    assert_ptr_equal(p2, mem + 24);
    uint8_t *p3 = arena_alloc(&a, 16); /* padded to 48..64: exactly full */
    assert_ptr_equal(p3, mem + 48);
    assert_null(arena_alloc(&a, 1));
    assert_null(arena_alloc(&a, 64));
    assert_int_equal(a.total, 60);
    /* a zero-byte request still fits at the end */
    assert_non_null(arena_alloc(&a, 0));

    arena_reset(&a);
    assert_int_equal(a.total, 0);
    uint8_t *p = arena_alloc(&a, 64);
    assert_ptr_equal(p, mem);
    memset(p, 0xab, 64);
    assert_null(arena_alloc(&a, 1));
    arena_reset(&a);
    assert_null(arena_alloc(&a, 65));
    assert_ptr_equal(arena_alloc(&a, 8), mem); /* a failed request took nothing */
    arena_deinit(&a);                          /* nothing to free; must not touch mem */
}

static void test_fixed_misaligned(void **state)
{
    (void)state;
    struct arena a;
    arena_init_fixed(&a, mem + 3, 61); /* ends at mem + 64 */
    uint8_t *p = arena_alloc(&a, 8);
    assert_ptr_equal(p, mem + 8);
    assert_int_equal((uintptr_t)p % 8, 0);
    for (int i = 0; i < 6; i++) {
        p = arena_alloc(&a, 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 8, 0);
    }
    /* the 1-byte objects sit at mem + 16, 24, ..., 56: nothing of 8 fits anymore */
    assert_null(arena_alloc(&a, 8));
    arena_reset(&a);
    assert_ptr_equal(arena_alloc(&a, 1), mem + 8);
}

static void test_dup_and_array(void **state)
{
    (void)state;
    struct arena a;
    arena_init_fixed(&a, mem, sizeof(mem));
    uint8_t *d = arena_dup(&a, "hello", 6);
    assert_non_null(d);
    assert_string_equal((char *)d, "hello");
    assert_non_null(arena_dup(&a, NULL, 0));
    assert_null(arena_alloc_array(&a, SIZE_MAX / 2, 4));
    assert_null(arena_alloc_array(&a, SIZE_MAX, SIZE_MAX));
    assert_null(arena_alloc_array(&a, 4, SIZE_MAX / 2));
    assert_null(arena_alloc_array(&a, 300, 1));
    uint32_t *arr = arena_alloc_array(&a, 10, sizeof(uint32_t));
    assert_non_null(arr);
    for (int i = 0; i < 10; i++)
        arr[i] = (uint32_t)i;
    assert_string_equal((char *)d, "hello");

    struct arena g;
    arena_init_growing(&g, 1024);
    assert_null(arena_alloc_array(&g, SIZE_MAX / 8 + 1, 8));
    assert_null(arena_alloc(&g, SIZE_MAX - 8)); /* too large to allocate at all */
    assert_non_null(arena_alloc_array(&g, 0, 8));
    arena_deinit(&g);
}

static void test_growing(void **state)
{
    (void)state;
    struct arena a;
    arena_init_growing(&a, 100); /* rounded up to 256 */
    assert_int_equal(a.block_size, 256);
    enum { N = 2000 };
    uint8_t **ptrs = calloc(N, sizeof(*ptrs));
    assert_non_null(ptrs);
    size_t total = 0;
    for (int i = 0; i < N; i++) {
        size_t size = 1 + (size_t)(i * 7) % 60;
        ptrs[i] = arena_alloc(&a, size);
        assert_non_null(ptrs[i]);
        assert_int_equal((uintptr_t)ptrs[i] % 8, 0);
        memset(ptrs[i], i & 0xff, size); /* ASan: within a live block */
        total += size;
    }
    assert_int_equal(a.total, total);
    /* nothing was overwritten by a later allocation */
    for (int i = 0; i < N; i++) {
        size_t size = 1 + (size_t)(i * 7) % 60;
        for (size_t k = 0; k < size; k++)
            assert_int_equal(ptrs[i][k], i & 0xff);
    }
    free(ptrs);

    arena_reset(&a);
    assert_int_equal(a.total, 0);
    for (int i = 0; i < 100; i++) {
        uint8_t *p = arena_alloc(&a, 50);
        assert_non_null(p);
        memset(p, 1, 50);
    }
    arena_deinit(&a);
    assert_null(a.blocks);
    /* usable again after deinit + init */
    arena_init_growing(&a, 4096);
    assert_non_null(arena_alloc(&a, 10));
    arena_deinit(&a);
}

static void test_large_objects(void **state)
{
    (void)state;
    struct arena a;
    arena_init_growing(&a, 1024);
    uint8_t *s1 = arena_alloc(&a, 16);
    assert_non_null(s1);
    /* larger than a quarter block: a block of its own, the current block keeps going */
    uint8_t *big = arena_alloc(&a, 5000);
    assert_non_null(big);
    assert_int_equal((uintptr_t)big % 8, 0);
    memset(big, 0x5a, 5000);
    uint8_t *s2 = arena_alloc(&a, 16);
    assert_ptr_equal(s2, s1 + 16);
    /* over a quarter block but fits in what is left: taken from the current block */
    uint8_t *mid = arena_alloc(&a, 300);
    assert_ptr_equal(mid, s2 + 16);
    memset(mid, 0x33, 300);
    /* 1024 - 332 bytes left: 700 does not fit and gets its own block */
    uint8_t *big2 = arena_alloc(&a, 700);
    assert_non_null(big2);
    memset(big2, 0x44, 700);
    assert_ptr_equal(arena_alloc(&a, 8), mid + 304);
    for (int i = 0; i < 5000; i++)
        assert_int_equal(big[i], 0x5a);
    for (int i = 0; i < 300; i++)
        assert_int_equal(mid[i], 0x33);
    assert_int_equal(a.total, 16 + 5000 + 16 + 300 + 700 + 8);

    arena_reset(&a);
    uint8_t *p = arena_alloc(&a, 16);
    assert_ptr_equal(p, s1); /* the first normal block is kept */
    arena_deinit(&a);

    /* a large object first, then reset: no normal block to keep */
    arena_init_growing(&a, 1024);
    big = arena_alloc(&a, 4096);
    assert_non_null(big);
    memset(big, 1, 4096);
    p = arena_alloc(&a, 10);
    assert_non_null(p);
    memset(p, 2, 10);
    assert_int_equal(big[4095], 1);
    arena_reset(&a);
    p = arena_alloc(&a, 100);
    assert_non_null(p);
    memset(p, 3, 100);
    big = arena_alloc(&a, 2000);
    assert_non_null(big);
    memset(big, 4, 2000);
    arena_reset(&a);
    arena_reset(&a);
    assert_non_null(arena_alloc(&a, 1));
    arena_deinit(&a);
    arena_deinit(&a); /* twice is harmless */

    /* only a large object, then reset: nothing is kept and the arena starts over */
    arena_init_growing(&a, 1024);
    big = arena_alloc(&a, 3000);
    assert_non_null(big);
    memset(big, 5, 3000);
    arena_reset(&a);
    assert_null(a.blocks);
    p = arena_alloc(&a, 24);
    assert_non_null(p);
    memset(p, 6, 24);
    arena_deinit(&a);
}

static void test_alignment(void **state)
{
    (void)state;
    struct arena a;
    arena_init_growing(&a, 4096);
    for (size_t size = 0; size < 600; size++) {
        uint8_t *p = arena_alloc(&a, size);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 8, 0);
        memset(p, 0x77, size);
    }
    arena_deinit(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed),         cmocka_unit_test(test_fixed_misaligned),
        cmocka_unit_test(test_dup_and_array), cmocka_unit_test(test_growing),
        cmocka_unit_test(test_large_objects), cmocka_unit_test(test_alignment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
