/*
 * BIND's $GENERATE directive:
 *
 *   $GENERATE start-stop[/step] lhs [ttl] [class] type rhs...
 *
 * makes one record per value of the range, with "$" in lhs and rhs replaced by the value.
 * "${offset[,width[,base]]}" adds an offset and formats it zero-padded to `width` in base d
 * (decimal), o (octal), x or X (hex), or n or N: hex nibbles in reverse order separated by
 * dots, for ip6.arpa names, where (as in BIND) the width counts the characters, dots
 * included. "$$" and "\$" give a literal '$' (the backslash stays for the name or RDATA
 * parser, which reads "\$" as '$').
 *
 * BIND takes the rhs as one token and lexes it again after the substitution, so a quoted rhs
 * holds several fields (`MX "10 mx$"`); that is kept for a single rhs token, and several
 * tokens are accepted as well. TTL, class and type are parsed once, before the first record.
 * The first error ends the directive: every later record would repeat it. An error in a
 * generated record is reported at the lhs or rhs token it was made from.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/zonefile_int.h"
#include "util/err.h"

#define ZF_GENERATE_MAX 1000000
#define ZF_GEN_WIDTH    127 /* BIND's limit: the formatted value must fit 128 bytes */

static int zf_gen_reserve(struct dns_zonefile *zf, size_t need)
{
    if (zf->gen && need <= zf->gencap)
        return 0;
    size_t ncap = zf->gencap ? zf->gencap : 1024;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return -ENOMEM;
        ncap *= 2;
    }
    char *ng = realloc(zf->gen, ncap);
    if (!ng)
        return -ENOMEM;
    zf->gen = ng;
    zf->gencap = ncap;
    return 0;
}

/* A decimal number at s[*i], 0..2^31-1. Returns 0, ERR_SYNTAX (no digits) or ERR_RANGE. */
static int zf_gen_num(const char *s, size_t len, size_t *i, int64_t *v)
{
    size_t first = *i;
    int64_t n = 0;
    bool big = false;
    for (; *i < len && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
        n = n * 10 + (s[*i] - '0');
        if (n > INT32_MAX) {
            big = true;
            n = INT32_MAX;
        }
    }
    if (*i == first)
        return ERR_SYNTAX;
    *v = n;
    return big ? ERR_RANGE : 0;
}

/* start-stop[/step] with start <= stop and step >= 1. */
static int zf_gen_range(const struct dns_tok *t, int64_t *start, int64_t *stop, int64_t *step)
{
    size_t i = 0;
    *step = 1;
    if (t->quoted || zf_gen_num(t->text, t->len, &i, start))
        return ERR_SYNTAX;
    if (i >= t->len || t->text[i++] != '-' || zf_gen_num(t->text, t->len, &i, stop))
        return ERR_SYNTAX;
    if (i < t->len && (t->text[i++] != '/' || zf_gen_num(t->text, t->len, &i, step)))
        return ERR_SYNTAX;
    if (i != t->len || *start > *stop || *step < 1)
        return ERR_SYNTAX;
    return 0;
}

/* BIND's nibble format: least significant nibble first, dots between, zero nibbles added
 * until `width` characters (dots counted) are written. */
static int zf_gen_nibbles(char *out, int64_t width, bool upper, uint32_t value)
{
    const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    do {
        out[n++] = hex[value & 0xf];
        value >>= 4;
        if (width > 0)
            width--;
        if (width > 0 || value != 0) {
            out[n++] = '.';
            if (width > 0)
                width--;
        }
    } while (value != 0 || width > 0);
    return n;
}

/* The value at s[*i] (just past a '$'): plain, or with a {offset,width,base} modifier. */
static int zf_gen_value(struct dns_zonefile *zf, const char *s, size_t len, size_t *i, int64_t v,
                        size_t *pos)
{
    int64_t offset = 0, width = 0;
    char base = 'd';
    if (*i < len && s[*i] == '{') {
        size_t k = *i + 1;
        bool neg = k < len && s[k] == '-';
        if (k < len && (s[k] == '-' || s[k] == '+'))
            k++;
        int r = zf_gen_num(s, len, &k, &offset);
        if (r)
            return r;
        if (neg)
            offset = -offset;
        if (k < len && s[k] == ',') {
            k++;
            if ((r = zf_gen_num(s, len, &k, &width)) != 0)
                return r;
            if (k < len && s[k] == ',') {
                k++;
                if (k >= len || !memchr("doxXnN", s[k], 6))
                    return ERR_SYNTAX;
                base = s[k++];
            }
        }
        if (k >= len || s[k] != '}')
            return ERR_SYNTAX;
        *i = k + 1;
    }
    v += offset;
    if (width > ZF_GEN_WIDTH || v < 0 || v > INT32_MAX)
        return ERR_RANGE;

    char num[ZF_GEN_WIDTH + 32];
    int n, w = (int)width;
    switch (base) {
    case 'o':
        n = snprintf(num, sizeof(num), "%0*llo", w, (unsigned long long)v);
        break;
    case 'x':
        n = snprintf(num, sizeof(num), "%0*llx", w, (unsigned long long)v);
        break;
    case 'X':
        n = snprintf(num, sizeof(num), "%0*llX", w, (unsigned long long)v);
        break;
    case 'n':
    case 'N':
        n = zf_gen_nibbles(num, width, base == 'N', (uint32_t)v);
        break;
    default:
        n = snprintf(num, sizeof(num), "%0*lld", w, (long long)v);
        break;
    }
    if (n < 0 || (size_t)n >= sizeof(num) || zf_gen_reserve(zf, *pos + (size_t)n))
        return -ENOMEM;
    memcpy(zf->gen + *pos, num, (size_t)n);
    *pos += (size_t)n;
    return 0;
}

/* Appends `tok` with the substitutions for `v` to zf->gen at *pos. */
static int zf_gen_subst(struct dns_zonefile *zf, const struct dns_tok *tok, int64_t v, size_t *pos)
{
    const char *s = tok->text;
    size_t len = tok->len;
    /* Every byte but a '$' maps to at most itself; zf_gen_value reserves for the values. */
    if (zf_gen_reserve(zf, *pos + len))
        return -ENOMEM;
    for (size_t i = 0; i < len;) {
        if (s[i] == '\\') {
            zf->gen[(*pos)++] = s[i++];
            if (i < len)
                zf->gen[(*pos)++] = s[i++];
        } else if (s[i] != '$') {
            zf->gen[(*pos)++] = s[i++];
        } else if (++i < len && s[i] == '$') {
            zf->gen[(*pos)++] = s[i++];
        } else {
            int r = zf_gen_value(zf, s, len, &i, v, pos);
            if (r)
                return r;
            if (zf_gen_reserve(zf, *pos + (len - i)))
                return -ENOMEM;
        }
    }
    return 0;
}

static int zf_gen_fail(struct dns_zonefile *zf, const char *file, const struct dns_tok *tok, int r)
{
    if (r == -ENOMEM) {
        zf->stopped = true;
        zf->stop_code = r;
    } else if (r == ERR_RANGE) {
        dns_zonefile__msg(zf, true, file, dns_zonefile__at(tok),
                          "$GENERATE value out of range in \"%.*s\"", dns_zonefile__show(tok),
                          tok->text);
    } else {
        dns_zonefile__msg(zf, true, file, dns_zonefile__at(tok),
                          "invalid $GENERATE modifier in \"%.*s\"", dns_zonefile__show(tok),
                          tok->text);
    }
    return ERR_SYNTAX;
}

/* The RDATA tokens of one record, substituted, into zf->gtoks, each with the line and
 * column of the rhs token it comes from. */
static int zf_gen_rhs(struct dns_zonefile *zf, const char *file, int64_t v,
                      const struct dns_tok *rhs, size_t nrhs)
{
    size_t pos = 0;
    int r;
    zf->gtoks.n = 0;
    if (nrhs == 1) {
        /* Lexed again, as BIND does. */
        if ((r = zf_gen_subst(zf, rhs, v, &pos)) != 0)
            return zf_gen_fail(zf, file, rhs, r);
        size_t at = 0;
        struct dns_tok tok;
        while ((r = dns_text_next(zf->gen, pos, &at, &tok)) == 1) {
            tok.line = rhs->line;
            tok.col = rhs->col;
            if (dns_zonefile__push(&zf->gtoks, &tok))
                return zf_gen_fail(zf, file, rhs, -ENOMEM);
        }
        if (r < 0) {
            dns_zonefile__msg(zf, true, file, dns_zonefile__at(rhs),
                              "invalid $GENERATE data \"%.*s\"", pos > 60 ? 60 : (int)pos, zf->gen);
            return ERR_SYNTAX;
        }
        return 0;
    }

    /* Texts first (zf->gen may move while it grows), then pointers, and offsets that keep
     * the tokens that touched (key="value" in SVCB) touching. */
    for (size_t k = 0; k < nrhs; k++) {
        struct dns_tok tok = {
            .offset = pos, .line = rhs[k].line, .col = rhs[k].col, .quoted = rhs[k].quoted};
        if ((r = zf_gen_subst(zf, &rhs[k], v, &pos)) != 0)
            return zf_gen_fail(zf, file, &rhs[k], r);
        tok.len = pos - tok.offset;
        if (dns_zonefile__push(&zf->gtoks, &tok))
            return zf_gen_fail(zf, file, rhs, -ENOMEM);
    }
    size_t off = 0;
    for (size_t k = 0; k < nrhs; k++) {
        struct dns_tok *g = &zf->gtoks.v[k];
        g->text = zf->gen + g->offset;
        if (k > 0) {
            const struct dns_tok *a = &rhs[k - 1], *pg = &zf->gtoks.v[k - 1];
            size_t q = a->quoted ? 2 : 0;
            bool touch = a->offset + a->len + q == rhs[k].offset;
            off = pg->offset + pg->len + q + (touch ? 0 : 1);
        }
        g->offset = off;
    }
    return 0;
}

void dns_zonefile__generate(struct dns_zonefile *zf, const char *file,
                            const struct dns_zonefile_entry *e, struct dns_zonefile_state *st)
{
    const struct dns_tok *t = zf->toks.v;
    size_t n = zf->toks.n, i = 3;
    unsigned max = zf->o->max_generate ? zf->o->max_generate : ZF_GENERATE_MAX;
    int64_t start, stop, step;
    struct dns_zonefile_head h;

    if (n < 4) {
        dns_zonefile__msg(zf, true, file, dns_zonefile__after(&t[n - 1]),
                          "$GENERATE needs a range, an owner, a type and data");
        return;
    }
    if (zf_gen_range(&t[1], &start, &stop, &step)) {
        dns_zonefile__msg(zf, true, file, dns_zonefile__at(&t[1]),
                          "invalid $GENERATE range \"%.*s\"", dns_zonefile__show(&t[1]), t[1].text);
        return;
    }
    if ((stop - start) / step >= max) {
        dns_zonefile__msg(zf, true, file, dns_zonefile__at(&t[1]),
                          "$GENERATE range \"%.*s\" is too large (limit %u records)",
                          dns_zonefile__show(&t[1]), t[1].text, max);
        return;
    }
    if (dns_zonefile__head(zf, file, t, n, &i, &h))
        return;
    if (i >= n) {
        dns_zonefile__msg(zf, true, file, dns_zonefile__after(&t[n - 1]),
                          "$GENERATE needs a range, an owner, a type and data");
        return;
    }

    for (int64_t v = start;; v += step) {
        uint8_t owner[DNS_NAME_MAXLEN];
        size_t pos = 0, olen;
        int r = zf_gen_subst(zf, &t[2], v, &pos);
        if (r) {
            zf_gen_fail(zf, file, &t[2], r);
            return;
        }
        r = dns_name_from_text(zf->gen, pos, st->origin, owner, &olen);
        if (r) {
            dns_zonefile__msg(zf, true, file, dns_zonefile__at(&t[2]),
                              "invalid owner name \"%.*s\" (%s)", pos > 60 ? 60 : (int)pos, zf->gen,
                              err_str(r));
            return;
        }
        if (zf_gen_rhs(zf, file, v, t + i, n - i))
            return;
        if (dns_zonefile__record(zf, file, e->at, dns_zonefile__after(&t[n - 1]), st, owner, olen,
                                 &h, zf->gtoks.v, zf->gtoks.n))
            return;
        if (zf->stopped || stop - v < step)
            return;
    }
}
