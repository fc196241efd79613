/*
 * SipHash-2-4 from libsodium (crypto_shorthash_siphash24): a plain function call with no
 * context to set up and no allocation, which suits the hot path (cache keys, cookies, rate
 * limiting), where OpenSSL's EVP_MAC interface would cost a context per call. The 8 bytes
 * it writes are the little-endian form of the 64-bit result, as the reference defines it.
 */
#include "util/siphash.h"

#include <sodium/crypto_shorthash_siphash24.h>

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len)
{
    unsigned char out[crypto_shorthash_siphash24_BYTES];
    crypto_shorthash_siphash24(out, data, len, key);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | out[i];
    return v;
}
