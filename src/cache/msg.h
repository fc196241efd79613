#pragma once
/*
 * A response from an upstream, kept in the form every client can be answered from: parsed,
 * checked and written again by our writer (so nothing of the upstream's compression or OPT
 * survives), with the offset of every TTL so TTLs can be counted down, and the lifetime the
 * cache may keep it (RFC 2308 for negative answers).
 *
 * A cache_msg is immutable once made; cache_msg_render may run on any number of threads at
 * once. Made and freed by the control thread (the cache frees it after an RCU grace period).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cache_msg {
    uint32_t lifetime;  /* seconds the cache may keep it; 0: not cacheable */
    uint16_t len;       /* bytes of wire */
    uint16_t qname_len; /* the question name starts at offset 12 */
    uint16_t nttl;
    uint8_t rcode;
    bool ad;            /* the upstream set AD */
    bool negative;      /* NXDOMAIN or NODATA */
    const uint16_t *ttl_off;
    const uint32_t *ttl;
    const uint8_t *wire; /* header (ID 0, flags 0, counts) + question + sections, no OPT */
};

/*
 * Makes a message from an upstream reply to the question (lname lower-cased). Returns 0,
 * ERR_FORMAT when the reply does not parse or is not an answer to that question, -ENOMEM.
 * `max_ttl` caps the lifetime (server.cache_ttl).
 */
int cache_msg_new(const uint8_t *reply, size_t len, const uint8_t *lname, uint16_t qtype,
                  uint16_t qclass, uint32_t max_ttl, struct cache_msg **out);
void cache_msg_free(struct cache_msg *m);

/* How one client gets a message. */
struct cache_client {
    uint16_t id;
    uint16_t flags;        /* the client's header flags: RD, CD, AD are honoured */
    const uint8_t *qname;  /* the name as the client wrote it (same name, its case) */
    bool edns;             /* answer with our OPT */
    bool do_bit;           /* DO to echo */
    size_t limit;          /* the largest response it accepts */
    uint16_t payload;      /* our UDP payload size, for our OPT */
};

/*
 * Writes the message for a client: its ID and question case, RA set, AA clear, TTLs reduced
 * by `elapsed` seconds, our OPT when the client sent one. A message bigger than the client's
 * limit becomes a truncated reply (TC, question only) so that it retries over TCP.
 * Returns the length, or ERR_SPACE when cap is below 512.
 */
int cache_msg_render(const struct cache_msg *m, const struct cache_client *c, uint32_t elapsed,
                     uint8_t *buf, size_t cap);
