/*
 * Presentation-format tokens. The lexer keeps escapes raw because their meaning depends on
 * the field: in a name "\." is a dot inside a label, in a character-string it is just a
 * dot. So a backslash only protects the next character from ending the token here, and
 * each consumer decodes the escapes it understands.
 */
#include "dns/text.h"

#include "util/err.h"

static bool dns_text_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int dns_text_next(const char *s, size_t len, size_t *pos, struct dns_tok *tok)
{
    size_t i = *pos;
    while (i < len && dns_text_blank(s[i]))
        i++;
    *pos = i;
    if (i == len)
        return 0;

    size_t start = i;
    tok->offset = start;
    tok->line = tok->col = 0;
    if (s[i] == '"') {
        for (i++; i < len; i++) {
            if (s[i] == '\\') {
                if (++i == len)
                    break;
            } else if (s[i] == '"') {
                tok->text = s + start + 1;
                tok->len = i - start - 1;
                tok->quoted = true;
                *pos = i + 1;
                return 1;
            }
        }
        return ERR_SYNTAX; /* unterminated quote; the offset is the opening quote */
    }
    while (i < len && !dns_text_blank(s[i]) && s[i] != '"') {
        if (s[i] == '\\') {
            if (i + 1 == len) {
                tok->offset = i;
                return ERR_SYNTAX;
            }
            i++; /* the escaped character may be a blank or a quote */
        }
        i++;
    }
    tok->text = s + start;
    tok->len = i - start;
    tok->quoted = false;
    *pos = i;
    return 1;
}

int dns_text_tokenize(const char *s, size_t len, struct dns_tok *toks, size_t max, size_t *n,
                      size_t *err_offset)
{
    size_t pos = 0, count = 0;
    struct dns_tok t;
    int r;
    *n = 0;
    while ((r = dns_text_next(s, len, &pos, &t)) == 1) {
        if (count == max) {
            if (err_offset)
                *err_offset = t.offset;
            return ERR_LIMIT;
        }
        toks[count++] = t;
    }
    if (r < 0) {
        if (err_offset)
            *err_offset = t.offset;
        return r;
    }
    *n = count;
    return 0;
}

int dns_text_unescape_byte(const char *s, size_t len, size_t *pos)
{
    size_t i = *pos;
    unsigned char c = (unsigned char)s[i];
    if (c != '\\') {
        *pos = i + 1;
        return c;
    }
    if (i + 1 >= len)
        return ERR_SYNTAX;
    c = (unsigned char)s[i + 1];
    if (c < '0' || c > '9') {
        *pos = i + 2;
        return c;
    }
    /* \DDD: exactly three decimal digits, at most 255. */
    if (i + 3 >= len)
        return ERR_SYNTAX;
    unsigned v = 0;
    for (size_t k = 1; k <= 3; k++) {
        unsigned char d = (unsigned char)s[i + k];
        if (d < '0' || d > '9')
            return ERR_SYNTAX;
        v = v * 10 + (d - '0');
    }
    if (v > 255)
        return ERR_SYNTAX;
    *pos = i + 4;
    return (int)v;
}

int dns_text_unescape(const char *s, size_t len, uint8_t *out, size_t cap)
{
    size_t i = 0, n = 0;
    while (i < len) {
        int b = dns_text_unescape_byte(s, len, &i);
        if (b < 0)
            return b;
        if (n == cap)
            return ERR_SPACE;
        out[n++] = (uint8_t)b;
    }
    return n > INT32_MAX ? ERR_SPACE : (int)n;
}

int dns_text_quote(const uint8_t *s, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    if (cap < 3)
        return ERR_SPACE;
    out[o++] = '"';
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        bool esc = c < 0x20 || c > 0x7e;
        size_t need = esc ? 4 : (c == '"' || c == '\\') ? 2 : 1;
        /* Keep room for the closing quote and the NUL. */
        if (cap - o < need + 2)
            return ERR_SPACE;
        if (esc) {
            out[o++] = '\\';
            out[o++] = (char)('0' + c / 100);
            out[o++] = (char)('0' + c / 10 % 10);
            out[o++] = (char)('0' + c % 10);
        } else {
            if (c == '"' || c == '\\')
                out[o++] = '\\';
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    out[o] = 0;
    return o > INT32_MAX ? ERR_SPACE : (int)o;
}
