#pragma once
/*
 * Name table: an open-addressed hash map from a lower-cased wire name to a value pointer,
 * with linear probing. It answers exact matches; the closest encloser is found by probing
 * successive parent names (at most one probe per label), which is cheap because every
 * in-zone ancestor exists as a node (empty non-terminals are materialized at build time).
 *
 * Built once by the (single) writer, then read-only: lookups are safe from any number of
 * threads without locks as long as the table is reached through an RCU-protected snapshot.
 * Keys and values are not owned: they live in the snapshot's arena.
 */

#include <stddef.h>
#include <stdint.h>

struct zone_tree_slot {
    const uint8_t *name; /* NULL marks an empty slot */
    void *val;
    uint32_t hash;
    uint8_t len;
};

struct zone_tree {
    struct zone_tree_slot *slots;
    uint32_t mask;
    size_t count;
};

uint32_t zone_tree_hash(const uint8_t *name, size_t len);

int zone_tree_init(struct zone_tree *t, size_t expected);
void zone_tree_deinit(struct zone_tree *t);

/* Inserts a lower-cased name (not copied). Returns 0, ERR_EXISTS or -ENOMEM. */
int zone_tree_insert(struct zone_tree *t, const uint8_t *name, size_t len, void *val);

/* Inserts a name the caller has just looked up and not found, with that lookup's hash (saves
 * a second probe sequence). Returns 0 or -ENOMEM. */
int zone_tree_insert_absent(struct zone_tree *t, const uint8_t *name, size_t len, uint32_t hash,
                            void *val);

/* Looks up a lower-cased name; NULL when absent. */
void *zone_tree_find(const struct zone_tree *t, const uint8_t *name, size_t len, uint32_t hash);

static inline void *zone_tree_get(const struct zone_tree *t, const uint8_t *name, size_t len)
{
    return zone_tree_find(t, name, len, zone_tree_hash(name, len));
}

/* Starts loading the slot where `hash` begins, for a lookup a little later (bulk builds). */
static inline void zone_tree_prefetch(const struct zone_tree *t, uint32_t hash)
{
    if (t->slots)
        __builtin_prefetch(&t->slots[hash & t->mask]);
}
