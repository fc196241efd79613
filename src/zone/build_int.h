#pragma once
/*
 * Internal to the snapshot builder: zone/build.c (the adding API) and zone/build_finish.c
 * (zone_builder_finish). Other modules use zone/build.h only.
 *
 * The two small helpers both files call in their loops are static inline here, so that each
 * file can inline them as before the split. Like the builder, used by one thread at a time.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dns/name.h"
#include "util/hugemem.h"
#include "zone/build.h"

struct zone__build_rr {
    const uint8_t *owner;
    struct zone_node *node;
    size_t rd_off;
    uint32_t seq;
    uint32_t ttl;
    int source;
    uint16_t type;
    uint16_t rdlen;
    uint8_t owner_len;
    uint8_t flags;
    bool dup;
};

struct zone__build_zone {
    const uint8_t *apex;
    uint8_t len;
};

struct zone__build_rewrite {
    const uint8_t *name;
    uint8_t len;
    bool below;
    struct zone_rewrite rule;
};

/* One RRset being assembled for a node: rrs[first, end) in the sorted order. */
struct zone__build_set {
    uint16_t type;
    uint16_t count;
    uint32_t ttl;
    uint32_t first_seq; /* when its type first appeared: the order of RRsets at a node */
    size_t bytes;
    size_t first, end;
};

struct zone_builder {
    struct arena names;
    struct zone__build_rr *rrs;
    size_t nrr, caprr;
    size_t nname_only; /* of them ZONE_TYPE_NAME_ONLY */
    uint8_t *rd;
    size_t rdlen, rdcap;
    struct zone__build_zone *zones;
    size_t nzones, capzones;
    struct zone_tree zone_index; /* apex -> (index + 1) */
    struct zone__build_rewrite *rws;
    size_t nrw, caprw;
    struct snap_opts opts;
    struct zone_builder_hooks hooks;
    struct zone_issue *issues;
    size_t nissues, capissues;
    /* finish only */
    struct zone_node **nodes;
    size_t nnodes, capnodes;
    struct zone__build_set *sets;
    size_t capsets;
    size_t *scratch;
    size_t capscratch;
};

static inline int zone__build_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem)
            return -ENOMEM;
        ncap *= 2;
    }
    void *np = realloc(*p, ncap * elem);
    if (!np)
        return -ENOMEM;
    if (ncap * elem >= HUGEMEM_MIN) /* the RRs of a large zone */
        hugemem_advise(np, ncap * elem);
    *p = np;
    *cap = ncap;
    return 0;
}

/* Index of the deepest zone containing `name` (lower-cased), or -1. */
static inline long zone__build_deepest_zone(const struct zone_builder *b, const uint8_t *name)
{
    const uint8_t *p = name;
    for (;;) {
        size_t len = dns_name_len(p);
        void *v = zone_tree_get(&b->zone_index, p, len);
        if (v)
            return (long)((uintptr_t)v - 1);
        if (*p == 0)
            return -1;
        p += *p + 1;
    }
}
