#include "util/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

int cidr_parse(const char *text, struct cidr *out)
{
    char buf[64];
    const char *slash = strchr(text, '/');
    size_t alen = slash ? (size_t)(slash - text) : strlen(text);
    if (alen == 0 || alen >= sizeof(buf))
        return ERR_SYNTAX;
    memcpy(buf, text, alen);
    buf[alen] = 0;
    memset(out, 0, sizeof(*out));
    unsigned max;
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->family = AF_INET6;
        max = 128;
    } else {
        return ERR_SYNTAX;
    }
    unsigned bits = max;
    if (slash) {
        const char *p = slash + 1;
        if (!*p || strlen(p) > 3)
            return ERR_SYNTAX;
        bits = 0;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return ERR_SYNTAX;
            bits = bits * 10 + (unsigned)(*p - '0');
        }
        if (bits > max)
            return ERR_SYNTAX;
    }
    out->bits = (uint8_t)bits;
    for (unsigned i = bits; i < max; i++)
        out->addr[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
    return 0;
}

static bool cidr_prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;
    if (memcmp(a, b, full) != 0)
        return false;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (a[full] & mask) == (b[full] & mask);
}

bool cidr_match(const struct cidr *list, size_t n, const struct sockaddr *sa)
{
    const uint8_t *addr;
    uint8_t family;
    if (sa->sa_family == AF_INET) {
        addr = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
        family = AF_INET;
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            addr = a6->s6_addr + 12;
            family = AF_INET;
        } else {
            addr = a6->s6_addr;
            family = AF_INET6;
        }
    } else {
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (list[i].family == family && cidr_prefix_eq(list[i].addr, addr, list[i].bits))
            return true;
    return false;
}
