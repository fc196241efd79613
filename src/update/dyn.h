#pragma once
/*
 * The dynamic layer: what dynamic updates (the HTTP update API, later dyndns2 and RFC 2136)
 * have changed, laid over the static data of the config every time a snapshot is built.
 *
 *  - RRsets, keyed by owner and type. Each replaces the static RRset of that owner and type;
 *    an empty one (a tombstone) hides it.
 *  - Zone serials: the serial served for a zone is the stored one when it is newer (RFC 1982)
 *    than the config's, so every change moves the serial on and a restart keeps it.
 *  - Hosts (`dyndns` names that have updated): when their addresses expire. A host's A and
 *    AAAA RRsets are dynamic only; once expired they are left out until it updates again.
 *
 * Everything is kept in memory as a mirror of the store (store/store.h), which is read once
 * at start-up; dyn_commit writes a change to the store (synced to disk) before it changes the
 * mirror, so a change the caller has acknowledged survives a crash.
 *
 * Threads: the control thread and its thread-pool jobs, one at a time. Not thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zone/build.h"

struct dyn;

/* Opens the store in `dir` and loads it. Returns 0, or a negative code with a sentence in
 * `err`. */
int dyn_open(const char *dir, struct dyn **out, char *err, size_t errcap);
void dyn_free(struct dyn *d); /* NULL: nothing */

/* One RRset as the dynamic layer holds it: `rdata` is `count` RRs, each a 2-byte length
 * (network order) and the RDATA. count 0: a tombstone. */
struct dyn_rrset {
    const uint8_t *owner; /* wire form; compared case-insensitively */
    uint16_t type;
    uint32_t ttl;
    uint16_t count;
    const uint8_t *rdata;
    size_t rdlen;
};

#define DYN_CHANGE_MAX 64

/* What one update changes, applied all or nothing. */
struct dyn_change {
    struct dyn_rrset sets[DYN_CHANGE_MAX];
    size_t nsets;
    /* a host's new expiry time (unix seconds; 0: never); host NULL: none */
    const uint8_t *host;
    int64_t host_expires;
    /* new serials */
    const uint8_t *zones[DYN_CHANGE_MAX];
    uint32_t serials[DYN_CHANGE_MAX];
    size_t nzones;
};

/* A change goes in three steps, so that a change that would break the snapshot is never
 * stored: dyn_stage applies it to the mirror (and remembers what it replaced); the caller
 * builds a snapshot; then either dyn_persist writes it to the store (durable when it returns
 * 0) and dyn_done forgets the undo, or dyn_unstage puts the mirror back (and frees). */
struct dyn_undo;
int dyn_stage(struct dyn *d, const struct dyn_change *c, struct dyn_undo **out);
int dyn_persist(struct dyn *d, const struct dyn_undo *u);
void dyn_done(struct dyn_undo *u);
void dyn_unstage(struct dyn *d, struct dyn_undo *u);

/* The stored RRset of owner and type, or NULL. */
bool dyn_find(const struct dyn *d, const uint8_t *owner, uint16_t type, struct dyn_rrset *out);
/* The stored expiry of a host: true and *expires when known. */
bool dyn_host(const struct dyn *d, const uint8_t *host, int64_t *expires);

/* The hooks that lay this layer over a build at time `now` (unix seconds): the A and AAAA
 * of a host (a name with an expiry) are dynamic only, and left out once it has expired.
 * They point into `d`: valid until the next call or dyn_free. */
struct zone_builder_hooks dyn_hooks(struct dyn *d, int64_t now);

/* The earliest host expiry after `now`, or 0 when none. */
int64_t dyn_next_expiry(const struct dyn *d, int64_t now);

/* RFC 1982: is serial a newer than b? */
bool dyn_serial_newer(uint32_t a, uint32_t b);
