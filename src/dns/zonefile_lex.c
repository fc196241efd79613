/*
 * Zone-file lexer: turns the text into entries (the tokens of one logical line, with
 * parentheses joining lines), keeping quoted strings as single tokens and escapes raw for
 * the name and RDATA parsers. Also TTL values and the $GENERATE substitutions.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/zonefile_int.h"
#include "util/err.h"

void dns_zonefile__msg(struct dns_zonefile *zf, bool error, const char *file, unsigned line,
                       const char *fmt, ...)
{
    if (zf->stopped)
        return;
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (zf->o->msg)
        zf->o->msg(zf->o->ctx, error, file, line, text);
    if (!error)
        return;
    unsigned max = zf->o->max_errors ? zf->o->max_errors : 100;
    if (++zf->errors >= max) {
        if (zf->o->msg)
            zf->o->msg(zf->o->ctx, true, file, line, "too many errors; stopping here");
        zf->stopped = true;
        zf->stop_code = ERR_SYNTAX;
    }
}

int dns_zonefile__push(struct dns_zonefile *zf, const struct dns_tok *tok)
{
    if (zf->ntok == zf->captok) {
        size_t ncap = zf->captok ? zf->captok * 2 : 64;
        struct dns_tok *nt = realloc(zf->toks, ncap * sizeof(*nt));
        if (!nt)
            return -ENOMEM;
        zf->toks = nt;
        zf->captok = ncap;
    }
    zf->toks[zf->ntok++] = *tok;
    return 0;
}

static bool zf_delim(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '(' || c == ')' ||
           c == '"';
}

/* Reports a lexical error and skips what is left of the current line. */
static int zf_lex_error(struct dns_zonefile *zf, struct dns_zonefile_src *src, unsigned line,
                        const char *what)
{
    dns_zonefile__msg(zf, true, src->path, line, "%s", what);
    while (src->pos < src->len && src->buf[src->pos] != '\n')
        src->pos++;
    src->depth = 0;
    zf->ntok = 0;
    return ERR_SYNTAX;
}

int dns_zonefile__next(struct dns_zonefile *zf, struct dns_zonefile_src *src,
                       struct dns_zonefile_entry *e)
{
    const char *b = src->buf;
    bool line_start = src->pos == 0 || b[src->pos - 1] == '\n';
    bool blank = false;
    zf->ntok = 0;
    e->line = src->line;
    e->blank_owner = false;

    while (src->pos < src->len) {
        char c = b[src->pos];
        if (c == '\n') {
            src->pos++;
            src->line++;
            if (src->depth == 0) {
                if (zf->ntok)
                    return 1;
                line_start = true;
                blank = false;
            }
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') {
            if (line_start && zf->ntok == 0 && src->depth == 0)
                blank = true;
            line_start = false;
            src->pos++;
            continue;
        }
        line_start = false;
        if (c == ';') {
            while (src->pos < src->len && b[src->pos] != '\n')
                src->pos++;
            continue;
        }
        if (zf->ntok == 0 && src->depth == 0) {
            e->line = src->line;
            e->blank_owner = blank;
        }
        if (c == '(') {
            src->depth++;
            src->pos++;
            continue;
        }
        if (c == ')') {
            if (src->depth == 0)
                return zf_lex_error(zf, src, src->line, "unbalanced parentheses");
            src->depth--;
            src->pos++;
            continue;
        }
        struct dns_tok tok = {.offset = src->pos};
        if (c == '"') {
            size_t i = src->pos + 1;
            while (i < src->len && b[i] != '"' && b[i] != '\n') {
                if (b[i] == '\\' && i + 1 < src->len && b[i + 1] != '\n')
                    i++;
                i++;
            }
            if (i >= src->len || b[i] != '"')
                return zf_lex_error(zf, src, src->line, "unterminated quoted string");
            tok.text = b + src->pos + 1;
            tok.len = i - src->pos - 1;
            tok.quoted = true;
            src->pos = i + 1;
        } else {
            size_t i = src->pos;
            while (i < src->len && !zf_delim(b[i])) {
                unsigned char ch = (unsigned char)b[i];
                if (ch < 0x20 || ch == 0x7f)
                    return zf_lex_error(zf, src, src->line, "invalid character in the file");
                if (ch == '\\' && i + 1 < src->len && b[i + 1] != '\n')
                    i++;
                i++;
            }
            tok.text = b + src->pos;
            tok.len = i - src->pos;
            src->pos = i;
        }
        if (tok.len > 65535)
            return zf_lex_error(zf, src, src->line, "token longer than 65535 bytes");
        int r = dns_zonefile__push(zf, &tok);
        if (r)
            return r;
    }
    if (src->depth) {
        src->depth = 0;
        zf->ntok = 0;
        dns_zonefile__msg(zf, true, src->path, e->line, "unbalanced parentheses");
        return ERR_SYNTAX;
    }
    return zf->ntok ? 1 : 0;
}

int dns_zonefile_ttl(const char *s, size_t len, uint32_t *out)
{
    uint64_t total = 0, num = 0;
    bool digits = false, any = false;
    if (len == 0)
        return ERR_SYNTAX;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            num = num * 10 + (uint64_t)(c - '0');
            if (num > 0xffffffffull)
                return ERR_RANGE;
            digits = true;
            continue;
        }
        uint64_t mult;
        switch (c | 0x20) {
        case 's':
            mult = 1;
            break;
        case 'm':
            mult = 60;
            break;
        case 'h':
            mult = 3600;
            break;
        case 'd':
            mult = 86400;
            break;
        case 'w':
            mult = 604800;
            break;
        default:
            return ERR_SYNTAX;
        }
        if (!digits)
            return ERR_SYNTAX;
        total += num * mult;
        if (total > 0xffffffffull)
            return ERR_RANGE;
        num = 0;
        digits = false;
        any = true;
    }
    if (!digits && !any)
        return ERR_SYNTAX;
    total += num;
    if (total > 0x7fffffffull)
        return ERR_RANGE;
    *out = (uint32_t)total;
    return 0;
}

static int zf_gen_reserve(struct dns_zonefile *zf, size_t need)
{
    if (need <= zf->gencap)
        return 0;
    size_t ncap = zf->gencap ? zf->gencap : 1024;
    while (ncap < need)
        ncap *= 2;
    char *ng = realloc(zf->gen, ncap);
    if (!ng)
        return -ENOMEM;
    zf->gen = ng;
    zf->gencap = ncap;
    return 0;
}

/* One ${offset,width,base} (or plain $) value, formatted as BIND does. */
static int zf_gen_value(struct dns_zonefile *zf, long v, int width, char base, size_t *pos)
{
    char tmp[160];
    int n;
    if (width < 0 || width > 64 || v < 0)
        return ERR_SYNTAX;
    switch (base) {
    case 'd':
        n = snprintf(tmp, sizeof(tmp), "%0*ld", width, v);
        break;
    case 'o':
        n = snprintf(tmp, sizeof(tmp), "%0*lo", width, (unsigned long)v);
        break;
    case 'x':
        n = snprintf(tmp, sizeof(tmp), "%0*lx", width, (unsigned long)v);
        break;
    case 'X':
        n = snprintf(tmp, sizeof(tmp), "%0*lX", width, (unsigned long)v);
        break;
    case 'n':
    case 'N': {
        /* Nibbles, least significant first, each followed by a dot except the last, for
         * reverse names: ${0,4,n} of 0x1a2b is "b.2.a.1". The width counts nibbles. */
        char hex[40];
        int h =
            snprintf(hex, sizeof(hex), base == 'n' ? "%0*lx" : "%0*lX", width, (unsigned long)v);
        n = 0;
        for (int i = h - 1; i >= 0; i--) {
            tmp[n++] = hex[i];
            if (i)
                tmp[n++] = '.';
        }
        tmp[n] = 0;
        break;
    }
    default:
        return ERR_SYNTAX;
    }
    if (n < 0 || zf_gen_reserve(zf, *pos + (size_t)n + 1))
        return -ENOMEM;
    memcpy(zf->gen + *pos, tmp, (size_t)n);
    *pos += (size_t)n;
    return 0;
}

int dns_zonefile__subst(struct dns_zonefile *zf, const struct dns_tok *tok, long value, size_t *pos)
{
    const char *s = tok->text;
    size_t len = tok->len;
    for (size_t i = 0; i < len; i++) {
        if (zf_gen_reserve(zf, *pos + 2))
            return -ENOMEM;
        if (s[i] == '\\' && i + 1 < len) {
            zf->gen[(*pos)++] = s[i++];
            zf->gen[(*pos)++] = s[i];
            continue;
        }
        if (s[i] != '$') {
            zf->gen[(*pos)++] = s[i];
            continue;
        }
        long offset = 0;
        int width = 0;
        char base = 'd';
        if (i + 1 < len && s[i + 1] == '{') {
            const char *end = memchr(s + i + 2, '}', len - i - 2);
            if (!end)
                return ERR_SYNTAX;
            char spec[64];
            size_t sl = (size_t)(end - (s + i + 2));
            if (sl == 0 || sl >= sizeof(spec))
                return ERR_SYNTAX;
            memcpy(spec, s + i + 2, sl);
            spec[sl] = 0;
            char b = 'd', extra;
            int k = sscanf(spec, "%ld,%d,%c%c", &offset, &width, &b, &extra);
            if (k < 1 || k > 3)
                return ERR_SYNTAX;
            base = b;
            i = (size_t)(end - s);
        }
        int r = zf_gen_value(zf, value + offset, width, base, pos);
        if (r)
            return r;
    }
    return 0;
}
