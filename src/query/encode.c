/*
 * Writing the response sections.
 *
 * Truncation (RFC 2181 9, RFC 1035 4.2.1): RRsets are written whole or not at all. When an
 * answer or authority RRset does not fit, the message is cut back to the last complete
 * RRset, TC is set and nothing else is added but the OPT record, whose room is reserved up
 * front. Additional data that does not fit is simply left out, except glue in a referral
 * (RFC 9471: missing in-domain glue sets TC).
 */
#include <string.h>

#include "dns/dns.h"
#include "dns/name.h"
#include "query/internal.h"

static void query__truncate(struct query *q)
{
    q->tc = true;
    q->full = true;
}

bool query__put_rrset(struct query *q, enum dns_section sec, const uint8_t *owner,
                      const struct zone_rrset *set)
{
    if (q->full)
        return false;
    struct dns_writer_mark m;
    dns_writer_mark(&q->dw, &m);
    const uint8_t *p = set->rdata;
    for (uint16_t i = 0; i < set->count; i++) {
        const uint8_t *rd;
        uint16_t len;
        p = zone_rdata_next(p, &rd, &len);
        if (dns_writer_rr(&q->dw, sec, owner, set->type, DNS_CLASS_IN, set->ttl, rd, len)) {
            dns_writer_rollback(&q->dw, &m);
            if (sec != DNS_SECTION_ADDITIONAL)
                query__truncate(q);
            return false;
        }
    }
    return true;
}

/* The target name inside one RDATA of an MX, NS or SRV RRset. */
static const uint8_t *query__target(uint16_t type, const uint8_t *rd, uint16_t len)
{
    switch (type) {
    case DNS_TYPE_NS:
        return len >= 1 ? rd : NULL;
    case DNS_TYPE_MX:
        return len >= 3 ? rd + 2 : NULL;
    case DNS_TYPE_SRV:
        return len >= 7 ? rd + 6 : NULL;
    default:
        return NULL;
    }
}

void query__addl_from_rrset(struct query *q, const struct zone_rrset *set)
{
    if (set->type != DNS_TYPE_NS && set->type != DNS_TYPE_MX && set->type != DNS_TYPE_SRV)
        return;
    const uint8_t *p = set->rdata;
    for (uint16_t i = 0; i < set->count && q->naddl < QUERY_ADDL_MAX; i++) {
        const uint8_t *rd;
        uint16_t len;
        p = zone_rdata_next(p, &rd, &len);
        const uint8_t *t = query__target(set->type, rd, len);
        if (t && t[0] != 0)
            q->addl[q->naddl++] = t;
    }
}

static void query__put_soa(struct query *q, const struct zone *z)
{
    if (!z->soa)
        return;
    struct zone_rrset soa = *z->soa;
    soa.ttl = z->neg_ttl;
    query__put_rrset(q, DNS_SECTION_AUTHORITY, z->apex, &soa);
}

void query__put_authority(struct query *q)
{
    if (q->referral) {
        const struct zone_rrset *ns = zone_node_rrset(q->referral, DNS_TYPE_NS);
        if (ns && query__put_rrset(q, DNS_SECTION_AUTHORITY, q->referral->name, ns)) {
            /* Glue goes first in the additional list. */
            unsigned keep = q->naddl;
            q->naddl = 0;
            const uint8_t *saved[QUERY_ADDL_MAX];
            memcpy(saved, q->addl, keep * sizeof(saved[0]));
            query__addl_from_rrset(q, ns);
            for (unsigned i = 0; i < keep && q->naddl < QUERY_ADDL_MAX; i++)
                q->addl[q->naddl++] = saved[i];
        }
        return;
    }
    /* neg_zone is only set by NXDOMAIN and NODATA (also at the end of a CNAME chain). */
    if (q->neg_zone)
        query__put_soa(q, q->neg_zone);
}

/* Adds the A and AAAA RRsets of each collected name that we hold. Inside a zone only
 * authoritative data is used, except that a referral carries glue: addresses below its own
 * cut (in-domain glue, whose absence sets TC: RFC 9471) or below another cut of the same
 * zone (sibling glue, added when it fits, as Knot and NSD do). */
void query__put_additional(struct query *q)
{
    const struct zone_node *done[QUERY_ADDL_MAX];
    unsigned ndone = 0;
    for (unsigned i = 0; i < q->naddl && !q->full; i++) {
        uint8_t lname[DNS_NAME_MAXLEN];
        size_t len = dns_name_copy_lower(lname, q->addl[i]);
        const struct zone_node *n = zone_tree_get(&q->snap->names, lname, len);
        if (!n)
            continue;
        bool glue = q->referral && n->cut && n->zone == q->referral->zone;
        if (n->cut && !glue)
            continue;
        bool in_domain = glue && dns_name_is_subdomain(n->name, q->referral->name);
        bool dup = false;
        for (unsigned k = 0; k < ndone; k++)
            dup |= done[k] == n;
        if (dup)
            continue;
        done[ndone++] = n;
        static const uint16_t types[2] = {DNS_TYPE_A, DNS_TYPE_AAAA};
        for (int t = 0; t < 2; t++) {
            const struct zone_rrset *set = zone_node_rrset(n, types[t]);
            if (set && !query__put_rrset(q, DNS_SECTION_ADDITIONAL, n->name, set)) {
                if (in_domain)
                    q->tc = true;
                return;
            }
        }
    }
}

void query__put_opt(struct query *q)
{
    if (!q->edns)
        return;
    /* Room for the OPT was held back, so this always fits. */
    dns_writer_set_limit(&q->dw, dns_writer_limit(&q->dw) + q->opt_len);
    const struct snap_opts *o = q->snap ? &q->snap->opts : NULL;
    bool nsid = q->nsid && o && !o->identity_hidden;
    struct wbuf *w = &q->dw.w;
    size_t start = w->pos;
    wbuf_u8(w, 0); /* owner: root */
    wbuf_u16(w, DNS_TYPE_OPT);
    wbuf_u16(w, q->snap ? q->snap->opts.udp_max_payload : DNS_EDNS_DEFAULT_PAYLOAD);
    wbuf_u8(w, (uint8_t)(q->rcode >> 4)); /* extended RCODE, upper 8 bits */
    wbuf_u8(w, 0);                        /* version 0 */
    wbuf_u16(w, q->edns_do ? DNS_EDNS_FLAG_DO : 0);
    size_t rdlen = (nsid ? 4u + o->identity_len : 0) + (q->cookie_reply ? QUERY_COOKIE_OPT_LEN : 0);
    wbuf_u16(w, (uint16_t)rdlen);
    if (nsid) {
        wbuf_u16(w, DNS_EDNS_NSID);
        wbuf_u16(w, o->identity_len);
        wbuf_bytes(w, o->identity, o->identity_len);
    }
    if (q->cookie_reply) {
        wbuf_u16(w, DNS_EDNS_COOKIE);
        wbuf_u16(w, QUERY_COOKIE_OPT_LEN - 4);
        wbuf_bytes(w, q->cookie_client, DNS_COOKIE_CLIENT_LEN);
        wbuf_bytes(w, q->cookie_out, DNS_COOKIE_SERVER_LEN);
    }
    if (w->err)
        wbuf_reset_to(w, start);
    else
        q->dw.counts[DNS_SECTION_ADDITIONAL]++;
}
