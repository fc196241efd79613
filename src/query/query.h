#pragma once
/*
 * THE HOT PATH: one DNS request in, one response out.
 *
 * query_process() parses the request, answers it from one immutable snapshot and writes
 * the response into the caller's buffer. It does no I/O, takes no locks and never calls
 * malloc; any scratch memory comes from the caller's per-thread arena, which the caller
 * resets after each packet. UDP and TCP (and later DoT/DoH) differ only in the transport
 * flag, which sets the size limit. Safe to call from any number of threads at once, each
 * with its own arena and buffers, while the snapshot is held (see zone/snap.h).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/name.h"
#include "util/arena.h"
#include "zone/snap.h"

enum query_proto {
    QUERY_PROTO_UDP,
    QUERY_PROTO_TCP,
};

struct query_req {
    const uint8_t *buf;
    size_t len;
    enum query_proto proto;
    bool recursion; /* the client may use forwarding (server.allow_recursion): RA is set and
                       names outside our data become QUERY_OUTCOME_FORWARD */
    bool updates;   /* the transport hands UPDATE messages (RFC 2136) to the control plane:
                       they become QUERY_OUTCOME_UPDATE (else NOTIMP) */
    const struct sockaddr *peer; /* the client's address, for DNS cookies; NULL: none */
    uint32_t now;                /* Unix time in seconds (cookie timestamps) */
};

struct query_resp {
    uint8_t *buf; /* at least 65535 bytes for TCP, at least 512 for UDP */
    size_t cap;
    size_t len; /* out: response length; 0 means send nothing (drop) */
};

/* How a query ended, for logs and counters. */
enum query_outcome {
    QUERY_OUTCOME_DROP,     /* not answered (too short, or a response) */
    QUERY_OUTCOME_ERROR,    /* FORMERR, NOTIMP, BADVERS, REFUSED for bad class or type */
    QUERY_OUTCOME_ANSWER,   /* answered from our data (including NODATA and NXDOMAIN) */
    QUERY_OUTCOME_REFERRAL, /* delegation below one of our zones */
    QUERY_OUTCOME_REWRITE,  /* a rewrite rule answered */
    QUERY_OUTCOME_NOTOURS,  /* name outside our data, no recursion for this client: REFUSED */
    QUERY_OUTCOME_FORWARD,  /* name outside our data, recursion allowed: the transport takes
                               it to the cache or the forwarder (resp holds a REFUSED reply
                               for when it cannot) */
    QUERY_OUTCOME_UPDATE,   /* an UPDATE (req.updates): the transport hands the message over;
                               nothing is written */
};

/* What the query's DNS COOKIE option (RFC 7873) was worth. */
enum query_cookie {
    QUERY_COOKIE_NONE,  /* no cookie option (or cookies off) */
    QUERY_COOKIE_NEW,   /* a client cookie alone, or a server cookie that is not (or no
                           longer) ours: answered with a fresh server cookie */
    QUERY_COOKIE_VALID, /* a server cookie we made for this client, within its lifetime:
                           the source address is not spoofed */
    QUERY_COOKIE_BAD,   /* answered BADCOOKIE (server.cookies "require", UDP) */
};

struct query_info {
    enum query_outcome outcome;
    bool has_question;
    uint8_t qname[DNS_NAME_MAXLEN]; /* as received (case kept) */
    uint16_t qtype;
    uint16_t qclass;
    uint16_t rcode; /* full 12-bit RCODE (BADVERS is 16) */
    bool edns;
    bool tc;
    /* the request, for forwarding */
    uint16_t id;
    uint16_t flags;
    bool edns_do;
    uint16_t edns_udp; /* the client's EDNS buffer size (512 at least) */
    enum query_cookie cookie;
    /* The apex (wire form) of the zone whose SOA a negative answer carries; NULL otherwise.
     * Points into the snapshot: valid only while it is held. */
    const uint8_t *neg_zone;
};

void query_process(const struct snap *snap, const struct query_req *req, struct query_resp *resp,
                   struct arena *arena, struct query_info *info);
