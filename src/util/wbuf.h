#pragma once
/*
 * Bounded writer into a caller-owned buffer with a sticky error (ERR_SPACE). Mirrors
 * util/cursor.h: write a whole structure, check `err` once. `wbuf_mark`/`wbuf_reset_to`
 * undo a partial write. No allocation; any thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/err.h"

struct wbuf {
    uint8_t *base;
    size_t cap;
    size_t pos;
    int err;
};

static inline void wbuf_init(struct wbuf *w, void *buf, size_t cap)
{
    w->base = buf;
    w->cap = cap;
    w->pos = 0;
    w->err = 0;
}

static inline size_t wbuf_left(const struct wbuf *w)
{
    return w->err ? 0 : w->cap - w->pos;
}

static inline bool wbuf_need(struct wbuf *w, size_t n)
{
    if (w->err)
        return false;
    if (w->cap - w->pos < n) {
        w->err = ERR_SPACE;
        return false;
    }
    return true;
}

static inline void wbuf_fail(struct wbuf *w, int err)
{
    if (!w->err)
        w->err = err;
}

static inline void wbuf_u8(struct wbuf *w, uint8_t v)
{
    if (wbuf_need(w, 1))
        w->base[w->pos++] = v;
}

static inline void wbuf_u16(struct wbuf *w, uint16_t v)
{
    if (!wbuf_need(w, 2))
        return;
    w->base[w->pos] = (uint8_t)(v >> 8);
    w->base[w->pos + 1] = (uint8_t)v;
    w->pos += 2;
}

static inline void wbuf_u32(struct wbuf *w, uint32_t v)
{
    if (!wbuf_need(w, 4))
        return;
    uint8_t *p = w->base + w->pos;
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    w->pos += 4;
}

static inline void wbuf_bytes(struct wbuf *w, const void *src, size_t n)
{
    if (n && wbuf_need(w, n)) {
        memcpy(w->base + w->pos, src, n);
        w->pos += n;
    }
}

/* Overwrite a 16-bit value already written at `at` (e.g. a length filled in later). */
static inline void wbuf_put_u16_at(struct wbuf *w, size_t at, uint16_t v)
{
    if (at + 2 <= w->pos) {
        w->base[at] = (uint8_t)(v >> 8);
        w->base[at + 1] = (uint8_t)v;
    }
}

static inline size_t wbuf_mark(const struct wbuf *w)
{
    return w->pos;
}

/* Undo everything written after `mark` and clear the error. */
static inline void wbuf_reset_to(struct wbuf *w, size_t mark)
{
    w->pos = mark;
    w->err = 0;
}
