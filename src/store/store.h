#pragma once
/*
 * The durable store: an LMDB environment under `server.state_dir` that keeps the dynamic DNS
 * state (RRsets, zone serials, dyndns hosts), one table each, as opaque keys and values. A
 * batch of changes is applied in one write transaction, all or nothing, and store_apply
 * returns only when it is on disk, so a change survives `kill -9` or a power cut once the
 * caller has been told "ok". What the keys and values mean is the caller's business
 * (update/dyn.c).
 *
 * Memory: the store owns its handle (store_close frees it). store_apply copies what it is
 * given; the key and value pointers handed to a store_scan callback point into the memory map
 * and are valid only during that call.
 *
 * Threads: one writer, the control thread, calls store_apply; store_scan is called at
 * start-up, before any write. Not thread-safe otherwise: one caller at a time. A process must
 * not open the same folder twice, and a child process must not use a handle of its parent.
 */

#include <stddef.h>
#include <stdint.h>

enum store_table { STORE_RRSETS, STORE_SERIALS, STORE_HOSTS, STORE_NTABLES };

/* Codes of this module (below -1000, next to util/err.h's). Other LMDB failures are returned
 * as LMDB's own negative codes (-30799..-30780) or as negated errno values; store_strerror
 * names them all. */
enum {
    STORE_ERR_CORRUPT = -1101, /* the files are damaged or are not an LMDB environment */
    STORE_ERR_VERSION = -1102, /* written by a version of nanodns or LMDB this one cannot read */
};

#define STORE_KEY_MAX 511                 /* LMDB's default key size limit */
#define STORE_VAL_MAX (16u * 1024 * 1024) /* our limit on one value */

struct store;

/* Opens the store in `dir`: creates the folder (mode 0700) when it is missing, then the LMDB
 * environment in it (data.mdb and lock.mdb, mode 0600). Checks the format version kept in the
 * meta table: writes 1 into a new store and refuses any other value. On failure returns a
 * negative code and a sentence in err, e.g. "nanodns-state: cannot create: Permission
 * denied". */
int store_open(const char *dir, struct store **out, char *err, size_t errcap);
void store_close(struct store *s); /* NULL: nothing */

/* One change to the store: val NULL = delete the key (deleting a missing key is not an error). */
struct store_op {
    enum store_table table;
    const void *key;
    size_t klen; /* 1..STORE_KEY_MAX bytes; otherwise -EINVAL */
    const void *val;
    size_t vlen; /* 0..STORE_VAL_MAX bytes; otherwise -EINVAL */
};

/* Applies ops[0..n-1] in one LMDB write transaction: all or nothing. Returns only when the
 * transaction is durable on disk (LMDB's synchronous commit). Returns 0 or a negative code:
 * -EINVAL for a bad op (checked before anything is written), -ENOSPC when the map or the disk
 * is full, and so on; on error nothing was applied. n 0: nothing, 0. */
int store_apply(struct store *s, const struct store_op *ops, size_t n);

/* Calls fn for every entry of every table (tables in enum order, keys in LMDB's byte order,
 * i.e. memcmp with the shorter key first) in one read transaction. fn returns 0 to go on or a
 * negative code to stop the scan (any value but 0 stops it); that value is returned. Returns 0
 * when every entry was visited, or a negative code when LMDB failed. */
typedef int (*store_visit_fn)(void *ctx, enum store_table table, const void *key, size_t klen,
                              const void *val, size_t vlen);
int store_scan(struct store *s, store_visit_fn fn, void *ctx);

/* A sentence for a code returned by this module (LMDB codes, errno values and util/err.h
 * codes too). Thread-safe; a static string. */
const char *store_strerror(int code);
