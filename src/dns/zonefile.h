#pragma once
/*
 * RFC 1035 master files ("zone files"), read as BIND, Knot and NSD read them: $ORIGIN
 * (relative to the current origin too), $TTL, $INCLUDE, BIND's $GENERATE, parentheses
 * across lines, ';' comments, quoted strings, \X and \DDD escapes, '@', relative and
 * absolute names, a blank at the start of a line meaning the previous owner, TTL and class
 * in either order and each optional, TTL units (1h30m), CRLF line ends, every type of
 * dns/rdata.h and the RFC 3597 generic form ("TYPE65400 \# 2 abcd").
 *
 * The parser calls `rr` for each record, with the owner absolute (case kept), and `msg`
 * for each problem with the file, line and column (1-based; columns count bytes, a tab as
 * one) of what is at fault, printed as "file:line:col: message":
 *  - a bad token (owner, TTL, class, type, an RDATA field, a directive's argument): where
 *    it starts (its opening quote), on the line it is on, so an error in the second line
 *    of a parenthesised entry points there;
 *  - a lexical error: the bad byte, the opening quote of an unterminated string, the
 *    unmatched ')' or the outermost '(' left open;
 *  - something missing (an RDATA field, the type, a directive's argument): right after the
 *    last token of the entry, where it should have been;
 *  - a record as a whole (no TTL anywhere, a missing owner, an entry that is too long): the
 *    start of its entry; the SOA-minimum TTL warning points at the MINIMUM field;
 *  - a $GENERATE record: the lhs or rhs token it was made from.
 * Line 0 and column 0: about the file as a whole (it cannot be opened); column 0 with a
 * line: a read error at that line. After an error the parser goes on with the next entry,
 * so that a caller can list every error, up to `max_errors`. Whether a record belongs to
 * the zone (out-of-zone owners, a missing SOA) is the caller's decision, not the parser's.
 *
 * Decisions where the RFCs leave room (BIND's behaviour unless said otherwise):
 *  - TTL of a record without one: $TTL if given, else the last TTL given explicitly (RFC
 *    1035), else, for an SOA record, its MINIMUM field with a warning (it then acts as $TTL);
 *    any other record without a TTL anywhere before it is an error.
 *  - A TTL (or $TTL) above 2^31-1 is used as 0, with a warning (RFC 2181 8); one above
 *    2^32-1 is an error. Units: s m h d w in either case; "1h30m", "90"; not "1h30".
 *  - Only class IN; any other class (CH, HS, NONE, ANY, CLASSn other than CLASS1) is an error.
 *  - Meta types (0, OPT, 128-255: TSIG, AXFR, ANY, ...) are errors.
 *  - $INCLUDE paths are relative to the directory of the including file; for
 *    dns_zonefile_parse_string that is the directory part of `name` (the current directory
 *    when it has none). The included file starts with the includer's origin (or the one
 *    given), $TTL and last TTL but no previous owner. After it the includer's origin and
 *    previous owner are back (RFC 1035 5.1), while a $TTL, a last explicit TTL or an SOA
 *    minimum taken as $TTL from the included file stays in force, so that a header file
 *    with $TTL and the SOA works (BIND; NSD keeps $TTL too but not the last TTL, Knot
 *    restores $TTL). Only regular files are read.
 *  - Directives are recognised at the start of an entry even when it is indented.
 *  - $GENERATE range lhs [ttl] [class] type rhs...: as BIND, including ${offset,width,base}
 *    with bases d o x X n N, "$$" and "\$" for a literal '$', any type but meta types, and a
 *    single rhs token re-split at blanks after substitution (so `MX "10 mx$"` works);
 *    several rhs tokens are accepted too (`MX 10 mx$`). The range is start-stop[/step] with
 *    0 <= start <= stop <= 2^31-1, at most `max_generate` records; a substituted value must
 *    not be negative. Generated records do not become the "previous owner".
 *  - Outside quoted strings only printable ASCII, blanks and escapes are allowed; a NUL byte
 *    is an error anywhere, other control bytes (but tab) anywhere but in comments. A quoted
 *    string ends on its line. CR is a blank, so CR LF ends a line.
 *  - An entry (one line, or lines joined by parentheses) may be at most
 *    DNS_ZONEFILE_ENTRY_MAX bytes; a longer one is an error and is skipped.
 *
 * Memory: files are streamed through a buffer that grows to at most DNS_ZONEFILE_ENTRY_MAX
 * per open file, so a 60 MB zone needs no more than that. The pointers in a dns_zonefile_rr
 * and the strings passed to `msg` are valid during the callback only. Everything is freed
 * before the parse functions return. Control plane; any thread (the callbacks run in the
 * calling thread).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_ZONEFILE_ENTRY_MAX (1u << 20)

struct dns_zonefile_rr {
    const uint8_t *owner; /* wire form, absolute, case kept */
    size_t owner_len;
    uint16_t type;
    uint16_t rclass; /* always DNS_CLASS_IN */
    uint32_t ttl;
    const uint8_t *rdata; /* uncompressed wire form, checked against the type */
    uint16_t rdlen;
    const char *file; /* the file it comes from (an $INCLUDE'd one as resolved) */
    unsigned line;    /* where its entry starts, 1-based */
    unsigned col;     /* and the column of its first token, 1-based */
};

/* Returns 0 to go on, anything else to stop parsing with that value. */
typedef int (*dns_zonefile_rr_fn)(void *ctx, const struct dns_zonefile_rr *rr);
/* `error` false is a warning. `line` and `col` 1-based; `line` 0: about the file as a whole
 * (it cannot be opened); `col` 0: no column (the file as a whole, or a read error). */
typedef void (*dns_zonefile_msg_fn)(void *ctx, bool error, const char *file, unsigned line,
                                    unsigned col, const char *msg);

struct dns_zonefile_opts {
    const uint8_t *origin;      /* the initial $ORIGIN, normally the zone apex (wire form);
                                 * NULL: the root */
    unsigned max_include_depth; /* 0: 10 */
    unsigned max_errors;        /* 0: 100; the parse stops after that many errors, with a
                                 * warning "too many errors" */
    unsigned max_generate;      /* records per $GENERATE; 0: 1000000 */
    bool no_include;            /* refuse $INCLUDE (for input that is not the operator's) */
    dns_zonefile_rr_fn rr;
    dns_zonefile_msg_fn msg;
    void *ctx;
};

/*
 * Parses a zone file. Returns 0 when no error was reported, ERR_SYNTAX when some were, the
 * rr callback's value when it stopped the parse, -ENOMEM, or -errno when `path` cannot be
 * read (also reported through msg, with line 0: `cannot open "path": reason`).
 */
int dns_zonefile_parse_file(const char *path, const struct dns_zonefile_opts *o);

/* The same for text in memory (need not be NUL-terminated); `name` stands for the file in
 * messages and records, and its directory is where relative $INCLUDE paths start. */
int dns_zonefile_parse_string(const char *name, const char *text, size_t len,
                              const struct dns_zonefile_opts *o);

/* A TTL as zone files write it: a number, or numbers each followed by a unit s, m, h, d, w
 * in either case (1h30m). Returns 0 with *out up to 4294967295 (the caller applies RFC 2181
 * to values above 2^31-1), ERR_SYNTAX or ERR_RANGE. */
int dns_zonefile_ttl(const char *s, size_t len, uint32_t *out);
