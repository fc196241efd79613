#pragma once
/*
 * The snapshot: everything a query reads (names, zones, rewrites, query options), built off
 * the hot path by zone/build.c and published by one pointer swap.
 *
 * RCU protocol (liburcu, memb flavor): a thread that reads snapshots calls
 * snap_thread_online() once, brackets each use with snap_read_begin()/snap_read_end() and
 * never keeps a pointer past snap_read_end(). Only one thread (the control thread) calls
 * snap_publish(); it returns after a grace period, when no reader can still see the old
 * snapshot, and frees it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/cidr.h"
#include "zone/tree.h"
#include "zone/zone.h"

#define SNAP_ACL_MAX 64

/* Settings the hot path needs; filled from the config by the control plane. */
struct snap_opts {
    uint16_t udp_max_payload; /* largest UDP response we send to an EDNS client */
    uint32_t rewrite_ttl;     /* TTL of redirect answers without their own */
    bool log_queries;         /* the transports log one line per query */
    /* CHAOS TXT and NSID (RFC 5001): hostname.bind, id.server and NSID answer `identity`,
     * version.bind and version.server answer `version`; hidden ones are REFUSED. */
    bool identity_hidden;
    bool version_hidden;
    uint8_t identity_len;
    uint8_t version_len;
    char identity[255];
    char version[255];
    /* Forwarding: offered (RA set, names outside our data forwarded) only to clients in
     * `acl` (server.allow_recursion), and only when there are upstreams. */
    bool forwarding;
    uint8_t nacl;
    struct cidr acl[SNAP_ACL_MAX];
    /* DNS cookies (RFC 7873, server cookies as RFC 9018): `secret` makes them; one made
     * with `prev_secret` is still accepted until `prev_until` (Unix seconds; 0: none), so a
     * rotated secret does not invalidate the cookies clients hold. The control plane fills
     * the secrets before publishing (server.cookie_secret, or one generated at start). */
    enum snap_cookie_mode { SNAP_COOKIE_ON, SNAP_COOKIE_REQUIRE, SNAP_COOKIE_OFF } cookie_mode;
    bool cookie_secret_set; /* server.cookie_secret was given (else the control plane's own) */
    uint8_t cookie_secret[16];
    uint8_t cookie_prev_secret[16];
    uint64_t cookie_prev_until;
    /* Response rate limiting (net/rrl.h): responses per second per client prefix, by kind;
     * 0 = not limited. */
    struct snap_rrl {
        uint32_t rate[5]; /* enum rrl_kind: answer, nodata, nxdomain, referral, error */
        uint8_t slip;
        uint16_t window;
        uint8_t v4_prefix;
        uint8_t v6_prefix;
        uint8_t nexempt;
        struct cidr exempt[SNAP_ACL_MAX];
    } rrl;
};

struct snap {
    struct arena arena;             /* owns nodes, names, RDATA, zones and rules */
    struct zone_tree names;         /* every owner name -> struct zone_node */
    struct zone_tree rewrite_names; /* rewrite names -> struct zone_rewrite_entry */
    const struct zone *zones;
    size_t nzones;
    const struct zone_rewrite *rewrites; /* in config order: lower index wins */
    size_t nrewrites;
    size_t nrecords; /* RRs loaded, for statistics */
    struct snap_opts opts;
};

struct snap_slot {
    struct snap *cur;
};

void snap_free(struct snap *s);
/* The SOA serial served for the zone whose apex is `apex`: true and *serial, or false when
 * the snapshot (may be NULL) has no such zone or SOA. */
bool snap_zone_serial(const struct snap *s, const uint8_t *apex, uint32_t *serial);

void snap_thread_online(void);
void snap_thread_offline(void);

const struct snap *snap_read_begin(struct snap_slot *slot);
void snap_read_end(void);

/* Swaps in `s` (which may be NULL) and frees the previous snapshot after a grace period. */
void snap_publish(struct snap_slot *slot, struct snap *s);
