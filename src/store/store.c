/*
 * The store on LMDB.
 *
 * Layout: `dir` is an LMDB environment in folder form (data.mdb holds the data, lock.mdb the
 * reader table and the writer mutex). It has four named databases: "rrsets", "serials" and
 * "hosts", one per enum store_table, and "meta", which holds the key "format" with the format
 * version as a 4-byte big-endian number (STORE_FORMAT). The map is 1 GiB: it is address space
 * only, and data.mdb grows as it is used.
 *
 * Durability: every write transaction is committed the way LMDB does by default. The data
 * pages are written and fdatasync'ed, then the meta page that points at them is written through
 * a descriptor opened with O_DSYNC; only that last write makes the transaction visible. A
 * crash (kill -9, a power cut) at any moment therefore leaves either the old or the new state,
 * never a mix, and mdb_txn_commit returns only once the new state is on disk. Flags that trade
 * this away (MDB_NOSYNC, MDB_NOMETASYNC, MDB_WRITEMAP with MDB_MAPASYNC) are never used. When
 * the folder or the environment is new, the folder entries are synced too, so that the file
 * itself survives a power cut.
 *
 * A process killed while it held the write mutex or a reader slot is recovered from by LMDB:
 * the mutex is a robust one, and store_open clears the reader slots of dead processes.
 *
 * Errors: LMDB returns 0, a positive errno value or one of its own negative codes. They are
 * mapped once, in store_code: errno values are negated, a full map becomes -ENOSPC, damaged
 * files STORE_ERR_CORRUPT, a version mismatch STORE_ERR_VERSION; other LMDB codes are kept
 * (they are all below -30000, so they meet neither errno values nor util/err.h codes).
 */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/check.h"
#include "util/err.h"

#define STORE_FORMAT  1u
#define STORE_MAPSIZE ((size_t)1 << 30)

static const char *const store_table_names[STORE_NTABLES] = {
    [STORE_RRSETS] = "rrsets",
    [STORE_SERIALS] = "serials",
    [STORE_HOSTS] = "hosts",
};

struct store {
    int lockfd; /* flock'ed: one process per folder */
    MDB_env *env;
    MDB_dbi dbi[STORE_NTABLES];
    MDB_dbi meta;
};

static int store_code(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return 0;
    case MDB_MAP_FULL:
        return -ENOSPC;
    case MDB_CORRUPTED:
    case MDB_INVALID:
    case MDB_PAGE_NOTFOUND:
        return STORE_ERR_CORRUPT;
    case MDB_VERSION_MISMATCH:
        return STORE_ERR_VERSION;
    case MDB_BAD_VALSIZE:
        return -EINVAL;
    default:
        break;
    }
    return rc > 0 ? -rc : rc;
}

const char *store_strerror(int code)
{
    switch (code) {
    case STORE_ERR_CORRUPT:
        return "the store's files are damaged or are not an LMDB environment";
    case STORE_ERR_VERSION:
        return "the store was written by a version of nanodns or LMDB that this one cannot read";
    case -ENOSPC:
        return "the store is full (its 1 GiB map or the disk)";
    default:
        break;
    }
    if (code >= MDB_KEYEXIST && code <= MDB_LAST_ERRCODE)
        return mdb_strerror(code);
    return err_str(code);
}

static void store_err(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void store_err(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

/* Makes the entries of folder `path` durable (a new file in it, or a new subfolder). */
static int store_sync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

/* Syncs the folder that holds `dir`, after dir was created in it. */
static int store_sync_parent(const char *dir)
{
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    while (len > 0 && dir[len - 1] != '/')
        len--;
    if (len == 0)
        return store_sync_dir(".");
    char *parent = malloc(len + 1);
    if (!parent)
        return -ENOMEM;
    memcpy(parent, dir, len);
    parent[len] = 0;
    int rc = store_sync_dir(parent);
    free(parent);
    return rc;
}

/* Creates `dir` when it is missing and checks that it is a folder. *created tells whether it
 * was made here. */
static int store_make_dir(const char *dir, bool *created, char *err, size_t cap)
{
    *created = false;
    if (mkdir(dir, 0700) == 0) {
        *created = true;
        int rc = store_sync_parent(dir);
        if (rc < 0) {
            store_err(err, cap, "%s: cannot sync the folder that holds it: %s", dir,
                      store_strerror(rc));
            return rc;
        }
    } else if (errno != EEXIST) {
        int rc = -errno;
        store_err(err, cap, "%s: cannot create: %s", dir, store_strerror(rc));
        return rc;
    }
    struct stat st;
    if (stat(dir, &st) < 0) {
        int rc = -errno;
        store_err(err, cap, "%s: cannot open: %s", dir, store_strerror(rc));
        return rc;
    }
    if (!S_ISDIR(st.st_mode)) {
        store_err(err, cap, "%s: not a folder (the store needs a folder of its own)", dir);
        return -ENOTDIR;
    }
    return 0;
}

/* True when no table holds an entry. */
static int store_tables_empty(struct store *s, MDB_txn *txn, bool *empty)
{
    *empty = true;
    for (int t = 0; t < STORE_NTABLES; t++) {
        MDB_stat st;
        int rc = mdb_stat(txn, s->dbi[t], &st);
        if (rc != 0)
            return store_code(rc);
        if (st.ms_entries > 0)
            *empty = false;
    }
    return 0;
}

/* Opens the tables and checks (or, in a new store, writes) the format version, in one write
 * transaction. *is_new tells whether the version was written here. */
static int store_setup(struct store *s, const char *dir, bool *is_new, char *err, size_t cap)
{
    static const char format_key[] = "format";
    *is_new = false;
    MDB_txn *txn = NULL;
    int rc = store_code(mdb_txn_begin(s->env, NULL, 0, &txn));
    if (rc < 0) {
        store_err(err, cap, "%s: cannot begin a transaction: %s", dir, store_strerror(rc));
        return rc;
    }
    for (int t = 0; t < STORE_NTABLES; t++) {
        rc = store_code(mdb_dbi_open(txn, store_table_names[t], MDB_CREATE, &s->dbi[t]));
        if (rc < 0) {
            store_err(err, cap, "%s: cannot open table %s: %s", dir, store_table_names[t],
                      store_strerror(rc));
            goto fail;
        }
    }
    rc = store_code(mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta));
    if (rc < 0) {
        store_err(err, cap, "%s: cannot open table meta: %s", dir, store_strerror(rc));
        goto fail;
    }

    MDB_val key = {.mv_size = sizeof(format_key) - 1, .mv_data = (void *)format_key};
    MDB_val val;
    int got = mdb_get(txn, s->meta, &key, &val);
    if (got == MDB_NOTFOUND) {
        /* The tables and the version are created in one transaction, so a store with data
         * but no version was not written by us. */
        bool empty;
        rc = store_tables_empty(s, txn, &empty);
        if (rc < 0) {
            store_err(err, cap, "%s: %s", dir, store_strerror(rc));
            goto fail;
        }
        if (!empty) {
            store_err(err, cap, "%s: the store holds data but no format version", dir);
            rc = STORE_ERR_CORRUPT;
            goto fail;
        }
        uint8_t v[4] = {STORE_FORMAT >> 24, (STORE_FORMAT >> 16) & 0xff, (STORE_FORMAT >> 8) & 0xff,
                        STORE_FORMAT & 0xff};
        val = (MDB_val){.mv_size = sizeof(v), .mv_data = v};
        rc = store_code(mdb_put(txn, s->meta, &key, &val, 0));
        if (rc < 0) {
            store_err(err, cap, "%s: cannot write the format version: %s", dir, store_strerror(rc));
            goto fail;
        }
        *is_new = true;
    } else if (got != 0) {
        rc = store_code(got);
        store_err(err, cap, "%s: cannot read the format version: %s", dir, store_strerror(rc));
        goto fail;
    } else if (val.mv_size != 4) {
        store_err(err, cap, "%s: the store's format version is unreadable (%zu bytes, not 4)", dir,
                  val.mv_size);
        rc = STORE_ERR_CORRUPT;
        goto fail;
    } else {
        const uint8_t *p = val.mv_data;
        uint32_t v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        if (v != STORE_FORMAT) {
            store_err(err, cap,
                      "%s: the store has format version %u; this nanodns reads version %u only",
                      dir, v, STORE_FORMAT);
            rc = STORE_ERR_VERSION;
            goto fail;
        }
    }

    /* Commit even when nothing was written: the table handles live on only after a commit. */
    rc = store_code(mdb_txn_commit(txn));
    if (rc < 0)
        store_err(err, cap, "%s: cannot commit: %s", dir, store_strerror(rc));
    return rc;

fail:
    mdb_txn_abort(txn);
    return rc;
}

int store_open(const char *dir, struct store **out, char *err, size_t errcap)
{
    *out = NULL;
    if (!dir || !*dir) {
        store_err(err, errcap, "the store needs a folder (server.state_dir is empty)");
        return -EINVAL;
    }
    bool created;
    int rc = store_make_dir(dir, &created, err, errcap);
    if (rc < 0)
        return rc;

    struct store *s = calloc(1, sizeof(*s));
    if (!s) {
        store_err(err, errcap, "%s: out of memory", dir);
        return -ENOMEM;
    }
    s->lockfd = -1;
    /* Two processes on one folder would each keep their own picture of it in memory and
     * lose each other's changes: the second is refused. */
    char lockpath[4096];
    snprintf(lockpath, sizeof(lockpath), "%s/nanodns.lock", dir);
    s->lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lockfd < 0 || flock(s->lockfd, LOCK_EX | LOCK_NB) < 0) {
        rc = -errno;
        store_err(err, errcap, "%s: %s", dir,
                  rc == -EWOULDBLOCK ? "in use by another nanodns process" : strerror(-rc));
        goto fail;
    }
    /* LMDB trusts data.mdb: a damaged one is refused here, before LMDB maps it. */
    char datapath[4096];
    snprintf(datapath, sizeof(datapath), "%s/data.mdb", dir);
    rc = store_check_file(datapath, err, errcap);
    if (rc < 0)
        goto fail;
    rc = store_code(mdb_env_create(&s->env));
    if (rc < 0) {
        s->env = NULL;
        store_err(err, errcap, "%s: cannot create an LMDB environment: %s", dir,
                  store_strerror(rc));
        goto fail;
    }
    rc = store_code(mdb_env_set_maxdbs(s->env, STORE_NTABLES + 1));
    if (rc == 0)
        rc = store_code(mdb_env_set_mapsize(s->env, STORE_MAPSIZE));
    if (rc < 0) {
        store_err(err, errcap, "%s: cannot set up the LMDB environment: %s", dir,
                  store_strerror(rc));
        goto fail;
    }
    /* MDB_NOTLS: a read transaction is not tied to the thread that began it. No flag that
     * weakens durability is given (see the note at the top). */
    rc = store_code(mdb_env_open(s->env, dir, MDB_NOTLS, 0600));
    if (rc < 0) {
        store_err(err, errcap, "%s: cannot open: %s", dir, store_strerror(rc));
        goto fail;
    }
    /* Free the reader slots of processes that died holding them (kill -9). */
    int dead;
    rc = store_code(mdb_reader_check(s->env, &dead));
    if (rc < 0) {
        store_err(err, errcap, "%s: cannot check the reader table: %s", dir, store_strerror(rc));
        goto fail;
    }
    bool is_new;
    rc = store_setup(s, dir, &is_new, err, errcap);
    if (rc < 0)
        goto fail;
    if (created || is_new) {
        rc = store_sync_dir(dir);
        if (rc < 0) {
            store_err(err, errcap, "%s: cannot sync the folder: %s", dir, store_strerror(rc));
            goto fail;
        }
    }
    *out = s;
    return 0;

fail:
    store_close(s);
    return rc;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    if (s->env)
        mdb_env_close(s->env);
    if (s->lockfd >= 0)
        close(s->lockfd);
    free(s);
}

static bool store_op_valid(const struct store_op *op)
{
    if ((unsigned)op->table >= STORE_NTABLES)
        return false;
    if (!op->key || op->klen == 0 || op->klen > STORE_KEY_MAX)
        return false;
    if (op->val && op->vlen > STORE_VAL_MAX)
        return false;
    return true;
}

int store_apply(struct store *s, const struct store_op *ops, size_t n)
{
    if (n == 0)
        return 0;
    if (!s || !ops)
        return -EINVAL;
    /* Check every op before the transaction begins, so that a bad one costs no write. */
    for (size_t i = 0; i < n; i++) {
        if (!store_op_valid(&ops[i]))
            return -EINVAL;
    }
    MDB_txn *txn;
    int rc = store_code(mdb_txn_begin(s->env, NULL, 0, &txn));
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        const struct store_op *op = &ops[i];
        MDB_val key = {.mv_size = op->klen, .mv_data = (void *)op->key};
        MDB_dbi dbi = s->dbi[op->table];
        if (op->val) {
            MDB_val val = {.mv_size = op->vlen, .mv_data = (void *)op->val};
            rc = mdb_put(txn, dbi, &key, &val, 0);
        } else {
            rc = mdb_del(txn, dbi, &key, NULL);
            if (rc == MDB_NOTFOUND)
                rc = 0;
        }
        if (rc != 0) {
            mdb_txn_abort(txn);
            return store_code(rc);
        }
    }
    /* Synchronous: returns once the data and then the meta page are on disk. On failure the
     * transaction is freed and the previous state stays current. */
    return store_code(mdb_txn_commit(txn));
}

/* Visits one table. Returns 0, what fn returned when it was not 0, or an LMDB failure. */
static int store_scan_table(struct store *s, MDB_txn *txn, enum store_table t, store_visit_fn fn,
                            void *ctx)
{
    MDB_cursor *cur;
    int rc = store_code(mdb_cursor_open(txn, s->dbi[t], &cur));
    if (rc < 0)
        return rc;
    MDB_val key, val;
    int got = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
    while (got == 0) {
        rc = fn(ctx, t, key.mv_data, key.mv_size, val.mv_data, val.mv_size);
        if (rc != 0)
            break;
        got = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    if (rc == 0 && got != MDB_NOTFOUND)
        rc = store_code(got);
    mdb_cursor_close(cur);
    return rc;
}

int store_scan(struct store *s, store_visit_fn fn, void *ctx)
{
    if (!s || !fn)
        return -EINVAL;
    MDB_txn *txn;
    int rc = store_code(mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn));
    if (rc < 0)
        return rc;
    for (int t = 0; t < STORE_NTABLES && rc == 0; t++)
        rc = store_scan_table(s, txn, (enum store_table)t, fn, ctx);
    mdb_txn_abort(txn);
    return rc;
}
