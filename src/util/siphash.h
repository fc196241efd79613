#pragma once
/*
 * SipHash-2-4 (Aumasson and Bernstein), computed by libsodium: a keyed hash for tables whose
 * keys an attacker chooses (the cache: names from clients), so that collisions cannot be
 * planned without the key, and the MAC of DNS server cookies (RFC 9018). Pure function; any
 * thread.
 */

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);
