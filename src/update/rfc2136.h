#pragma once
/*
 * RFC 2136 UPDATE: one message against the data served now, turned into a change of the
 * dynamic layer (update/dyn.h) and a reply.
 *
 *  1. the zone section (one SOA-type entry naming a zone we serve, else FORMERR / NOTAUTH);
 *  2. TSIG (RFC 8945, dns/tsig.h) with the keys of `tsig_keys`: BADKEY, BADSIG and BADTIME
 *     are NOTAUTH with the TSIG error, and the reply to a signed request is signed;
 *  3. the zone's `allow_update`: "key:<name>" entries admit requests signed with that key,
 *     address prefixes admit the client's address; otherwise REFUSED;
 *  4. the prerequisites (RFC 2136 3.2), all kinds, against the served data: YXDOMAIN,
 *     NXDOMAIN, YXRRSET, NXRRSET, NOTZONE, FORMERR;
 *  5. the update section: prescan (3.4.1), then add / delete RR / delete RRset / delete name
 *     (3.4.2) with the SOA rules (a new SOA only with a newer serial, never deleted), the
 *     apex NS rules (never all deleted) and the CNAME rules (no CNAME beside other data).
 * Every RRset the update touches becomes, whole, an RRset of the change; the zone's serial
 * moves on by one unless the update set a newer SOA serial. RDATA is compared as
 * uncompressed wire bytes (names as sent, so a difference of case makes another RR).
 * The SOA's fields other than the serial stay those of the config.
 *
 * Pure: the caller supplies the clock, the config and the snapshot, commits the change and
 * sends the reply. Control plane only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf/conf.h"
#include "dns/name.h"
#include "dns/tsig.h"
#include "update/dyn.h"
#include "zone/snap.h"

struct rfc2136_set; /* a touched RRset, internal */

struct rfc2136_result {
    uint16_t rcode;
    bool commit; /* a change to commit; then NOERROR once it is stored */
    struct dyn_change change;
    uint8_t apex[DNS_NAME_MAXLEN];
    /* for the reply */
    bool zone_ok;             /* the zone section parsed: it is echoed */
    size_t zone_end;          /* where the zone section ends in the request */
    bool signed_req;          /* the request had a TSIG RR */
    struct dns_tsig_rr tsig;  /* it */
    uint16_t tsig_error;      /* the TSIG verdict */
    struct dns_tsig_key key;  /* the key it verified with (name points into the config) */
    bool have_key;
    char what[160];           /* a line for the log */
    /* owned */
    struct rfc2136_set *sets;
    size_t nsets;
};

struct rfc2136_ctx {
    const struct conf *conf;
    const struct snap *snap;
    const struct sockaddr_storage *peer;
    int64_t now;
};

/* Decides on msg[0, len). Always fills `res` (free with rfc2136_result_free). */
void rfc2136_process(const struct rfc2136_ctx *x, const uint8_t *msg, size_t len,
                     struct rfc2136_result *res);
/* Writes the reply with `rcode` (usually res->rcode; SERVFAIL when the commit failed) into
 * out: header, the zone section echoed, and the TSIG RR when the request was signed.
 * Returns its length (0: nothing to send). */
size_t rfc2136_reply(const uint8_t *msg, size_t len, const struct rfc2136_result *res,
                     uint16_t rcode, int64_t now, uint8_t *out, size_t cap);
void rfc2136_result_free(struct rfc2136_result *res);
