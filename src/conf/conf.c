#include "conf/conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/data.h"
#include "conf/dyn.h"
#include "conf/field.h"
#include "conf/schema.h"
#include "util/base64.h"
#include "util/cidr.h"
#include "util/err.h"
#include "zone/build.h"

#ifndef NANODNS_VERSION
#define NANODNS_VERSION "0.0.0"
#endif

#define CONF_FILE_MAX      (256u * 1024 * 1024)
#define CONF_STATE_DEFAULT "nanodns-state"

void conf_checksum(const uint8_t *buf, size_t len, char out[17])
{
    uint8_t md[SHA256_DIGEST_SIZE];
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, len, buf);
    sha256_digest(&ctx, sizeof(md), md);
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void conf_free(struct conf *c)
{
    if (!c)
        return;
    conf_schema_free(&c->server);
    conf_dyn_free(c);
    free(c->path);
    free(c->raw);
    free(c);
}

static void conf__overrides(struct conf *c, const struct conf_overrides *ov)
{
    if (!ov)
        return;
    if (ov->host) {
        free(c->server.host);
        c->server.host = strdup(ov->host);
    }
    if (ov->port >= 0)
        c->server.port = ov->port;
    if (ov->mgmt_host) {
        free(c->server.mgmt_host);
        c->server.mgmt_host = strdup(ov->mgmt_host);
    }
    if (ov->mgmt_port >= 0)
        c->server.mgmt_port = ov->mgmt_port;
    if (ov->log_level) {
        free(c->server.log_level);
        c->server.log_level = strdup(ov->log_level);
    }
    if (ov->no_cache)
        c->server.cache_enabled = false;
}

/* Fills the CHAOS/NSID texts: the configured ones, or the host name and our version. */
static void conf__labels(const struct conf_server *s, struct snap_opts *o)
{
    char host[256] = "";
    char version[64];
    if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
        snprintf(host, sizeof(host), "nanodns");
    snprintf(version, sizeof(version), "nanodns %s", NANODNS_VERSION);
    const char *id = s->identity.text ? s->identity.text : host;
    const char *ver = s->version.text ? s->version.text : version;
    o->identity_hidden = s->identity.hidden;
    o->version_hidden = s->version.hidden;
    o->identity_len = (uint8_t)strnlen(id, sizeof(o->identity));
    o->version_len = (uint8_t)strnlen(ver, sizeof(o->version));
    memcpy(o->identity, id, o->identity_len);
    memcpy(o->version, ver, o->version_len);
}

/* Opens `path` and reads one byte, so that a folder or an unreadable file is caught.
 * Returns 0 or a negative errno value. */
static int conf__readable(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char c;
    ssize_t n;
    do
        n = read(fd, &c, 1);
    while (n < 0 && errno == EINTR);
    int e = n < 0 ? -errno : 0;
    close(fd);
    return e;
}

/* True when listeners on the two hosts and one port would clash: the same host, or a
 * wildcard that covers the other ("::" is taken as dual-stack). */
static bool conf__hosts_overlap(const char *a, const char *b)
{
    unsigned char v6[16];
    if (strcmp(a, b) == 0 || strcmp(a, "::") == 0 || strcmp(b, "::") == 0)
        return true;
    if (strcmp(a, "0.0.0.0") == 0)
        return inet_pton(AF_INET6, b, v6) != 1;
    if (strcmp(b, "0.0.0.0") == 0)
        return inet_pton(AF_INET6, a, v6) != 1;
    return false;
}

static int conf__tls_file(const char *key, const char *value, const char *base, bool allow_files,
                          char **out, struct conf_diag *d)
{
    if (!allow_files) {
        conf_diag_error(d, "server.%s: files are not allowed here", key);
        return 0;
    }
    *out = conf_dyn_path(base, value);
    if (!*out)
        return -ENOMEM;
    int e = conf__readable(*out);
    if (e)
        conf_diag_error(d, "server.%s: cannot read %s: %s", key, *out, strerror(-e));
    return 0;
}

/* server.state_dir and the update listener's files, resolved against the config's folder
 * `base`, and the listener's port against the others. Returns 0 or -ENOMEM. */
static int conf__update_files(const char *base, bool allow_files, struct conf *c,
                              struct conf_diag *d)
{
    const struct conf_server *s = &c->server;
    const char *dir = s->state_dir && s->state_dir[0] ? s->state_dir : CONF_STATE_DEFAULT;
    c->state_path = conf_dyn_path(base, dir);
    if (!c->state_path)
        return -ENOMEM;
    struct stat st;
    if (stat(c->state_path, &st) == 0 && !S_ISDIR(st.st_mode))
        conf_diag_error(d, "server.state_dir: %s exists and is not a folder", c->state_path);

    bool cert = s->update_tls_cert && s->update_tls_cert[0];
    bool key = s->update_tls_key && s->update_tls_key[0];
    if (cert != key)
        conf_diag_error(d,
                        "server.%s: missing; server.update_tls_cert and server.update_tls_key go "
                        "together (both for HTTPS, neither for plain HTTP)",
                        cert ? "update_tls_key" : "update_tls_cert");
    if (cert && conf__tls_file("update_tls_cert", s->update_tls_cert, base, allow_files,
                               &c->update_tls_cert_path, d))
        return -ENOMEM;
    if (key && conf__tls_file("update_tls_key", s->update_tls_key, base, allow_files,
                              &c->update_tls_key_path, d))
        return -ENOMEM;

    if (s->update_port && s->update_host) {
        if (s->update_port == s->mgmt_port && s->mgmt_host &&
            conf__hosts_overlap(s->update_host, s->mgmt_host))
            conf_diag_error(d, "server.update_port: %lld is also server.mgmt_port",
                            (long long)s->update_port);
        if (s->update_port == s->port && s->host && conf__hosts_overlap(s->update_host, s->host))
            conf_diag_error(d, "server.update_port: %lld is also server.port (DNS over TCP)",
                            (long long)s->update_port);
    }
    return 0;
}

void conf_folder(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (slash && slash != path)
        snprintf(out, cap, "%.*s", (int)(slash - path), path);
    else
        snprintf(out, cap, "%s", slash ? "/" : ".");
}

/* Cookies and rate limiting, from keys that conf/schema.c has validated. */
static void conf__hardening(const struct conf_server *s, struct snap_opts *o)
{
    o->cookie_mode = !strcmp(s->cookies, "off")       ? SNAP_COOKIE_OFF
                     : !strcmp(s->cookies, "require") ? SNAP_COOKIE_REQUIRE
                                                      : SNAP_COOKIE_ON;
    o->cookie_secret_set = base64_hex_decode(s->cookie_secret, strlen(s->cookie_secret),
                                             o->cookie_secret, sizeof(o->cookie_secret)) == 16;
    uint32_t base = (uint32_t)s->rate_limit;
    const int64_t kinds[5] = {s->rate_limit, s->rate_limit_nodata, s->rate_limit_nxdomain,
                              s->rate_limit_referrals, s->rate_limit_errors};
    for (int k = 0; k < 5; k++)
        o->rrl.rate[k] = base == 0 ? 0 : kinds[k] < 0 ? base : (uint32_t)kinds[k];
    o->rrl.slip = (uint8_t)s->rate_limit_slip;
    o->rrl.window = (uint16_t)s->rate_limit_window;
    o->rrl.v4_prefix = (uint8_t)s->rate_limit_ipv4_prefix;
    o->rrl.v6_prefix = (uint8_t)s->rate_limit_ipv6_prefix;
    for (size_t i = 0; i < s->rate_limit_exempt.n && i < SNAP_ACL_MAX; i++)
        if (cidr_parse(s->rate_limit_exempt.items[i], &o->rrl.exempt[o->rrl.nexempt]) == 0)
            o->rrl.nexempt++;
}

int conf_load(const char *name, const uint8_t *buf, size_t len, const struct conf_overrides *ov,
              struct conf **out, struct snap **snap_out, struct conf_diag *d)
{
    json_error_t jerr;
    struct zone_builder *b = NULL;
    struct conf *c = NULL;
    struct conf_data cd;
    bool have_cd = false;
    struct conf_dyn_watch watch;
    const struct zone_builder_hooks *hooks;
    int r = ERR_SYNTAX;

    memset(&watch, 0, sizeof(watch));

    *out = NULL;
    if (snap_out)
        *snap_out = NULL;
    json_t *root = json_loadb((const char *)buf, len, 0, &jerr);
    if (!root) {
        conf_diag_error(d, "%s:%d:%d: invalid JSON: %s", name, jerr.line, jerr.column, jerr.text);
        return ERR_SYNTAX;
    }
    if (!json_is_object(root)) {
        conf_diag_error(d, "%s: the config must be a JSON object", name);
        goto fail;
    }

    static const char *const top[] = {"server",   "zones",     "records",
                                      "rewrites", "tsig_keys", "dyndns"};
    const char *key;
    const json_t *v;
    json_object_foreach(root, key, v)
    {
        bool known = false;
        for (size_t i = 0; i < sizeof(top) / sizeof(top[0]) && !known; i++)
            known = strcmp(top[i], key) == 0;
        if (!known)
            conf_diag_warn(d, "%s: unknown key (ignored)", key);
    }

    c = calloc(1, sizeof(*c));
    if (!c) {
        r = -ENOMEM;
        goto fail;
    }
    const json_t *server = json_object_get(root, "server");
    if (server && !conf_field_expect(server, json_is_object(server), "server", "an object", d))
        server = NULL;
    conf_schema_load(server, &c->server, d);
    conf__overrides(c, ov);
    if (log_level_parse(c->server.log_level, &c->log_level))
        c->log_level = LOG_INFO;
    if (log_format_parse(c->server.log_format, &c->log_format))
        c->log_format = LOG_FORMAT_TEXT;
    c->nzones = json_object_size(json_object_get(root, "zones"));
    c->nrecords = json_array_size(json_object_get(root, "records"));
    c->nrewrites = json_array_size(json_object_get(root, "rewrites"));

    /* Zone files, key files and the state folder named with a relative path are found
     * beside the config file. */
    char base[4096];
    conf_folder(name, base, sizeof(base));
    bool allow_files = !(ov && ov->no_zone_files);
    r = conf__update_files(base, allow_files, c, d);
    if (!r)
        r = conf_dyn_load(root, base, allow_files, c, d);
    if (r)
        goto fail;
    r = ERR_SYNTAX;

    b = zone_builder_new();
    if (!b) {
        r = -ENOMEM;
        goto fail;
    }
    struct snap_opts opts = {
        .udp_max_payload = (uint16_t)c->server.udp_max_payload,
        .rewrite_ttl = 60,
        .log_queries = c->server.log_queries,
    };
    conf__labels(&c->server, &opts);
    opts.forwarding = c->server.upstream.n > 0;
    for (size_t i = 0; i < c->server.allow_recursion.n && i < SNAP_ACL_MAX; i++)
        if (cidr_parse(c->server.allow_recursion.items[i], &opts.acl[opts.nacl]) == 0)
            opts.nacl++;
    conf__hardening(&c->server, &opts);
    zone_builder_set_opts(b, &opts);
    /* The dynamic layer's hooks, seen through a watch that notes static records at dyndns
     * names. */
    r = conf_dyn_watch_init(&watch, c, ov ? ov->dyn : NULL, &hooks);
    if (r)
        goto fail;
    zone_builder_set_hooks(b, hooks);
    conf_data_init(&cd, root, base, allow_files);
    have_cd = true;
    conf_data_build(&cd, b, d);
    r = conf_dyn_check(root, &cd, &watch, c, d);
    if (r)
        goto fail;
    r = ERR_SYNTAX;
    if (!d->errors) {
        r = zone_builder_add_dynamic(b);
        if (r) {
            conf_diag_error(d, "%s: dynamic data: %s", name, err_str(r));
            goto fail;
        }
        r = ERR_SYNTAX;
    }
    c->nzonefiles = cd.zone_files;
    c->nfilerecords = cd.file_records;
    if (d->errors)
        goto fail;

    if (snap_out) {
        r = zone_builder_finish(b, snap_out);
        conf_data_issues(&cd, b, d);
        if (r) {
            if (r != ERR_CONFLICT)
                conf_diag_error(d, "%s: %s", name, err_str(r));
            r = r == ERR_CONFLICT ? ERR_SYNTAX : r;
            goto fail;
        }
        conf_data_check(&cd, *snap_out, d);
        if (d->errors) {
            r = ERR_SYNTAX;
            goto fail;
        }
    }
    c->raw = malloc(len ? len : 1);
    if (!c->raw) {
        r = -ENOMEM;
        goto fail;
    }
    memcpy(c->raw, buf, len);
    c->raw_len = len;
    conf_checksum(buf, len, c->checksum);
    conf_data_deinit(&cd);
    conf_dyn_watch_deinit(&watch);
    zone_builder_free(b);
    json_decref(root);
    *out = c;
    return 0;

fail:
    if (have_cd)
        conf_data_deinit(&cd);
    if (snap_out && *snap_out) {
        snap_free(*snap_out);
        *snap_out = NULL;
    }
    conf_dyn_watch_deinit(&watch);
    zone_builder_free(b);
    conf_free(c);
    json_decref(root);
    return r;
}

int conf_read_file(const char *path, uint8_t **bufp, size_t *lenp, struct conf_diag *d)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            conf_diag_error(d, "Config file not found: %s", path);
        else
            conf_diag_error(d, "%s: cannot open: %s", path, strerror(e));
        return -e;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > CONF_FILE_MAX) {
        conf_diag_error(d, "%s: not a regular file of at most %u MiB", path, CONF_FILE_MAX >> 20);
        close(fd);
        return ERR_SYNTAX;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got != size) {
        conf_diag_error(d, "%s: read error", path);
        free(buf);
        return -EIO;
    }
    *bufp = buf;
    *lenp = size;
    return 0;
}

int conf_load_file(const char *path, const struct conf_overrides *ov, struct conf **out,
                   struct snap **snap_out, struct conf_diag *d)
{
    *out = NULL;
    if (snap_out)
        *snap_out = NULL;
    uint8_t *buf;
    size_t size;
    int r = conf_read_file(path, &buf, &size, d);
    if (r)
        return r;
    r = conf_load(path, buf, size, ov, out, snap_out, d);
    free(buf);
    if (r == 0 && conf_set_path(*out, path)) {
        conf_free(*out);
        *out = NULL;
        if (snap_out) {
            snap_free(*snap_out);
            *snap_out = NULL;
        }
        return -ENOMEM;
    }
    return r;
}

int conf_set_raw(struct conf *c, uint8_t *buf, size_t len)
{
    free(c->raw);
    c->raw = buf;
    c->raw_len = len;
    conf_checksum(buf, len, c->checksum);
    return 0;
}

int conf_set_path(struct conf *c, const char *path)
{
    char *p = strdup(path);
    if (!p)
        return -ENOMEM;
    free(c->path);
    c->path = p;
    return 0;
}

int conf_format_pylist(const struct conf_strlist *l, char *out, size_t cap)
{
    size_t pos = 0;
    if (cap < 3)
        return ERR_SPACE;
    out[pos++] = '[';
    for (size_t i = 0; i < l->n; i++) {
        const char *s = l->items[i];
        /* Python's repr: single quotes unless the string holds one and no double quote. */
        char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
        if (i && pos + 2 < cap) {
            out[pos++] = ',';
            out[pos++] = ' ';
        }
        if (pos + 1 >= cap)
            return ERR_SPACE;
        out[pos++] = q;
        for (; *s; s++) {
            if (pos + 3 >= cap)
                return ERR_SPACE;
            if (*s == q || *s == '\\')
                out[pos++] = '\\';
            out[pos++] = *s;
        }
        if (pos + 1 >= cap)
            return ERR_SPACE;
        out[pos++] = q;
    }
    if (pos + 2 > cap)
        return ERR_SPACE;
    out[pos++] = ']';
    out[pos] = 0;
    return (int)pos;
}
