/*
 * RFC 4648 encodings. The decoders read a whole group (4 base64 characters, 8 base32hex
 * characters, 2 hex digits) into locals before writing its bytes, which is what makes
 * decoding in place safe. They are strict: a value that two different texts could
 * produce (unused low bits set, padding in the middle) is rejected, so that printing the
 * decoded bytes gives the same text back.
 */
#include "util/base64.h"

#include <limits.h>

#include "util/err.h"

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char base64_b32hex_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
static const char base64_hex_digits[] = "0123456789ABCDEF";

/* Value of a base64 character, or -1. */
static int base64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static int base64_b32hex_val(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'V')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'v')
        return c - 'a' + 10;
    return -1;
}

static int base64_hex_val(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

size_t base64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

int base64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    if (len > (size_t)INT_MAX / 4 * 3 - 3)
        return ERR_SPACE;
    size_t need = base64_encoded_len(len);
    if (need >= cap)
        return ERR_SPACE;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = base64_alphabet[v >> 18 & 63];
        out[o++] = base64_alphabet[v >> 12 & 63];
        out[o++] = i + 1 < len ? base64_alphabet[v >> 6 & 63] : '=';
        out[o++] = i + 2 < len ? base64_alphabet[v & 63] : '=';
    }
    out[o] = 0;
    return (int)o;
}

int base64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    if (len % 4 != 0)
        return ERR_SYNTAX;
    if (len > INT_MAX)
        return ERR_SPACE;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)in[i + (size_t)k];
            if (c == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            /* A character after '=' (as in "A=B=") or anything outside the alphabet. */
            if (pad || (v[k] = base64_val(c)) < 0)
                return ERR_SYNTAX;
        }
        uint32_t w =
            (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        size_t n = 3 - (size_t)pad;
        /* The bits that padding drops must be zero, or two texts would mean one value. */
        if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
            return ERR_SYNTAX;
        if (cap - o < n)
            return ERR_SPACE;
        out[o++] = (uint8_t)(w >> 16);
        if (n > 1)
            out[o++] = (uint8_t)(w >> 8);
        if (n > 2)
            out[o++] = (uint8_t)w;
    }
    return (int)o;
}

size_t base64_b32hex_encoded_len(size_t n)
{
    return (n * 8 + 4) / 5;
}

int base64_b32hex_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    if (len > (size_t)INT_MAX / 8 * 5 - 5)
        return ERR_SPACE;
    size_t need = base64_b32hex_encoded_len(len);
    if (need >= cap)
        return ERR_SPACE;
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8 | in[i]) & 0xfff;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = base64_b32hex_alphabet[acc >> bits & 31];
        }
    }
    if (bits)
        out[o++] = base64_b32hex_alphabet[acc << (5 - bits) & 31];
    out[o] = 0;
    return (int)o;
}

int base64_b32hex_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    /* Without padding a final group of 1, 3 or 6 characters cannot be a whole byte count. */
    size_t rem = len % 8;
    if (rem == 1 || rem == 3 || rem == 6)
        return ERR_SYNTAX;
    if (len > INT_MAX)
        return ERR_SPACE;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 8) {
        size_t n = len - i < 8 ? len - i : 8;
        uint64_t w = 0;
        for (size_t k = 0; k < n; k++) {
            int v = base64_b32hex_val((unsigned char)in[i + k]);
            if (v < 0)
                return ERR_SYNTAX;
            w = w << 5 | (uint64_t)v;
        }
        size_t nbytes = n * 5 / 8;
        unsigned extra = (unsigned)(n * 5 - nbytes * 8);
        if (w & ((1u << extra) - 1))
            return ERR_SYNTAX;
        w >>= extra;
        if (cap - o < nbytes)
            return ERR_SPACE;
        for (size_t k = nbytes; k > 0; k--)
            out[o++] = (uint8_t)(w >> (8 * (k - 1)));
    }
    return (int)o;
}

int base64_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    if (len > (size_t)INT_MAX / 2 || len * 2 >= cap)
        return ERR_SPACE;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = base64_hex_digits[in[i] >> 4];
        out[2 * i + 1] = base64_hex_digits[in[i] & 15];
    }
    out[2 * len] = 0;
    return (int)(2 * len);
}

int base64_hex_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    if (len % 2 != 0)
        return ERR_SYNTAX;
    if (len > INT_MAX)
        return ERR_SPACE;
    size_t n = len / 2;
    for (size_t i = 0; i < n; i++) {
        int hi = base64_hex_val((unsigned char)in[2 * i]);
        int lo = base64_hex_val((unsigned char)in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return ERR_SYNTAX;
        if (i >= cap)
            return ERR_SPACE;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (int)n;
}
