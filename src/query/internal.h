#pragma once
/*
 * State of one query while it is answered, shared by the files of query/: parse.c reads the
 * request, lookup.c runs the RFC 1034 4.3.2 algorithm, encode.c writes RRsets, the
 * negative-answer SOA, additional addresses and the OPT record. Lives on the stack of
 * query_process; nothing here outlives one call.
 */

#include <stdbool.h>
#include <stdint.h>

#include "dns/cookie.h"
#include "dns/msg.h"
#include "dns/writer.h"
#include "query/query.h"
#include "zone/snap.h"

#define QUERY_ADDL_MAX  32
#define QUERY_CHAIN_MAX 16
#define QUERY_OPT_LEN   11 /* an OPT RR without options */
/* our COOKIE option: the client's cookie and our server cookie */
#define QUERY_COOKIE_OPT_LEN (4 + DNS_COOKIE_CLIENT_LEN + DNS_COOKIE_SERVER_LEN)

struct query {
    const struct snap *snap;
    enum query_proto proto;
    struct dns_writer dw;
    struct arena *arena;

    /* request */
    struct dns_header hdr;
    struct dns_question q;
    bool has_q;
    bool edns;
    bool edns_do;
    bool updates; /* query_req.updates */
    uint16_t edns_udp;
    uint8_t edns_version;
    bool nsid;        /* the client asked for NSID (RFC 5001) */
    /* DNS COOKIE (RFC 7873): the first option, when well formed */
    bool cookie;                  /* a client cookie came */
    uint8_t cookie_client[DNS_COOKIE_CLIENT_LEN];
    const uint8_t *cookie_server; /* into the request; NULL: none */
    uint8_t cookie_server_len;
    bool cookie_probe;              /* no question, only a COOKIE (RFC 7873 5.4) */
    bool cookie_reply;              /* our OPT carries COOKIE with cookie_out */
    uint8_t cookie_out[DNS_COOKIE_SERVER_LEN];
    size_t opt_len;   /* room held back for our OPT record */

    /* answer */
    uint16_t rcode;
    bool aa;
    bool tc;                             /* set when required data did not fit */
    bool full;                           /* nothing more may be written (after a truncation) */
    const struct zone *neg_zone;         /* SOA for the authority section of a negative answer */
    const struct zone_node *referral;    /* NS for the authority section of a referral */
    const uint8_t *addl[QUERY_ADDL_MAX]; /* names whose addresses go in additional */
    unsigned naddl;
    enum query_outcome outcome;
};

/* parse.c: reads header, question and OPT. Returns true to go on answering; otherwise
 * q->rcode (or q->outcome == QUERY_OUTCOME_DROP) says how to reply. */
bool query__parse(struct query *q, const uint8_t *buf, size_t len);

/* lookup.c: answers q->q from the snapshot, writing the answer section. */
void query__lookup(struct query *q);
/* chaos.c: answers class CH: version.bind, version.server, hostname.bind, id.server. */
void query__chaos(struct query *q);

/* encode.c */
bool query__put_rrset(struct query *q, enum dns_section sec, const uint8_t *owner,
                      const struct zone_rrset *set);
void query__put_authority(struct query *q);
void query__put_additional(struct query *q);
void query__addl_from_rrset(struct query *q, const struct zone_rrset *set);
void query__put_opt(struct query *q);
