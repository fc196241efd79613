/*
 * Fuzz target: any bytes as the data.mdb of the dynamic DNS store (src/store/store.c, read
 * back by dyn_open in src/update/dyn.c at every start). The bytes are written into a fresh
 * state folder on tmpfs (lock.mdb and nanodns.lock are made anew each time, as after a
 * reboot), then:
 *  - dyn_open must not crash, leak or hang; when it refuses, err holds a sentence;
 *  - when it accepts, the store must stay good to write in: the entries a scan sees are
 *    kept, one more entry is written with store_apply, and after a reopen the scan sees the
 *    same entries plus that one (the round trip).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "update/dyn.h"

static char fuzz_dir[64];
static char fuzz_data[96], fuzz_lock[96], fuzz_flock[96];

static void fuzz_cleanup(void)
{
    unlink(fuzz_data);
    unlink(fuzz_lock);
    unlink(fuzz_flock);
    rmdir(fuzz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* tmpfs when there is one: every input costs a few fsyncs. */
    const char *root = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/nanodns-fuzz-store-%ld", root, (long)getpid());
    snprintf(fuzz_data, sizeof(fuzz_data), "%s/data.mdb", fuzz_dir);
    snprintf(fuzz_lock, sizeof(fuzz_lock), "%s/lock.mdb", fuzz_dir);
    snprintf(fuzz_flock, sizeof(fuzz_flock), "%s/nanodns.lock", fuzz_dir);
    atexit(fuzz_cleanup);
    return 0;
}

/* What a scan saw: a hash of the entries (the probe key left out) and the probe's value. */
struct fuzz_seen {
    uint64_t hash;
    size_t n;
    uint8_t probe[4];
    int have_probe;
};

static const uint8_t fuzz_probe_key[] = "\x05probe\x04test";

static uint64_t fuzz_fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

static int fuzz_visit(void *ctx, enum store_table table, const void *key, size_t klen,
                      const void *val, size_t vlen)
{
    struct fuzz_seen *s = ctx;
    if (table == STORE_SERIALS && klen == sizeof(fuzz_probe_key) &&
        memcmp(key, fuzz_probe_key, klen) == 0) {
        s->have_probe = vlen == 4;
        if (vlen == 4)
            memcpy(s->probe, val, 4);
        return 0;
    }
    uint64_t t = (uint64_t)table;
    s->hash = fuzz_fnv(s->hash, &t, sizeof(t));
    s->hash = fuzz_fnv(s->hash, &klen, sizeof(klen));
    s->hash = fuzz_fnv(s->hash, key, klen);
    s->hash = fuzz_fnv(s->hash, &vlen, sizeof(vlen));
    s->hash = fuzz_fnv(s->hash, val, vlen);
    s->n++;
    return 0;
}

static int fuzz_scan(struct fuzz_seen *s, char *err, size_t errcap)
{
    memset(s, 0, sizeof(*s));
    s->hash = 0xcbf29ce484222325ull;
    struct store *st;
    int r = store_open(fuzz_dir, &st, err, errcap);
    if (r)
        return r;
    r = store_scan(st, fuzz_visit, s);
    store_close(st);
    return r;
}

static void fuzz_round_trip(void)
{
    char err[512] = "";
    struct fuzz_seen before, after;
    if (fuzz_scan(&before, err, sizeof(err)))
        abort(); /* dyn_open read it a moment ago */
    struct store *st;
    if (store_open(fuzz_dir, &st, err, sizeof(err)))
        abort();
    static const uint8_t v[4] = {0x12, 0x34, 0x56, 0x78};
    struct store_op op = {STORE_SERIALS, fuzz_probe_key, sizeof(fuzz_probe_key), v, 4};
    int r = store_apply(st, &op, 1);
    store_close(st);
    if (r == -ENOSPC)
        return;
    if (r) {
        fprintf(stderr, "fuzz_store: a store that loaded refused a write: %s\n", store_strerror(r));
        abort();
    }
    if (fuzz_scan(&after, err, sizeof(err))) {
        fprintf(stderr, "fuzz_store: a store that loaded does not reopen: %s\n", err);
        abort();
    }
    if (after.hash != before.hash || after.n != before.n || !after.have_probe ||
        memcmp(after.probe, v, 4) != 0) {
        fprintf(stderr, "fuzz_store: the round trip changed the store (%zu entries, then %zu)\n",
                before.n, after.n);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_cleanup();
    if (mkdir(fuzz_dir, 0700))
        abort();
    FILE *f = fopen(fuzz_data, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f))
        abort();

    char err[512] = "";
    struct dyn *d = NULL;
    int r = dyn_open(fuzz_dir, &d, err, sizeof(err));
    if (r != 0 && (d || !err[0]))
        abort();
    if (r == 0) {
        if (!d)
            abort();
        dyn_free(d);
        fuzz_round_trip();
    }
    fuzz_cleanup();
    return 0;
}
