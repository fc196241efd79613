#include "dns/name.h"

#include <string.h>

#include "util/err.h"

const uint8_t dns_lower_table[256] = {
#define R(i)   (uint8_t)((i) >= 'A' && (i) <= 'Z' ? (i) + 32 : (i))
#define R4(i)  R(i), R(i + 1), R(i + 2), R(i + 3)
#define R16(i) R4(i), R4(i + 4), R4(i + 8), R4(i + 12)
#define R64(i) R16(i), R16(i + 16), R16(i + 32), R16(i + 48)
    R64(0), R64(64), R64(128), R64(192)
#undef R64
#undef R16
#undef R4
#undef R
};

int dns_name_from_text(const char *text, size_t len, const uint8_t *origin,
                       uint8_t out[DNS_NAME_MAXLEN], size_t *out_len)
{
    static const uint8_t root[1] = {0};
    if (!origin)
        origin = root;
    if (len == 0)
        return ERR_NAME;
    if (len == 1 && text[0] == '@') {
        size_t n = dns_name_len(origin);
        memcpy(out, origin, n);
        *out_len = n;
        return 0;
    }
    if (len == 1 && text[0] == '.') {
        out[0] = 0;
        *out_len = 1;
        return 0;
    }

    size_t pos = 0;    /* next free byte in out */
    size_t lstart = 0; /* position of the current label's length byte */
    size_t llen = 0;   /* bytes in the current label */
    bool absolute = false;
    out[0] = 0;
    pos = 1;

    for (size_t i = 0; i < len; i++) {
        unsigned ch = (unsigned char)text[i];
        if (ch == '.') {
            if (llen == 0)
                return ERR_NAME; /* empty label: "..", leading "." */
            out[lstart] = (uint8_t)llen;
            if (i == len - 1) {
                absolute = true;
                break;
            }
            if (pos >= DNS_NAME_MAXLEN)
                return ERR_NAME_LONG;
            lstart = pos++;
            llen = 0;
            continue;
        }
        if (ch == '\\') {
            if (i + 1 >= len)
                return ERR_NAME;
            unsigned c1 = (unsigned char)text[i + 1];
            if (c1 >= '0' && c1 <= '9') {
                if (i + 3 >= len)
                    return ERR_NAME;
                unsigned c2 = (unsigned char)text[i + 2], c3 = (unsigned char)text[i + 3];
                if (c2 < '0' || c2 > '9' || c3 < '0' || c3 > '9')
                    return ERR_NAME;
                unsigned v = (c1 - '0') * 100 + (c2 - '0') * 10 + (c3 - '0');
                if (v > 255)
                    return ERR_NAME;
                ch = v;
                i += 3;
            } else {
                ch = c1;
                i += 1;
            }
        }
        if (llen == DNS_LABEL_MAXLEN)
            return ERR_LABEL;
        if (pos >= DNS_NAME_MAXLEN)
            return ERR_NAME_LONG;
        out[pos++] = (uint8_t)ch;
        llen++;
    }
    if (!absolute) {
        if (llen == 0)
            return ERR_NAME;
        out[lstart] = (uint8_t)llen;
    }
    /* Append the origin (its root label ends the name) or just the root label. */
    const uint8_t *tail = absolute ? root : origin;
    size_t tlen = dns_name_len(tail);
    if (pos + tlen > DNS_NAME_MAXLEN)
        return ERR_NAME_LONG;
    memcpy(out + pos, tail, tlen);
    *out_len = pos + tlen;
    return 0;
}

static bool dns_name_char_special(uint8_t c)
{
    switch (c) {
    case '.':
    case '\\':
    case '"':
    case '(':
    case ')':
    case ';':
    case '@':
    case '$':
        return true;
    default:
        return false;
    }
}

int dns_name_to_text(const uint8_t *name, char *out, size_t cap, unsigned flags)
{
    size_t pos = 0;
    if (cap == 0)
        return ERR_SPACE;
    if (name[0] == 0) {
        if (cap < 2)
            return ERR_SPACE;
        out[0] = '.';
        out[1] = 0;
        return 1;
    }
    const uint8_t *p = name;
    while (*p) {
        uint8_t l = *p++;
        for (uint8_t i = 0; i < l; i++) {
            uint8_t c = p[i];
            if (c <= 0x20 || c >= 0x7f) {
                if (pos + 4 >= cap)
                    return ERR_SPACE;
                out[pos++] = '\\';
                out[pos++] = (char)('0' + c / 100);
                out[pos++] = (char)('0' + c / 10 % 10);
                out[pos++] = (char)('0' + c % 10);
            } else if (dns_name_char_special(c)) {
                if (pos + 2 >= cap)
                    return ERR_SPACE;
                out[pos++] = '\\';
                out[pos++] = (char)c;
            } else {
                if (pos + 1 >= cap)
                    return ERR_SPACE;
                out[pos++] = (char)c;
            }
        }
        p += l;
        if (*p || !(flags & DNS_NAME_TEXT_NODOT)) {
            if (pos + 1 >= cap)
                return ERR_SPACE;
            out[pos++] = '.';
        }
    }
    out[pos] = 0;
    return (int)pos;
}

int dns_name_unpack(struct cursor *c, uint8_t out[DNS_NAME_MAXLEN], size_t *out_len)
{
    size_t pos = c->pos; /* where we read labels now */
    size_t end = 0;      /* where the cursor goes afterwards (after the first pointer) */
    size_t limit = pos;  /* a pointer must point below the start of the current run */
    bool jumped = false;
    size_t n = 0;

    if (c->err)
        return c->err;
    for (;;) {
        if (pos >= c->len)
            goto trunc;
        uint8_t l = c->base[pos];
        if ((l & 0xc0) == 0xc0) {
            if (pos + 1 >= c->len)
                goto trunc;
            size_t target = (size_t)(l & 0x3f) << 8 | c->base[pos + 1];
            if (!jumped) {
                end = pos + 2;
                jumped = true;
            }
            if (target >= limit) {
                cursor_fail(c, ERR_PTR);
                return ERR_PTR;
            }
            limit = target;
            pos = target;
            continue;
        }
        if (l & 0xc0) {
            cursor_fail(c, ERR_FORMAT);
            return ERR_FORMAT;
        }
        if (pos + 1 + l > c->len)
            goto trunc;
        if (n + 1 + l > DNS_NAME_MAXLEN) {
            cursor_fail(c, ERR_NAME_LONG);
            return ERR_NAME_LONG;
        }
        memcpy(out + n, c->base + pos, 1u + l);
        n += 1u + l;
        pos += 1u + l;
        if (l == 0)
            break;
    }
    c->pos = jumped ? end : pos;
    *out_len = n;
    return 0;
trunc:
    cursor_fail(c, ERR_TRUNC);
    return ERR_TRUNC;
}

int dns_name_validate(const uint8_t *buf, size_t buflen, size_t *len)
{
    size_t pos = 0;
    for (;;) {
        if (pos >= buflen)
            return ERR_TRUNC;
        uint8_t l = buf[pos];
        if (l & 0xc0)
            return (l & 0xc0) == 0xc0 ? ERR_PTR : ERR_FORMAT;
        if (pos + 1 + l > DNS_NAME_MAXLEN)
            return ERR_NAME_LONG;
        if (pos + 1 + l > buflen)
            return ERR_TRUNC;
        pos += 1u + l;
        if (l == 0)
            break;
    }
    *len = pos;
    return 0;
}

size_t dns_name_len(const uint8_t *name)
{
    const uint8_t *p = name;
    while (*p)
        p += *p + 1;
    return (size_t)(p - name) + 1;
}

unsigned dns_name_labels(const uint8_t *name)
{
    unsigned n = 0;
    while (*name) {
        name += *name + 1;
        n++;
    }
    return n;
}

void dns_name_lower(uint8_t *name)
{
    while (*name) {
        uint8_t l = *name++;
        for (uint8_t i = 0; i < l; i++)
            name[i] = dns_lower(name[i]);
        name += l;
    }
}

size_t dns_name_copy_lower(uint8_t *dst, const uint8_t *src)
{
    size_t n = 0;
    for (;;) {
        uint8_t l = src[n];
        dst[n++] = l;
        if (!l)
            return n;
        for (uint8_t i = 0; i < l; i++, n++)
            dst[n] = dns_lower(src[n]);
    }
}

bool dns_name_equal(const uint8_t *a, const uint8_t *b)
{
    for (;;) {
        uint8_t l = *a;
        if (l != *b)
            return false;
        if (l == 0)
            return true;
        a++;
        b++;
        for (uint8_t i = 0; i < l; i++)
            if (dns_lower(a[i]) != dns_lower(b[i]))
                return false;
        a += l;
        b += l;
    }
}

unsigned dns_name_label_offsets(const uint8_t *name, uint8_t offs[DNS_NAME_MAXLABELS])
{
    unsigned n = 0;
    size_t pos = 0;
    while (name[pos]) {
        offs[n++] = (uint8_t)pos;
        pos += name[pos] + 1u;
    }
    return n;
}

int dns_name_compare(const uint8_t *a, const uint8_t *b)
{
    uint8_t oa[DNS_NAME_MAXLABELS], ob[DNS_NAME_MAXLABELS];
    unsigned na = dns_name_label_offsets(a, oa);
    unsigned nb = dns_name_label_offsets(b, ob);
    while (na > 0 && nb > 0) {
        const uint8_t *la = a + oa[--na], *lb = b + ob[--nb];
        unsigned lena = la[0], lenb = lb[0];
        unsigned m = lena < lenb ? lena : lenb;
        for (unsigned i = 1; i <= m; i++) {
            int d = (int)dns_lower(la[i]) - (int)dns_lower(lb[i]);
            if (d)
                return d;
        }
        if (lena != lenb)
            return lena < lenb ? -1 : 1;
    }
    if (na == nb)
        return 0;
    return na < nb ? -1 : 1;
}

bool dns_name_is_subdomain(const uint8_t *name, const uint8_t *parent)
{
    unsigned ln = dns_name_labels(name), lp = dns_name_labels(parent);
    if (ln < lp)
        return false;
    for (unsigned i = lp; i < ln; i++)
        name += *name + 1;
    return dns_name_equal(name, parent);
}
