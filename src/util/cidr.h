#pragma once
/*
 * Address prefixes ("10.0.0.0/8", "fd00::/8", "192.0.2.1") and matching a socket address
 * against a list of them; IPv4-mapped IPv6 addresses match IPv4 prefixes. Pure functions;
 * any thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct cidr {
    uint8_t family; /* AF_INET or AF_INET6 */
    uint8_t bits;
    uint8_t addr[16]; /* host bits cleared */
};

/* Parses "addr" or "addr/bits". Returns 0 or ERR_SYNTAX. A prefix with host bits set is
 * accepted and normalized (as BIND does). */
int cidr_parse(const char *text, struct cidr *out);

bool cidr_match(const struct cidr *list, size_t n, const struct sockaddr *sa);
