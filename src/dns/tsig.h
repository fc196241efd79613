#pragma once
/*
 * TSIG, secret-key transaction signatures (RFC 8945), for single messages such as RFC 2136
 * UPDATE requests and their responses: finding a message's TSIG RR, verifying it against
 * one key, and signing a message by appending a TSIG RR. HMAC-SHA1, HMAC-SHA256 and
 * HMAC-SHA512, computed by nettle. Not supported: the multi-message form of RFC 8945 5.3.1
 * (zone transfers over TCP), GSS-TSIG and the other algorithms (a request using one of them
 * gets BADKEY, or FORMERR when its MAC exceeds DNS_TSIG_MAC_MAX bytes).
 *
 * Pure functions: the caller reads the clock and looks the key up by name (nothing here
 * does), nothing is allocated or kept, and every pointer returned points into static data
 * or the caller's buffers. Any thread.
 *
 * Outcomes come in two kinds. A negative return (util/err.h) is a malformed message or bad
 * arguments, which a server answers with FORMERR. A 0 return with a nonzero *tsig_error is
 * an authentication failure, which RFC 8945 5.3.2 answers with RCODE NOTAUTH and that TSIG
 * error: BADKEY and BADSIG in an unsigned TSIG RR (dns_tsig_append_error), BADTIME and
 * BADTRUNC in a signed one (dns_tsig_sign over the request's MAC). A server handles an
 * UPDATE with:
 *
 *     dns_tsig_find(req, len, &rr, &found)                      < 0: FORMERR
 *     key = the configured key named rr.key_name, or NULL
 *     dns_tsig_verify(req, len, &rr, key, NULL, 0, now, &terr)   < 0: FORMERR
 *     ... build the response in place of the request (ID kept) ...
 *     terr 0 or BADTRUNC: dns_tsig_sign(resp, ..., key, rr.mac, rr.mac_len, now, ...)
 *     terr BADTIME:       dns_tsig_sign(..., rr.time_signed, ..., other = server time)
 *     terr BADKEY/BADSIG: dns_tsig_append_error(resp, ..., &rr, now, terr)
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/name.h"

#define DNS_TSIG_MAC_MAX   64  /* HMAC-SHA512's output, the longest MAC accepted */
#define DNS_TSIG_OTHER_MAX 6   /* Other Data is empty, or the server's time with BADTIME */
#define DNS_TSIG_FUDGE     300 /* the fudge RFC 8945 10 recommends */

/* TSIG errors (the Error field; the message RCODE is NOTAUTH). */
enum dns_tsig_error {
    DNS_TSIG_NOERROR = 0,
    DNS_TSIG_BADSIG = 16,
    DNS_TSIG_BADKEY = 17,
    DNS_TSIG_BADTIME = 18,
    DNS_TSIG_BADTRUNC = 22,
};

enum dns_tsig_alg {
    DNS_TSIG_HMAC_SHA1,
    DNS_TSIG_HMAC_SHA256,
    DNS_TSIG_HMAC_SHA512,
};

/* The algorithm named by a wire name (hmac-sha1., hmac-sha256., hmac-sha512., in any case).
 * Returns 0 or ERR_NOTFOUND. */
int dns_tsig_alg_from_name(const uint8_t *wire_name, enum dns_tsig_alg *out);
/* The algorithm's name in lower-case wire form, or NULL for a value outside the enum. */
const uint8_t *dns_tsig_alg_name(enum dns_tsig_alg alg);
/* The full MAC length in bytes (20, 32, 64), or 0 for a value outside the enum. */
size_t dns_tsig_mac_size(enum dns_tsig_alg alg);

/* A key as configured. The caller owns the memory. */
struct dns_tsig_key {
    const uint8_t *name; /* wire form, any case */
    enum dns_tsig_alg alg;
    const uint8_t *secret;
    size_t secret_len;
};

/* What a message's TSIG RR says, copied out of the message. */
struct dns_tsig_rr {
    size_t offset;                     /* where the TSIG RR starts in the message */
    uint8_t key_name[DNS_NAME_MAXLEN]; /* wire form, decompressed, case as sent */
    uint8_t alg_name[DNS_NAME_MAXLEN]; /* wire form, case as sent */
    uint64_t time_signed;              /* 48 bits, seconds since the Unix epoch */
    uint16_t fudge;                    /* seconds of clock skew allowed either way */
    uint8_t mac[DNS_TSIG_MAC_MAX];
    uint16_t mac_len; /* as sent: may be truncated, or 0 */
    uint16_t orig_id; /* the message ID as the signer sent it */
    uint16_t error;   /* enum dns_tsig_error; 0 in a request */
    uint8_t other[DNS_TSIG_OTHER_MAX];
    uint16_t other_len;
};

/*
 * Finds the TSIG RR of a message by walking all its sections. It must be the only one and
 * the last RR of the additional section, with class ANY, TTL 0 and the message ending with
 * it (RFC 8945 5.2). Returns 0 with *found false when there is none; 0 with *found true and
 * *out filled in; ERR_FORMAT when a TSIG RR is elsewhere, repeated, followed by anything,
 * has another class or TTL, or has RDATA that does not parse exactly (an Algorithm Name
 * compressed or invalid, a MAC longer than DNS_TSIG_MAC_MAX, Other Data longer than
 * DNS_TSIG_OTHER_MAX); ERR_TRUNC and the name errors when the message itself is malformed.
 */
int dns_tsig_find(const uint8_t *msg, size_t len, struct dns_tsig_rr *out, bool *found);

/*
 * Verifies the message's TSIG RR `rr` (from dns_tsig_find on the same bytes) with `key` at
 * time `now` (Unix seconds): a request when req_mac is NULL, a response to a request whose
 * MAC (as sent, possibly truncated) was req_mac otherwise. The checks run in the order of
 * RFC 8945 5.2, and the first failure decides:
 *   1. no key (NULL), or its name (case-insensitive) or algorithm differs: BADKEY;
 *   2. MAC size longer than the hash, or shorter than 10 bytes or half the hash (including
 *      the empty MAC of an unsigned error reply): ERR_FORMAT;
 *   3. the MAC, computed over the message with the TSIG RR removed, ARCOUNT decremented and
 *      the ID replaced by Original ID, differs (compared in constant time, over mac_len
 *      bytes when truncated): BADSIG;
 *   4. |now - Time Signed| > Fudge: BADTIME;
 *   5. the MAC is truncated: BADTRUNC (the local policy takes nothing shorter than full).
 * Returns 0 with *tsig_error DNS_TSIG_NOERROR or the failure; or ERR_FORMAT for the sizes
 * above and for an `rr` inconsistent with the message; or ERR_RANGE for a bad `key`.
 * The Error field of a response is the peer's verdict and is left to the caller (rr->error).
 */
int dns_tsig_verify(const uint8_t *msg, size_t len, const struct dns_tsig_rr *rr,
                    const struct dns_tsig_key *key, const uint8_t *req_mac, size_t req_mac_len,
                    uint64_t now, uint16_t *tsig_error);

/*
 * Signs the message in msg[0, len) (a buffer of cap bytes) by appending a TSIG RR and
 * incrementing ARCOUNT; the message must be final, its ID is taken as Original ID. For a
 * response pass the request's MAC as it was sent (req_mac non-NULL, even when empty);
 * for a request NULL. `now` is Time Signed: the current time, except in a BADTIME reply,
 * which carries the request's Time Signed (as BIND signs it, so that the MAC is checked
 * against the client's own clock) and the server's current time as `other` (RFC 8945 4.2,
 * dns_tsig_time_other). `other` may be NULL when other_len is 0. The key name is written
 * as key->name spells it, uncompressed; the MAC is the full length.
 * Returns 0 with *newlen, the MAC in mac_out (room for DNS_TSIG_MAC_MAX bytes) and its
 * length in *mac_len_out, each unless NULL; ERR_SPACE when the RR does not fit in cap (or
 * the message would exceed 65535 bytes), in which case nothing is written;
 * ERR_RANGE for a bad argument (len < 12, len > cap, ARCOUNT at 65535, time beyond 48
 * bits, other_len over DNS_TSIG_OTHER_MAX, an invalid key).
 */
int dns_tsig_sign(uint8_t *msg, size_t len, size_t cap, size_t *newlen,
                  const struct dns_tsig_key *key, const uint8_t *req_mac, size_t req_mac_len,
                  uint64_t now, uint16_t fudge, uint16_t error, const uint8_t *other,
                  uint16_t other_len, uint8_t *mac_out, size_t *mac_len_out);

/*
 * Appends the unsigned TSIG RR of a BADKEY or BADSIG reply (RFC 8945 5.3.2): the request's
 * key and algorithm names as sent, Time Signed `now`, the request's fudge, an empty MAC,
 * Original ID the message's ID, Error `error`, no Other Data. Returns and fails as
 * dns_tsig_sign does.
 */
int dns_tsig_append_error(uint8_t *msg, size_t len, size_t cap, size_t *newlen,
                          const struct dns_tsig_rr *req, uint64_t now, uint16_t error);

/* Encodes a time as the 6 bytes of Other Data that a BADTIME reply carries. */
void dns_tsig_time_other(uint64_t now, uint8_t out[DNS_TSIG_OTHER_MAX]);
