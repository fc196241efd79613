#include "util/arena.h"

#include <stdlib.h>
#include <string.h>

#include "util/hugemem.h"

struct arena_block {
    struct arena_block *next;
    size_t size;
    _Alignas(16) uint8_t data[];
};

/* Large blocks (a large zone's snapshot) ask for huge pages: util/hugemem.h. Only the header
 * is written before use, so the block is not faulted in ahead. */
static struct arena_block *arena_block_new(size_t size)
{
    struct arena_block *b = hugemem_alloc(sizeof(struct arena_block) + size, false);
    if (b)
        b->size = size;
    return b;
}

static void arena_block_free(struct arena_block *b)
{
    hugemem_free(b, sizeof(struct arena_block) + b->size);
}

void arena_init_fixed(struct arena *a, void *buf, size_t size)
{
    memset(a, 0, sizeof(*a));
    a->fixed_base = buf;
    a->cur = buf;
    a->end = (uint8_t *)buf + size;
}

void arena_init_growing(struct arena *a, size_t block_size)
{
    memset(a, 0, sizeof(*a));
    a->block_size = block_size < 256 ? 256 : block_size;
}

void arena_deinit(struct arena *a)
{
    struct arena_block *b = a->blocks;
    while (b) {
        struct arena_block *next = b->next;
        arena_block_free(b);
        b = next;
    }
    memset(a, 0, sizeof(*a));
}

static void *arena_grow(struct arena *a, size_t size)
{
    if (!a->block_size)
        return NULL;
    size_t bsize = a->block_size;
    if (size > bsize / 4) {
        /* A large object gets a block of its own, linked behind the current one, so the
         * space left in the current block is not wasted. */
        if (size > SIZE_MAX - sizeof(struct arena_block))
            return NULL;
        struct arena_block *big = arena_block_new(size);
        if (!big)
            return NULL;
        if (a->blocks) {
            big->next = a->blocks->next;
            a->blocks->next = big;
        } else {
            big->next = NULL;
            a->blocks = big;
            a->cur = a->end = big->data + size;
        }
        a->total += size;
        return big->data;
    }
    struct arena_block *b = arena_block_new(bsize);
    if (!b)
        return NULL;
    b->next = a->blocks;
    a->blocks = b;
    a->cur = b->data + size;
    a->end = b->data + bsize;
    a->total += size;
    return b->data;
}

void *arena_alloc(struct arena *a, size_t size)
{
    size_t pad = (size_t)(-(uintptr_t)a->cur & 7u);
    if (a->cur && (size_t)(a->end - a->cur) >= pad && (size_t)(a->end - a->cur) - pad >= size) {
        void *p = a->cur + pad;
        a->cur += pad + size;
        a->total += size;
        return p;
    }
    return arena_grow(a, size);
}

void *arena_dup(struct arena *a, const void *src, size_t size)
{
    void *p = arena_alloc(a, size);
    if (p && size)
        memcpy(p, src, size);
    return p;
}

void *arena_alloc_array(struct arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return arena_alloc(a, n * size);
}

void arena_reset(struct arena *a)
{
    a->total = 0;
    if (!a->block_size) {
        a->cur = a->fixed_base;
        return;
    }
    /* Keep the newest block only if it is a normal-sized one. */
    struct arena_block *keep = a->blocks;
    if (keep && keep->size != a->block_size)
        keep = NULL;
    struct arena_block *b = a->blocks;
    while (b) {
        struct arena_block *next = b->next;
        if (b != keep)
            arena_block_free(b);
        b = next;
    }
    a->blocks = keep;
    if (keep) {
        keep->next = NULL;
        a->cur = keep->data;
        a->end = keep->data + keep->size;
    } else {
        a->cur = a->end = NULL;
    }
}
