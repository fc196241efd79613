/*
 * RDATA in presentation form, the parser: dns_rdata_from_tokens and dns_rdata_from_text,
 * driven by the descriptor table in dns/rdata.c. The printer is dns/rdata_print.c.
 *
 * Parser and printer are written as inverses: whatever the parser accepts passes
 * dns_rdata_check, and whatever passes the check prints as text that parses back to the
 * same bytes (the fuzz target tests/fuzz/fuzz_rdata.c holds them to it). That is why the
 * wire checks reject encodings the text form cannot express (an empty DNSKEY key, a
 * non-canonical type bitmap).
 *
 * Tokens come from a caller's array or are lexed from the text one at a time, so a long TXT
 * record or type list needs no token array. Parse errors name the value at fault, in double
 * quotes, with the byte offset of its token, so that a config or zone loader can point at
 * it. On error nothing is left appended to the output.
 */
#include "dns/rdata_int.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dns/name.h"
#include "util/base64.h"
#include "util/err.h"

/* What is missing when the tokens run out before a field of each kind. */
static const char *const dns_rdata_what[] = {
    [DNS_RDF_U8] = "8-bit number",
    [DNS_RDF_U16] = "16-bit number",
    [DNS_RDF_U32] = "32-bit number",
    [DNS_RDF_TIME] = "time value",
    [DNS_RDF_A] = "IPv4 address",
    [DNS_RDF_AAAA] = "IPv6 address",
    [DNS_RDF_NAME_C] = "domain name",
    [DNS_RDF_NAME] = "domain name",
    [DNS_RDF_STR] = "character-string",
    [DNS_RDF_STRS] = "character-string",
    [DNS_RDF_HEX] = "hex data",
    [DNS_RDF_B64] = "base64 data",
    [DNS_RDF_TAG] = "tag",
    [DNS_RDF_REST] = "value",
    [DNS_RDF_SVCPARAMS] = "SvcParams",
    [DNS_RDF_TYPE] = "record type",
    [DNS_RDF_TIMESTAMP] = "timestamp",
    [DNS_RDF_SALT] = "salt",
    [DNS_RDF_B32HEX] = "base32hex hash",
    [DNS_RDF_BITMAP] = "type list",
    [DNS_RDF_ALG] = "algorithm",
    [DNS_RDF_CERTTYPE] = "certificate type",
};

/* ---- token source and errors ------------------------------------------------------------- */

int dns_rdata__fail(struct dns_rdata__in *in, int code, size_t offset, const char *fmt, ...)
{
    va_list ap;
    in->err->offset = offset;
    va_start(ap, fmt);
    vsnprintf(in->err->msg, sizeof(in->err->msg), fmt, ap);
    va_end(ap);
    return code;
}

int dns_rdata__fail_space(struct dns_rdata__in *in)
{
    return dns_rdata__fail(in, ERR_SPACE, in->end, "no space left for the record data");
}

int dns_rdata__fail_value(struct dns_rdata__in *in, int code, size_t offset, const char *what,
                          const char *s, size_t len, const char *hint)
{
    char value[64];
    size_t n = 0;
    for (; n < len && n < 60; n++) {
        unsigned char c = (unsigned char)s[n];
        value[n] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (n < len) {
        memcpy(value + n, "...", 3);
        n += 3;
    }
    value[n] = 0;
    return dns_rdata__fail(in, code, offset, "%s \"%s\"%s", what, value, hint ? hint : "");
}

int dns_rdata__peek(struct dns_rdata__in *in, struct dns_tok *tok)
{
    if (!in->have) {
        if (in->toks) {
            if (in->next == in->ntok)
                return 0;
            in->la = in->toks[in->next++];
        } else {
            int r = dns_text_next(in->text, in->len, &in->pos, &in->la);
            if (r == 0)
                return 0;
            if (r < 0) {
                bool quote = in->text[in->la.offset] == '"';
                return dns_rdata__fail(in, ERR_SYNTAX, in->la.offset, "%s",
                                       quote ? "unterminated quoted string"
                                             : "backslash at the end of the text");
            }
        }
        in->have = true;
    }
    *tok = in->la;
    return 1;
}

void dns_rdata__skip(struct dns_rdata__in *in)
{
    in->have = false;
}

int dns_rdata__take(struct dns_rdata__in *in, struct dns_tok *tok, const char *what)
{
    int r = dns_rdata__peek(in, tok);
    if (r == 0)
        return dns_rdata__fail(in, ERR_SYNTAX, in->end, "missing %s", what);
    if (r < 0)
        return r;
    dns_rdata__skip(in);
    return 0;
}

/* ---- field parsers ------------------------------------------------------------------------ */

int dns_rdata__number(const char *s, size_t len, uint64_t max, uint64_t *v)
{
    uint64_t n = 0;
    bool big = false;
    if (len == 0)
        return ERR_SYNTAX;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ERR_SYNTAX;
        n = n * 10 + (uint64_t)(s[i] - '0');
        if (n > max) {
            big = true;
            n = max; /* keep going only to tell a syntax error from a range error */
        }
    }
    if (big)
        return ERR_RANGE;
    *v = n;
    return 0;
}

int dns_rdata__addr(int af, const char *s, size_t len, uint8_t *out)
{
    char buf[64];
    if (len >= sizeof(buf) || memchr(s, 0, len))
        return ERR_SYNTAX;
    memcpy(buf, s, len);
    buf[len] = 0;
    return inet_pton(af, buf, out) == 1 ? 0 : ERR_SYNTAX;
}

static int dns_rdata_parse_number(struct dns_rdata__in *in, const struct dns_tok *t, uint64_t max,
                                  uint64_t *v)
{
    int r = dns_rdata__number(t->text, t->len, max, v);
    if (r) {
        char hint[32];
        snprintf(hint, sizeof(hint), " (expected 0-%llu)", (unsigned long long)max);
        return dns_rdata__fail_value(in, r, t->offset, "invalid number", t->text, t->len, hint);
    }
    return 0;
}

/* Mnemonics that a presentation form allows in place of a number; printing keeps the
 * number. */
struct dns_rdata_mnemonic {
    const char *name;
    uint16_t value;
};

/* DNSSEC algorithms (RFC 4034 A.1 and the IANA registry): DNSKEY, RRSIG and DS (RFC 4034
 * 2.2, 3.2, 5.3) and CERT (RFC 4398 2.2). */
static const struct dns_rdata_mnemonic dns_rdata_algs[] = {
    {"RSAMD5", 1},
    {"DH", 2},
    {"DSA", 3},
    {"RSASHA1", 5},
    {"DSA-NSEC3-SHA1", 6},
    {"RSASHA1-NSEC3-SHA1", 7},
    {"RSASHA256", 8},
    {"RSASHA512", 10},
    {"ECC-GOST", 12},
    {"ECDSAP256SHA256", 13},
    {"ECDSAP384SHA384", 14},
    {"ED25519", 15},
    {"ED448", 16},
    {"INDIRECT", 252},
    {"PRIVATEDNS", 253},
    {"PRIVATEOID", 254},
    {NULL, 0},
};

/* CERT certificate types (RFC 4398 2.1, 2.2). */
static const struct dns_rdata_mnemonic dns_rdata_cert_types[] = {
    {"PKIX", 1},   {"SPKI", 2},    {"PGP", 3},   {"IPKIX", 4}, {"ISPKI", 5}, {"IPGP", 6},
    {"ACPKIX", 7}, {"IACPKIX", 8}, {"URI", 253}, {"OID", 254}, {NULL, 0},
};

/* An algorithm (DNS_RDF_ALG) or certificate type (DNS_RDF_CERTTYPE): a number, or a
 * mnemonic when the token does not start with a digit. */
static int dns_rdata_parse_mnemonic(struct dns_rdata__in *in, uint8_t kind, const struct dns_tok *t,
                                    uint64_t *v)
{
    bool alg = kind == DNS_RDF_ALG;
    if (t->len && (t->text[0] < '0' || t->text[0] > '9')) {
        for (const struct dns_rdata_mnemonic *m = alg ? dns_rdata_algs : dns_rdata_cert_types;
             m->name; m++) {
            if (strlen(m->name) == t->len && strncasecmp(m->name, t->text, t->len) == 0) {
                *v = m->value;
                return 0;
            }
        }
        return dns_rdata__fail_value(
            in, ERR_SYNTAX, t->offset, alg ? "invalid algorithm" : "invalid certificate type",
            t->text, t->len,
            alg ? " (expected 0-255 or a mnemonic)" : " (expected 0-65535 or a mnemonic)");
    }
    return dns_rdata_parse_number(in, t, alg ? 255 : 65535, v);
}

/* A TTL-style duration: seconds, or BIND's units "1w2d3h4m5s" (each number with a unit). */
static int dns_rdata_parse_time(const char *s, size_t len, uint32_t *out)
{
    uint64_t total = 0, n = 0;
    bool digits = false, units = false;
    if (len == 0)
        return ERR_SYNTAX;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            n = n * 10 + (uint64_t)(c - '0');
            if (n > UINT32_MAX)
                return ERR_RANGE;
            digits = true;
            continue;
        }
        uint64_t mult;
        switch (c | 0x20) {
        case 's':
            mult = 1;
            break;
        case 'm':
            mult = 60;
            break;
        case 'h':
            mult = 3600;
            break;
        case 'd':
            mult = 86400;
            break;
        case 'w':
            mult = 604800;
            break;
        default:
            return ERR_SYNTAX;
        }
        if (!digits)
            return ERR_SYNTAX;
        total += n * mult;
        if (total > UINT32_MAX)
            return ERR_RANGE;
        n = 0;
        digits = false;
        units = true;
    }
    if (digits) {
        if (units)
            return ERR_SYNTAX; /* "1h30" is ambiguous; BIND rejects it too */
        total = n;
    }
    *out = (uint32_t)total;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t dns_rdata_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* RRSIG times: YYYYMMDDHHmmSS in UTC, stored modulo 2^32 (RFC 4034 3.2), or plain seconds.
 * Any year is taken, as BIND does: it prints times near the present, which can be a date
 * before 1970 for a value that this printer shows after 2038. */
static int dns_rdata_parse_timestamp(const char *s, size_t len, uint32_t *out)
{
    if (len != 14) {
        uint64_t v;
        int r = dns_rdata__number(s, len, UINT32_MAX, &v);
        if (!r)
            *out = (uint32_t)v;
        return r;
    }
    unsigned f[6];
    static const unsigned width[6] = {4, 2, 2, 2, 2, 2};
    size_t i = 0;
    for (int k = 0; k < 6; k++) {
        f[k] = 0;
        for (unsigned j = 0; j < width[k]; j++, i++) {
            if (s[i] < '0' || s[i] > '9')
                return ERR_SYNTAX;
            f[k] = f[k] * 10 + (unsigned)(s[i] - '0');
        }
    }
    static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y = f[0], mo = f[1], d = f[2];
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
        f[3] > 23 || f[4] > 59 || f[5] > 59)
        return ERR_RANGE;
    int64_t t = dns_rdata_days_from_civil(y, mo, d) * 86400 + f[3] * 3600 + f[4] * 60 + f[5];
    *out = (uint32_t)t;
    return 0;
}

static int dns_rdata_parse_name(struct dns_rdata__in *in, const struct dns_tok *t)
{
    uint8_t name[DNS_NAME_MAXLEN];
    size_t nlen;
    int r = dns_name_from_text(t->text, t->len, in->origin, name, &nlen);
    if (r) {
        const char *why = r == ERR_LABEL       ? " (label longer than 63 bytes)"
                          : r == ERR_NAME_LONG ? " (longer than 255 bytes)"
                                               : NULL;
        return dns_rdata__fail_value(in, r, t->offset, "invalid domain name", t->text, t->len, why);
    }
    wbuf_bytes(in->out, name, nlen);
    return 0;
}

/* One character-string: a length byte and the unescaped token, decoded straight into out. */
static int dns_rdata_parse_str(struct dns_rdata__in *in, const struct dns_tok *t)
{
    struct wbuf *w = in->out;
    if (!wbuf_need(w, 1))
        return dns_rdata__fail_space(in);
    size_t room = w->cap - w->pos - 1;
    int n = dns_text_unescape(t->text, t->len, w->base + w->pos + 1, room < 255 ? room : 255);
    if (n == ERR_SPACE && room < 255)
        return dns_rdata__fail_space(in);
    if (n == ERR_SPACE)
        return dns_rdata__fail(in, ERR_RANGE, t->offset, "character-string longer than 255 bytes");
    if (n < 0)
        return dns_rdata__fail_value(in, n, t->offset, "invalid escape in", t->text, t->len, NULL);
    w->base[w->pos] = (uint8_t)n;
    w->pos += 1 + (size_t)n;
    return 0;
}

/* The remaining bytes as one token (CAA value, URI target). */
static int dns_rdata_parse_rest(struct dns_rdata__in *in, const struct dns_tok *t)
{
    struct wbuf *w = in->out;
    int n = dns_text_unescape(t->text, t->len, w->base + w->pos, wbuf_left(w));
    if (n == ERR_SPACE)
        return dns_rdata__fail_space(in);
    if (n < 0)
        return dns_rdata__fail_value(in, n, t->offset, "invalid escape in", t->text, t->len, NULL);
    w->pos += (size_t)n;
    return 0;
}

static int dns_rdata_parse_tag(struct dns_rdata__in *in, const struct dns_tok *t)
{
    if (!dns_rdata__tag_ok((const uint8_t *)t->text, t->len))
        return dns_rdata__fail_value(in, ERR_SYNTAX, t->offset, "invalid tag", t->text, t->len,
                                     " (expected 1-255 letters and digits)");
    wbuf_u8(in->out, (uint8_t)t->len);
    wbuf_bytes(in->out, t->text, t->len);
    return 0;
}

/* Decodes n characters of buf (whole groups, or the final rest) into the output. A
 * padded base64 group ends the data, so any flush after one is an error. */
static int dns_rdata_flush(struct wbuf *w, bool b64, const char *buf, size_t n, bool *padded)
{
    if (*padded)
        return ERR_SYNTAX;
    int r = (b64 ? base64_decode : base64_hex_decode)(buf, n, w->base + w->pos, wbuf_left(w));
    if (r < 0)
        return r;
    *padded = b64 && (size_t)r < n / 4 * 3;
    w->pos += (size_t)r;
    return r;
}

/*
 * Hex or base64 over all remaining tokens. They are concatenated through a small buffer
 * and decoded a whole number of groups at a time straight into the output, so the size of
 * the data is only limited by the output. Returns the decoded length or an error.
 */
static int dns_rdata_parse_data(struct dns_rdata__in *in, bool b64, const char *what)
{
    char buf[1024]; /* a multiple of both group sizes (2 and 4) */
    char head[64];  /* the start of the text, for the error message */
    size_t n = 0, nhead = 0, total = 0;
    bool padded = false;
    struct dns_tok t;
    int r = dns_rdata__take(in, &t, what);
    if (r)
        return r;
    size_t first = t.offset;
    for (;;) {
        for (size_t i = 0; i < t.len; i++) {
            if (nhead < sizeof(head))
                head[nhead++] = t.text[i];
            buf[n++] = t.text[i];
            if (n == sizeof(buf)) {
                if ((r = dns_rdata_flush(in->out, b64, buf, n, &padded)) < 0)
                    goto fail;
                total += (size_t)r;
                n = 0;
            }
        }
        if ((r = dns_rdata__peek(in, &t)) < 0)
            return r;
        if (r == 0)
            break;
        dns_rdata__skip(in);
    }
    if (n > 0) {
        if ((r = dns_rdata_flush(in->out, b64, buf, n, &padded)) < 0)
            goto fail;
        total += (size_t)r;
    }
    return total > INT32_MAX ? ERR_RANGE : (int)total;
fail:
    if (r == ERR_SPACE) {
        wbuf_fail(in->out, ERR_SPACE);
        return dns_rdata__fail_space(in);
    }
    /* head holds up to 64 characters, so a longer text still shows its "...". */
    return dns_rdata__fail_value(in, ERR_SYNTAX, first, b64 ? "invalid base64" : "invalid hex",
                                 head, nhead, NULL);
}

/* SALT (hex or "-") and B32HEX: a length byte and one decoded token of 0..255 bytes. */
static int dns_rdata_parse_counted(struct dns_rdata__in *in, const struct dns_tok *t, bool salt)
{
    struct wbuf *w = in->out;
    size_t expect = salt ? t->len / 2 : t->len * 5 / 8;
    if (salt && t->len == 1 && t->text[0] == '-') {
        wbuf_u8(w, 0);
        return 0;
    }
    if (expect > 255)
        return dns_rdata__fail(in, ERR_RANGE, t->offset, "%s longer than 255 bytes",
                               salt ? "salt" : "hash");
    if (!wbuf_need(w, 1 + expect))
        return dns_rdata__fail_space(in);
    int n = (salt ? base64_hex_decode : base64_b32hex_decode)(t->text, t->len, w->base + w->pos + 1,
                                                              expect);
    if (n < 0 || (!salt && n == 0))
        return dns_rdata__fail_value(in, ERR_SYNTAX, t->offset,
                                     salt ? "invalid salt" : "invalid base32hex", t->text, t->len,
                                     NULL);
    w->base[w->pos] = (uint8_t)n;
    w->pos += 1 + (size_t)n;
    return 0;
}

/* RFC 4034 4.1.2 type bitmap from a list of mnemonics: collected in a 64 Kbit set, then
 * written window by window, which sorts and deduplicates them. */
static int dns_rdata_parse_bitmap(struct dns_rdata__in *in)
{
    uint8_t set[8192];
    struct dns_tok t;
    int r;
    memset(set, 0, sizeof(set));
    while ((r = dns_rdata__peek(in, &t)) == 1) {
        uint16_t type;
        dns_rdata__skip(in);
        if (dns_type_from_text(t.text, t.len, &type))
            return dns_rdata__fail_value(in, ERR_TYPE, t.offset, "unknown record type", t.text,
                                         t.len, NULL);
        set[type >> 3] |= (uint8_t)(0x80 >> (type & 7));
    }
    if (r < 0)
        return r;
    for (unsigned win = 0; win < 256; win++) {
        const uint8_t *b = set + win * 32;
        unsigned len = 32;
        while (len > 0 && b[len - 1] == 0)
            len--;
        if (len == 0)
            continue;
        wbuf_u8(in->out, (uint8_t)win);
        wbuf_u8(in->out, (uint8_t)len);
        wbuf_bytes(in->out, b, len);
    }
    return 0;
}

static int dns_rdata_parse_field(struct dns_rdata__in *in, uint8_t kind)
{
    struct wbuf *w = in->out;
    bool known = kind < sizeof(dns_rdata_what) / sizeof(dns_rdata_what[0]) && dns_rdata_what[kind];
    const char *what = known ? dns_rdata_what[kind] : "field";
    struct dns_tok t;
    uint64_t v;
    uint32_t u;
    uint8_t addr[16];
    int r;

    /* The fields that run to the end read their own tokens (some may have none). */
    switch (kind) {
    case DNS_RDF_HEX:
    case DNS_RDF_B64:
        r = dns_rdata_parse_data(in, kind == DNS_RDF_B64, what);
        if (r == 0)
            return dns_rdata__fail(in, ERR_SYNTAX, in->end, "empty %s", what);
        return r < 0 ? r : 0;
    case DNS_RDF_BITMAP:
        return dns_rdata_parse_bitmap(in);
    case DNS_RDF_SVCPARAMS:
        return dns_rdata__svc_parse(in);
    case DNS_RDF_STRS:
        if ((r = dns_rdata__take(in, &t, what)))
            return r;
        do {
            if ((r = dns_rdata_parse_str(in, &t)))
                return r;
            if ((r = dns_rdata__peek(in, &t)) < 0)
                return r;
            dns_rdata__skip(in);
        } while (r == 1);
        return 0;
    default:
        break;
    }

    if ((r = dns_rdata__take(in, &t, what)))
        return r;
    switch (kind) {
    case DNS_RDF_ALG:
    case DNS_RDF_CERTTYPE:
        if ((r = dns_rdata_parse_mnemonic(in, kind, &t, &v)))
            return r;
        if (kind == DNS_RDF_ALG)
            wbuf_u8(w, (uint8_t)v);
        else
            wbuf_u16(w, (uint16_t)v);
        return 0;
    case DNS_RDF_U8:
    case DNS_RDF_U16:
    case DNS_RDF_U32: {
        uint64_t max = kind == DNS_RDF_U8 ? 255 : kind == DNS_RDF_U16 ? 65535 : UINT32_MAX;
        if ((r = dns_rdata_parse_number(in, &t, max, &v)))
            return r;
        if (kind == DNS_RDF_U8)
            wbuf_u8(w, (uint8_t)v);
        else if (kind == DNS_RDF_U16)
            wbuf_u16(w, (uint16_t)v);
        else
            wbuf_u32(w, (uint32_t)v);
        return 0;
    }
    case DNS_RDF_TIME:
        if ((r = dns_rdata_parse_time(t.text, t.len, &u)))
            return dns_rdata__fail_value(in, r, t.offset, "invalid time value", t.text, t.len,
                                         " (expected seconds 0-4294967295 or units like 1h30m)");
        wbuf_u32(w, u);
        return 0;
    case DNS_RDF_TIMESTAMP:
        if ((r = dns_rdata_parse_timestamp(t.text, t.len, &u)))
            return dns_rdata__fail_value(in, r, t.offset, "invalid timestamp", t.text, t.len,
                                         " (expected YYYYMMDDHHmmSS or seconds)");
        wbuf_u32(w, u);
        return 0;
    case DNS_RDF_TYPE: {
        uint16_t type;
        if (dns_type_from_text(t.text, t.len, &type))
            return dns_rdata__fail_value(in, ERR_TYPE, t.offset, "unknown record type", t.text,
                                         t.len, NULL);
        wbuf_u16(w, type);
        return 0;
    }
    case DNS_RDF_A:
    case DNS_RDF_AAAA: {
        bool v4 = kind == DNS_RDF_A;
        if (dns_rdata__addr(v4 ? AF_INET : AF_INET6, t.text, t.len, addr))
            return dns_rdata__fail_value(in, ERR_SYNTAX, t.offset,
                                         v4 ? "invalid IPv4 address" : "invalid IPv6 address",
                                         t.text, t.len, NULL);
        wbuf_bytes(w, addr, v4 ? 4 : 16);
        return 0;
    }
    case DNS_RDF_NAME_C:
    case DNS_RDF_NAME:
        return dns_rdata_parse_name(in, &t);
    case DNS_RDF_STR:
        return dns_rdata_parse_str(in, &t);
    case DNS_RDF_REST:
        return dns_rdata_parse_rest(in, &t);
    case DNS_RDF_TAG:
        return dns_rdata_parse_tag(in, &t);
    case DNS_RDF_SALT:
    case DNS_RDF_B32HEX:
        return dns_rdata_parse_counted(in, &t, kind == DNS_RDF_SALT);
    default:
        return dns_rdata__fail(in, ERR_UNSUPPORTED, t.offset, "unknown field kind");
    }
}

/* RFC 3597 5: "\# <length> <hex>...", then checked against the type's descriptor. */
static int dns_rdata_parse_generic(struct dns_rdata__in *in, uint16_t type)
{
    struct dns_tok t;
    uint64_t len;
    size_t start = in->out->pos;
    int r;
    dns_rdata__skip(in); /* the \# */
    if ((r = dns_rdata__take(in, &t, "generic data length")))
        return r;
    if ((r = dns_rdata_parse_number(in, &t, 65535, &len)))
        return r;
    if (len > 0) {
        r = dns_rdata_parse_data(in, false, "hex data");
        if (r < 0)
            return r;
        if ((uint64_t)r != len)
            return dns_rdata__fail(in, ERR_SYNTAX, t.offset,
                                   "generic data is %d bytes long, not %llu", r,
                                   (unsigned long long)len);
    }
    if (dns_rdata_check(type, in->out->base + start, (size_t)len)) {
        char tname[16];
        dns_type_to_text(type, tname, sizeof(tname));
        return dns_rdata__fail(in, ERR_FORMAT, t.offset, "generic data is not valid %s data",
                               tname);
    }
    return 0;
}

static int dns_rdata_parse(uint16_t type, struct dns_rdata__in *in)
{
    struct wbuf *w = in->out;
    const struct dns_rdata_desc *d = dns_rdata_desc(type);
    struct dns_tok t;
    int r;

    r = dns_rdata__peek(in, &t);
    if (r < 0)
        return r;
    if (r == 1 && !t.quoted && t.len == 2 && memcmp(t.text, "\\#", 2) == 0) {
        r = dns_rdata_parse_generic(in, type);
    } else if (!d) {
        char tname[16];
        dns_type_to_text(type, tname, sizeof(tname));
        return dns_rdata__fail(in, ERR_SYNTAX, r == 1 ? t.offset : in->end,
                               "%s data must be in the generic form \"\\# <length> <hex>\"", tname);
    } else {
        r = 0;
        for (const uint8_t *f = d->fields; *f != DNS_RDF_END && !r; f++) {
            r = dns_rdata_parse_field(in, *f);
            if (!r && w->err)
                r = dns_rdata__fail_space(in);
        }
    }
    if (r)
        return r;
    if ((r = dns_rdata__peek(in, &t)) < 0)
        return r;
    if (r == 1)
        return dns_rdata__fail_value(in, ERR_SYNTAX, t.offset, "unexpected", t.text, t.len, NULL);
    return w->err ? dns_rdata__fail_space(in) : 0;
}

static int dns_rdata_run(uint16_t type, struct dns_rdata__in *in)
{
    struct wbuf *w = in->out;
    if (w->err)
        return dns_rdata__fail_space(in);
    size_t mark = w->pos;
    int r = dns_rdata_parse(type, in);
    if (!r && w->pos - mark > 65535)
        r = dns_rdata__fail(in, ERR_RANGE, 0, "record data longer than 65535 bytes");
    if (r)
        wbuf_reset_to(w, mark); /* leave nothing half-written behind */
    return r;
}

int dns_rdata_from_tokens(uint16_t type, const struct dns_tok *toks, size_t ntok,
                          const uint8_t *origin, struct wbuf *out, struct dns_rdata_error *err)
{
    struct dns_rdata_error dummy;
    struct dns_rdata__in in = {
        .toks = toks, .ntok = ntok, .origin = origin, .out = out, .err = err ? err : &dummy};
    /* Without the source text, "the end" is the end of the last token. */
    if (ntok > 0) {
        const struct dns_tok *last = &toks[ntok - 1];
        in.end = last->offset + last->len + (last->quoted ? 2 : 0);
    }
    in.err->offset = 0;
    in.err->msg[0] = 0;
    return dns_rdata_run(type, &in);
}

int dns_rdata_from_text(uint16_t type, const char *text, size_t len, const uint8_t *origin,
                        struct wbuf *out, struct dns_rdata_error *err)
{
    struct dns_rdata_error dummy;
    struct dns_rdata__in in = {.text = text,
                               .len = len,
                               .end = len,
                               .origin = origin,
                               .out = out,
                               .err = err ? err : &dummy};
    in.err->offset = 0;
    in.err->msg[0] = 0;
    return dns_rdata_run(type, &in);
}
