#pragma once
/*
 * DNS message reader: header, question and resource-record headers, all through a bounded
 * cursor whose base is the start of the message (so compression pointers resolve). RDATA is
 * not interpreted here; see dns/rdata.h. Pure functions; any thread.
 */

#include <stddef.h>
#include <stdint.h>

#include "dns/name.h"
#include "util/cursor.h"

struct dns_header {
    uint16_t id;
    uint16_t flags;
    uint16_t qdcount;
    uint16_t ancount;
    uint16_t nscount;
    uint16_t arcount;
};

struct dns_question {
    uint8_t name[DNS_NAME_MAXLEN];
    size_t name_len;
    uint16_t qtype;
    uint16_t qclass;
};

/* One RR as it appears in a message. rdata_off indexes the message buffer. */
struct dns_rr {
    uint8_t owner[DNS_NAME_MAXLEN];
    size_t owner_len;
    uint16_t type;
    uint16_t rclass;
    uint32_t ttl;
    uint16_t rdlen;
    size_t rdata_off;
};

/* Reads the 12-byte header. Returns 0 or ERR_TRUNC. */
int dns_msg_header(struct cursor *c, struct dns_header *h);
/* Reads one question entry. */
int dns_msg_question(struct cursor *c, struct dns_question *q);
/* Reads an RR's owner, type, class, TTL and RDLENGTH and skips its RDATA (bounds-checked). */
int dns_msg_rr(struct cursor *c, struct dns_rr *rr);
