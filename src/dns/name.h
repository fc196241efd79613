#pragma once
/*
 * Domain names in wire form (a sequence of length-prefixed labels ending with the root
 * label 0, at most 255 bytes). Conversion from and to presentation form (RFC 1035 5.1
 * escapes \X and \DDD), decompression from a message, ASCII case-insensitive comparison and
 * the RFC 4034 6.1 canonical order. Functions that take a plain `const uint8_t *name` expect
 * a valid uncompressed name (from dns_name_from_text, dns_name_unpack or
 * dns_name_validate). Pure functions; no allocation; any thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/cursor.h"

#define DNS_NAME_MAXLEN    255
#define DNS_LABEL_MAXLEN   63
#define DNS_NAME_MAXLABELS 128

/* ASCII lower-casing table used by every case-insensitive comparison. */
extern const uint8_t dns_lower_table[256];

static inline uint8_t dns_lower(uint8_t c)
{
    return dns_lower_table[c];
}

/*
 * Presentation form to wire form. A name with a trailing dot is absolute; otherwise
 * `origin` (a wire name, or NULL for the root) is appended. "@" alone is the origin. The
 * case is kept. Returns 0, ERR_NAME (empty label, bad escape, empty text), ERR_LABEL or
 * ERR_NAME_LONG.
 */
int dns_name_from_text(const char *text, size_t len, const uint8_t *origin,
                       uint8_t out[DNS_NAME_MAXLEN], size_t *out_len);

enum dns_name_text_flags {
    DNS_NAME_TEXT_NODOT = 1, /* "web.internal.lan" instead of "web.internal.lan." */
};

/* Wire form to presentation form, NUL-terminated, escaping as RFC 1035 does. Returns the
 * length without the NUL, or ERR_SPACE. The root is "." with or without NODOT. */
int dns_name_to_text(const uint8_t *name, char *out, size_t cap, unsigned flags);

/*
 * Reads a possibly compressed name from a message. `c->base` must be the start of the
 * message and `c->pos` the start of the name; on return `c->pos` is just past the name as
 * it appears in place. Pointers must point strictly backwards (so they cannot loop).
 * Returns 0 or an error (also left in c->err): ERR_TRUNC, ERR_PTR, ERR_LABEL,
 * ERR_NAME_LONG, ERR_FORMAT (reserved label types 0x40/0x80).
 */
int dns_name_unpack(struct cursor *c, uint8_t out[DNS_NAME_MAXLEN], size_t *out_len);

/* Checks that buf holds an uncompressed name at its start; *len gets its length. */
int dns_name_validate(const uint8_t *buf, size_t buflen, size_t *len);

size_t dns_name_len(const uint8_t *name);
unsigned dns_name_labels(const uint8_t *name);
void dns_name_lower(uint8_t *name);
/* Copies src lowered into dst and returns the length. */
size_t dns_name_copy_lower(uint8_t *dst, const uint8_t *src);
bool dns_name_equal(const uint8_t *a, const uint8_t *b);
/* RFC 4034 6.1 canonical order: <0, 0, >0. */
int dns_name_compare(const uint8_t *a, const uint8_t *b);
/* True when name equals parent or lies below it. */
bool dns_name_is_subdomain(const uint8_t *name, const uint8_t *parent);
/* Offsets of each label start, root label excluded; returns the label count. */
unsigned dns_name_label_offsets(const uint8_t *name, uint8_t offs[DNS_NAME_MAXLABELS]);
/* True when the first label is "*". */
static inline bool dns_name_is_wildcard(const uint8_t *name)
{
    return name[0] == 1 && name[1] == '*';
}
