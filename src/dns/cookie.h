#pragma once
/*
 * DNS cookies (RFC 7873) with interoperable server cookies (RFC 9018, version 1):
 *
 *   server cookie = Version (1) | Reserved (3) | Timestamp (4) | Hash (8)
 *   Hash = SipHash-2-4(secret, Client Cookie | Version | Reserved | Timestamp | Client-IP)
 *
 * The client IP is 4 bytes for IPv4 (IPv4-mapped IPv6 addresses count as IPv4, so a
 * dual-stack socket makes the same cookie as an IPv4 one) and 16 for IPv6. Every node of a
 * cluster given the same secret makes and accepts the same cookies. A server cookie is
 * accepted for one hour after its timestamp and up to five minutes ahead of our clock
 * (RFC 9018 4.3), and renewed once it is half an hour old.
 *
 * Pure functions on caller buffers; any thread; no allocation.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNS_COOKIE_CLIENT_LEN 8
#define DNS_COOKIE_SERVER_LEN 16 /* the RFC 9018 form, the only one we make */
#define DNS_COOKIE_LIFETIME   3600
#define DNS_COOKIE_RENEW      1800
#define DNS_COOKIE_SKEW       300

/* How old a server cookie's timestamp is, by serial arithmetic (RFC 1982) on 32 bits. */
enum dns_cookie_age {
    DNS_COOKIE_FRESH, /* usable, and younger than DNS_COOKIE_RENEW: hand it back as it is */
    DNS_COOKIE_WORN,  /* usable, but due for renewal */
    DNS_COOKIE_STALE, /* older than DNS_COOKIE_LIFETIME, or too far ahead: not accepted */
};
enum dns_cookie_age dns_cookie_age(uint32_t timestamp, uint32_t now);

/* The client address in the form hashed: 4 or 16 bytes into ip[16]; returns the length, 0
 * for an address family without cookies. */
size_t dns_cookie_client_ip(const struct sockaddr *sa, uint8_t ip[16]);

/* The timestamp of a server cookie in the RFC 9018 form (DNS_COOKIE_SERVER_LEN bytes). */
uint32_t dns_cookie_timestamp(const uint8_t *server);

/* Writes a fresh server cookie (reserved bytes zero, timestamp `now`) into out. */
void dns_cookie_make(const uint8_t secret[16], const uint8_t client[DNS_COOKIE_CLIENT_LEN],
                     const uint8_t *ip, size_t ip_len, uint32_t now,
                     uint8_t out[DNS_COOKIE_SERVER_LEN]);

/* Whether `server` (server_len bytes as received) is an RFC 9018 version 1 cookie made with
 * `secret` for this client cookie and address. Its age is checked separately. */
bool dns_cookie_check(const uint8_t secret[16], const uint8_t client[DNS_COOKIE_CLIENT_LEN],
                      const uint8_t *server, size_t server_len, const uint8_t *ip,
                      size_t ip_len);
