#include "zone/snap.h"

#include <stdlib.h>
#include <urcu.h>

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
