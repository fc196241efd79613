#pragma once
/*
 * DNS message writer with name compression and rollback, for building responses.
 *
 * The writer owns no memory: it writes into a caller buffer of `cap` bytes and never past
 * `limit` (<= cap), the size the client accepts. A write that does not fit fails with
 * ERR_SPACE and leaves the message as it was before that write, so the caller can mark,
 * try an RRset, and roll back to the mark to truncate at an RRset boundary.
 *
 * Compression (RFC 1035 4.1.4) remembers where names were written, up to
 * DNS_WRITER_COMP_MAX label positions, and points later names at the longest matching
 * suffix. Names are compared case-insensitively, and only with targets whose name from there
 * on has the suffix's length, so that writing a name costs at most one comparison of its
 * length per target (names from the network can otherwise make it quadratic in labels).
 * No allocation; any thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/wbuf.h"

#define DNS_WRITER_COMP_MAX 96

enum dns_section {
    DNS_SECTION_QUESTION = 0,
    DNS_SECTION_ANSWER = 1,
    DNS_SECTION_AUTHORITY = 2,
    DNS_SECTION_ADDITIONAL = 3,
};

struct dns_writer {
    struct wbuf w;      /* w.cap is the current limit */
    size_t cap;         /* size of the buffer */
    uint16_t counts[4]; /* QD, AN, NS, AR */
    unsigned ncomp;
    uint16_t comp[DNS_WRITER_COMP_MAX];    /* offsets of label starts usable as targets */
    uint8_t comp_len[DNS_WRITER_COMP_MAX]; /* length of the name from each target on */
};

struct dns_writer_mark {
    size_t pos;
    unsigned ncomp;
    uint16_t counts[4];
};

void dns_writer_init(struct dns_writer *dw, uint8_t *buf, size_t cap, size_t limit);
/* Changes the size limit (never above cap, never below what is already written). */
void dns_writer_set_limit(struct dns_writer *dw, size_t limit);
size_t dns_writer_limit(const struct dns_writer *dw);

/* Writes the header with zero counts; dns_writer_finish fills the counts in. */
void dns_writer_header(struct dns_writer *dw, uint16_t id, uint16_t flags);
void dns_writer_set_flags(struct dns_writer *dw, uint16_t flags);
uint16_t dns_writer_flags(const struct dns_writer *dw);

/* Writes a name, compressed when `compress`, and remembers its labels as targets. */
int dns_writer_name(struct dns_writer *dw, const uint8_t *name, bool compress);
int dns_writer_question(struct dns_writer *dw, const uint8_t *name, uint16_t qtype,
                        uint16_t qclass);
/* Writes one RR with uncompressed wire RDATA; names inside are compressed where the type
 * allows it (dns_rdata_write). Counts it in `section`. */
int dns_writer_rr(struct dns_writer *dw, enum dns_section section, const uint8_t *owner,
                  uint16_t type, uint16_t rclass, uint32_t ttl, const uint8_t *rdata,
                  uint16_t rdlen);

void dns_writer_mark(const struct dns_writer *dw, struct dns_writer_mark *m);
void dns_writer_rollback(struct dns_writer *dw, const struct dns_writer_mark *m);

/* Fills the section counts into the header; returns the message length. */
size_t dns_writer_finish(struct dns_writer *dw);

static inline size_t dns_writer_len(const struct dns_writer *dw)
{
    return dw->w.pos;
}
