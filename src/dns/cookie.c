/*
 * RFC 9018 server cookies. The hash input is at most 8 + 8 + 16 = 32 bytes, assembled on
 * the stack; the comparison of the received hash is constant-time so that a forger learns
 * nothing from timing about how many bytes matched.
 */
#include "dns/cookie.h"

#include <netinet/in.h>
#include <string.h>

#include "util/cursor.h"
#include "util/siphash.h"

enum dns_cookie_age dns_cookie_age(uint32_t timestamp, uint32_t now)
{
    uint32_t back = now - timestamp; /* mod 2^32: RFC 1982 serial distance */
    if (back <= DNS_COOKIE_RENEW)
        return DNS_COOKIE_FRESH;
    if (back <= DNS_COOKIE_LIFETIME)
        return DNS_COOKIE_WORN;
    if (timestamp - now <= DNS_COOKIE_SKEW)
        return DNS_COOKIE_FRESH; /* a little ahead: another node's clock */
    return DNS_COOKIE_STALE;
}

size_t dns_cookie_client_ip(const struct sockaddr *sa, uint8_t ip[16])
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        memcpy(ip, &in->sin_addr, 4);
        return 4;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            memcpy(ip, in6->sin6_addr.s6_addr + 12, 4);
            return 4;
        }
        memcpy(ip, &in6->sin6_addr, 16);
        return 16;
    }
    return 0;
}

/* Hash over Client Cookie | Version | Reserved | Timestamp (the first 8 bytes of `head`)
 * | Client-IP, written as the 8 bytes SipHash-2-4 outputs (little-endian). */
static void dns_cookie_hash(const uint8_t secret[16], const uint8_t client[8],
                            const uint8_t head[8], const uint8_t *ip, size_t ip_len,
                            uint8_t out[8])
{
    uint8_t in[8 + 8 + 16];
    memcpy(in, client, 8);
    memcpy(in + 8, head, 8);
    memcpy(in + 16, ip, ip_len);
    uint64_t h = siphash24(secret, in, 16 + ip_len);
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(h >> (8 * i));
}

uint32_t dns_cookie_timestamp(const uint8_t *server)
{
    struct cursor c;
    cursor_init(&c, server + 4, 4);
    return cursor_u32(&c);
}

void dns_cookie_make(const uint8_t secret[16], const uint8_t client[DNS_COOKIE_CLIENT_LEN],
                     const uint8_t *ip, size_t ip_len, uint32_t now,
                     uint8_t out[DNS_COOKIE_SERVER_LEN])
{
    out[0] = 1; /* version */
    out[1] = out[2] = out[3] = 0;
    out[4] = (uint8_t)(now >> 24);
    out[5] = (uint8_t)(now >> 16);
    out[6] = (uint8_t)(now >> 8);
    out[7] = (uint8_t)now;
    dns_cookie_hash(secret, client, out, ip, ip_len, out + 8);
}

bool dns_cookie_check(const uint8_t secret[16], const uint8_t client[DNS_COOKIE_CLIENT_LEN],
                      const uint8_t *server, size_t server_len, const uint8_t *ip,
                      size_t ip_len)
{
    if (server_len != DNS_COOKIE_SERVER_LEN || server[0] != 1)
        return false;
    uint8_t want[8];
    dns_cookie_hash(secret, client, server, ip, ip_len, want);
    uint8_t diff = 0;
    for (int i = 0; i < 8; i++)
        diff |= (uint8_t)(want[i] ^ server[8 + i]);
    return diff == 0;
}
