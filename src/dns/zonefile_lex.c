/*
 * Zone-file lexer: turns the bytes of one file into entries, an entry being the tokens of
 * one logical line (newlines inside parentheses are blanks). Quoted strings are single
 * tokens; escapes stay raw for the name and RDATA parsers (dns/text.h), which decode them
 * as their field requires.
 *
 * Files are streamed. The lexer is a byte-at-a-time state machine (with tight loops over
 * the common runs of plain characters), so it can stop anywhere and resume after a refill:
 * it keeps the current entry's text at the front of the buffer, reads more behind it, and
 * records tokens as offsets from the entry start so that moving or growing the buffer does
 * not invalidate them. Text before the first token of an entry (blank lines, comments) is
 * dropped at once, so only an entry itself must fit in DNS_ZONEFILE_ENTRY_MAX; a longer one
 * is reported and skipped to its end without being kept.
 *
 * A lexical error (a bad byte, an unterminated quote, an unbalanced parenthesis) does not
 * stop the scan: the rest of the entry is read in the same way, so that the parse resumes
 * with the next entry, and the first error is reported once, where it is.
 *
 * Each token carries its line and column for the parser's messages. The column is the
 * distance from the start of the line (src->bol), which is kept as an offset in the buffer
 * like everything else, so it costs one store per line and two per token.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/zonefile_int.h"
#include "util/err.h"

void dns_zonefile__msg(struct dns_zonefile *zf, bool error, const char *file,
                       struct dns_zonefile_pos at, const char *fmt, ...)
{
    if (zf->stopped)
        return;
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (zf->o->msg)
        zf->o->msg(zf->o->ctx, error, file, at.line, at.col, text);
    if (error && ++zf->errors >= zf->max_errors) {
        /* A warning, so that a caller counting errors sees exactly max_errors. */
        snprintf(text, sizeof(text), "too many errors (limit %u); stopping here", zf->max_errors);
        if (zf->o->msg)
            zf->o->msg(zf->o->ctx, false, file, at.line, at.col, text);
        zf->stopped = true;
    }
}

/* Makes room for one more token. Returns 0 or -ENOMEM. */
static int zf_grow(struct dns_zonefile_toks *a)
{
    if (a->n < a->cap)
        return 0;
    size_t ncap = a->cap ? a->cap * 2 : 64;
    struct dns_tok *nv = ncap <= SIZE_MAX / sizeof(*nv) ? realloc(a->v, ncap * sizeof(*nv)) : NULL;
    if (!nv)
        return -ENOMEM;
    a->v = nv;
    a->cap = ncap;
    return 0;
}

int dns_zonefile__push(struct dns_zonefile_toks *a, const struct dns_tok *tok)
{
    if (zf_grow(a))
        return -ENOMEM;
    a->v[a->n++] = *tok;
    return 0;
}

int dns_zonefile__show(const struct dns_tok *t)
{
    return t->len > 60 ? 60 : (int)t->len;
}

/* ---- the buffered reader -------------------------------------------------------------- */

/* Drops the first `keep` bytes of the buffer, grows it when it is full and reads more.
 * Returns 0 (s->eof set at the end of the file) or a negative errno. */
static int zf_refill(struct dns_zonefile_src *s, size_t keep)
{
    if (keep) {
        memmove(s->mem, s->mem + keep, s->len - keep);
        s->len -= keep;
        s->pos -= keep;
        s->bol -= keep; /* may wrap: see struct dns_zonefile_src */
    }
    if (s->len == s->cap) {
        size_t ncap = s->cap * 2;
        char *m = realloc(s->mem, ncap);
        if (!m)
            return -ENOMEM;
        s->mem = m;
        s->buf = m;
        s->cap = ncap;
    }
    for (;;) {
        ssize_t k = read(s->fd, s->mem + s->len, s->cap - s->len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -errno;
        if (k == 0)
            s->eof = true;
        s->len += (size_t)k;
        return 0;
    }
}

/* ---- the lexer ---------------------------------------------------------------------------- */

enum zf_lex_state { ZF_BLANK, ZF_WORD, ZF_QUOTE, ZF_COMMENT };

struct zf_lex {
    size_t start; /* the entry's text (or what is left of the line before it) in buf */
    size_t tok;   /* the token being read, in buf */
    size_t depth; /* of parentheses */
    struct dns_zonefile_pos paren; /* the outermost open one */
    enum zf_lex_state st;
    bool bol;   /* at the beginning of a line */
    bool lead;  /* the current line starts with a blank */
    bool esc;   /* the previous byte was a backslash */
    bool begun; /* the entry has started: e->line is set */
    bool skip;  /* the entry has an error: read it to its end, keep nothing */
};

static bool zf_plain(unsigned char c)
{
    return c > ' ' && c < 0x7f && c != '"' && c != '(' && c != ')' && c != ';' && c != '\\';
}

static bool zf_delim(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '(' || c == ')' ||
           c == '"';
}

/* The column of buf[at], on the current line. */
static unsigned zf_col(const struct dns_zonefile_src *s, size_t at)
{
    return (unsigned)(at - s->bol + 1);
}

static struct dns_zonefile_pos zf_here(const struct dns_zonefile_src *s)
{
    return (struct dns_zonefile_pos){s->line, zf_col(s, s->pos)};
}

/* The byte after the current one, or -1 (the caller made sure it is in the buffer unless
 * the file ends). */
static int zf_peek(const struct dns_zonefile_src *s)
{
    return s->pos + 1 < s->len ? (unsigned char)s->buf[s->pos + 1] : -1;
}

/* A line end at the current byte: LF, or CR LF. */
static bool zf_eol(const struct dns_zonefile_src *s, unsigned char c)
{
    return c == '\n' || (c == '\r' && zf_peek(s) == '\n');
}

static void zf_begin(struct zf_lex *lx, const struct dns_zonefile_src *s,
                     struct dns_zonefile_entry *e)
{
    if (!lx->begun) {
        lx->begun = true;
        e->at = zf_here(s);
        e->blank_owner = lx->lead;
    }
}

/* Records the entry's first lexical error, at `at`. */
static void zf_fail(struct dns_zonefile *zf, struct zf_lex *lx, const struct dns_zonefile_src *s,
                    struct dns_zonefile_entry *e, struct dns_zonefile_pos at, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void zf_fail(struct dns_zonefile *zf, struct zf_lex *lx, const struct dns_zonefile_src *s,
                    struct dns_zonefile_entry *e, struct dns_zonefile_pos at, const char *fmt, ...)
{
    zf_begin(lx, s, e);
    if (!lx->skip) {
        zf->lexerr_at = at;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(zf->lexerr, sizeof(zf->lexerr), fmt, ap);
        va_end(ap);
        lx->skip = true;
        zf->toks.n = 0;
    }
}

static void zf_bad_byte(struct dns_zonefile *zf, struct zf_lex *lx,
                        const struct dns_zonefile_src *s, struct dns_zonefile_entry *e,
                        unsigned char c)
{
    if (c >= 0x80)
        zf_fail(zf, lx, s, e, zf_here(s),
                "non-ASCII byte \\%03u outside quotes (write it as \\DDD)", c);
    else
        zf_fail(zf, lx, s, e, zf_here(s), "invalid byte \\%03u", c);
}

/* Records the token that ends at s->pos (offsets from the entry start; see zf_finish). */
static int zf_token(struct dns_zonefile *zf, struct zf_lex *lx, const struct dns_zonefile_src *s,
                    bool quoted)
{
    if (lx->skip)
        return 0;
    if (zf_grow(&zf->toks))
        return -ENOMEM;
    /* Filled in place: this runs for every token of the file. */
    struct dns_tok *t = &zf->toks.v[zf->toks.n++];
    t->offset = lx->tok - lx->start;
    t->len = s->pos - lx->tok - (quoted ? 2 : 0); /* without the quotes */
    t->line = s->line;                            /* a token does not span lines */
    t->col = zf_col(s, lx->tok);
    t->quoted = quoted;
    return 0;
}

/* Makes room for more input and reads it. */
static int zf_more(struct dns_zonefile *zf, struct zf_lex *lx, struct dns_zonefile_src *s,
                   struct dns_zonefile_entry *e)
{
    bool holding = !lx->skip && (zf->toks.n || lx->st == ZF_WORD || lx->st == ZF_QUOTE);
    size_t keep = holding ? lx->start : s->pos;
    if (keep == 0 && s->len == s->cap && s->cap >= DNS_ZONEFILE_ENTRY_MAX) {
        zf_begin(lx, s, e);
        zf_fail(zf, lx, s, e, e->at, "entry longer than %u bytes", DNS_ZONEFILE_ENTRY_MAX);
        keep = s->pos;
    }
    int r = zf_refill(s, keep);
    if (keep <= lx->tok)
        lx->tok -= keep;
    lx->start = 0; /* keep is the entry start, or nothing before s->pos is needed */
    if (r == -ENOMEM)
        return r;
    if (r < 0) {
        dns_zonefile__msg(zf, true, s->path, (struct dns_zonefile_pos){s->line, 0},
                          "cannot read \"%s\": %s", s->path, err_str(r));
        s->eof = true;
    }
    return 0;
}

/* The entry is complete: report its error, or point the tokens at their text. */
static int zf_finish(struct dns_zonefile *zf, struct zf_lex *lx, const struct dns_zonefile_src *s,
                     struct dns_zonefile_entry *e)
{
    /* Text in memory has no buffer to overflow; the same limit keeps results the same. */
    if (s->pos - lx->start > DNS_ZONEFILE_ENTRY_MAX)
        zf_fail(zf, lx, s, e, e->at, "entry longer than %u bytes", DNS_ZONEFILE_ENTRY_MAX);
    if (lx->skip) {
        dns_zonefile__msg(zf, true, s->path, zf->lexerr_at, "%s", zf->lexerr);
        zf->toks.n = 0;
        return ERR_SYNTAX;
    }
    for (size_t i = 0; i < zf->toks.n; i++) {
        struct dns_tok *t = &zf->toks.v[i];
        t->text = s->buf + lx->start + t->offset + (t->quoted ? 1 : 0);
    }
    return 1;
}

int dns_zonefile__next(struct dns_zonefile *zf, struct dns_zonefile_src *s,
                       struct dns_zonefile_entry *e)
{
    struct zf_lex lx = {.start = s->pos, .st = ZF_BLANK, .bol = true};
    int r;
    zf->toks.n = 0;
    zf->lexerr[0] = 0;
    e->at = zf_here(s);
    e->blank_owner = false;

    for (;;) {
        /* Two bytes ahead, so that CR LF can be seen as one line end. */
        if (s->len - s->pos < 2 && !s->eof) {
            if ((r = zf_more(zf, &lx, s, e)) < 0)
                return r;
            continue;
        }
        if (s->pos == s->len)
            break;
        const char *b = s->buf, *p = b + s->pos, *end = b + s->len;
        unsigned char c = (unsigned char)*p;

        switch (lx.st) {
        case ZF_COMMENT:
            while (p < end && *p != '\n' && *p != 0)
                p++;
            s->pos = (size_t)(p - b);
            if (p < end && *p == 0) {
                zf_bad_byte(zf, &lx, s, e, 0);
                s->pos++;
            } else if (p < end) {
                lx.st = ZF_BLANK;
            }
            continue;

        case ZF_WORD:
            if (lx.esc) {
                lx.esc = false;
                if (zf_eol(s, c)) {
                    /* A backslash at the end of a line escapes nothing: the token ends
                     * with it, and the field's parser reports it. */
                    if ((r = zf_token(zf, &lx, s, false)) < 0)
                        return r;
                    lx.st = ZF_BLANK;
                    continue;
                }
                if ((c < ' ' && c != '\t') || c >= 0x7f)
                    zf_bad_byte(zf, &lx, s, e, c);
                s->pos++;
                continue;
            }
            while (p < end && zf_plain((unsigned char)*p))
                p++;
            s->pos = (size_t)(p - b);
            if (end - p < 2 && !s->eof)
                continue; /* refill first: zf_eol may need the next byte */
            if (p == end)
                continue;
            c = (unsigned char)*p;
            if (c == '\\') {
                lx.esc = true;
                s->pos++;
            } else if (zf_delim(c)) {
                if ((r = zf_token(zf, &lx, s, false)) < 0)
                    return r;
                lx.st = ZF_BLANK;
            } else {
                zf_bad_byte(zf, &lx, s, e, c);
                s->pos++;
            }
            continue;

        case ZF_QUOTE:
            if (!lx.esc) {
                while (p < end && *p != '"' && *p != '\\' && *p != '\n' &&
                       ((unsigned char)*p >= ' ' || *p == '\t') && *p != 0x7f)
                    p++;
                s->pos = (size_t)(p - b);
                if (p == end || (end - p < 2 && !s->eof))
                    continue;
                c = (unsigned char)*p;
            }
            if (zf_eol(s, c)) {
                /* Quoted strings do not span lines; the line end is seen again as a
                 * blank, so the entry still ends where it should. */
                zf_fail(zf, &lx, s, e, (struct dns_zonefile_pos){s->line, zf_col(s, lx.tok)},
                        "unterminated quoted string");
                lx.esc = false;
                lx.st = ZF_BLANK;
                continue;
            }
            if (lx.esc) {
                lx.esc = false;
            } else if (c == '\\') {
                lx.esc = true;
            } else if (c == '"') {
                s->pos++;
                if ((r = zf_token(zf, &lx, s, true)) < 0)
                    return r;
                lx.st = ZF_BLANK;
                continue;
            }
            if ((c < ' ' && c != '\t') || c == 0x7f)
                zf_bad_byte(zf, &lx, s, e, c);
            s->pos++;
            continue;

        case ZF_BLANK:
            if (c == '\n') {
                s->pos++;
                s->line++;
                s->bol = s->pos;
                lx.bol = true;
                lx.lead = false;
                if (lx.depth == 0) {
                    if (zf->toks.n || lx.skip)
                        return zf_finish(zf, &lx, s, e);
                    lx.begun = false; /* "()" alone, or nothing */
                    lx.start = s->pos;
                }
                continue;
            }
            if (lx.bol) {
                lx.lead = c == ' ' || c == '\t';
                lx.bol = false;
            }
            if (c == ' ' || c == '\t' || c == '\r') {
                s->pos++;
                continue;
            }
            if (c == ';') {
                lx.st = ZF_COMMENT;
                s->pos++;
                continue;
            }
            zf_begin(&lx, s, e);
            if (c == '(') {
                if (lx.depth++ == 0)
                    lx.paren = zf_here(s);
                s->pos++;
            } else if (c == ')') {
                if (lx.depth == 0)
                    zf_fail(zf, &lx, s, e, zf_here(s), "unbalanced parentheses");
                else
                    lx.depth--;
                s->pos++;
            } else if (c == '"') {
                lx.tok = s->pos++;
                lx.st = ZF_QUOTE;
            } else {
                lx.tok = s->pos; /* the word state takes this byte too */
                lx.st = ZF_WORD;
            }
            continue;
        }
    }

    /* The end of the file. */
    if (lx.st == ZF_WORD) {
        if ((r = zf_token(zf, &lx, s, false)) < 0)
            return r;
    } else if (lx.st == ZF_QUOTE) {
        zf_fail(zf, &lx, s, e, (struct dns_zonefile_pos){s->line, zf_col(s, lx.tok)},
                "unterminated quoted string");
    }
    lx.st = ZF_BLANK;
    if (lx.depth)
        zf_fail(zf, &lx, s, e, lx.paren, "unbalanced parentheses");
    if (zf->toks.n || lx.skip)
        return zf_finish(zf, &lx, s, e);
    return 0;
}

/* ---- TTLs ----------------------------------------------------------------------------------- */

int dns_zonefile_ttl(const char *s, size_t len, uint32_t *out)
{
    uint64_t total = 0;
    bool big = false;
    size_t i = 0;
    if (len == 0)
        return ERR_SYNTAX;
    while (i < len) {
        uint64_t num = 0;
        size_t first = i;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            num = num * 10 + (uint64_t)(s[i] - '0');
            if (num > UINT32_MAX) {
                big = true;
                num = UINT32_MAX; /* go on, to tell a syntax error from a range error */
            }
        }
        if (i == first)
            return ERR_SYNTAX;
        if (i == len) {
            /* A plain number only on its own: "1h30" is an error (as in BIND). */
            if (first != 0)
                return ERR_SYNTAX;
            total = num;
            break;
        }
        uint64_t mult;
        switch (s[i]) {
        case 's':
        case 'S':
            mult = 1;
            break;
        case 'm':
        case 'M':
            mult = 60;
            break;
        case 'h':
        case 'H':
            mult = 3600;
            break;
        case 'd':
        case 'D':
            mult = 86400;
            break;
        case 'w':
        case 'W':
            mult = 604800;
            break;
        default:
            return ERR_SYNTAX;
        }
        i++;
        total += num * mult;
        if (total > UINT32_MAX) {
            big = true;
            total = UINT32_MAX;
        }
    }
    if (big)
        return ERR_RANGE;
    *out = (uint32_t)total;
    return 0;
}
