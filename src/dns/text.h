#pragma once
/*
 * Presentation-format tokens (RFC 1035 5.1) shared by the rdata parser, the config loader
 * and (later) the zone-file parser. A token is a run of non-blank characters or a quoted
 * string; backslash escapes are kept raw in the token and decoded by whoever interprets
 * it (dns_text_unescape for character-strings, dns_name_from_text for names).
 * Pure functions; no allocation; any thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dns_tok {
    const char *text; /* token text, without the quotes of a quoted string */
    size_t len;
    size_t offset;      /* byte offset of the token (of its opening quote) in the source */
    unsigned line, col; /* where it (its opening quote) starts, 1-based, bytes; set by the
                         * zone-file lexer for its messages, 0 from the functions here */
    bool quoted;
};

/*
 * Splits a single line of presentation text into tokens. Blanks (space, tab, CR, LF)
 * separate tokens; "..." is one token (a backslash escapes a quote inside), and an unescaped
 * quote also ends an unquoted token, so key="a b" is the two adjacent tokens key= and "a b"
 * (RFC 9460 SvcParams rely on this: compare the offsets to see adjacency). Parentheses and
 * ';' have no special meaning here (the zone-file lexer handles them before this level).
 * Returns 0, ERR_SYNTAX (unterminated quote or escape; *err_offset gets where) or
 * ERR_LIMIT (more than `max` tokens).
 */
int dns_text_tokenize(const char *s, size_t len, struct dns_tok *toks, size_t max, size_t *n,
                      size_t *err_offset);

/*
 * Reads the next token of `s` starting at *pos (the lexer behind dns_text_tokenize, for
 * callers that consume tokens one at a time without a limit on their number). Returns 1
 * with *tok filled and *pos just past it, 0 at the end of the text, or ERR_SYNTAX with
 * tok->offset at the unterminated quote or escape.
 */
int dns_text_next(const char *s, size_t len, size_t *pos, struct dns_tok *tok);

/*
 * Decodes one byte of a token at s[*pos] (*pos < len): a plain byte, \X or \DDD, and
 * advances *pos past it. Returns the byte (0..255) or ERR_SYNTAX. For decoders that work
 * byte by byte (the SvcParam value lists of RFC 9460).
 */
int dns_text_unescape_byte(const char *s, size_t len, size_t *pos);

/*
 * Decodes the escapes of one character-string token (\X -> X, \DDD -> byte) into out.
 * Returns the decoded length, ERR_SYNTAX for a bad escape (\DDD above 255 or cut short),
 * or ERR_SPACE when more than `cap` bytes would result.
 */
int dns_text_unescape(const char *s, size_t len, uint8_t *out, size_t cap);

/*
 * Writes bytes as a quoted character-string: "..." with '"' and '\' escaped by a
 * backslash and bytes outside 0x20..0x7e as \DDD. NUL-terminates. Returns the length
 * written (without the NUL) or ERR_SPACE.
 */
int dns_text_quote(const uint8_t *s, size_t len, char *out, size_t cap);
