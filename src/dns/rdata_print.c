/*
 * RDATA in presentation form, the printer: dns_rdata_to_text, driven by the descriptor table
 * in dns/rdata.c, with the output helpers dns/rdata_svcb.c shares.
 *
 * The output is what BIND prints (numbers in decimal, names absolute, strings quoted, hex in
 * upper case), except that base64 is one token rather than split into chunks. Data that
 * does not match its descriptor is printed in the RFC 3597 generic form, which parses back
 * to the same bytes.
 */
#include "dns/rdata_int.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dns/name.h"
#include "util/base64.h"
#include "util/err.h"

void dns_rdata__put(struct dns_rdata__out *o, const char *s, size_t n)
{
    if (o->full || o->cap - o->pos <= n) {
        o->full = true;
        return;
    }
    memcpy(o->buf + o->pos, s, n);
    o->pos += n;
    o->buf[o->pos] = 0;
}

void dns_rdata__putf(struct dns_rdata__out *o, const char *fmt, ...)
{
    va_list ap;
    if (o->full)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->pos, o->cap - o->pos, fmt, ap);
    va_end(ap);
    dns_rdata__adv(o, n < 0 || (size_t)n >= o->cap - o->pos ? ERR_SPACE : n);
}

void dns_rdata__sep(struct dns_rdata__out *o)
{
    if (o->pos > 0)
        dns_rdata__put(o, " ", 1);
}

void dns_rdata__adv(struct dns_rdata__out *o, int r)
{
    if (o->full)
        return;
    if (r < 0) {
        o->full = true;
        o->buf[o->pos] = 0; /* cut off whatever the failed call left */
        return;
    }
    o->pos += (size_t)r;
}

void dns_rdata__put_addr(struct dns_rdata__out *o, int af, const uint8_t *addr)
{
    char buf[INET6_ADDRSTRLEN];
    if (inet_ntop(af, addr, buf, sizeof(buf)))
        dns_rdata__put(o, buf, strlen(buf));
}

void dns_rdata__put_enc(struct dns_rdata__out *o, dns_rdata__enc_fn enc, const uint8_t *s, size_t n)
{
    if (!o->full)
        dns_rdata__adv(o, enc(s, n, o->buf + o->pos, o->cap - o->pos));
}

static void dns_rdata_put_timestamp(struct dns_rdata__out *o, uint32_t t)
{
    /* Civil date from days since 1970 (H. Hinnant's algorithm; no time_t or locale). */
    int64_t z = t / 86400 + 719468;
    unsigned secs = t % 86400;
    int64_t era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
    dns_rdata__putf(o, "%04lld%02u%02u%02u%02u%02u", (long long)y, m, d, secs / 3600,
                    secs / 60 % 60, secs % 60);
}

static void dns_rdata_put_type(struct dns_rdata__out *o, uint16_t type)
{
    char buf[16];
    int n = dns_type_to_text(type, buf, sizeof(buf));
    dns_rdata__put(o, buf, n > 0 ? (size_t)n : 0);
}

static uint32_t dns_rdata_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Prints one field of n bytes at p (already checked by dns_rdata__field_len). */
static void dns_rdata_print_field(struct dns_rdata__out *o, uint8_t kind, const uint8_t *p,
                                  size_t n)
{
    if (kind != DNS_RDF_BITMAP && kind != DNS_RDF_SVCPARAMS && kind != DNS_RDF_STRS)
        dns_rdata__sep(o);
    switch (kind) {
    case DNS_RDF_U8:
    case DNS_RDF_ALG:
        dns_rdata__putf(o, "%u", p[0]);
        break;
    case DNS_RDF_U16:
    case DNS_RDF_CERTTYPE:
        dns_rdata__putf(o, "%u", (unsigned)(p[0] << 8 | p[1]));
        break;
    case DNS_RDF_U32:
    case DNS_RDF_TIME:
        dns_rdata__putf(o, "%lu", (unsigned long)dns_rdata_u32(p));
        break;
    case DNS_RDF_TIMESTAMP:
        dns_rdata_put_timestamp(o, dns_rdata_u32(p));
        break;
    case DNS_RDF_TYPE:
        dns_rdata_put_type(o, (uint16_t)(p[0] << 8 | p[1]));
        break;
    case DNS_RDF_A:
        dns_rdata__put_addr(o, AF_INET, p);
        break;
    case DNS_RDF_AAAA:
        dns_rdata__put_addr(o, AF_INET6, p);
        break;
    case DNS_RDF_NAME_C:
    case DNS_RDF_NAME:
        if (!o->full)
            dns_rdata__adv(o, dns_name_to_text(p, o->buf + o->pos, o->cap - o->pos, 0));
        break;
    case DNS_RDF_STR:
        dns_rdata__put_enc(o, dns_text_quote, p + 1, p[0]);
        break;
    case DNS_RDF_STRS:
        for (size_t i = 0; i < n; i += 1u + p[i]) {
            dns_rdata__sep(o);
            dns_rdata__put_enc(o, dns_text_quote, p + i + 1, p[i]);
        }
        break;
    case DNS_RDF_HEX:
        dns_rdata__put_enc(o, base64_hex_encode, p, n);
        break;
    case DNS_RDF_B64:
        dns_rdata__put_enc(o, base64_encode, p, n);
        break;
    case DNS_RDF_TAG:
        dns_rdata__put(o, (const char *)p + 1, p[0]);
        break;
    case DNS_RDF_REST:
        dns_rdata__put_enc(o, dns_text_quote, p, n);
        break;
    case DNS_RDF_SVCPARAMS:
        dns_rdata__svc_print(o, p, n);
        break;
    case DNS_RDF_SALT:
        if (p[0] == 0)
            dns_rdata__put(o, "-", 1);
        else
            dns_rdata__put_enc(o, base64_hex_encode, p + 1, p[0]);
        break;
    case DNS_RDF_B32HEX:
        dns_rdata__put_enc(o, base64_b32hex_encode, p + 1, p[0]);
        break;
    case DNS_RDF_BITMAP:
        for (size_t i = 0; i + 2 <= n; i += 2u + p[i + 1]) {
            for (unsigned b = 0; b < 8u * p[i + 1]; b++) {
                if (p[i + 2 + b / 8] & (0x80 >> (b % 8))) {
                    dns_rdata__sep(o);
                    dns_rdata_put_type(o, (uint16_t)(p[i] << 8 | b));
                }
            }
        }
        break;
    default:
        break;
    }
}

int dns_rdata_to_text(uint16_t type, const uint8_t *rd, size_t rdlen, char *out, size_t cap)
{
    struct dns_rdata__out o = {.buf = out, .cap = cap};
    const struct dns_rdata_desc *d = dns_rdata_desc(type);
    if (cap == 0)
        return ERR_SPACE;
    out[0] = 0;
    if (!d || dns_rdata_check(type, rd, rdlen)) {
        dns_rdata__putf(&o, "\\# %zu", rdlen);
        if (rdlen > 0) {
            dns_rdata__sep(&o);
            dns_rdata__put_enc(&o, base64_hex_encode, rd, rdlen);
        }
    } else {
        size_t pos = 0;
        for (const uint8_t *f = d->fields; *f != DNS_RDF_END; f++) {
            int n = dns_rdata__field_len(*f, rd + pos, rdlen - pos);
            if (n < 0)
                break; /* cannot happen after dns_rdata_check */
            dns_rdata_print_field(&o, *f, rd + pos, (size_t)n);
            pos += (size_t)n;
        }
    }
    if (o.full || o.pos > INT32_MAX)
        return ERR_SPACE;
    return (int)o.pos;
}
