#include "conf/persist.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const conf_local_keys[] = {"host", "port", "mgmt_host", "mgmt_port", "peers", NULL};

/* 15 significant digits print a hand-written number such as 0.1 as "0.1" (17 would print
 * 0.10000000000000001) and round-trip every number with up to 15 digits. jansson has one
 * precision per document, so a document holding a number that needs more (0.1 + 0.2, as a
 * peer's program may well compute) is printed with as many as the neediest number takes:
 * a rewrite never changes a value. */
#define PERSIST_DUMP_INDENT   2
#define PERSIST_MIN_PRECISION 15

static void persist_err(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void persist_err(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

static json_t *persist_parse(const uint8_t *raw, size_t len, char *err, size_t cap)
{
    json_error_t je;
    json_t *doc = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        persist_err(err, cap, "invalid JSON at line %d, column %d: %s", je.line, je.column,
                    je.text);
        return NULL;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        persist_err(err, cap, "the config must be a JSON object");
        return NULL;
    }
    return doc;
}

/* The significant digits that print every real of `j` back to the same double (15-17). */
static int persist_precision(const json_t *j)
{
    int p = PERSIST_MIN_PRECISION;
    if (json_is_real(j)) {
        double x = json_real_value(j);
        char buf[40];
        for (; p < 17; p++) {
            snprintf(buf, sizeof(buf), "%.*g", p, x);
            if (strtod(buf, NULL) == x)
                break;
        }
    } else if (json_is_object(j)) {
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)j, k, v)
        {
            int q = persist_precision(v);
            p = q > p ? q : p;
        }
    } else if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j) && p < 17; i++) {
            int q = persist_precision(json_array_get(j, i));
            p = q > p ? q : p;
        }
    }
    return p;
}

static int persist_dump(json_t *doc, uint8_t **out, size_t *outlen, char *err, size_t cap)
{
    char *s = json_dumps(doc, JSON_INDENT(PERSIST_DUMP_INDENT) |
                                  JSON_REAL_PRECISION(persist_precision(doc)));
    if (!s) {
        persist_err(err, cap, "out of memory");
        return -1;
    }
    *out = (uint8_t *)s;
    *outlen = strlen(s);
    return 0;
}

static bool persist_version_ok(const json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) >= 0 &&
           json_integer_value(v) <= CONF_VERSION_MAX;
}

static int persist_version_of(json_t *doc, int64_t *version, char *err, size_t cap)
{
    json_t *server = json_object_get(doc, "server");
    if (server && !json_is_object(server)) {
        persist_err(err, cap, "server: expected an object");
        return -1;
    }
    json_t *v = server ? json_object_get(server, "config_version") : NULL;
    if (!v) {
        *version = 1;
        return 0;
    }
    if (!persist_version_ok(v)) {
        persist_err(err, cap, "server.config_version: expected an integer from 0 to %lld",
                    CONF_VERSION_MAX);
        return -1;
    }
    *version = json_integer_value(v);
    return 0;
}

/* Sets server.config_version, creating `server` when absent. */
static int persist_put_version(json_t *doc, int64_t version, char *err, size_t cap)
{
    json_t *server = json_object_get(doc, "server");
    if (!server) {
        server = json_object();
        if (!server || json_object_set_new(doc, "server", server)) {
            persist_err(err, cap, "out of memory");
            return -1;
        }
    }
    if (!json_is_object(server)) {
        persist_err(err, cap, "server: expected an object");
        return -1;
    }
    if (json_object_set_new(server, "config_version", json_integer(version))) {
        persist_err(err, cap, "out of memory");
        return -1;
    }
    return 0;
}

int conf_set_version(const uint8_t *raw, size_t len, int64_t version, uint8_t **out,
                     size_t *outlen, char *err, size_t errcap)
{
    if (version < 0 || version > CONF_VERSION_MAX) {
        persist_err(err, errcap, "version %lld is out of range (0 to %lld)", (long long)version,
                    CONF_VERSION_MAX);
        return -1;
    }
    json_t *doc = persist_parse(raw, len, err, errcap);
    if (!doc)
        return -1;
    int r = persist_put_version(doc, version, err, errcap);
    if (!r)
        r = persist_dump(doc, out, outlen, err, errcap);
    json_decref(doc);
    return r;
}

int conf_peek_version(const uint8_t *raw, size_t len, int64_t *version, char *err, size_t errcap)
{
    json_t *doc = persist_parse(raw, len, err, errcap);
    if (!doc)
        return -1;
    int r = persist_version_of(doc, version, err, errcap);
    json_decref(doc);
    return r;
}

/* Makes the node-local keys of `in` those of `mine` (the `server` of `in` is an object or
 * absent). Returns 1 when anything changed, 0 when nothing did, -1 when out of memory; a
 * failure leaves `in` half-done: the caller drops it. */
static int persist_localize(json_t *in, json_t *mine)
{
    json_t *ms = json_object_get(mine, "server");
    json_t *is = json_object_get(in, "server");
    if (!json_is_object(ms))
        ms = NULL;
    int changed = 0;
    for (const char *const *k = conf_local_keys; *k; k++) {
        json_t *mv = ms ? json_object_get(ms, *k) : NULL;
        json_t *iv = is ? json_object_get(is, *k) : NULL;
        if (!mv && !iv)
            continue;
        if (mv && iv && json_equal(mv, iv))
            continue;
        if (!mv) {
            if (json_object_del(is, *k))
                return -1;
        } else {
            if (!is && (!(is = json_object()) || json_object_set_new(in, "server", is)))
                return -1;
            if (json_object_set(is, *k, mv))
                return -1;
        }
        changed = 1;
    }
    return changed;
}

int conf_from_peer(const uint8_t *body, size_t len, const uint8_t *mine, size_t minelen,
                   uint8_t **out, size_t *outlen, int64_t *version, char *err, size_t errcap)
{
    json_t *doc = persist_parse(body, len, err, errcap);
    if (!doc)
        return -1;
    bool rewrite = false;
    json_t *inner = json_object_get(doc, "config");
    json_t *cv = json_object_get(doc, "config_version");
    if (json_is_object(inner) && cv) {
        /* The Rust NanoDNS form. */
        if (!persist_version_ok(cv)) {
            json_decref(doc);
            persist_err(err, errcap, "config_version: expected an integer from 0 to %lld",
                        CONF_VERSION_MAX);
            return -1;
        }
        json_int_t n = json_integer_value(cv);
        json_incref(inner);
        json_decref(doc); /* cv goes with it */
        doc = inner;
        if (persist_put_version(doc, n, err, errcap)) {
            json_decref(doc);
            return -1;
        }
        rewrite = true;
    }
    if (persist_version_of(doc, version, err, errcap)) {
        json_decref(doc);
        return -1;
    }
    json_error_t je;
    json_t *my = mine ? json_loadb((const char *)mine, minelen, 0, &je) : NULL;
    int local = json_is_object(my) ? persist_localize(doc, my) : 0;
    json_decref(my);
    if (local < 0) {
        json_decref(doc);
        persist_err(err, errcap, "out of memory");
        return -1;
    }
    if (local)
        rewrite = true;
    int r = 0;
    if (rewrite) {
        r = persist_dump(doc, out, outlen, err, errcap);
    } else {
        *out = malloc(len ? len : 1);
        if (*out) {
            memcpy(*out, body, len);
            *outlen = len;
        } else {
            persist_err(err, errcap, "out of memory");
            r = -1;
        }
    }
    json_decref(doc);
    return r;
}

int conf_write_atomic(const char *path, const uint8_t *buf, size_t len, char *err, size_t errcap)
{
    /* A symlinked config (/etc/nanodns.json -> elsewhere) stays a symlink: the file it
     * points to is replaced, in its own folder. */
    char *real = realpath(path, NULL);
    if (real)
        path = real;
    char *dcopy = strdup(path), *bcopy = strdup(path);
    char *tmp = NULL;
    int fd = -1, r = -1;
    if (!dcopy || !bcopy)
        goto oom;
    const char *dir = dirname(dcopy), *base = basename(bcopy);
    size_t tl = strlen(dir) + strlen(base) + 16;
    tmp = malloc(tl);
    if (!tmp)
        goto oom;
    snprintf(tmp, tl, "%s/.%s.XXXXXX", dir, base);
    fd = mkstemp(tmp);
    if (fd < 0) {
        persist_err(err, errcap, "cannot create a temporary file in %s: %s", dir,
                    strerror(errno));
        goto out;
    }
    struct stat st;
    if (stat(path, &st) == 0)
        (void)fchmod(fd, st.st_mode & 07777);
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            persist_err(err, errcap, "cannot write %s: %s", tmp, strerror(errno));
            goto unlink_out;
        }
        off += (size_t)w;
    }
    if (fsync(fd)) {
        persist_err(err, errcap, "cannot sync %s: %s", tmp, strerror(errno));
        goto unlink_out;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path)) {
        persist_err(err, errcap, "cannot replace %s: %s", path, strerror(errno));
        goto unlink_out;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    r = 0;
    goto out;
oom:
    persist_err(err, errcap, "out of memory");
    goto out;
unlink_out:
    unlink(tmp);
out:
    if (fd >= 0)
        close(fd);
    free(tmp);
    free(dcopy);
    free(bcopy);
    free(real);
    return r;
}
