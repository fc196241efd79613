/*
 * Zone-file parse: entries from the lexer (zonefile_lex.c) become records or directives.
 * Each entry is handled on its own, so an error costs only that entry, and every problem is
 * reported once, at the line and column of the token at fault (dns/zonefile.h lists where
 * each kind of problem points).
 *
 * The per-file state (origin, $TTL, last TTL, previous owner) lives in a struct that
 * $INCLUDE copies for the included file, which is how RFC 1035's "changes do not leak back"
 * falls out for the origin and the owner; the TTLs are copied back afterwards, since BIND
 * and NSD keep a $TTL set in an included file (a common "header" file holds $TTL and the
 * SOA). An owner that fails to parse is remembered as bad rather than forgotten: the
 * lines that inherit it are still checked (their errors reported) but not added, so neither
 * a cascade of "missing owner name" nor records silently filed under an older owner result.
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

/* The first read; the buffer doubles up to DNS_ZONEFILE_ENTRY_MAX when an entry needs it.
 * Tests build with a tiny chunk to drive the lexer through a refill at every byte. */
#ifndef ZF_READ_CHUNK
#define ZF_READ_CHUNK (64u * 1024)
#endif

static void zf_parse(struct dns_zonefile *zf, struct dns_zonefile_src *src,
                     struct dns_zonefile_state *st);

static bool zf_is_meta(uint16_t type)
{
    return type == 0 || type == DNS_TYPE_OPT || (type >= 128 && type <= 255);
}

/* RFC 2181 8: a TTL with the top bit set is taken as 0. */
static uint32_t zf_clamp_ttl(struct dns_zonefile *zf, const char *file, struct dns_zonefile_pos at,
                             uint32_t ttl)
{
    if (ttl <= DNS_TTL_MAX)
        return ttl;
    dns_zonefile__msg(zf, false, file, at, "TTL %u is above 2147483647; using 0", ttl);
    return 0;
}

int dns_zonefile__head(struct dns_zonefile *zf, const char *file, const struct dns_tok *t, size_t n,
                       size_t *i, struct dns_zonefile_head *h)
{
    bool have_class = false;
    uint16_t rclass;
    h->have_ttl = false;
    h->ttl = 0;
    for (; *i < n && !t[*i].quoted && t[*i].len; (*i)++) {
        const struct dns_tok *k = &t[*i];
        if (!h->have_ttl && k->text[0] >= '0' && k->text[0] <= '9') {
            int r = dns_zonefile_ttl(k->text, k->len, &h->ttl);
            if (r) {
                dns_zonefile__msg(zf, true, file, dns_zonefile__at(k), "invalid TTL \"%.*s\"%s",
                                  dns_zonefile__show(k), k->text,
                                  r == ERR_RANGE ? " (above 4294967295)" : "");
                return ERR_SYNTAX;
            }
            h->ttl = zf_clamp_ttl(zf, file, dns_zonefile__at(k), h->ttl);
            h->have_ttl = true;
        } else if (!have_class && dns_class_from_text(k->text, k->len, &rclass) == 0) {
            if (rclass != DNS_CLASS_IN) {
                dns_zonefile__msg(zf, true, file, dns_zonefile__at(k),
                                  "class %.*s does not match the zone's class IN",
                                  dns_zonefile__show(k), k->text);
                return ERR_SYNTAX;
            }
            have_class = true;
        } else {
            break;
        }
    }
    if (*i >= n) {
        dns_zonefile__msg(zf, true, file, dns_zonefile__after(&t[n - 1]), "missing type");
        return ERR_SYNTAX;
    }
    const struct dns_tok *k = &t[*i];
    if (k->quoted || dns_type_from_text(k->text, k->len, &h->type)) {
        dns_zonefile__msg(zf, true, file, dns_zonefile__at(k), "unknown type \"%.*s\"",
                          dns_zonefile__show(k), k->text);
        return ERR_SYNTAX;
    }
    if (zf_is_meta(h->type)) {
        dns_zonefile__msg(zf, true, file, dns_zonefile__at(k), "type %.*s cannot be used in a zone",
                          dns_zonefile__show(k), k->text);
        return ERR_SYNTAX;
    }
    (*i)++;
    return 0;
}

/* The token of t[0..n) that an RDATA error at `offset` is about (dns_rdata_error: the
 * offset of a token, or the end of the last one when a field is missing). */
static struct dns_zonefile_pos zf_rdata_at(const struct dns_tok *t, size_t n, size_t offset,
                                           struct dns_zonefile_pos end)
{
    if (n == 0)
        return end;
    size_t k = 0;
    while (k + 1 < n && t[k + 1].offset <= offset)
        k++;
    if (k == n - 1 && offset >= t[k].offset + t[k].len + (t[k].quoted ? 2 : 0))
        return end;
    return dns_zonefile__at(&t[k]);
}

int dns_zonefile__record(struct dns_zonefile *zf, const char *file, struct dns_zonefile_pos at,
                         struct dns_zonefile_pos end, struct dns_zonefile_state *st,
                         const uint8_t *owner, size_t owner_len, const struct dns_zonefile_head *h,
                         const struct dns_tok *t, size_t n)
{
    uint32_t ttl = 0;
    bool soa_minimum = false;
    if (h->have_ttl) {
        ttl = h->ttl;
        st->last_ttl = ttl;
        st->have_last = true;
    } else if (st->have_default) {
        ttl = st->default_ttl;
    } else if (st->have_last) {
        ttl = st->last_ttl;
    } else if (h->type == DNS_TYPE_SOA) {
        soa_minimum = true;
    } else {
        dns_zonefile__msg(zf, true, file, at, "no TTL given, and no $TTL or earlier TTL");
        return ERR_SYNTAX;
    }

    struct wbuf w;
    struct dns_rdata_error err;
    wbuf_init(&w, zf->rdata, sizeof(zf->rdata));
    int r = dns_rdata_from_tokens(h->type, t, n, st->origin, &w, &err);
    if (r) {
        struct dns_zonefile_pos bad = zf_rdata_at(t, n, err.offset, end);
        if (err.msg[0])
            dns_zonefile__msg(zf, true, file, bad, "%s", err.msg);
        else
            dns_zonefile__msg(zf, true, file, bad, "invalid record data (%s)", err_str(r));
        return ERR_SYNTAX;
    }

    if (soa_minimum && w.pos >= 4) {
        /* BIND's rule for a zone without $TTL: the SOA MINIMUM then serves as $TTL. */
        const uint8_t *m = zf->rdata + w.pos - 4;
        ttl = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
        struct dns_zonefile_pos min = n ? dns_zonefile__at(&t[n - 1]) : at;
        dns_zonefile__msg(zf, false, file, min, "no TTL given; using the SOA minimum %u", ttl);
        ttl = zf_clamp_ttl(zf, file, min, ttl);
        st->default_ttl = ttl;
        st->have_default = true;
    }
    if (!owner || !zf->o->rr || zf->stopped)
        return 0;

    struct dns_zonefile_rr rr = {
        .owner = owner,
        .owner_len = owner_len,
        .type = h->type,
        .rclass = DNS_CLASS_IN,
        .ttl = ttl,
        .rdata = zf->rdata,
        .rdlen = (uint16_t)w.pos,
        .file = file,
        .line = at.line,
        .col = at.col,
    };
    r = zf->o->rr(zf->o->ctx, &rr);
    if (r) {
        zf->stopped = true;
        zf->stop_code = r;
    }
    return 0;
}

/* A record entry: [owner] [TTL] [class] type RDATA. */
static void zf_rr(struct dns_zonefile *zf, const struct dns_zonefile_src *src,
                  struct dns_zonefile_state *st, const struct dns_zonefile_entry *e)
{
    const struct dns_tok *t = zf->toks.v;
    size_t n = zf->toks.n, i = 0;
    const char *file = src->path;
    uint8_t owner[DNS_NAME_MAXLEN];
    size_t olen;
    bool add = true;

    if (e->blank_owner) {
        if (st->owner_state == DNS_ZONEFILE_OWNER_NONE) {
            dns_zonefile__msg(zf, true, file, e->at, "missing owner name");
            return;
        }
        olen = dns_name_len(st->owner);
        memcpy(owner, st->owner, olen);
        add = st->owner_state == DNS_ZONEFILE_OWNER_OK;
    } else {
        int r = t[0].quoted ? ERR_NAME
                            : dns_name_from_text(t[0].text, t[0].len, st->origin, owner, &olen);
        if (r) {
            dns_zonefile__msg(zf, true, file, dns_zonefile__at(&t[0]),
                              "invalid owner name \"%.*s\" (%s)", dns_zonefile__show(&t[0]),
                              t[0].text, err_str(r));
            st->owner_state = DNS_ZONEFILE_OWNER_BAD;
            return;
        }
        memcpy(st->owner, owner, olen);
        st->owner_state = DNS_ZONEFILE_OWNER_OK;
        i = 1;
    }

    struct dns_zonefile_head h;
    if (dns_zonefile__head(zf, file, t, n, &i, &h))
        return;
    dns_zonefile__record(zf, file, e->at, dns_zonefile__after(&t[n - 1]), st, add ? owner : NULL,
                         olen, &h, t + i, n - i);
}

/* Opens a file for streaming. Returns 0 or a negative errno; *why names the problem. */
static int zf_open(const char *path, struct dns_zonefile_src *s, const char **why)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        *why = err_str(-e);
        return -e;
    }
    struct stat sb;
    int e = 0;
    *why = NULL;
    if (fstat(fd, &sb) < 0)
        e = errno;
    else if (S_ISDIR(sb.st_mode))
        e = EISDIR;
    else if (!S_ISREG(sb.st_mode)) { /* a FIFO could block, /dev/zero never end */
        e = EINVAL;
        *why = "not a regular file";
    }
    char *mem = e ? NULL : malloc(ZF_READ_CHUNK);
    if (!e && !mem)
        e = ENOMEM;
    if (e) {
        close(fd);
        if (!*why)
            *why = err_str(-e);
        return -e;
    }
    *s = (struct dns_zonefile_src){
        .path = path, .fd = fd, .buf = mem, .mem = mem, .cap = ZF_READ_CHUNK, .line = 1};
    return 0;
}

static void zf_close(struct dns_zonefile_src *s)
{
    if (s->fd >= 0)
        close(s->fd);
    free(s->mem);
}

/* The directory of `file` (with its slash) followed by `name`, or `name` when it is
 * absolute or `file` has no directory. NULL when out of memory. */
static char *zf_include_path(const char *file, const char *name, size_t len)
{
    const char *slash = strrchr(file, '/');
    size_t dir = name[0] != '/' && slash ? (size_t)(slash - file) + 1 : 0;
    char *path = malloc(dir + len + 1);
    if (path) {
        memcpy(path, file, dir);
        memcpy(path + dir, name, len);
        path[dir + len] = 0;
    }
    return path;
}

/* Where a directive that takes `want` arguments at most has a bad count: the first one
 * too many, or right after the last token when some are missing. */
static struct dns_zonefile_pos zf_count_at(const struct dns_tok *t, size_t n, size_t want)
{
    return n > want + 1 ? dns_zonefile__at(&t[want + 1]) : dns_zonefile__after(&t[n - 1]);
}

static void zf_include(struct dns_zonefile *zf, const struct dns_zonefile_src *src,
                       struct dns_zonefile_state *st)
{
    const struct dns_tok *t = zf->toks.v;
    size_t n = zf->toks.n;
    const char *file = src->path;
    unsigned max = zf->o->max_include_depth ? zf->o->max_include_depth : 10;
    if (zf->o->no_include) {
        dns_zonefile__msg(zf, true, file, dns_zonefile__at(&t[0]), "$INCLUDE is not allowed here");
        return;
    }
    if (n < 2 || n > 3) {
        dns_zonefile__msg(zf, true, file, zf_count_at(t, n, 2),
                          "$INCLUDE needs a file name and may have an origin");
        return;
    }
    if (st->depth >= max) {
        dns_zonefile__msg(zf, true, file, dns_zonefile__at(&t[0]),
                          "$INCLUDE nested too deeply (limit %u)", max);
        return;
    }
    /* The included file starts with our origin (or the one given) and TTLs but without a
     * previous owner, as in BIND; the origin and owner it changes stay there (RFC 1035
     * 5.1), its TTLs do not (below). */
    struct dns_zonefile_state inner = *st;
    inner.depth++;
    inner.owner_state = DNS_ZONEFILE_OWNER_NONE;
    if (n == 3) {
        size_t len;
        int r = t[2].quoted
                    ? ERR_NAME
                    : dns_name_from_text(t[2].text, t[2].len, st->origin, inner.origin, &len);
        if (r) {
            dns_zonefile__msg(zf, true, file, dns_zonefile__at(&t[2]),
                              "invalid $INCLUDE origin \"%.*s\" (%s)", dns_zonefile__show(&t[2]),
                              t[2].text, err_str(r));
            return;
        }
    }

    /* The file name may be quoted and have escapes; NUL cannot be in a path. */
    char name[4096];
    int len = dns_text_unescape(t[1].text, t[1].len, (uint8_t *)name, sizeof(name));
    if (len <= 0 || memchr(name, 0, (size_t)len)) {
        dns_zonefile__msg(zf, true, file, dns_zonefile__at(&t[1]),
                          "invalid $INCLUDE file name \"%.*s\"", dns_zonefile__show(&t[1]),
                          t[1].text);
        return;
    }
    char *path = zf_include_path(file, name, (size_t)len);
    if (!path) {
        zf->stopped = true;
        zf->stop_code = -ENOMEM;
        return;
    }
    struct dns_zonefile_src inc;
    const char *why;
    if (zf_open(path, &inc, &why) == 0) {
        zf_parse(zf, &inc, &inner);
        zf_close(&inc);
        /* BIND and NSD keep a $TTL from the included file in force after it, and BIND the
         * last explicit TTL and an SOA minimum taken as $TTL too: all of them are the
         * parse's, not the file's. */
        st->default_ttl = inner.default_ttl;
        st->have_default = inner.have_default;
        st->last_ttl = inner.last_ttl;
        st->have_last = inner.have_last;
    } else {
        dns_zonefile__msg(zf, true, file, dns_zonefile__at(&t[1]), "cannot open \"%s\": %s", path,
                          why);
    }
    free(path);
}

static void zf_directive(struct dns_zonefile *zf, const struct dns_zonefile_src *src,
                         struct dns_zonefile_state *st, const struct dns_zonefile_entry *e)
{
    const struct dns_tok *t = zf->toks.v;
    size_t n = zf->toks.n;
    const char *file = src->path;
    if (t[0].len == 7 && strncasecmp(t[0].text, "$ORIGIN", 7) == 0) {
        uint8_t origin[DNS_NAME_MAXLEN];
        size_t len;
        if (n != 2) {
            dns_zonefile__msg(zf, true, file, zf_count_at(t, n, 1),
                              "$ORIGIN needs one domain name");
            return;
        }
        int r = t[1].quoted ? ERR_NAME
                            : dns_name_from_text(t[1].text, t[1].len, st->origin, origin, &len);
        if (r)
            dns_zonefile__msg(zf, true, file, dns_zonefile__at(&t[1]),
                              "invalid $ORIGIN \"%.*s\" (%s)", dns_zonefile__show(&t[1]), t[1].text,
                              err_str(r));
        else
            memcpy(st->origin, origin, len);
    } else if (t[0].len == 4 && strncasecmp(t[0].text, "$TTL", 4) == 0) {
        uint32_t ttl;
        int r = 0;
        if (n != 2) {
            dns_zonefile__msg(zf, true, file, zf_count_at(t, n, 1), "$TTL needs one TTL");
        } else if (t[1].quoted || (r = dns_zonefile_ttl(t[1].text, t[1].len, &ttl)) != 0) {
            dns_zonefile__msg(zf, true, file, dns_zonefile__at(&t[1]), "invalid TTL \"%.*s\"%s",
                              dns_zonefile__show(&t[1]), t[1].text,
                              !t[1].quoted && r == ERR_RANGE ? " (above 4294967295)" : "");
        } else {
            st->default_ttl = zf_clamp_ttl(zf, file, dns_zonefile__at(&t[1]), ttl);
            st->have_default = true;
        }
    } else if (t[0].len == 8 && strncasecmp(t[0].text, "$INCLUDE", 8) == 0) {
        zf_include(zf, src, st);
    } else if (t[0].len == 9 && strncasecmp(t[0].text, "$GENERATE", 9) == 0) {
        dns_zonefile__generate(zf, file, e, st);
    } else {
        dns_zonefile__msg(zf, true, file, dns_zonefile__at(&t[0]), "unknown directive \"%.*s\"",
                          dns_zonefile__show(&t[0]), t[0].text);
    }
}

static void zf_parse(struct dns_zonefile *zf, struct dns_zonefile_src *src,
                     struct dns_zonefile_state *st)
{
    struct dns_zonefile_entry e;
    while (!zf->stopped) {
        int r = dns_zonefile__next(zf, src, &e);
        if (r == 0)
            break;
        if (r == ERR_SYNTAX)
            continue; /* reported; the entry is skipped */
        if (r < 0) {
            zf->stopped = true;
            zf->stop_code = r;
            break;
        }
        /* Directives are known by their '$' even when indented: no TTL, class or type
         * starts with one. */
        const struct dns_tok *t0 = &zf->toks.v[0];
        if (!t0->quoted && t0->text[0] == '$')
            zf_directive(zf, src, st, &e);
        else
            zf_rr(zf, src, st, &e);
    }
}

static int zf_run(struct dns_zonefile_src *src, const struct dns_zonefile_opts *o)
{
    static const uint8_t root[1] = {0};
    struct dns_zonefile *zf = calloc(1, sizeof(*zf));
    if (!zf)
        return -ENOMEM;
    zf->o = o;
    zf->max_errors = o->max_errors ? o->max_errors : 100;
    struct dns_zonefile_state st = {0};
    const uint8_t *origin = o->origin ? o->origin : root;
    memcpy(st.origin, origin, dns_name_len(origin));

    zf_parse(zf, src, &st);

    /* -ENOMEM is only returned: the caller says it once, for the whole zone. */
    int r = zf->stop_code ? zf->stop_code : zf->errors ? ERR_SYNTAX : 0;
    free(zf->toks.v);
    free(zf->gtoks.v);
    free(zf->gen);
    free(zf);
    return r;
}

int dns_zonefile_parse_string(const char *name, const char *text, size_t len,
                              const struct dns_zonefile_opts *o)
{
    struct dns_zonefile_src src = {
        .path = name, .fd = -1, .buf = text, .len = len, .eof = true, .line = 1};
    return zf_run(&src, o);
}

int dns_zonefile_parse_file(const char *path, const struct dns_zonefile_opts *o)
{
    struct dns_zonefile_src src;
    const char *why;
    int r = zf_open(path, &src, &why);
    if (r) {
        if (o->msg) {
            char text[512];
            snprintf(text, sizeof(text), "cannot open \"%s\": %s", path, why);
            o->msg(o->ctx, true, path, 0, 0, text);
        }
        return r;
    }
    r = zf_run(&src, o);
    zf_close(&src);
    return r;
}
