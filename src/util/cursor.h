#pragma once
/*
 * Bounded reader over a byte buffer with a sticky error, in the style of Knot DNS's wire
 * context. Every read checks the bounds; the first failed read sets `err` (ERR_TRUNC) and
 * all later reads return zero without moving, so a parser can read a whole structure and
 * check `err` once. The cursor never owns the buffer. No allocation; any thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/err.h"

struct cursor {
    const uint8_t *base;
    size_t len;
    size_t pos;
    int err;
};

static inline void cursor_init(struct cursor *c, const void *buf, size_t len)
{
    c->base = buf;
    c->len = len;
    c->pos = 0;
    c->err = 0;
}

static inline size_t cursor_left(const struct cursor *c)
{
    return c->err ? 0 : c->len - c->pos;
}

static inline bool cursor_need(struct cursor *c, size_t n)
{
    if (c->err)
        return false;
    if (c->len - c->pos < n) {
        c->err = ERR_TRUNC;
        return false;
    }
    return true;
}

static inline void cursor_fail(struct cursor *c, int err)
{
    if (!c->err)
        c->err = err;
}

static inline uint8_t cursor_u8(struct cursor *c)
{
    if (!cursor_need(c, 1))
        return 0;
    return c->base[c->pos++];
}

static inline uint16_t cursor_u16(struct cursor *c)
{
    if (!cursor_need(c, 2))
        return 0;
    const uint8_t *p = c->base + c->pos;
    c->pos += 2;
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t cursor_u32(struct cursor *c)
{
    if (!cursor_need(c, 4))
        return 0;
    const uint8_t *p = c->base + c->pos;
    c->pos += 4;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Returns a pointer to the next n bytes and skips them, or NULL (and sets err). */
static inline const uint8_t *cursor_take(struct cursor *c, size_t n)
{
    if (!cursor_need(c, n))
        return NULL;
    const uint8_t *p = c->base + c->pos;
    c->pos += n;
    return p;
}

static inline void cursor_copy(struct cursor *c, void *dst, size_t n)
{
    const uint8_t *p = cursor_take(c, n);
    if (p)
        memcpy(dst, p, n);
    else if (n)
        memset(dst, 0, n);
}

static inline void cursor_skip(struct cursor *c, size_t n)
{
    (void)cursor_take(c, n);
}

/* A sub-cursor over the next n bytes (e.g. one RDATA); the parent skips them. */
static inline struct cursor cursor_sub(struct cursor *c, size_t n)
{
    struct cursor s;
    const uint8_t *p = cursor_take(c, n);
    cursor_init(&s, p, p ? n : 0);
    if (!p)
        s.err = c->err;
    return s;
}
