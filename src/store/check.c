/*
 * The check of data.mdb (see store/check.h for why).
 *
 * The layout is LMDB 0.9's on 64-bit hosts, in host byte order as LMDB writes it:
 *  - a page is a 16-byte header (page number 8, pad 2, flags 2, then either lower and upper
 *    (2 + 2), the ends of the node-offset array and of the free gap, or, on an overflow
 *    page, the number of pages (4)), then the node offsets (2 bytes each);
 *  - a node is data size low and high (2 + 2; on a branch page the child's page number, with
 *    the flags field as its top 16 bits), flags (2), key size (2), the key, then the data;
 *    F_BIGDATA: the data is the page number of its overflow pages; F_SUBDATA: the data is
 *    the record of a named table;
 *  - pages 0 and 1 are meta pages: the header, then magic, version, map address, map size,
 *    the records of the free list and of the main table (48 bytes each: pad 4 (page size in
 *    the free list's), flags 2, depth 2, branch, leaf and overflow page counts, entries,
 *    root: 8 each), the last page in use and the transaction id.
 *  - The free list's keys are transaction ids (8 bytes) and its values lists of page
 *    numbers: a count, then the page numbers in descending order.
 *
 * Every page reached is marked in a bitmap, so a page that two places use (a cycle, two
 * tables sharing a subtree, a free page that is still in use) is found, and the walk ends.
 */
#include "store/check.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"

_Static_assert(sizeof(size_t) == 8, "the check knows LMDB's layout on 64-bit hosts only");

#define CHK_PAGEHDR  16u
#define CHK_NODEHDR  8u
#define CHK_METASIZE (CHK_PAGEHDR + 136u)
#define CHK_DBSIZE   48u
#define CHK_MAGIC    0xBEEFC0DEu
#define CHK_VERSION  1u
#define CHK_INVALID  UINT64_MAX
#define CHK_STACK    32 /* LMDB's cursor stack: no deeper tree can be read */
#define CHK_MAXKEY   511u

enum { CHK_P_BRANCH = 0x01, CHK_P_LEAF = 0x02, CHK_P_OVERFLOW = 0x04, CHK_P_META = 0x08 };
enum { CHK_F_BIGDATA = 0x01, CHK_F_SUBDATA = 0x02, CHK_F_DUPDATA = 0x04 };

/* Table flags that change how LMDB reads a table's pages; nanodns never sets them. */
#define CHK_DB_FLAGS_BAD                                                                           \
    (MDB_REVERSEKEY | MDB_DUPSORT | MDB_INTEGERKEY | MDB_DUPFIXED | MDB_INTEGERDUP | MDB_REVERSEDUP)

enum chk_kind { CHK_FREE, CHK_MAIN, CHK_NAMED };

struct chk_db {
    uint16_t flags, depth;
    uint64_t entries, root;
};

struct chk {
    const uint8_t *map;
    size_t size, psize, nodemax;
    uint64_t npages;  /* pages in use: the last one + 1 */
    uint8_t *used;    /* one bit a page */
    uint64_t entries; /* leaf nodes seen in the table being walked */
    const char *path;
    char table[64]; /* the table being walked, for messages */
    char *err;
    size_t errcap;
};

static int chk_fail(struct chk *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int chk_fail(struct chk *c, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (c->err && c->errcap)
        snprintf(c->err, c->errcap,
                 "%s: the store's data file is damaged (%s%s%s); it was left as it is: restore it "
                 "from a backup or move the folder away to start with an empty store",
                 c->path, c->table[0] ? c->table : "", c->table[0] ? ": " : "", what);
    return STORE_ERR_CORRUPT;
}

static uint16_t chk_u16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint32_t chk_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t chk_u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static void chk_db_read(const uint8_t *p, struct chk_db *db)
{
    db->flags = chk_u16(p + 4);
    db->depth = chk_u16(p + 6);
    db->entries = chk_u64(p + 32);
    db->root = chk_u64(p + 40);
}

/* Marks pages pgno .. pgno + n - 1 as used: each must exist and be used once. */
static int chk_mark(struct chk *c, uint64_t pgno, uint64_t n)
{
    if (pgno < 2 || n == 0 || pgno >= c->npages || n > c->npages - pgno)
        return chk_fail(c, "page %llu%s is outside the %llu pages in use", (unsigned long long)pgno,
                        n > 1 ? " and the ones after it" : "", (unsigned long long)c->npages);
    for (uint64_t i = pgno; i < pgno + n; i++) {
        if (c->used[i >> 3] & (1u << (i & 7)))
            return chk_fail(c, "page %llu is used twice", (unsigned long long)i);
        c->used[i >> 3] |= (uint8_t)(1u << (i & 7));
    }
    return 0;
}

static const uint8_t *chk_page(const struct chk *c, uint64_t pgno)
{
    return c->map + pgno * c->psize;
}

static int chk_cmp(enum chk_kind kind, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (kind == CHK_FREE) { /* 8-byte integer keys (both were checked to be 8 bytes) */
        uint64_t x = chk_u64(a), y = chk_u64(b);
        return (x > y) - (x < y);
    }
    int r = memcmp(a, b, alen < blen ? alen : blen);
    return r ? r : (alen > blen) - (alen < blen);
}

/* The pages of a value on overflow pages: the page after the header holds `dsize` bytes.
 * *data points at them. */
static int chk_overflow(struct chk *c, uint64_t pgno, size_t dsize, const uint8_t **data)
{
    if (pgno < 2 || pgno >= c->npages)
        return chk_fail(c, "overflow page %llu is outside the %llu pages in use",
                        (unsigned long long)pgno, (unsigned long long)c->npages);
    const uint8_t *p = chk_page(c, pgno);
    uint32_t n = chk_u32(p + 12);
    if (chk_u64(p) != pgno || chk_u16(p + 10) != CHK_P_OVERFLOW)
        return chk_fail(c, "page %llu is not the overflow page a node points to",
                        (unsigned long long)pgno);
    if (n == 0 || dsize > (uint64_t)n * c->psize - CHK_PAGEHDR)
        return chk_fail(c, "overflow page %llu: %zu bytes do not fit in its %u pages",
                        (unsigned long long)pgno, dsize, n);
    int r = chk_mark(c, pgno, n);
    *data = p + CHK_PAGEHDR;
    return r;
}

/* A value of the free list: a count, then that many page numbers, descending. They are
 * marked, so a page both free and in use is found. */
static int chk_free_ids(struct chk *c, const uint8_t *data, size_t dsize)
{
    if (dsize < 8 || dsize % 8)
        return chk_fail(c, "a free list of %zu bytes", dsize);
    uint64_t n = chk_u64(data);
    if (n > dsize / 8 - 1)
        return chk_fail(c, "a free list of %llu pages in %zu bytes", (unsigned long long)n, dsize);
    for (uint64_t i = 1; i <= n; i++) {
        uint64_t pg = chk_u64(data + 8 * i);
        if (i > 1 && pg >= chk_u64(data + 8 * (i - 1)))
            return chk_fail(c, "a free list out of order");
        int r = chk_mark(c, pg, 1);
        if (r)
            return r;
    }
    return 0;
}

static int chk_tree(struct chk *c, enum chk_kind kind, const struct chk_db *db);

/* One page of a tree at `level` (0: the root) of `depth`, with its keys in [lo, hi) (NULL:
 * no bound). */
static int chk_walk(struct chk *c, enum chk_kind kind, uint64_t pgno, unsigned level,
                    unsigned depth, const uint8_t *lo, size_t lolen, const uint8_t *hi,
                    size_t hilen)
{
    int r = chk_mark(c, pgno, 1);
    if (r)
        return r;
    const uint8_t *p = chk_page(c, pgno);
    uint16_t flags = chk_u16(p + 10), lower = chk_u16(p + 12), upper = chk_u16(p + 14);
    bool leaf = level + 1 == depth;
    if (chk_u64(p) != pgno)
        return chk_fail(c, "page %llu holds the number %llu", (unsigned long long)pgno,
                        (unsigned long long)chk_u64(p));
    if (flags != (leaf ? CHK_P_LEAF : CHK_P_BRANCH))
        return chk_fail(c, "page %llu: flags 0x%x where a %s page belongs",
                        (unsigned long long)pgno, flags, leaf ? "leaf" : "branch");
    if (lower < CHK_PAGEHDR + 2 || (lower - CHK_PAGEHDR) % 2 || lower > upper || upper > c->psize)
        return chk_fail(c, "page %llu: bad bounds %u..%u", (unsigned long long)pgno, lower, upper);
    size_t n = (lower - CHK_PAGEHDR) / 2;
    /* The nodes must tile [upper, psize) exactly, each at an even offset with its size
     * rounded up to even, as LMDB lays them out: its free-space sums and the memmove of a
     * node it deletes rely on it. One bit per 2 bytes. */
    uint8_t tiles[32768 / 2 / 8];
    size_t covered = 0;
    memset(tiles, 0, c->psize / 16);
    const uint8_t *prev = NULL;
    size_t prevlen = 0;
    for (size_t i = 0; i < n; i++) {
        size_t off = chk_u16(p + CHK_PAGEHDR + 2 * i);
        if (off % 2 || off < upper || off + CHK_NODEHDR > c->psize)
            return chk_fail(c, "page %llu: node %zu at offset %zu", (unsigned long long)pgno, i,
                            off);
        const uint8_t *node = p + off;
        size_t dsize = chk_u16(node) | (size_t)chk_u16(node + 2) << 16;
        uint16_t nflags = chk_u16(node + 4);
        size_t ksize = chk_u16(node + 6);
        const uint8_t *key = node + CHK_NODEHDR;
        size_t inline_size = leaf ? (nflags & CHK_F_BIGDATA ? 8 : dsize) : 0;
        size_t raw = CHK_NODEHDR + ksize + inline_size, nsize = (raw + 1) & ~(size_t)1;
        if (ksize > CHK_MAXKEY || nsize > c->psize - off || raw > c->nodemax)
            return chk_fail(c, "page %llu: node %zu does not fit", (unsigned long long)pgno, i);
        for (size_t u = off / 2; u < (off + nsize) / 2; u++) {
            if (tiles[u >> 3] & (1u << (u & 7)))
                return chk_fail(c, "page %llu: node %zu overlaps another", (unsigned long long)pgno,
                                i);
            tiles[u >> 3] |= (uint8_t)(1u << (u & 7));
        }
        covered += nsize;
        bool first_branch = !leaf && i == 0; /* its key is not used */
        if (!first_branch) {
            if (kind == CHK_FREE ? ksize != 8 : ksize == 0)
                return chk_fail(c, "page %llu: node %zu has a key of %zu bytes",
                                (unsigned long long)pgno, i, ksize);
            if ((prev && chk_cmp(kind, prev, prevlen, key, ksize) >= 0) ||
                (!prev && lo && chk_cmp(kind, lo, lolen, key, ksize) > 0) ||
                (hi && chk_cmp(kind, key, ksize, hi, hilen) >= 0))
                return chk_fail(c, "page %llu: node %zu: keys out of order",
                                (unsigned long long)pgno, i);
            prev = key;
            prevlen = ksize;
        }
        if (!leaf) {
            uint64_t child = dsize | (uint64_t)nflags << 32;
            const uint8_t *clo = i == 0 ? lo : key, *chi = hi;
            size_t clolen = i == 0 ? lolen : ksize, chilen = hilen;
            if (i + 1 < n) {
                size_t noff = chk_u16(p + CHK_PAGEHDR + 2 * (i + 1));
                /* The next key bounds this child: checked before it is compared with. */
                if (noff % 2 || noff < upper || noff + CHK_NODEHDR > c->psize)
                    return chk_fail(c, "page %llu: node %zu at offset %zu",
                                    (unsigned long long)pgno, i + 1, noff);
                chilen = chk_u16(p + noff + 6);
                if (chilen > c->psize - noff - CHK_NODEHDR || (kind == CHK_FREE && chilen != 8))
                    return chk_fail(c, "page %llu: node %zu has a key of %zu bytes",
                                    (unsigned long long)pgno, i + 1, chilen);
                chi = p + noff + CHK_NODEHDR;
            }
            r = chk_walk(c, kind, child, level + 1, depth, clo, clolen, chi, chilen);
            if (r)
                return r;
            continue;
        }
        c->entries++;
        uint16_t allowed = CHK_F_BIGDATA | (kind == CHK_MAIN ? CHK_F_SUBDATA : 0);
        if (nflags & ~allowed || (nflags & CHK_F_SUBDATA && nflags & CHK_F_BIGDATA))
            return chk_fail(c, "page %llu: node %zu has flags 0x%x", (unsigned long long)pgno, i,
                            nflags);
        const uint8_t *data = key + ksize;
        if (nflags & CHK_F_BIGDATA) {
            r = chk_overflow(c, chk_u64(data), dsize, &data);
            if (r)
                return r;
        }
        if (kind == CHK_FREE) {
            r = chk_free_ids(c, data, dsize);
        } else if (nflags & CHK_F_SUBDATA) {
            if (dsize != CHK_DBSIZE)
                return chk_fail(c, "page %llu: a table record of %zu bytes",
                                (unsigned long long)pgno, dsize);
            struct chk_db sub;
            chk_db_read(data, &sub);
            char saved[sizeof(c->table)];
            uint64_t saved_entries = c->entries;
            memcpy(saved, c->table, sizeof(saved));
            snprintf(c->table, sizeof(c->table), "table \"%.*s\"", (int)(ksize > 32 ? 32 : ksize),
                     (const char *)key);
            r = chk_tree(c, CHK_NAMED, &sub);
            memcpy(c->table, saved, sizeof(saved));
            c->entries = saved_entries;
        }
        if (r)
            return r;
    }
    if (covered != c->psize - upper)
        return chk_fail(c, "page %llu: its nodes do not fill it up to %u", (unsigned long long)pgno,
                        upper);
    return 0;
}

static int chk_tree(struct chk *c, enum chk_kind kind, const struct chk_db *db)
{
    uint16_t bad = kind == CHK_FREE ? CHK_DB_FLAGS_BAD & ~MDB_INTEGERKEY : CHK_DB_FLAGS_BAD;
    if (db->flags & bad)
        return chk_fail(c, "table flags 0x%x", db->flags);
    if (db->root == CHK_INVALID) {
        if (db->depth || db->entries)
            return chk_fail(c, "an empty table of depth %u with %llu entries", db->depth,
                            (unsigned long long)db->entries);
        return 0;
    }
    if (db->depth < 1 || db->depth > CHK_STACK)
        return chk_fail(c, "a table of depth %u", db->depth);
    c->entries = 0;
    int r = chk_walk(c, kind, db->root, 0, db->depth, NULL, 0, NULL, 0);
    if (!r && c->entries != db->entries)
        return chk_fail(c, "%llu entries where the record says %llu",
                        (unsigned long long)c->entries, (unsigned long long)db->entries);
    return r;
}

/* The meta page at `off`: magic, version and page size. */
static int chk_meta(struct chk *c, size_t off, int which)
{
    const uint8_t *p = c->map + off, *m = p + CHK_PAGEHDR;
    if (!(chk_u16(p + 10) & CHK_P_META) || chk_u32(m) != CHK_MAGIC)
        return chk_fail(c, "meta page %d is not an LMDB meta page", which);
    if (chk_u32(m + 4) != CHK_VERSION)
        return chk_fail(c, "meta page %d has LMDB data version %u", which, chk_u32(m + 4));
    return 0;
}

static int chk_run(struct chk *c)
{
    if (c->size < CHK_METASIZE)
        return chk_fail(c, "%zu bytes, too short for a meta page", c->size);
    int r = chk_meta(c, 0, 0);
    if (r)
        return r;
    c->psize = chk_u32(c->map + CHK_PAGEHDR + 24); /* the free list's pad */
    if (c->psize < 512 || c->psize > 32768 || (c->psize & (c->psize - 1)))
        return chk_fail(c, "a page size of %zu bytes", c->psize);
    if (c->size < c->psize + CHK_METASIZE)
        return chk_fail(c, "%zu bytes, too short for two meta pages", c->size);
    if ((r = chk_meta(c, c->psize, 1)))
        return r;
    if (chk_u32(c->map + c->psize + CHK_PAGEHDR + 24) != c->psize)
        return chk_fail(c, "the meta pages disagree on the page size");
    c->nodemax = (((c->psize - CHK_PAGEHDR) / 2) & ~(size_t)1) - 2;

    /* LMDB takes the higher transaction id of the two meta pages, but then reads the meta
     * page of that id's parity (the page a commit of it writes), which is the other page
     * when the id does not match its own: such a file was not written by LMDB. */
    const uint8_t *m0 = c->map + CHK_PAGEHDR, *m1 = c->map + c->psize + CHK_PAGEHDR;
    uint64_t t0 = chk_u64(m0 + 128), t1 = chk_u64(m1 + 128);
    int which = t0 < t1;
    uint64_t txnid = which ? t1 : t0;
    if ((txnid & 1) != (uint64_t)which)
        return chk_fail(c, "meta page %d has transaction id %llu, which belongs in meta page %d",
                        which, (unsigned long long)txnid, (int)(txnid & 1));
    const uint8_t *m = which ? m1 : m0;
    uint64_t last = chk_u64(m + 120);
    if (last < 1 || last >= c->size / c->psize)
        return chk_fail(c, "the last page in use is %llu but the file holds %zu pages",
                        (unsigned long long)last, c->size / c->psize);
    c->npages = last + 1;
    c->used = calloc((size_t)(c->npages + 7) / 8, 1);
    if (!c->used) {
        snprintf(c->err, c->errcap, "%s: out of memory", c->path);
        return -ENOMEM;
    }
    struct chk_db free_db, main_db;
    chk_db_read(m + 24, &free_db);
    chk_db_read(m + 24 + CHK_DBSIZE, &main_db);
    snprintf(c->table, sizeof(c->table), "the main table");
    r = chk_tree(c, CHK_MAIN, &main_db);
    if (!r) {
        snprintf(c->table, sizeof(c->table), "the free list");
        r = chk_tree(c, CHK_FREE, &free_db);
    }
    return r;
}

int store_check_file(const char *path, char *err, size_t errcap)
{
    struct chk c = {.path = path, .err = err, .errcap = errcap};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        int rc = -errno;
        snprintf(err, errcap, "%s: cannot open: %s", path, strerror(-rc));
        return rc;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int rc = -errno;
        close(fd);
        snprintf(err, errcap, "%s: cannot read: %s", path, strerror(-rc));
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return chk_fail(&c, "not a regular file");
    }
    if (st.st_size == 0) { /* LMDB starts a new one */
        close(fd);
        return 0;
    }
    c.size = (size_t)st.st_size;
    void *map = mmap(NULL, c.size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        int rc = -errno;
        snprintf(err, errcap, "%s: cannot map: %s", path, strerror(-rc));
        return rc;
    }
    c.map = map;
    int r = chk_run(&c);
    free(c.used);
    munmap(map, c.size);
    return r;
}
