/*
 * Zone-file entries: directives ($ORIGIN, $TTL, $INCLUDE, $GENERATE) and resource records.
 * The lexer (zonefile_lex.c) hands over one logical line at a time; each is handled on its
 * own, so an error costs only that entry.
 */
#include "dns/zonefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dns/dns.h"
#include "dns/rdata.h"
#include "dns/zonefile_int.h"
#include "util/err.h"
#include "util/wbuf.h"

#define ZF_FILE_MAX     (1ull << 31)
#define ZF_GENERATE_MAX 1000000

static int zf_parse(struct dns_zonefile *zf, struct dns_zonefile_src *src,
                    struct dns_zonefile_state *st);

/* A token for messages: shortened, never NUL-terminated in the source. */
static int zf_show(const struct dns_tok *t)
{
    return t->len > 60 ? 60 : (int)t->len;
}

static bool zf_is_meta(uint16_t type)
{
    return type == 0 || type == DNS_TYPE_OPT || (type >= 128 && type <= 255);
}

/* Handles one record; `t` holds owner (unless blank_owner), TTL, class, type and RDATA. */
static void zf_rr(struct dns_zonefile *zf, const struct dns_zonefile_src *src,
                  struct dns_zonefile_state *st, unsigned line, bool blank_owner,
                  const struct dns_tok *t, size_t n)
{
    const char *file = src->path;
    uint8_t owner[DNS_NAME_MAXLEN];
    size_t i = 0, olen;

    if (blank_owner) {
        if (!st->have_owner) {
            dns_zonefile__msg(zf, true, file, line, "no owner name (and no previous one)");
            return;
        }
        memcpy(owner, st->owner, dns_name_len(st->owner));
    } else {
        int r = t[0].quoted ? ERR_NAME
                            : dns_name_from_text(t[0].text, t[0].len, st->origin, owner, &olen);
        if (r) {
            dns_zonefile__msg(zf, true, file, line, "invalid owner name \"%.*s\" (%s)",
                              zf_show(&t[0]), t[0].text, err_str(r));
            return;
        }
        memcpy(st->owner, owner, olen);
        st->have_owner = true;
        i = 1;
    }

    uint32_t ttl = 0;
    bool have_ttl = false, have_class = false;
    uint16_t rclass = DNS_CLASS_IN;
    while (i < n && !t[i].quoted && (!have_ttl || !have_class)) {
        if (!have_ttl && t[i].text[0] >= '0' && t[i].text[0] <= '9') {
            int r = dns_zonefile_ttl(t[i].text, t[i].len, &ttl);
            if (r) {
                dns_zonefile__msg(zf, true, file, line, "invalid TTL \"%.*s\"%s", zf_show(&t[i]),
                                  t[i].text, r == ERR_RANGE ? " (above 2147483647)" : "");
                return;
            }
            have_ttl = true;
        } else if (!have_class && dns_class_from_text(t[i].text, t[i].len, &rclass) == 0) {
            have_class = true;
            if (rclass != DNS_CLASS_IN) {
                dns_zonefile__msg(zf, true, file, line,
                                  "class %.*s does not match the zone's class IN", zf_show(&t[i]),
                                  t[i].text);
                return;
            }
        } else {
            break;
        }
        i++;
    }
    uint16_t type;
    if (i >= n) {
        dns_zonefile__msg(zf, true, file, line, "missing type");
        return;
    }
    if (t[i].quoted || dns_type_from_text(t[i].text, t[i].len, &type)) {
        dns_zonefile__msg(zf, true, file, line, "unknown type \"%.*s\"", zf_show(&t[i]), t[i].text);
        return;
    }
    if (zf_is_meta(type)) {
        dns_zonefile__msg(zf, true, file, line, "type \"%.*s\" cannot be stored in a zone",
                          zf_show(&t[i]), t[i].text);
        return;
    }
    i++;

    struct wbuf w;
    struct dns_rdata_error err = {0};
    wbuf_init(&w, zf->rdata, sizeof(zf->rdata));
    int r = dns_rdata_from_tokens(type, t + i, n - i, st->origin, &w, &err);
    if (r) {
        if (err.msg[0])
            dns_zonefile__msg(zf, true, file, line, "%s", err.msg);
        else
            dns_zonefile__msg(zf, true, file, line, "invalid record data (%s)", err_str(r));
        return;
    }

    if (have_ttl) {
        st->last_ttl = ttl;
        st->have_last = true;
    } else if (st->have_default) {
        ttl = st->default_ttl;
    } else if (st->have_last) {
        ttl = st->last_ttl;
    } else if (type == DNS_TYPE_SOA && w.pos >= 4) {
        const uint8_t *m = zf->rdata + w.pos - 4;
        ttl = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
        if (ttl > 0x7fffffffu)
            ttl = 0;
        dns_zonefile__msg(zf, false, file, line,
                          "no TTL given and no $TTL: using the SOA minimum %u", ttl);
        st->last_ttl = ttl;
        st->have_last = true;
    } else {
        dns_zonefile__msg(zf, true, file, line, "no TTL given and no $TTL before this record");
        return;
    }

    struct dns_zonefile_rr rr = {
        .owner = owner,
        .type = type,
        .rclass = rclass,
        .ttl = ttl,
        .rdata = zf->rdata,
        .rdlen = (uint16_t)w.pos,
        .file = file,
        .line = line,
    };
    if (zf->o->rr) {
        r = zf->o->rr(zf->o->ctx, &rr);
        if (r) {
            zf->stopped = true;
            zf->stop_code = r;
        }
    }
}

/* Reads a whole file into a new buffer. */
static int zf_read(const char *path, char **buf, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    int e = 0;
    if (fstat(fd, &st) < 0)
        e = errno;
    else if (!S_ISREG(st.st_mode))
        e = EINVAL;
    else if ((uint64_t)st.st_size > ZF_FILE_MAX)
        e = EFBIG;
    if (e) {
        close(fd);
        return -e;
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *b = malloc(size ? size : 1);
    if (!b) {
        close(fd);
        return -ENOMEM;
    }
    while (got < size) {
        ssize_t k = read(fd, b + got, size - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    if (got != size) {
        free(b);
        return -EIO;
    }
    *buf = b;
    *len = size;
    return 0;
}

static void zf_include(struct dns_zonefile *zf, const struct dns_zonefile_src *src,
                       struct dns_zonefile_state *st, unsigned line, const struct dns_tok *t,
                       size_t n)
{
    const char *file = src->path;
    unsigned max = zf->o->max_include_depth ? zf->o->max_include_depth : 10;
    if (zf->o->no_include) {
        dns_zonefile__msg(zf, true, file, line, "$INCLUDE is not allowed here");
        return;
    }
    if (n < 2 || n > 3) {
        dns_zonefile__msg(zf, true, file, line,
                          "$INCLUDE needs a file name and an optional "
                          "origin");
        return;
    }
    if (st->include_depth + 1 > max) {
        dns_zonefile__msg(zf, true, file, line, "$INCLUDE nested too deeply (limit %u)", max);
        return;
    }
    /* The included file starts with our state; what it changes stays there (RFC 1035 5.1). */
    struct dns_zonefile_state inner = *st;
    inner.include_depth++;
    if (n == 3) {
        size_t len;
        int r = dns_name_from_text(t[2].text, t[2].len, st->origin, inner.origin, &len);
        if (r) {
            dns_zonefile__msg(zf, true, file, line, "invalid origin \"%.*s\" (%s)", zf_show(&t[2]),
                              t[2].text, err_str(r));
            return;
        }
    }
    char path[4096];
    const char *slash = strrchr(file, '/');
    int k;
    if (t[1].len && t[1].text[0] == '/')
        k = snprintf(path, sizeof(path), "%.*s", (int)t[1].len, t[1].text);
    else if (slash)
        k = snprintf(path, sizeof(path), "%.*s/%.*s", (int)(slash - file), file, (int)t[1].len,
                     t[1].text);
    else
        k = snprintf(path, sizeof(path), "%.*s", (int)t[1].len, t[1].text);
    if (k < 0 || (size_t)k >= sizeof(path) || memchr(t[1].text, 0, t[1].len)) {
        dns_zonefile__msg(zf, true, file, line, "$INCLUDE path too long");
        return;
    }
    struct dns_zonefile_src inc = {.path = path, .line = 1};
    char *buf;
    int r = zf_read(path, &buf, &inc.len);
    if (r) {
        dns_zonefile__msg(zf, true, file, line, "cannot open \"%s\": %s", path, strerror(-r));
        return;
    }
    inc.buf = buf;
    zf_parse(zf, &inc, &inner);
    free(buf);
}

static void zf_generate(struct dns_zonefile *zf, const struct dns_zonefile_src *src,
                        struct dns_zonefile_state *st, unsigned line, const struct dns_tok *t,
                        size_t n)
{
    const char *file = src->path;
    long start, stop, step = 1;
    char range[64], extra;
    if (n < 5 || t[1].len >= sizeof(range)) {
        dns_zonefile__msg(zf, true, file, line,
                          "$GENERATE needs a range, an owner, a type and data");
        return;
    }
    memcpy(range, t[1].text, t[1].len);
    range[t[1].len] = 0;
    int k = sscanf(range, "%ld-%ld/%ld%c", &start, &stop, &step, &extra);
    if ((k != 2 && k != 3) || start < 0 || stop < start || step < 1 || stop > 0x7fffffffL) {
        dns_zonefile__msg(zf, true, file, line, "invalid $GENERATE range \"%s\"", range);
        return;
    }
    if ((stop - start) / step + 1 > ZF_GENERATE_MAX) {
        dns_zonefile__msg(zf, true, file, line, "$GENERATE range \"%s\" has more than %d steps",
                          range, ZF_GENERATE_MAX);
        return;
    }
    size_t m = n - 2;
    struct dns_tok *gt = malloc(m * sizeof(*gt));
    size_t *starts = malloc(m * sizeof(*starts));
    if (!gt || !starts) {
        free(gt);
        free(starts);
        dns_zonefile__msg(zf, true, file, line, "out of memory");
        return;
    }
    for (long v = start; v <= stop && !zf->stopped; v += step) {
        size_t pos = 0;
        int r = 0;
        for (size_t i = 0; i < m && !r; i++) {
            starts[i] = pos;
            gt[i] = t[i + 2];
            r = dns_zonefile__subst(zf, &t[i + 2], v, &pos);
            gt[i].len = pos - starts[i];
        }
        if (r) {
            dns_zonefile__msg(zf, true, file, line, "invalid $GENERATE substitution");
            break;
        }
        for (size_t i = 0; i < m; i++)
            gt[i].text = zf->gen + starts[i];
        zf_rr(zf, src, st, line, false, gt, m);
    }
    free(gt);
    free(starts);
}

static void zf_directive(struct dns_zonefile *zf, const struct dns_zonefile_src *src,
                         struct dns_zonefile_state *st, unsigned line)
{
    const struct dns_tok *t = zf->toks;
    size_t n = zf->ntok;
    const char *file = src->path;
    if (t[0].len == 7 && strncasecmp(t[0].text, "$ORIGIN", 7) == 0) {
        size_t len;
        uint8_t origin[DNS_NAME_MAXLEN];
        int r =
            n == 2 ? dns_name_from_text(t[1].text, t[1].len, st->origin, origin, &len) : ERR_SYNTAX;
        if (r)
            dns_zonefile__msg(zf, true, file, line, "$ORIGIN needs one domain name");
        else
            memcpy(st->origin, origin, len);
    } else if (t[0].len == 4 && strncasecmp(t[0].text, "$TTL", 4) == 0) {
        uint32_t ttl;
        if (n != 2 || dns_zonefile_ttl(t[1].text, t[1].len, &ttl)) {
            dns_zonefile__msg(zf, true, file, line, "invalid $TTL \"%.*s\"",
                              n >= 2 ? zf_show(&t[1]) : 0, n >= 2 ? t[1].text : "");
        } else {
            st->default_ttl = ttl;
            st->have_default = true;
        }
    } else if (t[0].len == 8 && strncasecmp(t[0].text, "$INCLUDE", 8) == 0) {
        zf_include(zf, src, st, line, t, n);
    } else if (t[0].len == 9 && strncasecmp(t[0].text, "$GENERATE", 9) == 0) {
        zf_generate(zf, src, st, line, t, n);
    } else {
        dns_zonefile__msg(zf, true, file, line, "unknown directive \"%.*s\"", zf_show(&t[0]),
                          t[0].text);
    }
}

static int zf_parse(struct dns_zonefile *zf, struct dns_zonefile_src *src,
                    struct dns_zonefile_state *st)
{
    struct dns_zonefile_entry e;
    while (!zf->stopped) {
        int r = dns_zonefile__next(zf, src, &e);
        if (r == 0)
            break;
        if (r < 0) {
            if (r != ERR_SYNTAX) {
                dns_zonefile__msg(zf, true, src->path, e.line, "out of memory");
                zf->stopped = true;
                zf->stop_code = r;
            }
            continue;
        }
        if (!e.blank_owner && !zf->toks[0].quoted && zf->toks[0].text[0] == '$')
            zf_directive(zf, src, st, e.line);
        else
            zf_rr(zf, src, st, e.line, e.blank_owner, zf->toks, zf->ntok);
    }
    return 0;
}

static int zf_run(const char *name, const char *text, size_t len, const struct dns_zonefile_opts *o)
{
    struct dns_zonefile *zf = calloc(1, sizeof(*zf));
    if (!zf)
        return -ENOMEM;
    zf->o = o;
    struct dns_zonefile_state st = {0};
    static const uint8_t root[1] = {0};
    const uint8_t *origin = o->origin ? o->origin : root;
    memcpy(st.origin, origin, dns_name_len(origin));
    struct dns_zonefile_src src = {.path = name, .buf = text, .len = len, .line = 1};
    zf_parse(zf, &src, &st);
    int r = zf->stop_code ? zf->stop_code : (zf->errors ? ERR_SYNTAX : 0);
    free(zf->toks);
    free(zf->gen);
    free(zf);
    return r;
}

int dns_zonefile_parse_string(const char *name, const char *text, size_t len,
                              const struct dns_zonefile_opts *o)
{
    return zf_run(name, text, len, o);
}

int dns_zonefile_parse_file(const char *path, const struct dns_zonefile_opts *o)
{
    char *buf;
    size_t len;
    int r = zf_read(path, &buf, &len);
    if (r) {
        if (o->msg) {
            char text[512];
            snprintf(text, sizeof(text), "cannot open \"%s\": %s", path, strerror(-r));
            o->msg(o->ctx, true, path, 0, text);
        }
        return r;
    }
    r = zf_run(path, buf, len, o);
    free(buf);
    return r;
}
