/*
 * SvcParams of SVCB and HTTPS records (RFC 9460): parsing, printing and the wire check.
 *
 * On the wire the params are (key, length, value) triples in strictly increasing key order.
 * In text they come as key=value in any order, so the parser writes each param where it is
 * and, if its key is smaller than the last one, rotates it into place. Text written in key
 * order (everything this printer produces) never moves a byte.
 *
 * Values are character-strings (escapes decoded first), and list values (alpn, mandatory,
 * the address hints) then split on commas, where a backslash protects the next byte: the
 * two levels of RFC 9460 appendix A.1, so the ALPN id "a,b" is written alpn="a\\,b".
 */
#include "dns/rdata_int.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "util/base64.h"
#include "util/err.h"

enum dns_svc_key {
    DNS_SVC_MANDATORY = 0,
    DNS_SVC_ALPN = 1,
    DNS_SVC_NO_DEFAULT_ALPN = 2,
    DNS_SVC_PORT = 3,
    DNS_SVC_IPV4HINT = 4,
    DNS_SVC_ECH = 5,
    DNS_SVC_IPV6HINT = 6,
    DNS_SVC_DOHPATH = 7,
    DNS_SVC_OHTTP = 8,
};

static const char *const dns_svc_names[] = {
    "mandatory", "alpn",     "no-default-alpn", "port",  "ipv4hint",
    "ech",       "ipv6hint", "dohpath",         "ohttp",
};

#define DNS_SVC_NNAMES (sizeof(dns_svc_names) / sizeof(dns_svc_names[0]))

static uint16_t dns_svc_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* A key name or keyNNNNN, the number without leading zeros (RFC 9460 2.1), so that each
 * key has one spelling. Returns 0 or ERR_SYNTAX. */
static int dns_svc_key_from_text(const char *s, size_t len, uint16_t *key)
{
    uint64_t v;
    for (size_t i = 0; i < DNS_SVC_NNAMES; i++) {
        if (strlen(dns_svc_names[i]) == len && strncasecmp(dns_svc_names[i], s, len) == 0) {
            *key = (uint16_t)i;
            return 0;
        }
    }
    if (len <= 3 || strncasecmp(s, "key", 3) != 0 || (len > 4 && s[3] == '0') ||
        dns_rdata__number(s + 3, len - 3, 65535, &v))
        return ERR_SYNTAX;
    *key = (uint16_t)v;
    return 0;
}

static void dns_svc_put_key(struct dns_rdata__out *o, uint16_t key)
{
    if (key < DNS_SVC_NNAMES)
        dns_rdata__put(o, dns_svc_names[key], strlen(dns_svc_names[key]));
    else
        dns_rdata__putf(o, "key%u", key);
}

/* ---- wire check ------------------------------------------------------------------------- */

static bool dns_svc_value_ok(uint16_t key, const uint8_t *v, size_t n)
{
    switch (key) {
    case DNS_SVC_MANDATORY:
        /* Keys in strictly increasing order, never "mandatory" itself. */
        if (n < 2 || n % 2)
            return false;
        for (size_t i = 0; i < n; i += 2)
            if (dns_svc_u16(v + i) <= (i ? dns_svc_u16(v + i - 2) : 0))
                return false;
        return true;
    case DNS_SVC_ALPN:
        if (n == 0)
            return false;
        for (size_t i = 0; i < n; i += 1u + v[i])
            if (v[i] == 0 || n - i - 1 < v[i])
                return false;
        return true;
    case DNS_SVC_NO_DEFAULT_ALPN:
    case DNS_SVC_OHTTP:
        return n == 0;
    case DNS_SVC_PORT:
        return n == 2;
    case DNS_SVC_IPV4HINT:
        return n >= 4 && n % 4 == 0;
    case DNS_SVC_ECH:
        return n >= 1;
    case DNS_SVC_IPV6HINT:
        return n >= 16 && n % 16 == 0;
    default:
        return true; /* dohpath and unknown keys: any bytes */
    }
}

/* The first key listed in "mandatory" that is not among the params, or -1 (RFC 9460 8:
 * the list must be self-consistent). Expects keys in order, as the check and parser ensure. */
static int dns_svc_missing(const uint8_t *p, size_t len)
{
    if (len < 4 || dns_svc_u16(p) != DNS_SVC_MANDATORY)
        return -1;
    size_t mlen = dns_svc_u16(p + 2);
    size_t pos = 4 + mlen;
    for (size_t i = 0; i < mlen; i += 2) {
        uint16_t k = dns_svc_u16(p + 4 + i);
        while (pos < len && dns_svc_u16(p + pos) < k)
            pos += 4u + dns_svc_u16(p + pos + 2);
        if (pos >= len || dns_svc_u16(p + pos) != k)
            return k;
    }
    return -1;
}

int dns_rdata__svc_check(const uint8_t *p, size_t len)
{
    size_t pos = 0;
    int last = -1;
    while (pos < len) {
        if (len - pos < 4)
            return ERR_FORMAT;
        uint16_t key = dns_svc_u16(p + pos);
        size_t n = dns_svc_u16(p + pos + 2);
        if ((int)key <= last || len - pos - 4 < n || !dns_svc_value_ok(key, p + pos + 4, n))
            return ERR_FORMAT;
        last = key;
        pos += 4 + n;
    }
    return dns_svc_missing(p, len) < 0 ? 0 : ERR_FORMAT;
}

/* ---- parser ------------------------------------------------------------------------------- */

struct dns_svc_list {
    const char *s;
    size_t len;
    size_t pos;
    bool done;
};

/* Next item of a comma-separated value into item[cap]. Returns 1 (*n set), 0 after the last
 * item, ERR_SYNTAX for a bad escape or ERR_SPACE for an item longer than cap. An empty
 * value is one empty item. */
static int dns_svc_item(struct dns_svc_list *l, uint8_t *item, size_t cap, size_t *n)
{
    size_t k = 0;
    if (l->done)
        return 0;
    for (;;) {
        if (l->pos == l->len) {
            l->done = true;
            break;
        }
        int b = dns_text_unescape_byte(l->s, l->len, &l->pos);
        if (b == ',')
            break;
        if (b == '\\') {
            if (l->pos == l->len)
                return ERR_SYNTAX;
            b = dns_text_unescape_byte(l->s, l->len, &l->pos);
        }
        if (b < 0)
            return b;
        if (k == cap)
            return ERR_SPACE;
        item[k++] = (uint8_t)b;
    }
    *n = k;
    return 1;
}

static void dns_svc_swap16(uint8_t *a, uint8_t *b)
{
    uint8_t t0 = a[0], t1 = a[1];
    a[0] = b[0];
    a[1] = b[1];
    b[0] = t0;
    b[1] = t1;
}

/* mandatory=key,key,...: written sorted; duplicates and "mandatory" itself are errors. */
static int dns_svc_parse_mandatory(struct dns_rdata__in *in, struct dns_svc_list *l, size_t off)
{
    struct wbuf *w = in->out;
    size_t start = w->pos, n;
    uint8_t item[32];
    int r;
    while ((r = dns_svc_item(l, item, sizeof(item), &n)) == 1) {
        const char *name = (const char *)item;
        uint16_t key;
        if (dns_svc_key_from_text(name, n, &key))
            return dns_rdata__fail_value(in, ERR_SYNTAX, off, "invalid key", name, n,
                                         " in mandatory");
        if (key == DNS_SVC_MANDATORY)
            return dns_rdata__fail(in, ERR_SYNTAX, off, "mandatory may not list itself");
        wbuf_u16(w, key);
        if (w->err)
            return dns_rdata__fail_space(in);
        /* Insertion sort of the short list just written. */
        for (size_t i = w->pos - 2; i > start; i -= 2) {
            uint8_t *a = w->base + i - 2, *b = w->base + i;
            if (dns_svc_u16(a) < dns_svc_u16(b))
                break;
            if (dns_svc_u16(a) == dns_svc_u16(b))
                return dns_rdata__fail_value(in, ERR_SYNTAX, off, "duplicate key", name, n,
                                             " in mandatory");
            dns_svc_swap16(a, b);
        }
    }
    if (r < 0)
        return dns_rdata__fail_value(in, ERR_SYNTAX, off, "invalid mandatory", l->s, l->len, NULL);
    return 0;
}

/* alpn=id,id,...: each id a length byte and 1..255 bytes. */
static int dns_svc_parse_alpn(struct dns_rdata__in *in, struct dns_svc_list *l, size_t off)
{
    struct wbuf *w = in->out;
    uint8_t item[256];
    size_t n;
    int r;
    while ((r = dns_svc_item(l, item, sizeof(item), &n)) == 1) {
        if (n == 0 || n > 255)
            break;
        wbuf_u8(w, (uint8_t)n);
        wbuf_bytes(w, item, n);
    }
    if (r != 0)
        return dns_rdata__fail_value(in, ERR_SYNTAX, off, "invalid alpn", l->s, l->len,
                                     " (expected ids of 1-255 bytes)");
    return 0;
}

static int dns_svc_parse_hints(struct dns_rdata__in *in, struct dns_svc_list *l, size_t off,
                               bool v6)
{
    uint8_t item[64], addr[16];
    size_t n;
    int r;
    while ((r = dns_svc_item(l, item, sizeof(item), &n)) == 1) {
        if (dns_rdata__addr(v6 ? AF_INET6 : AF_INET, (const char *)item, n, addr))
            return dns_rdata__fail_value(in, ERR_SYNTAX, off,
                                         v6 ? "invalid IPv6 address" : "invalid IPv4 address",
                                         (const char *)item, n, NULL);
        wbuf_bytes(in->out, addr, v6 ? 16 : 4);
    }
    if (r < 0)
        return dns_rdata__fail_value(
            in, ERR_SYNTAX, off, v6 ? "invalid ipv6hint" : "invalid ipv4hint", l->s, l->len, NULL);
    return 0;
}

/* Decodes the character-string v into the output. Returns its length or an error. */
static int dns_svc_parse_string(struct dns_rdata__in *in, const char *v, size_t vlen, size_t off)
{
    struct wbuf *w = in->out;
    int n = dns_text_unescape(v, vlen, w->base + w->pos, wbuf_left(w));
    if (n == ERR_SPACE)
        return dns_rdata__fail_space(in);
    if (n < 0)
        return dns_rdata__fail_value(in, n, off, "invalid escape in", v, vlen, NULL);
    w->pos += (size_t)n;
    return n;
}

/* The value of a key written keyNNNNN: its wire form as a character-string (RFC 9460 2.1),
 * which must still be well formed for a key this parser knows ("key3=443" is an error, as
 * 443 is three bytes, not a port). */
static int dns_svc_parse_generic(struct dns_rdata__in *in, uint16_t key, const char *v, size_t vlen,
                                 const struct dns_tok *t, size_t klen)
{
    struct wbuf *w = in->out;
    size_t at = w->pos;
    int r = dns_svc_parse_string(in, v, vlen, t->offset);
    if (r < 0)
        return r;
    if (!dns_svc_value_ok(key, w->base + at, (size_t)r))
        return dns_rdata__fail_value(in, ERR_SYNTAX, t->offset, "invalid wire value for", t->text,
                                     klen, NULL);
    return 0;
}

/* The value v of key (whose name is t->text[0..klen)) into the output. */
static int dns_svc_parse_value(struct dns_rdata__in *in, uint16_t key, const char *v, size_t vlen,
                               const struct dns_tok *t, size_t klen)
{
    struct wbuf *w = in->out;
    struct dns_svc_list l = {.s = v, .len = vlen};
    uint8_t buf[16];
    uint64_t port;
    int r;

    /* A known key in the keyNNNNN form: "key" is never a prefix of a key name. */
    if (klen > 3 && strncasecmp(t->text, "key", 3) == 0)
        return dns_svc_parse_generic(in, key, v, vlen, t, klen);
    if (vlen == 0 && key <= DNS_SVC_IPV6HINT && key != DNS_SVC_NO_DEFAULT_ALPN)
        return dns_rdata__fail_value(in, ERR_SYNTAX, t->offset, "SvcParam", t->text, klen,
                                     " needs a value");
    switch (key) {
    case DNS_SVC_MANDATORY:
        return dns_svc_parse_mandatory(in, &l, t->offset);
    case DNS_SVC_ALPN:
        return dns_svc_parse_alpn(in, &l, t->offset);
    case DNS_SVC_NO_DEFAULT_ALPN:
    case DNS_SVC_OHTTP:
        if (vlen > 0)
            return dns_rdata__fail_value(in, ERR_SYNTAX, t->offset, "SvcParam", t->text, klen,
                                         " takes no value");
        return 0;
    case DNS_SVC_PORT:
        r = dns_text_unescape(v, vlen, buf, sizeof(buf));
        if (r < 0 || dns_rdata__number((const char *)buf, (size_t)r, 65535, &port))
            return dns_rdata__fail_value(in, ERR_SYNTAX, t->offset, "invalid port", v, vlen,
                                         " (expected 0-65535)");
        wbuf_u16(w, (uint16_t)port);
        return 0;
    case DNS_SVC_IPV4HINT:
    case DNS_SVC_IPV6HINT:
        return dns_svc_parse_hints(in, &l, t->offset, key == DNS_SVC_IPV6HINT);
    case DNS_SVC_ECH: {
        /* Unescape, then decode the base64 in place (decoding never outgrows its input). */
        size_t at = w->pos;
        if ((r = dns_svc_parse_string(in, v, vlen, t->offset)) < 0)
            return r;
        r = base64_decode((const char *)w->base + at, (size_t)r, w->base + at, (size_t)r);
        if (r <= 0)
            return dns_rdata__fail_value(in, ERR_SYNTAX, t->offset, "invalid ech", v, vlen,
                                         " (expected base64)");
        w->pos = at + (size_t)r;
        return 0;
    }
    default: /* dohpath, keyNNNNN: the string as it is */
        r = dns_svc_parse_string(in, v, vlen, t->offset);
        return r < 0 ? r : 0;
    }
}

/* Moves p[k..n) in front of p[0..k) by three reversals. */
static void dns_svc_reverse(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        uint8_t t = p[i];
        p[i] = p[n - 1 - i];
        p[n - 1 - i] = t;
    }
}

static void dns_svc_rotate(uint8_t *p, size_t n, size_t k)
{
    dns_svc_reverse(p, k);
    dns_svc_reverse(p + k, n - k);
    dns_svc_reverse(p, n);
}

int dns_rdata__svc_parse(struct dns_rdata__in *in)
{
    struct wbuf *w = in->out;
    size_t start = w->pos, mand_off = 0;
    int last = -1;
    struct dns_tok t, vt;
    int r;

    while ((r = dns_rdata__peek(in, &t)) == 1) {
        dns_rdata__skip(in);
        const char *eq = memchr(t.text, '=', t.len);
        size_t klen = eq ? (size_t)(eq - t.text) : t.len;
        const char *v = eq ? eq + 1 : t.text + t.len;
        size_t vlen = eq ? t.len - klen - 1 : 0;
        uint16_t key;
        if (dns_svc_key_from_text(t.text, klen, &key))
            return dns_rdata__fail_value(in, ERR_SYNTAX, t.offset, "invalid SvcParam key", t.text,
                                         klen, NULL);
        /* key="quoted value": the lexer returns key= and the quoted string side by side. */
        if (eq && vlen == 0 && !t.quoted) {
            if ((r = dns_rdata__peek(in, &vt)) < 0)
                return r;
            if (r == 1 && vt.quoted && vt.offset == t.offset + t.len) {
                dns_rdata__skip(in);
                v = vt.text;
                vlen = vt.len;
            }
        }

        size_t at = w->pos;
        wbuf_u16(w, key);
        wbuf_u16(w, 0);
        if ((r = dns_svc_parse_value(in, key, v, vlen, &t, klen)))
            return r;
        if (w->err)
            return dns_rdata__fail_space(in);
        if (w->pos - at - 4 > 65535)
            return dns_rdata__fail(in, ERR_RANGE, t.offset,
                                   "SvcParam value longer than 65535 bytes");
        wbuf_put_u16_at(w, at + 2, (uint16_t)(w->pos - at - 4));
        if (key == DNS_SVC_MANDATORY)
            mand_off = t.offset;
        if ((int)key > last) {
            last = key;
            continue;
        }
        /* Out of order: find the first param with a larger key and rotate this one there. */
        size_t ins = start;
        while (dns_svc_u16(w->base + ins) < key)
            ins += 4u + dns_svc_u16(w->base + ins + 2);
        if (dns_svc_u16(w->base + ins) == key)
            return dns_rdata__fail_value(in, ERR_SYNTAX, t.offset, "duplicate SvcParam key", t.text,
                                         klen, NULL);
        dns_svc_rotate(w->base + ins, w->pos - ins, at - ins);
    }
    if (r < 0)
        return r;
    int missing = dns_svc_missing(w->base + start, w->pos - start);
    if (missing >= 0) {
        char name[16];
        struct dns_rdata__out o = {.buf = name, .cap = sizeof(name)};
        dns_svc_put_key(&o, (uint16_t)missing);
        return dns_rdata__fail_value(in, ERR_SYNTAX, mand_off, "mandatory key", name, o.pos,
                                     " is not among the SvcParams");
    }
    return 0;
}

/* ---- printer ------------------------------------------------------------------------------ */

/* An ALPN id inside alpn="...": comma and backslash get the value-list backslash, which the
 * character-string level doubles, hence "\\," and "\\\\". */
static void dns_svc_put_alpn_id(struct dns_rdata__out *o, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == ',')
            dns_rdata__put(o, "\\\\,", 3);
        else if (c == '\\')
            dns_rdata__put(o, "\\\\\\\\", 4);
        else if (c == '"')
            dns_rdata__put(o, "\\\"", 2);
        else if (c < 0x20 || c > 0x7e)
            dns_rdata__putf(o, "\\%03u", c);
        else
            dns_rdata__put(o, (const char *)&c, 1);
    }
}

static void dns_svc_print_value(struct dns_rdata__out *o, uint16_t key, const uint8_t *v, size_t n)
{
    switch (key) {
    case DNS_SVC_MANDATORY:
        for (size_t i = 0; i < n; i += 2) {
            dns_rdata__put(o, i ? "," : "=", 1);
            dns_svc_put_key(o, dns_svc_u16(v + i));
        }
        break;
    case DNS_SVC_ALPN:
        dns_rdata__put(o, "=\"", 2);
        for (size_t i = 0; i < n; i += 1u + v[i]) {
            if (i)
                dns_rdata__put(o, ",", 1);
            dns_svc_put_alpn_id(o, v + i + 1, v[i]);
        }
        dns_rdata__put(o, "\"", 1);
        break;
    case DNS_SVC_NO_DEFAULT_ALPN:
    case DNS_SVC_OHTTP:
        break;
    case DNS_SVC_PORT:
        dns_rdata__putf(o, "=%u", dns_svc_u16(v));
        break;
    case DNS_SVC_IPV4HINT:
    case DNS_SVC_IPV6HINT: {
        size_t step = key == DNS_SVC_IPV4HINT ? 4 : 16;
        for (size_t i = 0; i < n; i += step) {
            dns_rdata__put(o, i ? "," : "=", 1);
            dns_rdata__put_addr(o, step == 4 ? AF_INET : AF_INET6, v + i);
        }
        break;
    }
    case DNS_SVC_ECH:
        dns_rdata__put(o, "=", 1);
        dns_rdata__put_enc(o, base64_encode, v, n);
        break;
    default: /* dohpath and unknown keys; an empty value is just the key */
        if (n == 0)
            break;
        dns_rdata__put(o, "=", 1);
        dns_rdata__put_enc(o, dns_text_quote, v, n);
        break;
    }
}

void dns_rdata__svc_print(struct dns_rdata__out *o, const uint8_t *p, size_t len)
{
    for (size_t pos = 0; pos + 4 <= len;) {
        uint16_t key = dns_svc_u16(p + pos);
        size_t n = dns_svc_u16(p + pos + 2);
        if (len - pos - 4 < n)
            break;
        dns_rdata__sep(o);
        dns_svc_put_key(o, key);
        dns_svc_print_value(o, key, p + pos + 4, n);
        pos += 4 + n;
    }
}
