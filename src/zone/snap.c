#include "zone/snap.h"

#include <stdlib.h>
#include <urcu.h>

#include "dns/name.h"
#include "dns/rdata.h"

void snap_free(struct snap *s)
{
    if (!s)
        return;
    zone_tree_deinit(&s->names);
    zone_tree_deinit(&s->rewrite_names);
    arena_deinit(&s->arena);
    free(s);
}

void snap_thread_online(void)
{
    rcu_register_thread();
}

void snap_thread_offline(void)
{
    rcu_unregister_thread();
}

const struct snap *snap_read_begin(struct snap_slot *slot)
{
    rcu_read_lock();
    return rcu_dereference(slot->cur);
}

void snap_read_end(void)
{
    rcu_read_unlock();
}

void snap_publish(struct snap_slot *slot, struct snap *s)
{
    struct snap *old = rcu_xchg_pointer(&slot->cur, s);
    if (old) {
        synchronize_rcu();
        snap_free(old);
    }
}

bool snap_zone_serial(const struct snap *s, const uint8_t *apex, uint32_t *serial)
{
    for (size_t i = 0; s && i < s->nzones; i++) {
        const struct zone *z = &s->zones[i];
        if (!dns_name_equal(z->apex, apex) || !z->soa || !z->soa->count)
            continue;
        const uint8_t *rd;
        uint16_t len;
        zone_rdata_next(z->soa->rdata, &rd, &len);
        long at = dns_rdata_soa_serial_at(rd, len);
        if (at < 0)
            return false;
        *serial = (uint32_t)rd[at] << 24 | (uint32_t)rd[at + 1] << 16 |
                  (uint32_t)rd[at + 2] << 8 | rd[at + 3];
        return true;
    }
    return false;
}
