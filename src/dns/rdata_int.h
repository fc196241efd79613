#pragma once
/*
 * Internal to the rdata module: dns/rdata.c (descriptor table, wire checks, unpack, write),
 * dns/rdata_text.c (presentation-form parser), dns/rdata_print.c (printer) and
 * dns/rdata_svcb.c (RFC 9460 SvcParams). Other modules use dns/rdata.h only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/rdata.h"

/* ---- wire form ---------------------------------------------------------------------------- */

/*
 * Length of the field of kind `kind` at p[0..left) in uncompressed wire RDATA, after
 * checking its contents; fields that run to the end of the RDATA return `left`. Returns
 * the length or ERR_FORMAT.
 */
int dns_rdata__field_len(uint8_t kind, const uint8_t *p, size_t left);

/* A CAA tag: 1..255 ASCII letters and digits. */
bool dns_rdata__tag_ok(const uint8_t *s, size_t len);

/* Checks wire SvcParams (keys strictly increasing, each value well formed, the keys listed
 * in "mandatory" present). Returns 0 or ERR_FORMAT. */
int dns_rdata__svc_check(const uint8_t *p, size_t len);

/* ---- presentation form: input ------------------------------------------------------------- */

/*
 * The parser's token source: a caller's array (dns_rdata_from_tokens) or a text lexed one
 * token at a time (dns_rdata_from_text), so a long TXT or type bitmap needs no token array.
 */
struct dns_rdata__in {
    const struct dns_tok *toks; /* array source, or NULL */
    size_t ntok, next;
    const char *text; /* text source */
    size_t len, pos;
    struct dns_tok la; /* lookahead */
    bool have;
    size_t end; /* offset reported when a field is missing */
    const uint8_t *origin;
    struct wbuf *out;
    struct dns_rdata_error *err;
};

/* Next token without consuming it: 1, 0 at the end, or ERR_SYNTAX (err filled). */
int dns_rdata__peek(struct dns_rdata__in *in, struct dns_tok *tok);
/* Consumes the token dns_rdata__peek returned. */
void dns_rdata__skip(struct dns_rdata__in *in);
/* Next token, or "missing <what>" at the end of the text. Returns 0 or an error. */
int dns_rdata__take(struct dns_rdata__in *in, struct dns_tok *tok, const char *what);

/* Fills in->err (offset and a printf-style message) and returns `code`. */
int dns_rdata__fail(struct dns_rdata__in *in, int code, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Fails with the message `<what> "<value>"<hint>`, the value s[0..len) cut to about 60
 * characters (then "...") with non-printable bytes as '?'. `hint` may be NULL. */
int dns_rdata__fail_value(struct dns_rdata__in *in, int code, size_t offset, const char *what,
                          const char *s, size_t len, const char *hint);
/* The ERR_SPACE failure: the output buffer is full. */
int dns_rdata__fail_space(struct dns_rdata__in *in);

/* Decimal without sign, at most `max`. Returns 0, ERR_SYNTAX or ERR_RANGE. */
int dns_rdata__number(const char *s, size_t len, uint64_t max, uint64_t *v);
/* IPv4 (4 bytes) or IPv6 (16 bytes) address text into out. Returns 0 or ERR_SYNTAX. */
int dns_rdata__addr(int af, const char *s, size_t len, uint8_t *out);

/* Parses SvcParams from the remaining tokens into in->out (RFC 9460 appendix A). */
int dns_rdata__svc_parse(struct dns_rdata__in *in);

/* ---- presentation form: output ------------------------------------------------------------ */

/* A NUL-terminated text being built; `full` is sticky like wbuf's error. */
struct dns_rdata__out {
    char *buf;
    size_t cap;
    size_t pos;
    bool full;
};

void dns_rdata__put(struct dns_rdata__out *o, const char *s, size_t n);
void dns_rdata__putf(struct dns_rdata__out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A space, unless the text is still empty. */
void dns_rdata__sep(struct dns_rdata__out *o);
/* Accounts for something written at buf + pos by a function that returned r (a length or
 * ERR_SPACE). */
void dns_rdata__adv(struct dns_rdata__out *o, int r);
/* An encoder that writes at most cap bytes, NUL-terminated, and returns the length or
 * ERR_SPACE: dns_text_quote, base64_encode, base64_hex_encode, base64_b32hex_encode. */
typedef int (*dns_rdata__enc_fn)(const uint8_t *in, size_t len, char *out, size_t cap);
/* Appends enc's output for s[0..n). */
void dns_rdata__put_enc(struct dns_rdata__out *o, dns_rdata__enc_fn enc, const uint8_t *s,
                        size_t n);
/* Prints an IPv4 or IPv6 address. */
void dns_rdata__put_addr(struct dns_rdata__out *o, int af, const uint8_t *addr);

/* Prints SvcParams that passed dns_rdata__svc_check, each preceded by a space. */
void dns_rdata__svc_print(struct dns_rdata__out *o, const uint8_t *p, size_t len);
