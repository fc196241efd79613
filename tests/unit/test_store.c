/*
 * The durable store (src/store/store.c) on a real LMDB environment under a fresh folder in
 * /tmp: the folder is created; puts and deletes in several tables are seen by a scan in
 * order and kept across a reopen; a batch with one bad op applies nothing; an unknown format
 * version, damaged files and a path that is not a folder are refused with a message. The
 * crash test kills a writer with SIGKILL at a random moment, several times over, and checks
 * that every change it had been told was durable is there and that the store still reads
 * and writes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "store/store.h"

static char base[] = "/tmp/nanodns-store-XXXXXX";

static void path_of(char *buf, size_t cap, const char *name)
{
    int n = snprintf(buf, cap, "%s/%s", base, name);
    assert_true(n > 0 && (size_t)n < cap);
}

/* ---- collecting what a scan sees ------------------------------------------------------- */

struct entry {
    enum store_table table;
    uint8_t *key;
    size_t klen;
    uint8_t *val;
    size_t vlen;
};

struct seen {
    struct entry e[64];
    size_t n;
    int stop_after; /* > 0: return -42 once this many were seen */
};

static int seen_visit(void *ctx, enum store_table table, const void *key, size_t klen,
                      const void *val, size_t vlen)
{
    struct seen *s = ctx;
    if (s->n >= sizeof(s->e) / sizeof(s->e[0]))
        return -E2BIG;
    struct entry *e = &s->e[s->n++];
    e->table = table;
    e->key = malloc(klen);
    e->val = malloc(vlen ? vlen : 1);
    assert_non_null(e->key);
    assert_non_null(e->val);
    memcpy(e->key, key, klen);
    if (vlen)
        memcpy(e->val, val, vlen);
    e->klen = klen;
    e->vlen = vlen;
    if (s->stop_after > 0 && s->n == (size_t)s->stop_after)
        return -42;
    return 0;
}

static void seen_clear(struct seen *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i].key);
        free(s->e[i].val);
    }
    memset(s, 0, sizeof(*s));
}

static void seen_expect(const struct seen *s, size_t i, enum store_table table, const void *key,
                        size_t klen, const void *val, size_t vlen)
{
    assert_true(i < s->n);
    const struct entry *e = &s->e[i];
    assert_int_equal(e->table, table);
    assert_int_equal(e->klen, klen);
    assert_memory_equal(e->key, key, klen);
    assert_int_equal(e->vlen, vlen);
    if (vlen)
        assert_memory_equal(e->val, val, vlen);
}

#define PUT(t, k, v)                                                                               \
    (struct store_op)                                                                              \
    {                                                                                              \
        .table = (t), .key = (k), .klen = sizeof(k) - 1, .val = (v), .vlen = sizeof(v) - 1         \
    }
#define DEL(t, k)                                                                                  \
    (struct store_op)                                                                              \
    {                                                                                              \
        .table = (t), .key = (k), .klen = sizeof(k) - 1, .val = NULL, .vlen = 0                    \
    }

static uint8_t maxkey[STORE_KEY_MAX];

/* What test_apply_scan leaves in the store, in scan order. */
static void expect_state(struct store *st)
{
    struct seen s = {0};
    assert_int_equal(store_scan(st, seen_visit, &s), 0);
    assert_int_equal(s.n, 6);
    seen_expect(&s, 0, STORE_RRSETS, "\0z", 2, "zero", 4);
    seen_expect(&s, 1, STORE_RRSETS, "a", 1, "1bis", 4);
    seen_expect(&s, 2, STORE_RRSETS, "ab", 2, "", 0);
    seen_expect(&s, 3, STORE_RRSETS, maxkey, sizeof(maxkey), "max", 3);
    seen_expect(&s, 4, STORE_SERIALS, "zone.", 5, "\0\0\1\2", 4);
    seen_expect(&s, 5, STORE_HOSTS, "h2", 2, "y", 1);
    seen_clear(&s);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_open_creates(void **state)
{
    (void)state;
    char dir[256], f[300], err[256] = "";
    path_of(dir, sizeof(dir), "fresh");
    struct store *st;
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), 0);
    assert_non_null(st);
    struct stat sb;
    assert_int_equal(stat(dir, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(f, sizeof(f), "%s/data.mdb", dir);
    assert_int_equal(stat(f, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(f, sizeof(f), "%s/lock.mdb", dir);
    assert_int_equal(stat(f, &sb), 0);
    /* a new store is empty */
    struct seen s = {0};
    assert_int_equal(store_scan(st, seen_visit, &s), 0);
    assert_int_equal(s.n, 0);
    store_close(st);
    store_close(NULL);
    /* an existing, empty folder is fine too */
    path_of(dir, sizeof(dir), "existing");
    assert_int_equal(mkdir(dir, 0755), 0);
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), 0);
    store_close(st);
}

/* A second opener of the same folder (another process, or this one twice) is refused while
 * the first holds it, and gets it once the first has closed. */
static void test_one_opener(void **state)
{
    (void)state;
    char dir[256], err[256] = "";
    path_of(dir, sizeof(dir), "shared");
    struct store *a, *b;
    assert_int_equal(store_open(dir, &a, err, sizeof(err)), 0);
    assert_int_not_equal(store_open(dir, &b, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "in use by another nanodns process"));
    store_close(a);
    assert_int_equal(store_open(dir, &b, err, sizeof(err)), 0);
    store_close(b);
}

static void test_apply_scan(void **state)
{
    (void)state;
    char dir[256], err[256] = "";
    path_of(dir, sizeof(dir), "apply");
    memset(maxkey, 0xff, sizeof(maxkey));
    struct store *st;
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), 0);

    struct store_op first[] = {
        PUT(STORE_RRSETS, "b", "2"),
        PUT(STORE_RRSETS, "a", "1"),
        PUT(STORE_RRSETS, "ab", ""),
        PUT(STORE_RRSETS, "\0z", "zero"),
        {.table = STORE_RRSETS, .key = maxkey, .klen = sizeof(maxkey), .val = "max", .vlen = 3},
        PUT(STORE_SERIALS, "zone.", "\0\0\1\2"),
        PUT(STORE_HOSTS, "h1", "x"),
        PUT(STORE_HOSTS, "h2", "y"),
    };
    assert_int_equal(store_apply(st, first, sizeof(first) / sizeof(first[0])), 0);
    struct store_op second[] = {
        DEL(STORE_HOSTS, "h1"),
        DEL(STORE_RRSETS, "b"),
        PUT(STORE_RRSETS, "a", "1bis"),
        /* deleting a key that is not there, in a table and in a batch: fine */
        DEL(STORE_SERIALS, "nope."),
    };
    assert_int_equal(store_apply(st, second, sizeof(second) / sizeof(second[0])), 0);
    struct store_op missing = DEL(STORE_HOSTS, "never");
    assert_int_equal(store_apply(st, &missing, 1), 0);
    /* an empty batch does nothing */
    assert_int_equal(store_apply(st, NULL, 0), 0);
    expect_state(st);

    /* fn stops the scan: its code comes back, nothing more is visited */
    struct seen s = {.stop_after = 2};
    assert_int_equal(store_scan(st, seen_visit, &s), -42);
    assert_int_equal(s.n, 2);
    seen_clear(&s);

    /* reopened: all still there */
    store_close(st);
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), 0);
    expect_state(st);
    store_close(st);
}

static void test_bad_batch(void **state)
{
    (void)state;
    char dir[256], err[256] = "";
    path_of(dir, sizeof(dir), "apply"); /* what test_apply_scan left */
    struct store *st;
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), 0);
    static uint8_t longkey[600];
    static uint8_t small[8];
    struct store_op good = PUT(STORE_HOSTS, "new", "v");
    struct store_op good2 = DEL(STORE_RRSETS, "a");
    struct store_op bad[] = {
        {.table = STORE_RRSETS, .key = "k", .klen = 0, .val = "v", .vlen = 1},
        {.table = STORE_RRSETS, .key = longkey, .klen = sizeof(longkey), .val = "v", .vlen = 1},
        {.table = STORE_RRSETS, .key = longkey, .klen = STORE_KEY_MAX + 1, .val = NULL},
        {.table = STORE_RRSETS, .key = NULL, .klen = 1, .val = "v", .vlen = 1},
        {.table = STORE_NTABLES, .key = "k", .klen = 1, .val = "v", .vlen = 1},
        {.table = (enum store_table) - 1, .key = "k", .klen = 1, .val = "v", .vlen = 1},
        /* the size is checked before the value is read */
        {.table = STORE_RRSETS, .key = "k", .klen = 1, .val = small, .vlen = STORE_VAL_MAX + 1},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        /* the bad op first, in the middle and last: the good ones are not applied either */
        struct store_op ops[] = {good, bad[i], good2};
        assert_int_equal(store_apply(st, ops, 3), -EINVAL);
        struct store_op ops2[] = {good, good2, bad[i]};
        assert_int_equal(store_apply(st, ops2, 3), -EINVAL);
        assert_int_equal(store_apply(st, &bad[i], 1), -EINVAL);
        expect_state(st);
    }
    assert_int_equal(store_apply(NULL, &good, 1), -EINVAL);
    assert_int_equal(store_scan(NULL, seen_visit, NULL), -EINVAL);

    /* the largest value is fine, and so is the largest key */
    uint8_t *big = malloc(STORE_VAL_MAX);
    assert_non_null(big);
    for (size_t i = 0; i < STORE_VAL_MAX; i++)
        big[i] = (uint8_t)(i * 131 + 7);
    struct store_op huge = {.table = STORE_SERIALS,
                            .key = longkey,
                            .klen = STORE_KEY_MAX,
                            .val = big,
                            .vlen = STORE_VAL_MAX};
    assert_int_equal(store_apply(st, &huge, 1), 0);
    struct seen s = {0};
    /* the scan copies every value; only look at the size and the content of the big one */
    assert_int_equal(store_scan(st, seen_visit, &s), 0);
    assert_int_equal(s.n, 7);
    /* the zero key sorts before "zone." */
    seen_expect(&s, 4, STORE_SERIALS, longkey, STORE_KEY_MAX, big, STORE_VAL_MAX);
    seen_clear(&s);
    huge.val = NULL;
    assert_int_equal(store_apply(st, &huge, 1), 0);
    free(big);
    expect_state(st);
    store_close(st);
}

/* Writes `v` (len bytes; NULL: delete) under meta "format" with LMDB itself, as a damaged or
 * newer store would have it; with wipe, empties the rrsets table too. */
static void set_format(const char *dir, const void *v, size_t len, int wipe)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, rr;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
    assert_int_equal(mdb_env_set_mapsize(env, (size_t)1 << 30), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    MDB_val key = {.mv_size = 6, .mv_data = "format"};
    if (v) {
        MDB_val val = {.mv_size = len, .mv_data = (void *)v};
        assert_int_equal(mdb_put(txn, meta, &key, &val, 0), 0);
    } else {
        assert_int_equal(mdb_del(txn, meta, &key, NULL), 0);
    }
    if (wipe) {
        assert_int_equal(mdb_dbi_open(txn, "rrsets", 0, &rr), 0);
        assert_int_equal(mdb_drop(txn, rr, 0), 0);
    }
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* Reads meta "format" with LMDB itself; returns its length. */
static size_t get_format(const char *dir, uint8_t *v, size_t cap)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
    assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    MDB_val key = {.mv_size = 6, .mv_data = "format"}, val;
    assert_int_equal(mdb_get(txn, meta, &key, &val), 0);
    size_t n = val.mv_size;
    memcpy(v, val.mv_data, n < cap ? n : cap);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return n;
}

static void test_format_version(void **state)
{
    (void)state;
    char dir[256], err[256] = "";
    path_of(dir, sizeof(dir), "version");
    struct store *st;
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), 0);
    struct store_op op = PUT(STORE_RRSETS, "k", "v");
    assert_int_equal(store_apply(st, &op, 1), 0);
    store_close(st);

    /* a newer format */
    set_format(dir, "\0\0\0\2", 4, 0);
    st = (struct store *)1;
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), STORE_ERR_VERSION);
    assert_null(st);
    assert_non_null(strstr(err, dir));
    assert_non_null(strstr(err, "format version 2"));
    assert_non_null(store_strerror(STORE_ERR_VERSION));

    /* a version that is not 4 bytes */
    set_format(dir, "\0\1", 2, 0);
    err[0] = 0;
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), STORE_ERR_CORRUPT);
    assert_non_null(strstr(err, "unreadable"));

    /* data but no version */
    set_format(dir, NULL, 0, 0);
    err[0] = 0;
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), STORE_ERR_CORRUPT);
    assert_non_null(strstr(err, "no format version"));

    /* version 1 again: opens, the data is there */
    set_format(dir, "\0\0\0\1", 4, 0);
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), 0);
    struct seen s = {0};
    assert_int_equal(store_scan(st, seen_visit, &s), 0);
    assert_int_equal(s.n, 1);
    seen_expect(&s, 0, STORE_RRSETS, "k", 1, "v", 1);
    seen_clear(&s);
    store_close(st);

    /* no version and no data: a new store, version 1 is written */
    set_format(dir, NULL, 0, 1);
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), 0);
    store_close(st);
    uint8_t v[8];
    assert_int_equal(get_format(dir, v, sizeof(v)), 4);
    assert_memory_equal(v, "\0\0\0\1", 4);
}

static void test_bad_paths(void **state)
{
    (void)state;
    char dir[256], f[300], err[256];
    struct store *st = (struct store *)1;

    /* a regular file where the folder should be */
    path_of(dir, sizeof(dir), "file");
    FILE *fp = fopen(dir, "w");
    assert_non_null(fp);
    fputs("not a folder", fp);
    fclose(fp);
    err[0] = 0;
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), -ENOTDIR);
    assert_null(st);
    assert_non_null(strstr(err, dir));
    assert_non_null(strstr(err, "not a folder"));

    /* a folder whose parent does not exist */
    path_of(dir, sizeof(dir), "missing/state");
    err[0] = 0;
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "cannot create: No such file or directory"));

    /* below a regular file */
    path_of(dir, sizeof(dir), "file/state");
    err[0] = 0;
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), -ENOTDIR);
    assert_non_null(strstr(err, "cannot create"));

    /* no folder at all */
    err[0] = 0;
    assert_int_equal(store_open("", &st, err, sizeof(err)), -EINVAL);
    assert_true(strlen(err) > 0);

    /* a folder that is not writable (root may write anywhere: checked as a user only) */
    if (geteuid() != 0) {
        path_of(dir, sizeof(dir), "ro");
        assert_int_equal(mkdir(dir, 0500), 0);
        err[0] = 0;
        assert_int_equal(store_open(dir, &st, err, sizeof(err)), -EACCES);
        assert_non_null(strstr(err, "Permission denied"));
    }

    /* a data.mdb that is not LMDB's */
    path_of(dir, sizeof(dir), "garbage");
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(f, sizeof(f), "%s/data.mdb", dir);
    fp = fopen(f, "w");
    assert_non_null(fp);
    for (int i = 0; i < 16384; i++)
        fputc('x', fp);
    fclose(fp);
    err[0] = 0;
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), STORE_ERR_CORRUPT);
    assert_null(st);
    assert_non_null(strstr(err, "damaged"));

    /* a tiny err buffer, and none at all, are fine */
    path_of(dir, sizeof(dir), "file");
    char tiny[4];
    assert_int_equal(store_open(dir, &st, tiny, sizeof(tiny)), -ENOTDIR);
    assert_int_equal(strlen(tiny), 3);
    assert_int_equal(store_open(dir, &st, NULL, 0), -ENOTDIR);
}

static void test_strerror(void **state)
{
    (void)state;
    assert_non_null(strstr(store_strerror(STORE_ERR_CORRUPT), "damaged"));
    assert_non_null(strstr(store_strerror(STORE_ERR_VERSION), "cannot read"));
    assert_non_null(strstr(store_strerror(-ENOSPC), "full"));
    assert_string_equal(store_strerror(-ENOENT), strerror(ENOENT));
    assert_string_equal(store_strerror(MDB_BAD_TXN), mdb_strerror(MDB_BAD_TXN));
    assert_string_equal(store_strerror(0), "success");
}

/* ---- the crash test -------------------------------------------------------------------- */

static size_t kill_vlen(uint32_t i)
{
    return 8 + (i % 5) * 2500; /* from one page to several overflow pages */
}

static void kill_value(uint32_t i, uint8_t *v)
{
    size_t n = kill_vlen(i);
    for (size_t j = 0; j < n; j++)
        v[j] = (uint8_t)(i * 7 + j);
}

struct kill_check {
    uint32_t next; /* entries are keys 0, 1, 2, ... in order */
    int bad;
    uint8_t buf[8 + 4 * 2500];
};

static int kill_visit(void *ctx, enum store_table table, const void *key, size_t klen,
                      const void *val, size_t vlen)
{
    struct kill_check *c = ctx;
    const uint8_t *k = key;
    if (table != STORE_RRSETS || klen != 4) {
        c->bad = 1;
        return -1;
    }
    uint32_t i = (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 | (uint32_t)k[2] << 8 | k[3];
    kill_value(i, c->buf);
    if (i != c->next || vlen != kill_vlen(i) || memcmp(val, c->buf, vlen) != 0) {
        c->bad = 1;
        return -1;
    }
    c->next++;
    return 0;
}

/* The child: from key `from` on, one put per store_apply; reports each key once it is
 * durable. Runs until it is killed. */
static __attribute__((noreturn)) void kill_child(const char *dir, uint32_t from, int fd)
{
    char err[256];
    struct store *st;
    if (store_open(dir, &st, err, sizeof(err)) != 0)
        _exit(2);
    static uint8_t v[8 + 4 * 2500];
    for (uint32_t i = from; i < from + 1000000; i++) {
        uint8_t k[4] = {i >> 24, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff};
        kill_value(i, v);
        struct store_op op = {
            .table = STORE_RRSETS, .key = k, .klen = 4, .val = v, .vlen = kill_vlen(i)};
        if (store_apply(st, &op, 1) != 0)
            _exit(3);
        if (write(fd, &i, sizeof(i)) != sizeof(i))
            _exit(4);
    }
    _exit(5);
}

static void test_kill(void **state)
{
    (void)state;
    char dir[256], err[256] = "";
    path_of(dir, sizeof(dir), "kill");
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    srand(seed);
    print_message("test_kill: seed %u\n", seed);

    uint32_t next = 0;
    for (int round = 0; round < 6; round++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            kill_child(dir, next, p[1]);
        }
        close(p[1]);
        /* Let it commit some, then kill it at a random moment: most likely in the middle of
         * the next commit, before or after its fsyncs. */
        int want = 3 + rand() % 40;
        int64_t last = -1;
        for (int got = 0; got < want; got++) {
            uint32_t i;
            ssize_t r = read(p[0], &i, sizeof(i));
            if (r != sizeof(i)) {
                int status = 0;
                waitpid(pid, &status, 0);
                fail_msg("the writer stopped early (round %d, status %#x)", round, status);
            }
            assert_int_equal(i, (uint32_t)(last < 0 ? next : (uint32_t)last + 1));
            last = i;
        }
        struct timespec ts = {0, (long)(rand() % 3000) * 1000};
        nanosleep(&ts, NULL);
        assert_int_equal(kill(pid, SIGKILL), 0);
        /* What it reported before it died counts too. */
        uint32_t i;
        while (read(p[0], &i, sizeof(i)) == sizeof(i))
            last = i;
        close(p[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);

        /* Every reported key is there, in order and intact; at most one more (committed,
         * not yet reported). */
        struct store *st;
        assert_int_equal(store_open(dir, &st, err, sizeof(err)), 0);
        struct kill_check c = {0};
        assert_int_equal(store_scan(st, kill_visit, &c), 0);
        assert_false(c.bad);
        assert_true(c.next >= (uint32_t)last + 1);
        assert_true(c.next <= (uint32_t)last + 2);
        store_close(st);
        next = c.next;
    }
    print_message("test_kill: %u durable puts over 6 kills\n", next);

    /* The store still takes writes after all that (the write lock was not left held). */
    struct store *st;
    assert_int_equal(store_open(dir, &st, err, sizeof(err)), 0);
    uint8_t k[4] = {next >> 24, (next >> 16) & 0xff, (next >> 8) & 0xff, next & 0xff};
    static uint8_t v[8 + 4 * 2500];
    kill_value(next, v);
    struct store_op op = {
        .table = STORE_RRSETS, .key = k, .klen = 4, .val = v, .vlen = kill_vlen(next)};
    assert_int_equal(store_apply(st, &op, 1), 0);
    struct kill_check c = {0};
    assert_int_equal(store_scan(st, kill_visit, &c), 0);
    assert_false(c.bad);
    assert_int_equal(c.next, next + 1);
    store_close(st);
}

static int group_setup(void **state)
{
    (void)state;
    return mkdtemp(base) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_creates), cmocka_unit_test(test_apply_scan),
        cmocka_unit_test(test_bad_batch),    cmocka_unit_test(test_format_version),
        cmocka_unit_test(test_bad_paths),    cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_kill),         cmocka_unit_test(test_one_opener),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
