/*
 * The RDATA descriptor table and everything that works on wire form: checking stored
 * RDATA, reading it from a message, writing it into one.
 *
 * One table row per type lists its fields; every operation walks the same list, so a type
 * is added in one place. dns_rdata__field_len is the single definition of what each field
 * kind looks like on the wire: dns_rdata_check walks it over stored RDATA, and
 * dns_rdata_unpack uses it to copy every field except names, which are decompressed. So
 * whatever unpack accepts also passes check, by construction.
 *
 * Only the RFC 1035 types mark their names NAME_C: RFC 3597 section 4 forbids compressing
 * names in any later type, because a server that does not know the type could not find
 * them to follow the pointers.
 */
#include "dns/rdata_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dns/dns.h"
#include "dns/name.h"
#include "dns/writer.h"
#include "util/err.h"

#define U8     DNS_RDF_U8
#define U16    DNS_RDF_U16
#define U32    DNS_RDF_U32
#define TIME   DNS_RDF_TIME
#define A4     DNS_RDF_A
#define A6     DNS_RDF_AAAA
#define NC     DNS_RDF_NAME_C
#define NAME   DNS_RDF_NAME
#define STR    DNS_RDF_STR
#define STRS   DNS_RDF_STRS
#define HEX    DNS_RDF_HEX
#define B64    DNS_RDF_B64
#define TAG    DNS_RDF_TAG
#define REST   DNS_RDF_REST
#define SVCP   DNS_RDF_SVCPARAMS
#define TYPE   DNS_RDF_TYPE
#define TSTAMP DNS_RDF_TIMESTAMP
#define SALT   DNS_RDF_SALT
#define B32    DNS_RDF_B32HEX
#define BITMAP DNS_RDF_BITMAP
#define ALG    DNS_RDF_ALG
#define CTYPE  DNS_RDF_CERTTYPE

/* Sorted by type for the binary search in dns_rdata_desc. */
static const struct dns_rdata_desc dns_rdata_table[] = {
    {DNS_TYPE_A, "A", {A4}},
    {DNS_TYPE_NS, "NS", {NC}},
    {DNS_TYPE_MD, "MD", {NC}},
    {DNS_TYPE_MF, "MF", {NC}},
    {DNS_TYPE_CNAME, "CNAME", {NC}},
    {DNS_TYPE_SOA, "SOA", {NC, NC, U32, TIME, TIME, TIME, TIME}},
    {DNS_TYPE_MB, "MB", {NC}},
    {DNS_TYPE_MG, "MG", {NC}},
    {DNS_TYPE_MR, "MR", {NC}},
    {DNS_TYPE_PTR, "PTR", {NC}},
    {DNS_TYPE_HINFO, "HINFO", {STR, STR}},
    {DNS_TYPE_MINFO, "MINFO", {NC, NC}},
    {DNS_TYPE_MX, "MX", {U16, NC}},
    {DNS_TYPE_TXT, "TXT", {STRS}},
    {DNS_TYPE_RP, "RP", {NAME, NAME}},
    {DNS_TYPE_AFSDB, "AFSDB", {U16, NAME}},
    {DNS_TYPE_RT, "RT", {U16, NAME}},
    {DNS_TYPE_AAAA, "AAAA", {A6}},
    {DNS_TYPE_SRV, "SRV", {U16, U16, U16, NAME}},
    {DNS_TYPE_NAPTR, "NAPTR", {U16, U16, STR, STR, STR, NAME}},
    {DNS_TYPE_KX, "KX", {U16, NAME}},
    {DNS_TYPE_CERT, "CERT", {CTYPE, U16, ALG, B64}},
    {DNS_TYPE_DNAME, "DNAME", {NAME}},
    {DNS_TYPE_DS, "DS", {U16, ALG, U8, HEX}},
    {DNS_TYPE_SSHFP, "SSHFP", {U8, U8, HEX}},
    {DNS_TYPE_RRSIG, "RRSIG", {TYPE, ALG, U8, U32, TSTAMP, TSTAMP, U16, NAME, B64}},
    {DNS_TYPE_NSEC, "NSEC", {NAME, BITMAP}},
    {DNS_TYPE_DNSKEY, "DNSKEY", {U16, U8, ALG, B64}},
    {DNS_TYPE_DHCID, "DHCID", {B64}},
    {DNS_TYPE_NSEC3, "NSEC3", {U8, U8, U16, SALT, B32, BITMAP}},
    {DNS_TYPE_NSEC3PARAM, "NSEC3PARAM", {U8, U8, U16, SALT}},
    {DNS_TYPE_TLSA, "TLSA", {U8, U8, U8, HEX}},
    {DNS_TYPE_SMIMEA, "SMIMEA", {U8, U8, U8, HEX}},
    {DNS_TYPE_CDS, "CDS", {U16, ALG, U8, HEX}},
    {DNS_TYPE_CDNSKEY, "CDNSKEY", {U16, U8, ALG, B64}},
    {DNS_TYPE_OPENPGPKEY, "OPENPGPKEY", {B64}},
    {DNS_TYPE_CSYNC, "CSYNC", {U32, U16, BITMAP}},
    {DNS_TYPE_ZONEMD, "ZONEMD", {U32, U8, U8, HEX}},
    {DNS_TYPE_SVCB, "SVCB", {U16, NAME, SVCP}},
    {DNS_TYPE_HTTPS, "HTTPS", {U16, NAME, SVCP}},
    {DNS_TYPE_SPF, "SPF", {STRS}},
    {DNS_TYPE_L32, "L32", {U16, A4}},
    {DNS_TYPE_LP, "LP", {U16, NAME}},
    {DNS_TYPE_URI, "URI", {U16, U16, REST}},
    {DNS_TYPE_CAA, "CAA", {U8, TAG, REST}},
};

/* Mnemonics of the other IANA-registered types, so that type lists (NSEC bitmaps, RRSIG
 * type covered) printed by other servers parse. Their RDATA is only handled generically.
 * Types that dns/dns.h does not name are given by number. */
static const struct {
    uint16_t type;
    const char *name;
} dns_rdata_other_names[] = {
    {DNS_TYPE_NULL, "NULL"},
    {DNS_TYPE_WKS, "WKS"},
    {19, "X25"},
    {20, "ISDN"},
    {22, "NSAP"},
    {23, "NSAP-PTR"},
    {DNS_TYPE_SIG, "SIG"},
    {DNS_TYPE_KEY, "KEY"},
    {DNS_TYPE_PX, "PX"},
    {27, "GPOS"},
    {DNS_TYPE_LOC, "LOC"},
    {DNS_TYPE_NXT, "NXT"},
    {31, "EID"},
    {32, "NIMLOC"},
    {34, "ATMA"},
    {DNS_TYPE_A6, "A6"},
    {40, "SINK"},
    {DNS_TYPE_OPT, "OPT"},
    {DNS_TYPE_APL, "APL"},
    {DNS_TYPE_IPSECKEY, "IPSECKEY"},
    {55, "HIP"},
    {56, "NINFO"},
    {57, "RKEY"},
    {58, "TALINK"},
    {66, "DSYNC"},
    {67, "HHIT"},
    {68, "BRID"},
    {100, "UINFO"},
    {101, "UID"},
    {102, "GID"},
    {103, "UNSPEC"},
    {DNS_TYPE_NID, "NID"},
    {DNS_TYPE_L64, "L64"},
    {DNS_TYPE_EUI48, "EUI48"},
    {DNS_TYPE_EUI64, "EUI64"},
    {128, "NXNAME"},
    {DNS_TYPE_TKEY, "TKEY"},
    {DNS_TYPE_TSIG, "TSIG"},
    {DNS_TYPE_IXFR, "IXFR"},
    {DNS_TYPE_AXFR, "AXFR"},
    {DNS_TYPE_MAILB, "MAILB"},
    {DNS_TYPE_MAILA, "MAILA"},
    {DNS_TYPE_ANY, "ANY"},
    {258, "AVC"},
    {259, "DOA"},
    {260, "AMTRELAY"},
    {261, "RESINFO"},
    {262, "WALLET"},
    {263, "CLA"},
    {264, "IPN"},
    {32768, "TA"},
    {32769, "DLV"},
};

#define DNS_RDATA_NROWS  (sizeof(dns_rdata_table) / sizeof(dns_rdata_table[0]))
#define DNS_RDATA_NOTHER (sizeof(dns_rdata_other_names) / sizeof(dns_rdata_other_names[0]))

const struct dns_rdata_desc *dns_rdata_desc(uint16_t type)
{
    size_t lo = 0, hi = DNS_RDATA_NROWS;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint16_t t = dns_rdata_table[mid].type;
        if (t == type)
            return &dns_rdata_table[mid];
        if (t < type)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- type and class names ------------------------------------------------------------------- */

const char *dns_type_name(uint16_t type)
{
    const struct dns_rdata_desc *d = dns_rdata_desc(type);
    if (d)
        return d->name;
    for (size_t i = 0; i < DNS_RDATA_NOTHER; i++)
        if (dns_rdata_other_names[i].type == type)
            return dns_rdata_other_names[i].name;
    return NULL;
}

static bool dns_rdata_name_is(const char *name, const char *s, size_t len)
{
    return strlen(name) == len && strncasecmp(name, s, len) == 0;
}

/* "<prefix><decimal 0..65535>" as RFC 3597 writes unknown types and classes. */
static bool dns_rdata_numbered(const char *prefix, const char *s, size_t len, uint16_t *v)
{
    size_t pl = strlen(prefix);
    uint64_t n;
    if (len <= pl || strncasecmp(s, prefix, pl) != 0)
        return false;
    if (dns_rdata__number(s + pl, len - pl, 65535, &n))
        return false;
    *v = (uint16_t)n;
    return true;
}

int dns_type_from_text(const char *s, size_t len, uint16_t *type)
{
    for (size_t i = 0; i < DNS_RDATA_NROWS; i++) {
        if (dns_rdata_name_is(dns_rdata_table[i].name, s, len)) {
            *type = dns_rdata_table[i].type;
            return 0;
        }
    }
    for (size_t i = 0; i < DNS_RDATA_NOTHER; i++) {
        if (dns_rdata_name_is(dns_rdata_other_names[i].name, s, len)) {
            *type = dns_rdata_other_names[i].type;
            return 0;
        }
    }
    return dns_rdata_numbered("TYPE", s, len, type) ? 0 : ERR_TYPE;
}

static int dns_rdata_print_name(const char *name, const char *prefix, unsigned v, char *out,
                                size_t cap)
{
    int n = name ? snprintf(out, cap, "%s", name) : snprintf(out, cap, "%s%u", prefix, v);
    return n < 0 || (size_t)n >= cap ? ERR_SPACE : n;
}

int dns_type_to_text(uint16_t type, char *out, size_t cap)
{
    return dns_rdata_print_name(dns_type_name(type), "TYPE", type, out, cap);
}

static const struct {
    uint16_t rclass;
    const char *name;
} dns_rdata_classes[] = {
    {DNS_CLASS_IN, "IN"},     {DNS_CLASS_CH, "CH"},   {DNS_CLASS_HS, "HS"},
    {DNS_CLASS_NONE, "NONE"}, {DNS_CLASS_ANY, "ANY"},
};

int dns_class_from_text(const char *s, size_t len, uint16_t *rclass)
{
    for (size_t i = 0; i < sizeof(dns_rdata_classes) / sizeof(dns_rdata_classes[0]); i++) {
        if (dns_rdata_name_is(dns_rdata_classes[i].name, s, len)) {
            *rclass = dns_rdata_classes[i].rclass;
            return 0;
        }
    }
    return dns_rdata_numbered("CLASS", s, len, rclass) ? 0 : ERR_SYNTAX;
}

int dns_class_to_text(uint16_t rclass, char *out, size_t cap)
{
    const char *name = NULL;
    for (size_t i = 0; i < sizeof(dns_rdata_classes) / sizeof(dns_rdata_classes[0]); i++)
        if (dns_rdata_classes[i].rclass == rclass)
            name = dns_rdata_classes[i].name;
    return dns_rdata_print_name(name, "CLASS", rclass, out, cap);
}

/* ---- wire checks ---------------------------------------------------------------------------- */

/* RFC 4034 4.1.2: windows in increasing order, 1..32 bytes each, no trailing zero byte (so
 * every set of types has exactly one encoding). */
static bool dns_rdata_bitmap_ok(const uint8_t *p, size_t len)
{
    int prev = -1;
    size_t i = 0;
    while (i < len) {
        if (len - i < 2)
            return false;
        unsigned win = p[i], blen = p[i + 1];
        if ((int)win <= prev || blen < 1 || blen > 32 || len - i - 2 < blen)
            return false;
        if (p[i + 1 + blen] == 0)
            return false;
        prev = (int)win;
        i += 2 + blen;
    }
    return true;
}

bool dns_rdata__tag_ok(const uint8_t *s, size_t len)
{
    if (len < 1 || len > 255)
        return false;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return false;
    }
    return true;
}

int dns_rdata__field_len(uint8_t kind, const uint8_t *p, size_t left)
{
    size_t n = 0;
    switch (kind) {
    case DNS_RDF_U8:
    case DNS_RDF_ALG:
        n = 1;
        break;
    case DNS_RDF_U16:
    case DNS_RDF_TYPE:
    case DNS_RDF_CERTTYPE:
        n = 2;
        break;
    case DNS_RDF_U32:
    case DNS_RDF_TIME:
    case DNS_RDF_TIMESTAMP:
    case DNS_RDF_A:
        n = 4;
        break;
    case DNS_RDF_AAAA:
        n = 16;
        break;
    case DNS_RDF_NAME_C:
    case DNS_RDF_NAME:
        if (dns_name_validate(p, left, &n))
            return ERR_FORMAT;
        return (int)n;
    case DNS_RDF_STR:
    case DNS_RDF_SALT:
        if (left < 1)
            return ERR_FORMAT;
        n = 1u + p[0];
        break;
    case DNS_RDF_B32HEX:
        if (left < 1 || p[0] == 0)
            return ERR_FORMAT;
        n = 1u + p[0];
        break;
    case DNS_RDF_TAG:
        if (left < 1 || left - 1 < p[0] || !dns_rdata__tag_ok(p + 1, p[0]))
            return ERR_FORMAT;
        return 1 + p[0];
    case DNS_RDF_STRS:
        /* One or more strings filling the rest exactly (RFC 1035 3.3.14). */
        if (left == 0)
            return ERR_FORMAT;
        for (size_t i = 0; i < left; i += 1u + p[i])
            if (left - i - 1 < p[i])
                return ERR_FORMAT;
        return (int)left;
    case DNS_RDF_HEX:
    case DNS_RDF_B64:
        /* Empty data has no presentation form (a missing field), so it is malformed. */
        return left ? (int)left : ERR_FORMAT;
    case DNS_RDF_REST:
        return (int)left;
    case DNS_RDF_SVCPARAMS:
        return dns_rdata__svc_check(p, left) ? ERR_FORMAT : (int)left;
    case DNS_RDF_BITMAP:
        return dns_rdata_bitmap_ok(p, left) ? (int)left : ERR_FORMAT;
    default:
        return ERR_FORMAT;
    }
    return n <= left ? (int)n : ERR_FORMAT;
}

int dns_rdata_check(uint16_t type, const uint8_t *rd, size_t rdlen)
{
    if (rdlen > 65535)
        return ERR_FORMAT;
    const struct dns_rdata_desc *d = dns_rdata_desc(type);
    if (!d)
        return 0;
    size_t pos = 0;
    for (const uint8_t *f = d->fields; *f != DNS_RDF_END; f++) {
        int n = dns_rdata__field_len(*f, rd + pos, rdlen - pos);
        if (n < 0)
            return n;
        pos += (size_t)n;
    }
    return pos == rdlen ? 0 : ERR_FORMAT;
}

/* ---- reading from a message ----------------------------------------------------------------- */

static bool dns_rdata_is_name(uint8_t kind)
{
    return kind == DNS_RDF_NAME || kind == DNS_RDF_NAME_C;
}

int dns_rdata_unpack(uint16_t type, struct cursor *c, uint16_t rdlen, struct wbuf *out)
{
    if (c->err)
        return c->err;
    if (out->err)
        return out->err;
    if (cursor_left(c) < rdlen) {
        cursor_fail(c, ERR_TRUNC);
        return ERR_TRUNC;
    }
    size_t start = c->pos, end = start + rdlen, mark = out->pos;
    const struct dns_rdata_desc *d = dns_rdata_desc(type);
    size_t pos = start;
    int r = 0;

    if (d) {
        for (const uint8_t *f = d->fields; *f != DNS_RDF_END && !r; f++) {
            if (dns_rdata_is_name(*f)) {
                /* The name is read through a cursor over the whole message, since
                 * pointers lead back before the RDATA, but it must end inside it. */
                uint8_t name[DNS_NAME_MAXLEN];
                size_t nlen;
                struct cursor m = {.base = c->base, .len = c->len, .pos = pos, .err = 0};
                r = dns_name_unpack(&m, name, &nlen);
                if (!r && m.pos > end)
                    r = ERR_FORMAT;
                if (!r) {
                    wbuf_bytes(out, name, nlen);
                    pos = m.pos;
                }
            } else {
                int n = dns_rdata__field_len(*f, c->base + pos, end - pos);
                if (n < 0) {
                    r = n;
                } else {
                    wbuf_bytes(out, c->base + pos, (size_t)n);
                    pos += (size_t)n;
                }
            }
        }
        if (!r && pos != end)
            r = ERR_FORMAT;
    } else {
        wbuf_bytes(out, c->base + start, rdlen);
    }
    /* Decompression can grow the data past what a 16-bit RDLENGTH can describe. */
    if (!r && out->pos - mark > 65535)
        r = ERR_FORMAT;
    if (!r && out->err)
        r = out->err;
    if (r) {
        wbuf_reset_to(out, mark);
        if (r != ERR_SPACE)
            cursor_fail(c, r);
        return r;
    }
    c->pos = end;
    return 0;
}

/* ---- writing into a message ----------------------------------------------------------------- */

static bool dns_rdata_compressible(const struct dns_rdata_desc *d)
{
    for (const uint8_t *f = d->fields; *f != DNS_RDF_END; f++)
        if (*f == DNS_RDF_NAME_C)
            return true;
    return false;
}

int dns_rdata_write(struct dns_writer *dw, uint16_t type, const uint8_t *rd, uint16_t rdlen)
{
    struct wbuf *w = &dw->w;
    size_t at = w->pos;
    const struct dns_rdata_desc *d = dns_rdata_desc(type);

    wbuf_u16(w, rdlen);
    if (!d || !dns_rdata_compressible(d)) {
        wbuf_bytes(w, rd, rdlen);
        return w->err;
    }
    size_t pos = 0;
    for (const uint8_t *f = d->fields; *f != DNS_RDF_END; f++) {
        int n = dns_rdata__field_len(*f, rd + pos, rdlen - pos);
        if (n < 0)
            break; /* not what the type says: the rest goes out verbatim below */
        if (*f == DNS_RDF_NAME_C) {
            int r = dns_writer_name(dw, rd + pos, true);
            if (r)
                return r;
        } else {
            wbuf_bytes(w, rd + pos, (size_t)n);
        }
        pos += (size_t)n;
    }
    wbuf_bytes(w, rd + pos, rdlen - pos);
    if (w->err)
        return w->err;
    /* Compression only shrinks the data, so the length still fits in 16 bits. */
    wbuf_put_u16_at(w, at, (uint16_t)(w->pos - at - 2));
    return 0;
}

/* ---- NanoDNS TXT ---------------------------------------------------------------------------- */

int dns_rdata_txt_from_raw(const char *value, size_t len, struct wbuf *out)
{
    size_t nstr = len == 0 ? 1 : (len + 254) / 255;
    if (len > 65535 || len + nstr > 65535)
        return ERR_RANGE;
    if (!wbuf_need(out, len + nstr))
        return ERR_SPACE;
    size_t i = 0;
    do {
        size_t n = len - i < 255 ? len - i : 255;
        wbuf_u8(out, (uint8_t)n);
        wbuf_bytes(out, value + i, n);
        i += n;
    } while (i < len);
    return 0;
}

long dns_rdata_soa_serial_at(const uint8_t *rd, size_t rdlen)
{
    size_t at = 0;
    for (int k = 0; k < 2; k++) {
        size_t nl;
        if (at >= rdlen || dns_name_validate(rd + at, rdlen - at, &nl))
            return -1;
        at += nl;
    }
    return at + 20 == rdlen ? (long)at : -1;
}
