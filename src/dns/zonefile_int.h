#pragma once
/*
 * Internals shared by zonefile.c (the parse, records, $ORIGIN, $TTL, $INCLUDE),
 * zonefile_lex.c (the buffered reader and the lexer) and zonefile_gen.c ($GENERATE). Not for
 * use outside src/dns/zonefile*.c.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/name.h"
#include "dns/text.h"
#include "dns/zonefile.h"

/* A place in a file for messages: 1-based line and column (bytes); col 0 is none. */
struct dns_zonefile_pos {
    unsigned line, col;
};

/* Where a token starts, and the place right after it (where a missing one would go). */
static inline struct dns_zonefile_pos dns_zonefile__at(const struct dns_tok *t)
{
    return (struct dns_zonefile_pos){t->line, t->col};
}

static inline struct dns_zonefile_pos dns_zonefile__after(const struct dns_tok *t)
{
    return (struct dns_zonefile_pos){t->line, t->col + (unsigned)t->len + (t->quoted ? 2 : 0)};
}

/* A growable token array. */
struct dns_zonefile_toks {
    struct dns_tok *v;
    size_t n, cap;
};

/*
 * One file being read: either text in memory (fd -1, all of it in buf, eof set) or a file
 * streamed through `mem`. Entries never straddle a refill: the lexer keeps the unread part of
 * the current entry at the front of the buffer and reads more behind it.
 */
struct dns_zonefile_src {
    const char *path; /* for messages and records */
    int fd;
    const char *buf; /* the bytes: mem, or the caller's text */
    char *mem;       /* owned buffer of a file */
    size_t cap, len, pos;
    bool eof;
    unsigned line; /* of buf[pos], 1-based */
    size_t bol;    /* where that line starts in buf, for columns: pos - bol + 1. A refill may
                    * drop the line's start; bol then wraps below 0, which unsigned
                    * arithmetic keeps exact */
};

/* What the previous record left for a line that starts with a blank. */
enum dns_zonefile_owner {
    DNS_ZONEFILE_OWNER_NONE, /* none yet: an error */
    DNS_ZONEFILE_OWNER_OK,
    DNS_ZONEFILE_OWNER_BAD, /* it was invalid (reported): check the record, do not add it */
};

/* The state that directives and records change, one per file ($INCLUDE copies it). */
struct dns_zonefile_state {
    uint8_t origin[DNS_NAME_MAXLEN];
    uint8_t owner[DNS_NAME_MAXLEN];
    enum dns_zonefile_owner owner_state;
    uint32_t default_ttl; /* $TTL, or the SOA minimum used in its place */
    bool have_default;
    uint32_t last_ttl; /* the last TTL given explicitly */
    bool have_last;
    unsigned depth; /* of $INCLUDE */
};

/* One parse. */
struct dns_zonefile {
    const struct dns_zonefile_opts *o;
    unsigned errors, max_errors;
    bool stopped;
    int stop_code;
    struct dns_zonefile_toks toks;  /* the current entry */
    struct dns_zonefile_toks gtoks; /* $GENERATE: one record's substituted tokens */
    char *gen;                      /* $GENERATE: their text */
    size_t gencap;
    char lexerr[128]; /* the first lexical error of the current entry */
    struct dns_zonefile_pos lexerr_at;
    uint8_t rdata[65535];
};

/* An entry: the tokens of one logical line (parentheses joined), in zf->toks, each with its
 * line and column. */
struct dns_zonefile_entry {
    struct dns_zonefile_pos at; /* where it starts (its first token or parenthesis) */
    bool blank_owner;           /* its line starts with a blank: same owner as before */
};

/* The fields between the owner and the RDATA. */
struct dns_zonefile_head {
    uint32_t ttl;
    bool have_ttl;
    uint16_t type;
};

/*
 * Reads the next entry into zf->toks (token texts point into src->buf until the next call).
 * Returns 1 for an entry, 0 at the end of the file, ERR_SYNTAX after reporting a lexical
 * error (the whole entry is skipped), or -ENOMEM.
 */
int dns_zonefile__next(struct dns_zonefile *zf, struct dns_zonefile_src *src,
                       struct dns_zonefile_entry *e);

/* Reports a problem at `at`; counts errors and stops the parse after max_errors. */
void dns_zonefile__msg(struct dns_zonefile *zf, bool error, const char *file,
                       struct dns_zonefile_pos at, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Appends a token. Returns 0 or -ENOMEM. */
int dns_zonefile__push(struct dns_zonefile_toks *a, const struct dns_tok *tok);

/* At most 60 bytes of a token, for "%.*s" in messages. */
int dns_zonefile__show(const struct dns_tok *t);

/* Parses [TTL] [class] type (in either order) from t[*i] (t[0..n) being the whole entry);
 * on success *i is past the type. Reports and returns ERR_SYNTAX on error. */
int dns_zonefile__head(struct dns_zonefile *zf, const char *file, const struct dns_tok *t, size_t n,
                       size_t *i, struct dns_zonefile_head *h);

/*
 * Parses the RDATA tokens, settles the TTL and hands the record to the rr callback (only
 * checks it when `owner` is NULL). `at` is where the entry starts, `end` right after its
 * last token (where a missing field is reported). Returns 0, or ERR_SYNTAX after reporting
 * an error.
 */
int dns_zonefile__record(struct dns_zonefile *zf, const char *file, struct dns_zonefile_pos at,
                         struct dns_zonefile_pos end, struct dns_zonefile_state *st,
                         const uint8_t *owner, size_t owner_len, const struct dns_zonefile_head *h,
                         const struct dns_tok *t, size_t n);

/* $GENERATE, with its tokens in zf->toks (t[0] is the directive). */
void dns_zonefile__generate(struct dns_zonefile *zf, const char *file,
                            const struct dns_zonefile_entry *e, struct dns_zonefile_state *st);
