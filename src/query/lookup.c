/*
 * The answer algorithm: RFC 1034 4.3.2 with RFC 4592 wildcards and RFC 2308 negative
 * answers, over the snapshot's name table.
 *
 * For each name (the query name, then CNAME targets):
 *   1. find the node, or else the closest encloser (probe the parents, longest first);
 *   2. inside a zone, a name at or below a zone cut gets a referral (except DS at the cut,
 *      which the parent side answers);
 *   3. an existing node answers the type, or its CNAME (then go on with the target), or
 *      NODATA; an empty non-terminal is NODATA;
 *   4. a missing name below a DNAME (its closest encloser holds one) gets the DNAME and a
 *      CNAME synthesized from it (RFC 6672 3.2), then go on with the new name;
 *   5. a missing name is answered by NanoDNS `wildcard: true` data one label below its
 *      closest encloser, else by the RFC 4592 wildcard "*.<closest encloser>", else
 *      NXDOMAIN with the zone's SOA.
 * Data outside every zone (NanoDNS local records) answers the same way but has no SOA, no
 * cuts and no NXDOMAIN: a name we do not hold there is not ours.
 *
 * Rewrites come first, for the query name only.
 */
#include <string.h>

#include "dns/dns.h"
#include "dns/name.h"
#include "query/internal.h"

/* Finds `lname` (lower-cased) or its closest existing ancestor. */
static void query__find(const struct snap *s, const uint8_t *lname, size_t len,
                        const struct zone_node **exact, const struct zone_node **ce)
{
    *exact = zone_tree_get(&s->names, lname, len);
    *ce = NULL;
    if (*exact)
        return;
    const uint8_t *p = lname;
    while (*p) {
        p += *p + 1;
        const struct zone_node *n = zone_tree_get(&s->names, p, len - (size_t)(p - lname));
        if (n) {
            *ce = n;
            return;
        }
    }
}

/* The first rewrite rule (lowest index) matching `lname`, or NULL. */
static const struct zone_rewrite *query__rewrite(const struct snap *s, const uint8_t *lname,
                                                 size_t len)
{
    if (!s->nrewrites)
        return NULL;
    int32_t best = -1;
    const uint8_t *p = lname;
    for (;;) {
        const struct zone_rewrite_entry *e =
            zone_tree_get(&s->rewrite_names, p, len - (size_t)(p - lname));
        if (e) {
            int32_t idx = p == lname ? e->exact : e->below;
            if (idx >= 0 && (best < 0 || idx < best))
                best = idx;
        }
        if (!*p)
            break;
        p += *p + 1;
    }
    return best >= 0 ? &s->rewrites[best] : NULL;
}

static void query__nodata(struct query *q, const struct zone *z)
{
    q->rcode = DNS_RCODE_NOERROR;
    q->neg_zone = z;
}

static void query__answer_rewrite(struct query *q, const struct zone_rewrite *rw,
                                  const uint8_t *lname, size_t len)
{
    const struct zone_node *exact, *ce;
    query__find(q->snap, lname, len, &exact, &ce);
    const struct zone_node *n = exact ? exact : ce;
    const struct zone *z = n ? n->zone : NULL;

    q->outcome = QUERY_OUTCOME_REWRITE;
    q->aa = true;
    if (rw->action == ZONE_REWRITE_NXDOMAIN) {
        q->rcode = DNS_RCODE_NXDOMAIN;
        q->neg_zone = z;
        return;
    }
    uint16_t type = rw->addr_len == 4 ? DNS_TYPE_A : DNS_TYPE_AAAA;
    if (q->q.qtype != type && q->q.qtype != DNS_TYPE_ANY) {
        query__nodata(q, z);
        return;
    }
    uint8_t rdata[2 + 16];
    rdata[0] = 0;
    rdata[1] = rw->addr_len;
    memcpy(rdata + 2, rw->addr, rw->addr_len);
    struct zone_rrset set = {.type = type, .count = 1, .ttl = rw->ttl, .rdata = rdata};
    query__put_rrset(q, DNS_SECTION_ANSWER, q->q.name, &set);
}

enum step {
    STEP_DONE,  /* the answer is complete */
    STEP_CHASE, /* a CNAME was written; go on with its target */
};

/* Answers from node `n` (an existing node, or a wildcard source) for owner `owner`.
 * `sets`/`nsets` are the RRsets to use (the node's, or its `wildcard: true` subset). */
static enum step query__answer_node(struct query *q, const struct zone_node *n,
                                    const struct zone_rrset *sets, uint16_t nsets,
                                    const uint8_t *owner, const uint8_t **target)
{
    uint16_t qtype = q->q.qtype;
    q->rcode = DNS_RCODE_NOERROR;
    if (nsets == 0) {
        query__nodata(q, n->zone);
        return STEP_DONE;
    }
    if (qtype == DNS_TYPE_ANY) {
        for (uint16_t i = 0; i < nsets && !q->full; i++) {
            query__put_rrset(q, DNS_SECTION_ANSWER, owner, &sets[i]);
            query__addl_from_rrset(q, &sets[i]);
        }
        return STEP_DONE;
    }
    const struct zone_rrset *cname = NULL;
    for (uint16_t i = 0; i < nsets; i++) {
        if (sets[i].type == qtype) {
            query__put_rrset(q, DNS_SECTION_ANSWER, owner, &sets[i]);
            query__addl_from_rrset(q, &sets[i]);
            return STEP_DONE;
        }
        if (sets[i].type == DNS_TYPE_CNAME)
            cname = &sets[i];
    }
    if (cname) {
        if (!query__put_rrset(q, DNS_SECTION_ANSWER, owner, cname))
            return STEP_DONE;
        const uint8_t *rd;
        uint16_t len;
        zone_rdata_next(cname->rdata, &rd, &len);
        *target = rd;
        return STEP_CHASE;
    }
    query__nodata(q, n->zone);
    return STEP_DONE;
}

/* RFC 6672 3.2: `name` lies below the DNAME owner `ce`. Writes the DNAME (unless an
 * earlier step of the chain did: `again`) and the CNAME synthesized from it (owner `name`,
 * the DNAME's TTL) and returns the new name, built in `buf` (2 bytes of RDATA length, then
 * the name); NULL when the answer is complete: YXDOMAIN for a new name over 255 bytes, a
 * DNAME into its own subtree, or a truncation. */
static const uint8_t *query__dname(struct query *q, const struct zone_node *ce,
                                   const struct zone_rrset *dname, const uint8_t *name, bool again,
                                   uint8_t buf[2 + DNS_NAME_MAXLEN])
{
    const uint8_t *owner = name; /* the DNAME owner, in the case of the question */
    for (unsigned i = dns_name_labels(name); i > ce->labels; i--)
        owner += *owner + 1;
    if (!again && !query__put_rrset(q, DNS_SECTION_ANSWER, owner, dname))
        return NULL;
    const uint8_t *target;
    uint16_t tlen;
    zone_rdata_next(dname->rdata, &target, &tlen);
    size_t prefix = (size_t)(owner - name);
    if (prefix + tlen > DNS_NAME_MAXLEN) {
        q->rcode = DNS_RCODE_YXDOMAIN;
        return NULL;
    }
    size_t nlen = prefix + tlen;
    buf[0] = (uint8_t)(nlen >> 8);
    buf[1] = (uint8_t)nlen;
    memcpy(buf + 2, name, prefix);
    memcpy(buf + 2 + prefix, target, tlen);
    struct zone_rrset cname = {.type = DNS_TYPE_CNAME, .count = 1, .ttl = dname->ttl, .rdata = buf};
    if (!query__put_rrset(q, DNS_SECTION_ANSWER, name, &cname))
        return NULL;
    /* A DNAME into its own subtree would redirect every new name again: a loop, which
     * stops here, as in NSD. */
    if (dns_name_is_subdomain(target, ce->name))
        return NULL;
    return buf + 2;
}

/* Writes a referral to the zone cut `cut`. */
static void query__referral(struct query *q, const struct zone_node *cut, bool first)
{
    q->rcode = DNS_RCODE_NOERROR;
    q->referral = cut;
    if (first) {
        q->aa = false;
        q->outcome = QUERY_OUTCOME_REFERRAL;
    }
}

void query__lookup(struct query *q)
{
    const struct snap *s = q->snap;
    const uint8_t *name = q->q.name; /* owner for the answers, case as received */
    /* The steps taken, for loop protection: a node, and the name it answered for when
     * it answers for more than one (see below). */
    const struct zone_node *seen[QUERY_CHAIN_MAX];
    const uint8_t *seen_name[QUERY_CHAIN_MAX];
    unsigned nseen = 0;
    uint8_t lname[DNS_NAME_MAXLEN];
    /* Names made by DNAMEs, one per step: seen_name keeps pointing at them. */
    uint8_t synth[QUERY_CHAIN_MAX][2 + DNS_NAME_MAXLEN];

    size_t len = dns_name_copy_lower(lname, name);
    const struct zone_rewrite *rw = query__rewrite(s, lname, len);
    if (rw) {
        query__answer_rewrite(q, rw, lname, len);
        return;
    }

    for (unsigned hop = 0;; hop++) {
        bool first = hop == 0;
        const struct zone_node *exact, *ce, *src = NULL;
        const struct zone_rrset *sets = NULL, *dname = NULL;
        uint16_t nsets = 0;

        if (!first)
            len = dns_name_copy_lower(lname, name);
        query__find(s, lname, len, &exact, &ce);
        const struct zone_node *n = exact ? exact : ce;
        if (!n)
            goto not_ours;
        const struct zone *z = n->zone;

        if (z && n->cut && !(n->cut == exact && q->q.qtype == DNS_TYPE_DS)) {
            query__referral(q, n->cut, first);
            return;
        }
        if (exact) {
            if (!z && exact->nrrsets == 0)
                goto not_ours; /* only a wildcard's parent, outside zones */
            src = exact;
            sets = exact->rrsets;
            nsets = exact->nrrsets;
        } else if ((ce->flags & ZONE_NODE_DNAME) &&
                   (dname = zone_node_rrset(ce, DNS_TYPE_DNAME)) != NULL) {
            src = ce;
        } else if ((ce->flags & ZONE_NODE_WILD1) && dns_name_labels(lname) == ce->labels + 1u) {
            src = ce;
            sets = ce->wild;
            nsets = ce->nwild;
        } else if (ce->flags & ZONE_NODE_WILDCHILD) {
            uint8_t wname[DNS_NAME_MAXLEN];
            wname[0] = 1;
            wname[1] = '*';
            if (ce->name_len + 2u <= DNS_NAME_MAXLEN) {
                memcpy(wname + 2, ce->name, ce->name_len);
                src = zone_tree_get(&s->names, wname, ce->name_len + 2u);
            }
            if (src) {
                sets = src->rrsets;
                nsets = src->nrrsets;
            }
        }
        if (!src) {
            if (!z)
                goto not_ours;
            q->rcode = DNS_RCODE_NXDOMAIN;
            q->neg_zone = z;
            if (first) {
                q->aa = true;
                q->outcome = QUERY_OUTCOME_ANSWER;
            }
            return;
        }

        if (first) {
            q->aa = true;
            q->outcome = QUERY_OUTCOME_ANSWER;
        }
        /* CNAME and DNAME loop protection: stop at a name already answered for, or after
         * too many steps. A name always leads to the same step, so a node answering for
         * itself stands for its name; a DNAME or a wildcard answers for many names, so
         * there the names are compared (a chain may pass one DNAME or wildcard more than
         * once without a loop). */
        const uint8_t *many = src == exact ? NULL : name;
        bool again = false; /* the node answered for another name before */
        for (unsigned i = 0; i < nseen; i++) {
            if (seen[i] != src)
                continue;
            if (many ? seen_name[i] && dns_name_equal(seen_name[i], many) : !seen_name[i])
                return;
            again |= seen_name[i] != NULL;
        }
        if (nseen == QUERY_CHAIN_MAX)
            return;
        seen[nseen] = src;
        seen_name[nseen++] = many;

        if (dname) {
            name = query__dname(q, ce, dname, name, again, synth[nseen - 1]);
            /* The synthesized CNAME is the answer to a CNAME query: no chase. */
            if (!name || q->q.qtype == DNS_TYPE_CNAME)
                return;
            continue;
        }
        const uint8_t *target = NULL;
        if (query__answer_node(q, src, sets, nsets, name, &target) == STEP_DONE)
            return;
        name = target;
        continue;

    not_ours:
        if (first) {
            q->rcode = DNS_RCODE_REFUSED;
            q->outcome = QUERY_OUTCOME_NOTOURS;
        } else {
            /* A CNAME pointing outside our data: the client's resolver goes on. */
            q->rcode = DNS_RCODE_NOERROR;
        }
        return;
    }
}
