#pragma once
/*
 * Snapshot builder: collects zones, RRs and rewrite rules from any source (JSON records,
 * later zone files and dynamic updates), then lays them out as one immutable snapshot.
 *
 * Problems found while building are collected as issues, each naming the caller's
 * `source` index of the offending item (and of the item it clashes with), so the caller can
 * word the message ("records[5]: ..."). Errors make zone_builder_finish fail; warnings do
 * not. Used by one thread at a time (the control plane); never on the hot path.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zone/snap.h"
#include "zone/zone.h"

struct zone_builder;

enum zone_rr_flags {
    ZONE_RR_WILD1 = 1u << 0,   /* NanoDNS `wildcard: true`: also answers one label below */
    ZONE_RR_DYNAMIC = 1u << 1, /* from the dynamic layer: never hidden by `hides` */
};

/* The dynamic layer (update/dyn.h) on top of the static data: RRsets it replaces are
 * skipped as they are added, zones get its serials, and `add` puts its own RRs in after the
 * static data. Every callback may be NULL. */
struct zone_builder_hooks {
    void *ctx;
    /* True when the static RRset (owner, type) is replaced; owner is lower-cased. */
    bool (*hides)(void *ctx, const uint8_t *owner, uint16_t type);
    /* The SOA serial to serve for the zone at `apex` (lower-cased), given the static one. */
    uint32_t (*serial)(void *ctx, const uint8_t *apex, uint32_t serial);
    /* Adds the dynamic RRs with ZONE_RR_DYNAMIC; returns 0 or a negative code. */
    int (*add)(void *ctx, struct zone_builder *b);
};

enum zone_issue_kind {
    ZONE_ISSUE_CNAME_AND_OTHER, /* error: CNAME beside other data (RFC 1034 3.6.2) */
    ZONE_ISSUE_MULTI_CNAME,     /* error: more than one CNAME at a name */
    ZONE_ISSUE_MULTI_SOA,       /* error: more than one SOA at a name */
    ZONE_ISSUE_DUPLICATE,       /* warning: identical RR given twice; kept once */
    ZONE_ISSUE_TTL_MISMATCH,    /* warning: TTLs differ within an RRset; the lowest is used */
    ZONE_ISSUE_RRSET_TOO_BIG,   /* error: more than 65535 RRs in one RRset */
};

/* An "RR" of this type (0, which no real RR has) only makes its owner exist: the name then
 * answers NODATA rather than NXDOMAIN (a dynamic host without addresses). */
#define ZONE_TYPE_NAME_ONLY 0

/* The `source` of RRs that the dynamic layer adds. */
#define ZONE_SOURCE_DYNAMIC INT32_MIN

struct zone_issue {
    enum zone_issue_kind kind;
    bool error;
    int source; /* the item at fault */
    int other;  /* the item it clashes with */
};

struct zone_builder *zone_builder_new(void);
void zone_builder_free(struct zone_builder *b);

void zone_builder_set_opts(struct zone_builder *b, const struct snap_opts *opts);
/* Copies `h` (NULL: none). Set before adding anything. */
void zone_builder_set_hooks(struct zone_builder *b, const struct zone_builder_hooks *h);
/* Calls the hooks' `add`, if any: after the static data, before finishing. */
int zone_builder_add_dynamic(struct zone_builder *b);

/* Declares a zone; its SOA RR is added at the apex. Returns 0 or ERR_EXISTS. */
int zone_builder_add_zone(struct zone_builder *b, const uint8_t *apex, uint32_t soa_ttl,
                          const uint8_t *soa, uint16_t soa_len, int source);

/* Adds one RR (uncompressed wire RDATA, already checked). */
int zone_builder_add_rr(struct zone_builder *b, const uint8_t *owner, uint16_t type, uint32_t ttl,
                        const uint8_t *rdata, uint16_t rdlen, unsigned flags, int source);

/* Adds a rewrite rule for `name` itself, or for every name strictly below it (`below`).
 * Rules keep the order in which they are added; the first that matches wins. */
int zone_builder_add_rewrite(struct zone_builder *b, const uint8_t *name, bool below,
                             const struct zone_rewrite *rule);

/* True when `name` lies at or below a zone added so far. */
bool zone_builder_in_zone(const struct zone_builder *b, const uint8_t *name);

/* Builds the snapshot. Returns 0 (even with warnings), ERR_CONFLICT when an error issue was
 * found (no snapshot is made), or -ENOMEM. */
int zone_builder_finish(struct zone_builder *b, struct snap **out);

/* The issues found by zone_builder_finish, in the order of the items. */
size_t zone_builder_issues(const struct zone_builder *b, const struct zone_issue **issues);
