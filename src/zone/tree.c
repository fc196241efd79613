#include "zone/tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/hugemem.h"

/* A million-name table is a few dozen huge pages (util/hugemem.h). Lookups read empty slots
 * before inserts write them, so the table is faulted in writable at once. */
static struct zone_tree_slot *tree_slots_alloc(size_t n)
{
    return hugemem_alloc(n * sizeof(struct zone_tree_slot), true);
}

static void tree_slots_free(struct zone_tree_slot *p, size_t n)
{
    hugemem_free(p, n * sizeof(struct zone_tree_slot));
}

uint32_t zone_tree_hash(const uint8_t *name, size_t len)
{
    /* A multiply-xorshift hash over 8-byte words. Keys come from the operator's data, never
     * from the network, so collision flooding is not a concern; speed is. */
    const uint64_t k = 0x9e3779b97f4a7c15ull;
    uint64_t h = (uint64_t)len * k;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy(&v, name + i, 8);
        h = (h ^ v) * k;
        h ^= h >> 29;
    }
    if (i < len) {
        uint64_t v = 0;
        memcpy(&v, name + i, len - i);
        h = (h ^ v) * k;
        h ^= h >> 29;
    }
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (uint32_t)h;
}

int zone_tree_init(struct zone_tree *t, size_t expected)
{
    size_t cap = 16;
    while (cap < expected * 2 + 2) {
        if (cap > (SIZE_MAX / sizeof(struct zone_tree_slot)) / 2 || cap >= (1u << 31))
            return -ENOMEM;
        cap *= 2;
    }
    t->slots = tree_slots_alloc(cap);
    if (!t->slots)
        return -ENOMEM;
    t->mask = (uint32_t)(cap - 1);
    t->count = 0;
    return 0;
}

void zone_tree_deinit(struct zone_tree *t)
{
    tree_slots_free(t->slots, t->slots ? (size_t)t->mask + 1 : 0);
    t->slots = NULL;
    t->mask = 0;
    t->count = 0;
}

static void zone_tree__put(struct zone_tree_slot *slots, uint32_t mask,
                           const struct zone_tree_slot *s)
{
    uint32_t i = s->hash & mask;
    while (slots[i].name)
        i = (i + 1) & mask;
    slots[i] = *s;
}

static int zone_tree__grow(struct zone_tree *t)
{
    size_t cap = (size_t)t->mask + 1;
    if (cap >= (1u << 31))
        return -ENOMEM;
    size_t ncap = cap * 2;
    struct zone_tree_slot *ns = tree_slots_alloc(ncap);
    if (!ns)
        return -ENOMEM;
    for (size_t i = 0; i < cap; i++)
        if (t->slots[i].name)
            zone_tree__put(ns, (uint32_t)(ncap - 1), &t->slots[i]);
    tree_slots_free(t->slots, cap);
    t->slots = ns;
    t->mask = (uint32_t)(ncap - 1);
    return 0;
}

int zone_tree_insert(struct zone_tree *t, const uint8_t *name, size_t len, void *val)
{
    uint32_t hash = zone_tree_hash(name, len);
    if (zone_tree_find(t, name, len, hash))
        return ERR_EXISTS;
    return zone_tree_insert_absent(t, name, len, hash, val);
}

int zone_tree_insert_absent(struct zone_tree *t, const uint8_t *name, size_t len, uint32_t hash,
                            void *val)
{
    if ((t->count + 1) * 2 > (size_t)t->mask + 1) {
        int r = zone_tree__grow(t);
        if (r)
            return r;
    }
    struct zone_tree_slot s = {.name = name, .val = val, .hash = hash, .len = (uint8_t)len};
    zone_tree__put(t->slots, t->mask, &s);
    t->count++;
    return 0;
}

void *zone_tree_find(const struct zone_tree *t, const uint8_t *name, size_t len, uint32_t hash)
{
    if (!t->slots)
        return NULL;
    uint32_t i = hash & t->mask;
    for (;;) {
        const struct zone_tree_slot *s = &t->slots[i];
        if (!s->name)
            return NULL;
        if (s->hash == hash && s->len == len && memcmp(s->name, name, len) == 0)
            return s->val;
        i = (i + 1) & t->mask;
    }
}
