/*
 * Teaches ThreadSanitizer what liburcu guarantees, for the TSan test programs.
 *
 * liburcu is not built with -fsanitize=thread, and the memb flavor makes readers cheap by
 * leaving their side without barriers: rcu_read_lock/unlock are plain stores to a per-thread
 * counter, and synchronize_rcu orders them with membarrier(2) and a futex. TSan sees none of
 * that, so without help it reports every snapshot read as racing with the builder's writes
 * (and with snap_free). Those reports land in our own frames (the test, zone/build.c) with no
 * liburcu frame at all, so no suppression could be limited to liburcu; and we suppress
 * nothing in our code. Instead this file states the two guarantees zone/snap.h relies on,
 * with TSan's happens-before annotations, keyed by the published pointer `v`:
 *
 *   publish: what the publisher wrote before rcu_xchg_pointer(&p, v) happens before whatever
 *            a reader does after rcu_dereference returned v (release on v at the exchange,
 *            acquire on v after the dereference);
 *   retire:  when rcu_xchg_pointer replaced v and synchronize_rcu then returned, every
 *            read-side critical section that dereferenced v happens before the code after
 *            synchronize_rcu, typically the free (each outermost rcu_read_unlock releases
 *            on v + 1 for every v its section dereferenced; synchronize_rcu acquires on
 *            v + 1 for every v this thread retired since its last grace period).
 *
 * Separate addresses (v, v + 1; both inside the object, so TSan drops them when it is freed)
 * keep the edges one-way: readers never acquire what other readers released, so a race
 * between two readers stays visible. Nothing else is ordered: a reader that uses v after its
 * rcu_read_unlock, or in a section that began after the exchange, or a free without a grace
 * period, is reported.
 *
 * The functions intercept the calls our objects make, through the linker's --wrap (see
 * mk/tsan.mk), and then call liburcu itself, so the real grace periods still run. Only the
 * out-of-line calls (code built without _LGPL_SOURCE, like zone/snap.c) go through here;
 * urcu_model_check() fails the test if some never did, rather than let it pass unchecked.
 */
#include <stdio.h>
#include <stdlib.h>

#include <sanitizer/tsan_interface.h>

/* Exits with a message unless every modelled liburcu call went through this file. */
void urcu_model_check(void);

void *__real_rcu_dereference_sym(void *p);
void *__real_rcu_xchg_pointer_sym(void **p, void *v);
void __real_urcu_memb_read_lock(void);
void __real_urcu_memb_read_unlock(void);
void __real_urcu_memb_synchronize_rcu(void);

void *__wrap_rcu_dereference_sym(void *p);
void *__wrap_rcu_xchg_pointer_sym(void **p, void *v);
void __wrap_urcu_memb_read_lock(void);
void __wrap_urcu_memb_read_unlock(void);
void __wrap_urcu_memb_synchronize_rcu(void);

#define MODEL_MAX 16 /* pointers per read section, retired pointers per grace period */

struct model_set {
    void *v[MODEL_MAX];
    unsigned n;
};

static __thread unsigned depth;           /* read-side nesting */
static __thread struct model_set seen;    /* dereferenced in the current outermost section */
static __thread struct model_set retired; /* replaced since this thread's last grace period */

enum { CALL_XCHG, CALL_DEREF, CALL_UNLOCK, CALL_SYNC, NCALLS };
static unsigned long calls[NCALLS]; /* atomic */
static const char *const call_names[NCALLS] = {"rcu_xchg_pointer", "rcu_dereference",
                                               "rcu_read_unlock", "synchronize_rcu"};

static void model_add(struct model_set *s, void *v, const char *what)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->v[i] == v)
            return;
    if (s->n == MODEL_MAX) {
        fprintf(stderr, "urcu_model: more than %d pointers %s\n", MODEL_MAX, what);
        abort();
    }
    s->v[s->n++] = v;
}

static void *retire_key(void *v)
{
    return (char *)v + 1;
}

void *__wrap_rcu_xchg_pointer_sym(void **p, void *v)
{
    if (v)
        __tsan_release(v);
    void *old = __real_rcu_xchg_pointer_sym(p, v);
    if (old)
        model_add(&retired, old, "retired without a grace period");
    __atomic_fetch_add(&calls[CALL_XCHG], 1, __ATOMIC_RELAXED);
    return old;
}

void *__wrap_rcu_dereference_sym(void *p)
{
    void *v = __real_rcu_dereference_sym(p);
    if (v) {
        __tsan_acquire(v);
        if (depth)
            model_add(&seen, v, "dereferenced in one read-side section");
    }
    __atomic_fetch_add(&calls[CALL_DEREF], 1, __ATOMIC_RELAXED);
    return v;
}

void __wrap_urcu_memb_read_lock(void)
{
    __real_urcu_memb_read_lock();
    depth++;
}

void __wrap_urcu_memb_read_unlock(void)
{
    if (depth == 1) {
        for (unsigned i = 0; i < seen.n; i++)
            __tsan_release(retire_key(seen.v[i]));
        seen.n = 0;
    }
    if (depth)
        depth--;
    __atomic_fetch_add(&calls[CALL_UNLOCK], 1, __ATOMIC_RELAXED);
    __real_urcu_memb_read_unlock();
}

void __wrap_urcu_memb_synchronize_rcu(void)
{
    __real_urcu_memb_synchronize_rcu();
    for (unsigned i = 0; i < retired.n; i++)
        __tsan_acquire(retire_key(retired.v[i]));
    retired.n = 0;
    __atomic_fetch_add(&calls[CALL_SYNC], 1, __ATOMIC_RELAXED);
}

void urcu_model_check(void)
{
    for (unsigned i = 0; i < NCALLS; i++) {
        if (__atomic_load_n(&calls[i], __ATOMIC_RELAXED) == 0) {
            fprintf(stderr,
                    "urcu_model: %s never went through the TSan model (inlined with "
                    "_LGPL_SOURCE?); the test would prove nothing\n",
                    call_names[i]);
            exit(1);
        }
    }
}
