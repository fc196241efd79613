/*
 * Teaches ThreadSanitizer what liburcu guarantees, for the TSan test programs.
 *
 * liburcu is not built with -fsanitize=thread, and the memb flavor makes readers cheap by
 * leaving their side without barriers: rcu_read_lock/unlock are plain stores to a per-thread
 * counter, and synchronize_rcu orders them with membarrier(2) and a futex. TSan sees none of
 * that, so without help it reports every snapshot read as racing with the builder's writes
 * (and with snap_free). Those reports land in our own frames (the test, the zone builder)
 * with no liburcu frame at all, so no suppression could be limited to liburcu; and we suppress
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
 * The answer cache (cache/cache.c) publishes and retires entries through liburcu-cds's
 * lock-free hash table and call_rcu instead, with the same two guarantees, keyed by the
 * table node n (n and n + 1 lie inside the entry, so TSan drops them when it is freed):
 *
 *   publish: cds_lfht_add_replace(n) releases on n before the table links it. A lookup
 *            calls the caller's match function on candidate nodes from inside liburcu-cds,
 *            so the wrapper passes its own, which acquires on each node before the caller's
 *            reads its key; the node the lookup returns is one the match accepted, so what
 *            the reader does with the entry afterwards is covered too.
 *   retire:  a node that cds_lfht_del removed, or that cds_lfht_add_replace returned as
 *            replaced, is retired like an exchanged pointer, and every node a match was
 *            called on counts as dereferenced by the read-side section (release on n + 1 at
 *            its outermost unlock). The thread's retired set goes with the first grace period
 *            it starts afterwards: synchronize_rcu acquires on it as above, or call_rcu takes
 *            it along. liburcu runs call_rcu callbacks on a thread of its own; the wrapper
 *            queues a record of its own (with a trampoline as the function) that carries the
 *            caller's head and function and the retired nodes. It releases on the record, and
 *            the trampoline acquires on the record and on n + 1 of each node before it calls
 *            the caller's function: so what the caller did before call_rcu (writing the
 *            entry, which the callback then frees) and every section that saw the nodes
 *            happen before the callback.
 *
 * rcu_barrier (cache_free) returns when every callback queued before it has run: each
 * trampoline releases on one barrier address after the caller's function returned, and
 * rcu_barrier acquires on it when the real one returns (which also orders the callbacks that
 * happened to run meanwhile; the only caller runs after the other threads are gone).
 *
 * liburcu also hands memory of its own from thread to thread through its uninstrumented
 * queues: rcu_barrier allocates a work item per callback thread, which that thread frees;
 * cds_lfht_destroy allocates a completion that the table's resize worker frees; an update
 * that finds a long chain allocates a resize request for that worker. TSan sees those
 * allocations only through its malloc interceptor and reports liburcu's free as racing with
 * liburcu's calloc, in frames that are all liburcu's. So while the real rcu_barrier,
 * cds_lfht_destroy, cds_lfht_add_replace or cds_lfht_del runs, the calling thread's memory
 * accesses are ignored (an allocation made then leaves no trace for a later free to race
 * with), except inside the caller's match function, which the model's match function
 * brackets. None of our other code runs on that thread in the meantime, and liburcu's plain
 * accesses are invisible to TSan anyway, so this hides nothing of ours.
 *
 * Each record is released once and acquired once, by the callback; readers still only
 * acquire n (released by the writer) and release n + 1 (acquired by the retiring side), and
 * only rcu_barrier acquires what callbacks release, so these edges stay one-way too. Reads
 * from a lookup outside any read-side section are not ordered before the free, and neither
 * is anything about a node freed without a grace period or published through a call this
 * file does not wrap (cds_lfht_add, cds_lfht_add_unique, cds_lfht_replace, traversals with
 * cds_lfht_first/next): all of those are reported.
 *
 * The functions intercept the calls our objects make, through the linker's --wrap (see
 * mk/tsan.mk), and then call liburcu itself, so the real grace periods still run. Only the
 * out-of-line calls (code built without _LGPL_SOURCE, like zone/snap.c) go through here;
 * urcu_model_check() (the snapshot's calls) and urcu_model_check_lfht() (the cache's) fail
 * the test if some never did, rather than let it pass unchecked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/tsan_interface.h>
#include <urcu.h>
#include <urcu/rculfhash.h>

/* Each exits with a message unless every liburcu call the snapshot (urcu_model_check) or
 * the cache (urcu_model_check_lfht) makes went through this file. */
void urcu_model_check(void);
void urcu_model_check_lfht(void);

/* Exported by every TSan runtime (compiler-rt's own interface), but not declared in GCC 12's
 * sanitizer/tsan_interface.h: ignore the calling thread's memory accesses in between. */
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);

typedef void (*model_rcu_fn)(struct rcu_head *head);

void *__real_rcu_dereference_sym(void *p);
void *__real_rcu_xchg_pointer_sym(void **p, void *v);
void __real_urcu_memb_read_lock(void);
void __real_urcu_memb_read_unlock(void);
void __real_urcu_memb_synchronize_rcu(void);
void __real_urcu_memb_call_rcu(struct rcu_head *head, model_rcu_fn func);
void __real_urcu_memb_barrier(void);
int __real_cds_lfht_destroy(struct cds_lfht *ht, pthread_attr_t **attr);
void __real_cds_lfht_lookup(struct cds_lfht *ht, unsigned long hash, cds_lfht_match_fct match,
                            const void *key, struct cds_lfht_iter *iter);
struct cds_lfht_node *__real_cds_lfht_add_replace(struct cds_lfht *ht, unsigned long hash,
                                                  cds_lfht_match_fct match, const void *key,
                                                  struct cds_lfht_node *node);
int __real_cds_lfht_del(struct cds_lfht *ht, struct cds_lfht_node *node);

void *__wrap_rcu_dereference_sym(void *p);
void *__wrap_rcu_xchg_pointer_sym(void **p, void *v);
void __wrap_urcu_memb_read_lock(void);
void __wrap_urcu_memb_read_unlock(void);
void __wrap_urcu_memb_synchronize_rcu(void);
void __wrap_urcu_memb_call_rcu(struct rcu_head *head, model_rcu_fn func);
void __wrap_urcu_memb_barrier(void);
int __wrap_cds_lfht_destroy(struct cds_lfht *ht, pthread_attr_t **attr);
void __wrap_cds_lfht_lookup(struct cds_lfht *ht, unsigned long hash, cds_lfht_match_fct match,
                            const void *key, struct cds_lfht_iter *iter);
struct cds_lfht_node *__wrap_cds_lfht_add_replace(struct cds_lfht *ht, unsigned long hash,
                                                  cds_lfht_match_fct match, const void *key,
                                                  struct cds_lfht_node *node);
int __wrap_cds_lfht_del(struct cds_lfht *ht, struct cds_lfht_node *node);

#define SEEN_MAX 16 /* pointers dereferenced or matched in one read-side section */

struct model_seen {
    unsigned n;
    void *v[SEEN_MAX];
};

/* Grows as needed: a cache flush retires every entry before one grace period. */
struct model_retired {
    unsigned n, cap;
    void **v;
};

static __thread unsigned depth;               /* read-side nesting */
static __thread struct model_seen seen;       /* dereferenced in the current outermost section */
static __thread struct model_retired retired; /* retired since this thread's last grace period */
static __thread unsigned in_urcu;             /* inside a liburcu call whose accesses are ignored */
static char barrier_key;                      /* callbacks release on it, rcu_barrier acquires */

enum {
    CALL_XCHG,
    CALL_DEREF,
    CALL_UNLOCK,
    CALL_SYNC,
    CALL_LOOKUP,
    CALL_ADD_REPLACE,
    CALL_DEL,
    CALL_CALL_RCU,
    CALL_CALLBACK,
    CALL_BARRIER,
    NCALLS
};
static unsigned long calls[NCALLS]; /* atomic */
static const char *const call_names[NCALLS] = {
    "rcu_xchg_pointer",    "rcu_dereference",      "rcu_read_unlock", "synchronize_rcu",
    "cds_lfht_lookup",     "cds_lfht_add_replace", "cds_lfht_del",    "call_rcu",
    "a call_rcu callback", "rcu_barrier",
};

static void model_count(unsigned call)
{
    __atomic_fetch_add(&calls[call], 1, __ATOMIC_RELAXED);
}

static void model_seen(void *v, const char *what)
{
    for (unsigned i = 0; i < seen.n; i++)
        if (seen.v[i] == v)
            return;
    if (seen.n == SEEN_MAX) {
        fprintf(stderr, "urcu_model: more than %d pointers %s\n", SEEN_MAX, what);
        abort();
    }
    seen.v[seen.n++] = v;
}

static void model_retire(void *v)
{
    for (unsigned i = 0; i < retired.n; i++)
        if (retired.v[i] == v)
            return;
    if (retired.n == retired.cap) {
        unsigned cap = retired.cap ? 2 * retired.cap : 64;
        void **nv = realloc(retired.v, cap * sizeof(*nv));
        if (!nv) {
            fprintf(stderr, "urcu_model: out of memory for %u retired pointers\n", cap);
            abort();
        }
        retired.v = nv;
        retired.cap = cap;
    }
    retired.v[retired.n++] = v;
}

/* Ignores this thread's memory accesses while liburcu runs (see the header comment). */
static void urcu_enter(void)
{
    __tsan_ignore_thread_begin();
    in_urcu++;
}

static void urcu_leave(void)
{
    in_urcu--;
    __tsan_ignore_thread_end();
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
        model_retire(old);
    model_count(CALL_XCHG);
    return old;
}

void *__wrap_rcu_dereference_sym(void *p)
{
    void *v = __real_rcu_dereference_sym(p);
    if (v) {
        __tsan_acquire(v);
        if (depth)
            model_seen(v, "dereferenced in one read-side section");
    }
    model_count(CALL_DEREF);
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
    model_count(CALL_UNLOCK);
    __real_urcu_memb_read_unlock();
}

void __wrap_urcu_memb_synchronize_rcu(void)
{
    __real_urcu_memb_synchronize_rcu();
    for (unsigned i = 0; i < retired.n; i++)
        __tsan_acquire(retire_key(retired.v[i]));
    retired.n = 0;
    model_count(CALL_SYNC);
}

/* What call_rcu queues in place of the caller's head: see the header comment. */
struct model_rcu {
    struct rcu_head head; /* liburcu's */
    struct rcu_head *caller_head;
    model_rcu_fn func;
    unsigned n;
    void *retired[]; /* the caller's retired nodes, handed over to this grace period */
};

/* Runs on liburcu's callback thread, after the grace period that call_rcu started. */
static void model_rcu_callback(struct rcu_head *head)
{
    struct model_rcu *r = caa_container_of(head, struct model_rcu, head);
    __tsan_acquire(r);
    for (unsigned i = 0; i < r->n; i++)
        __tsan_acquire(retire_key(r->retired[i]));
    struct rcu_head *caller_head = r->caller_head;
    model_rcu_fn func = r->func;
    free(r);
    func(caller_head);
    __tsan_release(&barrier_key);
    model_count(CALL_CALLBACK);
}

void __wrap_urcu_memb_call_rcu(struct rcu_head *head, model_rcu_fn func)
{
    struct model_rcu *r = malloc(sizeof(*r) + retired.n * sizeof(r->retired[0]));
    if (!r) {
        fprintf(stderr, "urcu_model: out of memory in call_rcu\n");
        abort();
    }
    r->caller_head = head;
    r->func = func;
    r->n = retired.n;
    memcpy(r->retired, retired.v, retired.n * sizeof(r->retired[0]));
    retired.n = 0;
    __tsan_release(r);
    model_count(CALL_CALL_RCU);
    __real_urcu_memb_call_rcu(&r->head, model_rcu_callback);
}

void __wrap_urcu_memb_barrier(void)
{
    urcu_enter();
    __real_urcu_memb_barrier();
    urcu_leave();
    __tsan_acquire(&barrier_key);
    model_count(CALL_BARRIER);
}

/* The caller's match function and key, which the lookup's own match function calls. */
struct model_match {
    cds_lfht_match_fct match;
    const void *key;
};

static int model_match(struct cds_lfht_node *node, const void *arg)
{
    const struct model_match *m = arg;
    unsigned ignoring = in_urcu; /* our match function must be checked like all our code */
    for (unsigned i = 0; i < ignoring; i++)
        __tsan_ignore_thread_end();
    __tsan_acquire(node);
    if (depth)
        model_seen(node, "matched in one read-side section");
    int r = m->match(node, m->key);
    for (unsigned i = 0; i < ignoring; i++)
        __tsan_ignore_thread_begin();
    return r;
}

void __wrap_cds_lfht_lookup(struct cds_lfht *ht, unsigned long hash, cds_lfht_match_fct match,
                            const void *key, struct cds_lfht_iter *iter)
{
    struct model_match m = {match, key};
    __real_cds_lfht_lookup(ht, hash, model_match, &m, iter);
    model_count(CALL_LOOKUP);
}

struct cds_lfht_node *__wrap_cds_lfht_add_replace(struct cds_lfht *ht, unsigned long hash,
                                                  cds_lfht_match_fct match, const void *key,
                                                  struct cds_lfht_node *node)
{
    struct model_match m = {match, key};
    __tsan_release(node);
    urcu_enter();
    struct cds_lfht_node *old = __real_cds_lfht_add_replace(ht, hash, model_match, &m, node);
    urcu_leave();
    if (old)
        model_retire(old);
    model_count(CALL_ADD_REPLACE);
    return old;
}

int __wrap_cds_lfht_del(struct cds_lfht *ht, struct cds_lfht_node *node)
{
    urcu_enter();
    int r = __real_cds_lfht_del(ht, node);
    urcu_leave();
    if (r == 0)
        model_retire(node);
    model_count(CALL_DEL);
    return r;
}

int __wrap_cds_lfht_destroy(struct cds_lfht *ht, pthread_attr_t **attr)
{
    urcu_enter();
    int r = __real_cds_lfht_destroy(ht, attr);
    urcu_leave();
    return r;
}

static void model_require(const unsigned *which, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (__atomic_load_n(&calls[which[i]], __ATOMIC_RELAXED) == 0) {
            fprintf(stderr,
                    "urcu_model: %s never went through the TSan model (inlined with "
                    "_LGPL_SOURCE?); the test would prove nothing\n",
                    call_names[which[i]]);
            exit(1);
        }
    }
}

void urcu_model_check(void)
{
    static const unsigned which[] = {CALL_XCHG, CALL_DEREF, CALL_UNLOCK, CALL_SYNC};
    model_require(which, sizeof(which) / sizeof(which[0]));
}

void urcu_model_check_lfht(void)
{
    /* Callbacks run late: call this after rcu_barrier (cache_free calls it). */
    static const unsigned which[] = {CALL_LOOKUP,   CALL_ADD_REPLACE, CALL_DEL,    CALL_CALL_RCU,
                                     CALL_CALLBACK, CALL_BARRIER,     CALL_UNLOCK, CALL_SYNC};
    model_require(which, sizeof(which) / sizeof(which[0]));
}
