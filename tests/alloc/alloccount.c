/*
 * alloccount.so: an LD_PRELOAD shim that counts heap allocations made by the UDP workers.
 *
 * It interposes malloc, calloc, realloc, reallocarray, free, posix_memalign, aligned_alloc,
 * memalign, valloc and pvalloc, forwards every call to the next definition (glibc's, found
 * with dlsym(RTLD_NEXT)), and counts the allocating calls made on threads whose name
 * (prctl(PR_GET_NAME)) starts with "nanodns-udp". Everything else passes through uncounted.
 *
 * Reading the count: on SIGUSR2 the shim writes a report to $ALLOC_COUNT_FILE (written to
 * "<file>.tmp" and renamed, so a reader never sees half a report), from the signal handler,
 * with async-signal-safe calls only:
 *
 *     alloccount 1 pid <pid>
 *     count <allocating calls on UDP threads since start>
 *     frees <free calls on UDP threads since start>
 *     sites <recorded>
 *     site <fn> <hits> <size> <frame1> <frame2> ...   (hex return addresses, caller first)
 *     end
 *
 * Call sites: each SIGUSR2 (re)starts a recording period. Counted allocations of the period
 * are grouped by the address they were called from, and the first MAX_SITES such callers are
 * kept with the call stack of their first allocation (backtrace(); the first frame is the
 * caller of malloc), its size, and their number of hits; the next report lists them. So a
 * test that expects no allocation between two reports can show where one came from. A reader
 * resolves the addresses with /proc/<pid>/maps and addr2line. Nothing is recorded before the
 * first report.
 *
 * Early calls: dlsym itself may call calloc before the real functions are known; those (and
 * any call made while resolving) are served from a small static buffer whose blocks are never
 * freed (free ignores them; realloc moves them to the real heap).
 *
 * Test builds only: gcc -shared -fPIC -O1 -o alloccount.so alloccount.c -ldl
 */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef THREAD_PREFIX
#define THREAD_PREFIX "nanodns-udp" /* -DTHREAD_PREFIX='""' counts every thread */
#endif
#define MAX_SITES     16
#define SITE_FRAMES   8

#define EXPORT     __attribute__((visibility("default")))
#define TLS        __thread __attribute__((tls_model("initial-exec")))

/* ---- the real functions ------------------------------------------------------------------ */

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_pvalloc)(size_t);

static atomic_int resolving; /* set while dlsym runs: allocations go to the static buffer */

static void resolve(void)
{
    if (real_free || atomic_load(&resolving))
        return;
    atomic_store(&resolving, 1);
    real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
    real_valloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "valloc");
    real_pvalloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "pvalloc");
    real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    atomic_store(&resolving, 0);
    if (!real_malloc || !real_calloc || !real_realloc || !real_free) {
        static const char msg[] = "alloccount: cannot find the real malloc\n";
        ssize_t r = write(2, msg, sizeof(msg) - 1);
        (void)r;
        abort();
    }
}

/* ---- the bootstrap buffer ---------------------------------------------------------------- */

#define BOOT_SIZE (64 * 1024)
static _Alignas(16) unsigned char boot_buf[BOOT_SIZE];
static atomic_size_t boot_used;

struct boot_hdr {
    size_t size;
    size_t pad; /* keeps the block 16-aligned */
};

static bool is_boot(const void *p)
{
    return (const unsigned char *)p >= boot_buf && (const unsigned char *)p < boot_buf + BOOT_SIZE;
}

static void *boot_alloc(size_t size)
{
    size_t need = sizeof(struct boot_hdr) + ((size + 15) & ~(size_t)15);
    size_t off = atomic_fetch_add(&boot_used, need);
    if (off + need > BOOT_SIZE) {
        errno = ENOMEM;
        return NULL;
    }
    struct boot_hdr *h = (struct boot_hdr *)(boot_buf + off);
    h->size = size;
    return h + 1; /* static storage: already zero */
}

static size_t boot_size(const void *p)
{
    return ((const struct boot_hdr *)p - 1)->size;
}

/* Serve from the static buffer until the real functions are known. */
static bool use_boot(void)
{
    if (real_free)
        return false;
    if (atomic_load(&resolving))
        return true;
    resolve();
    return false;
}

/* ---- counting ---------------------------------------------------------------------------- */

static atomic_ulong n_alloc; /* allocating calls on UDP threads */
static atomic_ulong n_free;  /* free calls (non-NULL) on UDP threads */
static atomic_int armed;     /* set by the first SIGUSR2: record call sites from then on */

struct site {
    atomic_int ready;
    atomic_ulong hits; /* counted allocations from this caller after arming */
    void *caller;
    const char *fn;
    size_t size;
    int nframes;
    void *frames[SITE_FRAMES];
};
static struct site sites[MAX_SITES];
static atomic_int nsites;

static TLS int t_udp;     /* this thread was seen with a UDP worker's name (names stay) */
static TLS int t_in_hook; /* our own bookkeeping is running on this thread: do not count */

static bool on_udp_thread(void)
{
    if (t_udp)
        return true;
    /* The name is set by the creator after pthread_create, so a thread not yet known as a
     * worker asks again each time. */
    char name[17] = {0};
    if (prctl(PR_GET_NAME, name, 0, 0, 0) != 0)
        return false;
    if (strncmp(name, THREAD_PREFIX, sizeof(THREAD_PREFIX) - 1) != 0)
        return false;
    t_udp = 1;
    return true;
}

__attribute__((noinline)) static void count_alloc(const char *fn, size_t size, void *caller)
{
    if (t_in_hook || !on_udp_thread())
        return;
    atomic_fetch_add(&n_alloc, 1);
    if (!atomic_load(&armed))
        return;
    int have = atomic_load(&nsites);
    for (int j = 0; j < have && j < MAX_SITES; j++) {
        if (atomic_load(&sites[j].ready) && sites[j].caller == caller) {
            atomic_fetch_add(&sites[j].hits, 1);
            return;
        }
    }
    if (have >= MAX_SITES)
        return;
    int i = atomic_fetch_add(&nsites, 1);
    if (i >= MAX_SITES)
        return;
    struct site *s = &sites[i];
    s->caller = caller;
    s->fn = fn;
    s->size = size;
    atomic_store(&s->hits, 1);
    t_in_hook = 1;
    void *bt[SITE_FRAMES + 4];
    int n = backtrace(bt, SITE_FRAMES + 4);
    t_in_hook = 0;
    /* Keep the stack from the hook's caller on (the frames before it are this shim's). When
     * the unwinder's view does not hold that address, the caller alone is kept. */
    int start = n;
    for (int j = 0; j < n; j++) {
        if (bt[j] == caller) {
            start = j;
            break;
        }
    }
    int k = 0;
    if (start == n)
        s->frames[k++] = caller;
    for (int j = start; j < n && k < SITE_FRAMES; j++)
        s->frames[k++] = bt[j];
    s->nframes = k;
    atomic_store(&s->ready, 1);
}

static void count_free(void *p)
{
    if (p && !t_in_hook && on_udp_thread())
        atomic_fetch_add(&n_free, 1);
}

#define CALLER __builtin_extract_return_addr(__builtin_return_address(0))

/* ---- the interposed functions ------------------------------------------------------------ */

EXPORT void *malloc(size_t size)
{
    if (use_boot())
        return boot_alloc(size);
    count_alloc("malloc", size, CALLER);
    return real_malloc(size);
}

EXPORT void *calloc(size_t n, size_t size)
{
    if (use_boot()) {
        if (size && n > SIZE_MAX / size) {
            errno = ENOMEM;
            return NULL;
        }
        return boot_alloc(n * size);
    }
    count_alloc("calloc", n * size, CALLER);
    return real_calloc(n, size);
}

EXPORT void *realloc(void *p, size_t size)
{
    if (use_boot()) {
        void *q = boot_alloc(size);
        if (q && p)
            memcpy(q, p, boot_size(p) < size ? boot_size(p) : size);
        return q;
    }
    count_alloc("realloc", size, CALLER);
    if (p && is_boot(p)) {
        void *q = real_malloc(size ? size : 1);
        if (q)
            memcpy(q, p, boot_size(p) < size ? boot_size(p) : size);
        return q;
    }
    return real_realloc(p, size);
}

/* glibc's reallocarray calls its own realloc directly, past this shim: interposed here. */
EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    if (use_boot())
        return realloc(p, n * size);
    count_alloc("reallocarray", n * size, CALLER);
    t_in_hook = 1;
    void *q = realloc(p, n * size);
    t_in_hook = 0;
    return q;
}

EXPORT void free(void *p)
{
    if (!p || is_boot(p))
        return;
    if (!real_free)
        resolve();
    if (!real_free)
        return; /* cannot happen: every block handed out before resolve() is a boot block */
    count_free(p);
    real_free(p);
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
    if (!real_free)
        resolve();
    count_alloc("posix_memalign", size, CALLER);
    return real_posix_memalign(out, align, size);
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
    if (!real_free)
        resolve();
    count_alloc("aligned_alloc", size, CALLER);
    return real_aligned_alloc(align, size);
}

EXPORT void *memalign(size_t align, size_t size)
{
    if (!real_free)
        resolve();
    count_alloc("memalign", size, CALLER);
    return real_memalign(align, size);
}

EXPORT void *valloc(size_t size)
{
    if (!real_free)
        resolve();
    count_alloc("valloc", size, CALLER);
    return real_valloc(size);
}

EXPORT void *pvalloc(size_t size)
{
    if (!real_free)
        resolve();
    count_alloc("pvalloc", size, CALLER);
    return real_pvalloc(size);
}

/* ---- the report (SIGUSR2) ---------------------------------------------------------------- */

static char out_path[4096];
static char tmp_path[4096 + 8];

struct rbuf {
    char b[8192];
    size_t n;
};

static void put_str(struct rbuf *r, const char *s)
{
    while (*s && r->n < sizeof(r->b))
        r->b[r->n++] = *s++;
}

static void put_num(struct rbuf *r, unsigned long v, unsigned base)
{
    char tmp[32];
    int k = 0;
    do {
        tmp[k++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (base == 16)
        put_str(r, "0x");
    while (k > 0 && r->n < sizeof(r->b))
        r->b[r->n++] = tmp[--k];
}

static void on_sigusr2(int sig)
{
    (void)sig;
    int saved = errno;
    static struct rbuf r; /* reports do not overlap: SIGUSR2 is blocked while this runs */
    r.n = 0;
    put_str(&r, "alloccount 1 pid ");
    put_num(&r, (unsigned long)getpid(), 10);
    put_str(&r, "\ncount ");
    put_num(&r, atomic_load(&n_alloc), 10);
    put_str(&r, "\nfrees ");
    put_num(&r, atomic_load(&n_free), 10);
    int ns = atomic_load(&nsites);
    if (ns > MAX_SITES)
        ns = MAX_SITES;
    put_str(&r, "\nsites ");
    put_num(&r, (unsigned long)ns, 10);
    put_str(&r, "\n");
    for (int i = 0; i < ns; i++) {
        struct site *s = &sites[i];
        if (!atomic_load(&s->ready))
            continue;
        put_str(&r, "site ");
        put_str(&r, s->fn);
        put_str(&r, " ");
        put_num(&r, atomic_load(&s->hits), 10);
        put_str(&r, " ");
        put_num(&r, s->size, 10);
        for (int j = 0; j < s->nframes; j++) {
            put_str(&r, " ");
            put_num(&r, (unsigned long)(uintptr_t)s->frames[j], 16);
        }
        put_str(&r, "\n");
    }
    put_str(&r, "end\n");
    /* A new recording period: the next report shows the callers since this one. (A worker
     * filling a slot right now may leave it behind in the new period: debug output only.) */
    for (int i = 0; i < MAX_SITES; i++)
        atomic_store(&sites[i].ready, 0);
    atomic_store(&nsites, 0);
    atomic_store(&armed, 1);

    int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        size_t off = 0;
        while (off < r.n) {
            ssize_t w = write(fd, r.b + off, r.n - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        close(fd);
        rename(tmp_path, out_path);
    }
    errno = saved;
}

__attribute__((constructor)) static void alloccount_init(void)
{
    resolve();
    /* Loads the unwinder now (backtrace dlopens libgcc_s on first use), not on a worker. */
    void *bt[4];
    t_in_hook = 1;
    backtrace(bt, 4);
    t_in_hook = 0;

    const char *p = getenv("ALLOC_COUNT_FILE");
    if (!p || !*p || strlen(p) >= sizeof(out_path))
        return;
    strcpy(out_path, p);
    strcpy(tmp_path, p);
    strcat(tmp_path, ".tmp");
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigusr2;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR2, &sa, NULL);
}
