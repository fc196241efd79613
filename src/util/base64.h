#pragma once
/*
 * Binary-to-text encodings of RFC 4648 as DNS presentation form uses them: base64 with
 * padding (DNSKEY, RRSIG, ...), base32hex without padding (NSEC3 hashed owner names,
 * section 7) and hex (DS digests, salts, the RFC 3597 generic form).
 *
 * Encoders write upper-case letters (as BIND and Knot print) and NUL-terminate; they return
 * the text length without the NUL, or ERR_SPACE. Decoders take exactly one run of text (no
 * blanks: callers concatenate tokens first), accept only the canonical encoding (no stray
 * padding, zero unused bits) and return the decoded length, ERR_SYNTAX or ERR_SPACE. Every
 * decoder may decode in place (out == (uint8_t *)in), since output never overtakes input.
 * Pure functions; no allocation; any thread.
 */

#include <stddef.h>
#include <stdint.h>

/* Text length (without NUL) of n encoded bytes. */
size_t base64_encoded_len(size_t n);
int base64_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/* Padded base64; the length must be a multiple of 4. */
int base64_decode(const char *in, size_t len, uint8_t *out, size_t cap);

size_t base64_b32hex_encoded_len(size_t n);
int base64_b32hex_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/* Base32hex without padding, either case. */
int base64_b32hex_decode(const char *in, size_t len, uint8_t *out, size_t cap);

int base64_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/* An even number of hex digits, either case. */
int base64_hex_decode(const char *in, size_t len, uint8_t *out, size_t cap);
