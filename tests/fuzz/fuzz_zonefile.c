/*
 * Fuzz target for dns/zonefile*.c. The input is zone-file text, parsed with origin
 * example.com., $INCLUDE refused and up to 1000 errors. Whatever the text, every record the
 * parser delivers must be sound:
 *  - the owner is a valid absolute name of owner_len bytes that prints and parses back to
 *    the same bytes;
 *  - class IN, a TTL of at most 2^31-1, no meta type (0, OPT, 128..255);
 *  - the RDATA passes dns_rdata_check, prints, and the printed text parses back to the
 *    same bytes (names print absolute and keep their case, so memcmp is exact here; only
 *    the message round trip of fuzz_rdata.c needs case folding, for compression);
 *  - it names the input and a line inside it.
 * Every message names the input and a line inside it too, with a column from 1 to one past
 * the end of that line (bytes, the newline not counted), and the return value agrees with
 * the messages: 0 without errors, ERR_SYNTAX with some (or 1 when the callback stopped the
 * parse). Then the same bytes are written to a file and parsed with dns_zonefile_parse_file:
 * the streaming reader must deliver exactly the records and messages of the parse in memory
 * (build with -DZF_READ_CHUNK=1 to refill at every byte). Any violation aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns/dns.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/zonefile.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Records after which the callback stops the parse, so that a $GENERATE of a million steps
 * does not make one input take seconds. */
#define FUZZ_ZF_MAX_RECORDS 20000

struct fuzz_zf {
    const char *name; /* what records and messages must name */
    unsigned lines;   /* lines in the input: one more than its newlines */
    const uint8_t *data;
    size_t size;
    size_t records;
    size_t errors;
    uint64_t hash; /* of everything reported, in order */
};

static uint8_t wire[65536 + 1024];
static char text[1 << 20];

static void fuzz_zf_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_zonefile: %s: %s\n", what, detail ? detail : "");
    abort();
}

static void fuzz_zf_hash(struct fuzz_zf *f, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        f->hash = (f->hash ^ ((const uint8_t *)p)[i]) * 1099511628211ull;
}

static bool fuzz_zf_meta(uint16_t type)
{
    return type == 0 || type == DNS_TYPE_OPT || (type >= 128 && type <= 255);
}

static int fuzz_zf_rr(void *ctx, const struct dns_zonefile_rr *rr)
{
    struct fuzz_zf *f = ctx;
    char name[4 * DNS_NAME_MAXLEN + 8];
    uint8_t back[DNS_NAME_MAXLEN];
    size_t olen, blen;

    if (strcmp(rr->file, f->name) != 0 || rr->line < 1 || rr->line > f->lines)
        fuzz_zf_fail("record outside the input", rr->file);
    if (dns_name_validate(rr->owner, DNS_NAME_MAXLEN, &olen) != 0 || olen != rr->owner_len)
        fuzz_zf_fail("invalid owner", NULL);
    int n = dns_name_to_text(rr->owner, name, sizeof(name), 0);
    if (n < 0)
        fuzz_zf_fail("owner does not print", NULL);
    if (dns_name_from_text(name, (size_t)n, NULL, back, &blen) != 0 || blen != olen ||
        memcmp(back, rr->owner, olen) != 0)
        fuzz_zf_fail("owner prints as other name", name);
    if (rr->rclass != DNS_CLASS_IN)
        fuzz_zf_fail("class is not IN", name);
    if (rr->ttl > 0x7fffffffu)
        fuzz_zf_fail("TTL above 2^31-1", name);
    if (fuzz_zf_meta(rr->type))
        fuzz_zf_fail("meta type delivered", name);

    if (dns_rdata_check(rr->type, rr->rdata, rr->rdlen) != 0)
        fuzz_zf_fail("RDATA fails the check", name);
    int t = dns_rdata_to_text(rr->type, rr->rdata, rr->rdlen, text, sizeof(text));
    if (t < 0)
        fuzz_zf_fail("RDATA does not print", name);
    struct wbuf w;
    struct dns_rdata_error e;
    wbuf_init(&w, wire, sizeof(wire));
    if (dns_rdata_from_text(rr->type, text, (size_t)t, NULL, &w, &e) != 0)
        fuzz_zf_fail("printed RDATA does not parse", e.msg);
    if (w.pos != rr->rdlen || memcmp(wire, rr->rdata, rr->rdlen) != 0)
        fuzz_zf_fail("printed RDATA parses to other data", text);

    fuzz_zf_hash(f, rr->owner, olen);
    fuzz_zf_hash(f, &rr->type, sizeof(rr->type));
    fuzz_zf_hash(f, &rr->ttl, sizeof(rr->ttl));
    fuzz_zf_hash(f, &rr->line, sizeof(rr->line));
    fuzz_zf_hash(f, &rr->col, sizeof(rr->col));
    fuzz_zf_hash(f, &rr->rdlen, sizeof(rr->rdlen));
    fuzz_zf_hash(f, rr->rdata, rr->rdlen);
    return ++f->records >= FUZZ_ZF_MAX_RECORDS ? 1 : 0;
}

static void fuzz_zf_msg(void *ctx, bool error, const char *file, unsigned line, unsigned col,
                        const char *msg)
{
    struct fuzz_zf *f = ctx;
    if (strcmp(file, f->name) != 0 || line < 1 || line > f->lines)
        fuzz_zf_fail("message outside the input", msg);
    if (msg[0] == 0)
        fuzz_zf_fail("empty message", NULL);
    /* The length of that line: the column may point just past its end (a missing field). */
    size_t i = 0, len = 0;
    for (unsigned l = 1; l < line; i++)
        l += f->data[i] == '\n';
    while (i + len < f->size && f->data[i + len] != '\n')
        len++;
    if (col < 1 || col > len + 1)
        fuzz_zf_fail("column outside the line", msg);
    f->errors += error;
    fuzz_zf_hash(f, &error, sizeof(error));
    fuzz_zf_hash(f, &line, sizeof(line));
    fuzz_zf_hash(f, &col, sizeof(col));
    fuzz_zf_hash(f, msg, strlen(msg) + 1);
}

/* Parses the input, from memory (path NULL) or from the file `path`, and checks the result
 * against the messages. */
static int fuzz_zf_parse(struct fuzz_zf *f, const char *path, const uint8_t *data, size_t size)
{
    static const uint8_t origin[] = "\7example\3com";
    struct dns_zonefile_opts o = {
        .origin = origin,
        .max_errors = 1000,
        .no_include = true,
        .rr = fuzz_zf_rr,
        .msg = fuzz_zf_msg,
        .ctx = f,
    };
    f->name = path ? path : "fuzz";
    f->hash = 14695981039346656037ull;
    int r = path ? dns_zonefile_parse_file(path, &o)
                 : dns_zonefile_parse_string(f->name, (const char *)data, size, &o);
    if (r == 1) {
        if (f->records != FUZZ_ZF_MAX_RECORDS)
            fuzz_zf_fail("stopped without the callback", NULL);
    } else if (r != (f->errors ? ERR_SYNTAX : 0)) {
        fuzz_zf_fail("return value does not match the messages", err_str(r));
    }
    return r;
}

/* A file for the input, made once per process and rewritten for each input. */
static const char *fuzz_zf_file(const uint8_t *data, size_t size)
{
    static char path[64];
    static int fd = -1;
    if (fd < 0) {
        const char *dir = getenv("TMPDIR");
        snprintf(path, sizeof(path), "%.40s/fuzz_zonefile.XXXXXX", dir ? dir : "/tmp");
        fd = mkstemp(path);
        if (fd < 0)
            return NULL;
        /* Unlinked, so that nothing is left behind, and opened again through /proc. */
        char proc[64];
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        if (access(proc, R_OK) == 0 && unlink(path) == 0)
            snprintf(path, sizeof(path), "%s", proc);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        return NULL;
    return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_zf f = {.lines = 1, .data = data, .size = size};
    for (size_t i = 0; i < size; i++)
        f.lines += data[i] == '\n';
    int r = fuzz_zf_parse(&f, NULL, data, size);

    const char *path = fuzz_zf_file(data, size);
    if (!path)
        return 0; /* no temporary file: only the parse in memory */
    struct fuzz_zf g = {.lines = f.lines, .data = data, .size = size};
    int rf = fuzz_zf_parse(&g, path, data, size);
    if (rf != r || g.records != f.records || g.errors != f.errors || g.hash != f.hash)
        fuzz_zf_fail("the file reads differently from the same text in memory", NULL);
    return 0;
}
