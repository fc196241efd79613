/*
 * Request parsing: what may be answered and how errors are reported.
 *
 *  - shorter than a header, or QR=1: dropped (never answer a response: reflection loops);
 *  - QDCOUNT above 1, a question or record that does not parse, a second OPT, an OPT that
 *    is not owned by the root or whose options overrun it: FORMERR (no OPT in the reply
 *    when the OPT itself was bad, RFC 6891 7);
 *  - EDNS version above 0: BADVERS with our OPT (version 0);
 *  - opcode other than QUERY: NOTIMP, question echoed when it parses;
 *  - QDCOUNT 0: FORMERR (with our OPT when the query had one), except a query for a server
 *    cookie (a COOKIE option, cookies not off): NOERROR, or BADCOOKIE for an invalid server
 *    cookie (RFC 7873 5.4, decided in query__cookie);
 *  - class other than IN and CH (query__chaos), and zone transfers (not offered yet):
 *    REFUSED;
 *  - meta types that cannot be queried (OPT, TSIG, TKEY): FORMERR; MAILA/MAILB: NOTIMP.
 */
#include <string.h>

#include "dns/dns.h"
#include "dns/name.h"
#include "query/internal.h"

static bool query__parse_opt(struct query *q, struct cursor *c, const struct dns_rr *rr)
{
    if (q->edns || rr->owner_len != 1) {
        q->edns = false;
        q->rcode = DNS_RCODE_FORMERR;
        return false;
    }
    /* Options must tile the RDATA exactly. NSID and COOKIE are the ones acted on; unknown
     * options are ignored and never echoed (RFC 6891 6.1.2). Only the first COOKIE counts
     * (RFC 7873 5.2); one of a length no cookie can have is FORMERR (5.2.2), answered with
     * our OPT since the OPT itself was sound. */
    struct cursor oc;
    bool bad_cookie = false;
    cursor_init(&oc, c->base + rr->rdata_off, rr->rdlen);
    while (cursor_left(&oc) > 0) {
        uint16_t code = cursor_u16(&oc);
        uint16_t olen = cursor_u16(&oc);
        const uint8_t *data = cursor_take(&oc, olen);
        if (!data)
            break;
        if (code == DNS_EDNS_NSID) {
            q->nsid = true;
        } else if (code == DNS_EDNS_COOKIE && !q->cookie && !bad_cookie) {
            if (olen == 8 || (olen >= 16 && olen <= 40)) {
                q->cookie = true;
                memcpy(q->cookie_client, data, 8);
                q->cookie_server = olen > 8 ? data + 8 : NULL;
                q->cookie_server_len = (uint8_t)(olen - 8);
            } else {
                bad_cookie = true;
            }
        }
    }
    if (oc.err) {
        q->rcode = DNS_RCODE_FORMERR;
        return false;
    }
    q->edns = true;
    q->edns_udp = rr->rclass < DNS_UDP_MIN ? DNS_UDP_MIN : rr->rclass;
    q->edns_version = (uint8_t)(rr->ttl >> 16);
    q->edns_do = (rr->ttl & DNS_EDNS_FLAG_DO) != 0;
    if (bad_cookie) {
        q->rcode = DNS_RCODE_FORMERR;
        return false;
    }
    return true;
}

bool query__parse(struct query *q, const uint8_t *buf, size_t len)
{
    struct cursor c;
    cursor_init(&c, buf, len);
    if (len < DNS_HDR_LEN || dns_msg_header(&c, &q->hdr)) {
        q->outcome = QUERY_OUTCOME_DROP;
        return false;
    }
    if (q->hdr.flags & DNS_FLAG_QR) {
        q->outcome = QUERY_OUTCOME_DROP;
        return false;
    }
    if (q->updates && DNS_OPCODE(q->hdr.flags) == DNS_OPCODE_UPDATE) {
        q->outcome = QUERY_OUTCOME_UPDATE; /* parsed whole by the control plane */
        return false;
    }
    q->outcome = QUERY_OUTCOME_ERROR;

    if (q->hdr.qdcount > 1) {
        q->rcode =
            DNS_OPCODE(q->hdr.flags) == DNS_OPCODE_QUERY ? DNS_RCODE_FORMERR : DNS_RCODE_NOTIMP;
        return false;
    }
    if (q->hdr.qdcount == 1) {
        if (dns_msg_question(&c, &q->q)) {
            q->rcode = DNS_RCODE_FORMERR;
            return false;
        }
        q->has_q = true;
    }

    /* Answer and authority records are not expected in a query, but are skipped rather
     * than refused as long as they are well formed. The OPT is looked for in additional so
     * that every reply to an EDNS query, errors included, carries ours. */
    unsigned skip = (unsigned)q->hdr.ancount + q->hdr.nscount;
    struct dns_rr rr;
    for (unsigned i = 0; i < skip; i++) {
        if (dns_msg_rr(&c, &rr) || rr.type == DNS_TYPE_OPT) {
            q->rcode = DNS_RCODE_FORMERR;
            return false;
        }
    }
    for (unsigned i = 0; i < q->hdr.arcount; i++) {
        if (dns_msg_rr(&c, &rr)) {
            q->edns = false;
            q->rcode = DNS_RCODE_FORMERR;
            return false;
        }
        if (rr.type == DNS_TYPE_OPT && !query__parse_opt(q, &c, &rr))
            return false;
    }
    /* Bytes after the last record are ignored, as BIND and Knot do. */

    if (q->edns && q->edns_version > 0) {
        q->rcode = DNS_RCODE_BADVERS;
        return false;
    }
    if (DNS_OPCODE(q->hdr.flags) != DNS_OPCODE_QUERY) {
        q->rcode = DNS_RCODE_NOTIMP;
        return false;
    }
    if (!q->has_q) {
        q->cookie_probe = q->cookie && q->snap && q->snap->opts.cookie_mode != SNAP_COOKIE_OFF;
        q->rcode = q->cookie_probe ? DNS_RCODE_NOERROR : DNS_RCODE_FORMERR;
        return false;
    }
    if (q->q.qclass != DNS_CLASS_IN && q->q.qclass != DNS_CLASS_CH) {
        q->rcode = DNS_RCODE_REFUSED;
        return false;
    }
    switch (q->q.qtype) {
    case DNS_TYPE_OPT:
    case DNS_TYPE_TSIG:
    case DNS_TYPE_TKEY:
        q->rcode = DNS_RCODE_FORMERR;
        return false;
    case DNS_TYPE_MAILA:
    case DNS_TYPE_MAILB:
        q->rcode = DNS_RCODE_NOTIMP;
        return false;
    case DNS_TYPE_AXFR:
    case DNS_TYPE_IXFR:
        q->rcode = DNS_RCODE_REFUSED;
        return false;
    default:
        break;
    }
    return true;
}
