#pragma once
/*
 * Immutable zone data as the hot path reads it: nodes (one per owner name, including empty
 * non-terminals), RRsets, zones and rewrite rules. Everything is built by zone/build.c into
 * one snapshot arena and never modified afterwards, so any number of threads may read it
 * without locks while the snapshot is alive (see zone/snap.h for the RCU protocol).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An RRset: `count` RDATAs stored back to back as [u16 length, big-endian][bytes]. */
struct zone_rrset {
    uint16_t type;
    uint16_t count;
    uint32_t ttl;
    const uint8_t *rdata;
};

/* Walks the RDATAs of an RRset: p = rrset->rdata; repeat count times. */
static inline const uint8_t *zone_rdata_next(const uint8_t *p, const uint8_t **rd, uint16_t *len)
{
    *len = (uint16_t)(p[0] << 8 | p[1]);
    *rd = p + 2;
    return p + 2 + *len;
}

enum zone_node_flags {
    ZONE_NODE_APEX = 1u << 0,      /* apex of a zone */
    ZONE_NODE_DELEG = 1u << 1,     /* zone cut: an NS RRset below the apex */
    ZONE_NODE_WILDCHILD = 1u << 2, /* "*.<this name>" exists */
    ZONE_NODE_WILD1 = 1u << 3,     /* NanoDNS `wildcard: true` data answers one label below */
    ZONE_NODE_DNAME = 1u << 4,     /* holds a DNAME: names below it are redirected */
};

struct zone;

struct zone_node {
    const uint8_t *name;         /* lower-cased wire form */
    const struct zone *zone;     /* deepest zone containing the name; NULL outside zones */
    const struct zone_node *cut; /* this node or the nearest ancestor that is a zone cut,
                                    within the same zone; NULL when none */
    const struct zone_rrset *rrsets;
    const struct zone_rrset *wild; /* the `wildcard: true` subset (ZONE_NODE_WILD1) */
    uint16_t nrrsets;              /* 0: an empty non-terminal */
    uint16_t nwild;
    uint16_t flags;
    uint8_t name_len;
    uint8_t labels;
};

struct zone {
    const uint8_t *apex; /* lower-cased wire form */
    uint8_t apex_len;
    uint8_t apex_labels;
    const struct zone_node *apex_node;
    const struct zone_rrset *soa;
    uint32_t neg_ttl; /* RFC 2308: min(SOA TTL, SOA MINIMUM) */
};

enum zone_rewrite_action {
    ZONE_REWRITE_NXDOMAIN,
    ZONE_REWRITE_REDIRECT,
};

struct zone_rewrite {
    enum zone_rewrite_action action;
    uint8_t addr_len; /* REDIRECT: 4 (answers A) or 16 (answers AAAA) */
    uint8_t addr[16];
    uint32_t ttl;
};

/* Value stored in the rewrite name table: the lowest rule index matching the name exactly
 * and the lowest matching names strictly below it (`*.name`); -1 when none. */
struct zone_rewrite_entry {
    int32_t exact;
    int32_t below;
};

/* The RRset of `type` at a node, or NULL. */
static inline const struct zone_rrset *zone_node_rrset(const struct zone_node *n, uint16_t type)
{
    for (uint16_t i = 0; i < n->nrrsets; i++)
        if (n->rrsets[i].type == type)
            return &n->rrsets[i];
    return NULL;
}

static inline const struct zone_rrset *zone_node_wild_rrset(const struct zone_node *n,
                                                            uint16_t type)
{
    for (uint16_t i = 0; i < n->nwild; i++)
        if (n->wild[i].type == type)
            return &n->wild[i];
    return NULL;
}
