#pragma once
/*
 * RFC 1035 master files ("zone files"), as BIND, Knot and NSD read them: $ORIGIN, $TTL,
 * $INCLUDE (relative to the including file, depth-limited; origin and TTL changes inside do
 * not leak back), BIND's $GENERATE, parentheses across lines, ';' comments, quoted strings,
 * \X and \DDD escapes, '@', relative and absolute names, a blank owner meaning the previous
 * one, TTL and class in either order, TTL units (1h30m), every type of dns/rdata.h and the
 * RFC 3597 generic form.
 *
 * TTLs: an RR without one takes $TTL, else the last TTL given, else (the SOA at the top of a
 * file without $TTL) the SOA MINIMUM, with a warning. Only class IN is accepted. TTLs above
 * 2^31-1 are errors (RFC 2181 8).
 *
 * The parser calls `rr` for each record (owner absolute, case kept) and `msg` for each
 * problem, naming the file and the line where the entry starts; after an error it goes on
 * with the next entry, so a caller can list every error, up to `max_errors`. Deciding what
 * belongs to the zone (out-of-zone data, a missing SOA) is the caller's job.
 *
 * Memory: each file is read whole (the pointers in a dns_zonefile_rr are valid during the
 * callback only); everything is freed before returning. Control plane; any thread, one
 * parse per opts.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dns_zonefile_rr {
    const uint8_t *owner; /* wire form, absolute */
    uint16_t type;
    uint16_t rclass;
    uint32_t ttl;
    const uint8_t *rdata; /* uncompressed wire form, checked against the type */
    uint16_t rdlen;
    const char *file; /* the file it comes from (an $INCLUDE'd one as resolved) */
    unsigned line;    /* where its entry starts, 1-based */
};

/* Returns 0 to go on, anything else to stop parsing with that value. */
typedef int (*dns_zonefile_rr_fn)(void *ctx, const struct dns_zonefile_rr *rr);
typedef void (*dns_zonefile_msg_fn)(void *ctx, bool error, const char *file, unsigned line,
                                    const char *msg);

struct dns_zonefile_opts {
    const uint8_t *origin;      /* the initial $ORIGIN: the zone apex (wire form) */
    unsigned max_include_depth; /* 0: 10 */
    unsigned max_errors;        /* 0: 100; then "too many errors" and the parse stops */
    bool no_include;            /* refuse $INCLUDE (for input that is not the operator's) */
    dns_zonefile_rr_fn rr;
    dns_zonefile_msg_fn msg;
    void *ctx;
};

/* Parses a file. Returns 0 when no error was reported, ERR_SYNTAX when some were, the
 * callback's value when it stopped the parse, or -errno when `path` cannot be read (also
 * reported through msg, with line 0). */
int dns_zonefile_parse_file(const char *path, const struct dns_zonefile_opts *o);

/* The same for text in memory; `name` is used in messages, and a relative $INCLUDE path is
 * taken relative to the current directory. */
int dns_zonefile_parse_string(const char *name, const char *text, size_t len,
                              const struct dns_zonefile_opts *o);

/* A TTL as zone files write it: a number, or numbers with units s, m, h, d, w in any case
 * (1h30m). Returns 0, ERR_SYNTAX or ERR_RANGE (above 2^31-1). */
int dns_zonefile_ttl(const char *s, size_t len, uint32_t *out);
