#pragma once
/*
 * Internals shared by zonefile.c (entries, directives, records) and zonefile_lex.c (the
 * lexer and $GENERATE text substitution). Not for use outside src/dns/zonefile*.c.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/name.h"
#include "dns/text.h"
#include "dns/zonefile.h"

/* One file being read. */
struct dns_zonefile_src {
    const char *path;
    const char *buf;
    size_t len;
    size_t pos;
    unsigned line; /* current line, 1-based */
    int depth;     /* paren depth */
};

/* The state that $ORIGIN, $TTL and the previous RR change, per file. */
struct dns_zonefile_state {
    uint8_t origin[DNS_NAME_MAXLEN];
    uint8_t owner[DNS_NAME_MAXLEN];
    bool have_owner;
    uint32_t default_ttl; /* $TTL */
    bool have_default;
    uint32_t last_ttl; /* the last TTL given explicitly */
    bool have_last;
    unsigned include_depth;
};

/* One parse. */
struct dns_zonefile {
    const struct dns_zonefile_opts *o;
    unsigned errors;
    bool stopped;
    int stop_code;
    struct dns_tok *toks;
    size_t ntok, captok;
    char *gen; /* $GENERATE output text */
    size_t gencap;
    uint8_t rdata[65535];
};

/* An entry: the tokens of one logical line (parentheses joined), in zf->toks. */
struct dns_zonefile_entry {
    unsigned line;    /* where it starts */
    bool blank_owner; /* the line starts with a blank: same owner as before */
};

/*
 * Reads the next entry into zf->toks. Returns 1 for an entry, 0 at the end of the file, or
 * ERR_SYNTAX after reporting a lexical error (the rest of that line is skipped).
 */
int dns_zonefile__next(struct dns_zonefile *zf, struct dns_zonefile_src *src,
                       struct dns_zonefile_entry *e);

/* Reports a problem; counts errors and stops the parse after max_errors. */
void dns_zonefile__msg(struct dns_zonefile *zf, bool error, const char *file, unsigned line,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Writes `tok` with $GENERATE substitutions for `value` into zf->gen at *pos. Returns 0 or
 * ERR_SYNTAX (bad ${...}) / -ENOMEM. */
int dns_zonefile__subst(struct dns_zonefile *zf, const struct dns_tok *tok, long value,
                        size_t *pos);

/* Appends a token to zf->toks. */
int dns_zonefile__push(struct dns_zonefile *zf, const struct dns_tok *tok);
