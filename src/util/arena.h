#pragma once
/*
 * Bump allocator. Two uses:
 *  - per worker: a fixed region reset after every packet, so the hot path never calls
 *    malloc (arena_init_fixed over a caller buffer; arena_alloc returns NULL when full);
 *  - per snapshot: zone data that lives and dies together (arena_init_growing; blocks are
 *    malloc'ed as needed and freed all at once by arena_deinit).
 * Not thread-safe: one owner at a time.
 */

#include <stddef.h>
#include <stdint.h>

struct arena_block;

struct arena {
    uint8_t *cur;
    uint8_t *end;
    struct arena_block *blocks; /* growing arenas only */
    size_t block_size;          /* 0 for a fixed arena */
    uint8_t *fixed_base;
    size_t total; /* bytes handed out, for statistics */
};

void arena_init_fixed(struct arena *a, void *buf, size_t size);
void arena_init_growing(struct arena *a, size_t block_size);
void arena_deinit(struct arena *a);

/* Returns `size` bytes aligned to 8, or NULL when out of space or memory. */
void *arena_alloc(struct arena *a, size_t size);
/* arena_alloc + memcpy. */
void *arena_dup(struct arena *a, const void *src, size_t size);
/* Overflow-checked n * size. */
void *arena_alloc_array(struct arena *a, size_t n, size_t size);
/* Forget everything allocated; a growing arena keeps only its first block. */
void arena_reset(struct arena *a);
