#include "conf/schema.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/persist.h"
#include "util/base64.h"
#include "util/cidr.h"
#include "util/log.h"
#include "zone/snap.h"

#define OFF(field) offsetof(struct conf_server, field)

void conf_schema_repr(const json_t *v, char *out, size_t cap)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!s) {
        snprintf(out, cap, "?");
        return;
    }
    size_t n = strlen(s);
    if (n + 1 > cap && cap > 4) {
        memcpy(out, s, cap - 4);
        memcpy(out + cap - 4, "...", 4);
    } else {
        snprintf(out, cap, "%s", s);
    }
    free(s);
}

static bool conf_check_port_text(const char *p)
{
    if (!*p || strlen(p) > 5)
        return false;
    for (const char *c = p; *c; c++)
        if (!isdigit((unsigned char)*c))
            return false;
    long v = strtol(p, NULL, 10);
    return v >= 1 && v <= 65535;
}

/* An IP address, or a host name (resolved when the server binds, not here: `check` must
 * not depend on the resolver). */
static bool conf_check_host(const char *path, const char *value, struct conf_diag *d)
{
    unsigned char buf[16];
    if (inet_pton(AF_INET, value, buf) == 1 || inet_pton(AF_INET6, value, buf) == 1)
        return true;
    bool ok = *value && strlen(value) <= 253 && *value != '.' && *value != '-';
    for (const char *c = value; *c && ok; c++)
        ok = isalnum((unsigned char)*c) || *c == '.' || *c == '-' || *c == '_';
    if (!ok)
        conf_diag_error(d, "%s: invalid address \"%s\" (expected an IP address or a host name)",
                        path, value);
    return ok;
}

/* `ip`, `ip:port`, `[v6]:port`, `[v6]` or a bare IPv6 address. */
static bool conf_check_upstream(const char *path, const char *value, struct conf_diag *d)
{
    unsigned char buf[16];
    char host[64];
    if (inet_pton(AF_INET6, value, buf) == 1 || inet_pton(AF_INET, value, buf) == 1)
        return true;
    if (value[0] == '[') {
        const char *end = strchr(value, ']');
        if (end && (size_t)(end - value - 1) < sizeof(host)) {
            memcpy(host, value + 1, (size_t)(end - value - 1));
            host[end - value - 1] = 0;
            if (inet_pton(AF_INET6, host, buf) == 1 &&
                (end[1] == 0 || (end[1] == ':' && conf_check_port_text(end + 2))))
                return true;
        }
    } else {
        const char *colon = strrchr(value, ':');
        if (colon && (size_t)(colon - value) < sizeof(host)) {
            memcpy(host, value, (size_t)(colon - value));
            host[colon - value] = 0;
            if (inet_pton(AF_INET, host, buf) == 1 && conf_check_port_text(colon + 1))
                return true;
        }
    }
    conf_diag_error(d,
                    "%s: invalid upstream \"%s\" (expected an IP address, ip:port, "
                    "[ipv6]:port or an IPv6 address)",
                    path, value);
    return false;
}

/* "host:port" or "[v6]:port"; the host may be a name. */
static bool conf_check_peer(const char *path, const char *value, struct conf_diag *d)
{
    const char *colon = strrchr(value, ':');
    bool ok = colon && colon != value && conf_check_port_text(colon + 1);
    if (ok && value[0] == '[') {
        char host[64];
        unsigned char buf[16];
        size_t span = (size_t)(colon - value); /* "[" host "]" */
        size_t hlen = span >= 2 ? span - 2 : 0;
        ok = span >= 2 && colon[-1] == ']' && hlen < sizeof(host);
        if (ok) {
            memcpy(host, value + 1, hlen);
            host[hlen] = 0;
            ok = inet_pton(AF_INET6, host, buf) == 1;
        }
    } else if (ok) {
        for (const char *c = value; c < colon; c++)
            if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_')
                ok = false;
    }
    if (!ok)
        conf_diag_error(d, "%s: invalid peer \"%s\" (expected \"host:port\")", path, value);
    return ok;
}

static bool conf_check_cidr(const char *path, const char *value, struct conf_diag *d)
{
    struct cidr c;
    if (cidr_parse(value, &c) == 0)
        return true;
    conf_diag_error(d, "%s: invalid address prefix \"%s\" (expected e.g. 10.0.0.0/8 or fd00::/8)",
                    path, value);
    return false;
}

static bool conf_check_log_level(const char *path, const char *value, struct conf_diag *d)
{
    enum log_level l;
    if (log_level_parse(value, &l) == 0)
        return true;
    conf_diag_error(d, "%s: unknown log level \"%s\" (expected DEBUG, INFO, WARNING or ERROR)",
                    path, value);
    return false;
}

static bool conf_check_log_format(const char *path, const char *value, struct conf_diag *d)
{
    enum log_format f;
    if (log_format_parse(value, &f) == 0)
        return true;
    conf_diag_error(d, "%s: unknown log format \"%s\" (expected \"text\" or \"json\")", path,
                    value);
    return false;
}

static bool conf_check_steering(const char *path, const char *value, struct conf_diag *d)
{
    if (!strcmp(value, "auto") || !strcmp(value, "hash") || !strcmp(value, "cpu"))
        return true;
    conf_diag_error(d, "%s: unknown UDP steering \"%s\" (expected \"auto\", \"hash\" or \"cpu\")",
                    path, value);
    return false;
}

/* Empty (no token) or up to 256 visible ASCII characters, as a Bearer token is sent. */
static bool conf_check_token(const char *path, const char *value, struct conf_diag *d)
{
    size_t n = strlen(value);
    bool ok = n <= 256;
    for (const char *c = value; *c && ok; c++)
        ok = *c > 0x20 && *c < 0x7f;
    if (!ok)
        conf_diag_error(d, "%s: invalid token (expected at most 256 visible ASCII characters)",
                        path);
    return ok;
}

static bool conf_check_cookies(const char *path, const char *value, struct conf_diag *d)
{
    if (!strcmp(value, "on") || !strcmp(value, "require") || !strcmp(value, "off"))
        return true;
    conf_diag_error(d, "%s: unknown cookie policy \"%s\" (expected \"on\", \"require\" or \"off\")",
                    path, value);
    return false;
}

/* "" (generated at start) or 32 hex digits: the 128-bit SipHash-2-4 key of RFC 9018. The
 * value is never echoed: it is a secret. */
static bool conf_check_cookie_secret(const char *path, const char *value, struct conf_diag *d)
{
    uint8_t key[16];
    size_t n = strlen(value);
    bool ok = n == 0 || (n == 32 && base64_hex_decode(value, n, key, sizeof(key)) == 16);
    if (!ok)
        conf_diag_error(d, "%s: invalid cookie secret (expected 32 hexadecimal digits, or \"\" "
                           "to generate one)", path);
    return ok;
}

/* A user or group name as useradd accepts it, or a number; whether it exists is checked
 * when the server starts (the config may be checked on another machine). */
static bool conf_check_account(const char *path, const char *value, struct conf_diag *d)
{
    size_t n = strlen(value);
    bool ok = n <= 32 && (n == 0 || value[0] != '-');
    for (size_t i = 0; i < n && ok; i++)
        ok = isalnum((unsigned char)value[i]) || value[i] == '_' || value[i] == '-' ||
             value[i] == '.' || (value[i] == '$' && i == n - 1);
    if (!ok)
        conf_diag_error(d, "%s: invalid name \"%s\"", path, value);
    return ok;
}

/* clang-format off */
const struct conf_opt conf_server_opts[] = {
    {"host", CONF_T_STR, OFF(host), 0, 0, "\"0.0.0.0\"", false, conf_check_host,
     "DNS listen address (UDP and TCP)"},
    {"port", CONF_T_INT, OFF(port), 0, 65535, "53", false, NULL,
     "DNS port (UDP and TCP)"},
    {"upstream", CONF_T_STRLIST, OFF(upstream), 0, 0, "[\"8.8.8.8\", \"1.1.1.1\"]", true,
     conf_check_upstream, "forwarders, tried in order"},
    {"upstream_timeout", CONF_T_NUM, OFF(upstream_timeout), 0.001, 60, "3", true, NULL,
     "seconds per upstream attempt"},
    {"upstream_port", CONF_T_INT, OFF(upstream_port), 1, 65535, "53", true, NULL,
     "port for upstream entries without one"},
    {"cache_enabled", CONF_T_BOOL, OFF(cache_enabled), 0, 0, "true", true, NULL,
     "forwarder cache on or off"},
    {"cache_ttl", CONF_T_INT, OFF(cache_ttl), 0, 2147483647, "300", true, NULL,
     "cap on a cached entry's lifetime, seconds"},
    {"cache_size", CONF_T_INT, OFF(cache_size), 0, 100000000, "1000", false, NULL,
     "maximum cached entries"},
    {"log_level", CONF_T_STR, OFF(log_level), 0, 0, "\"INFO\"", true, conf_check_log_level,
     "DEBUG, INFO, WARNING (WARN) or ERROR"},
    {"log_queries", CONF_T_BOOL, OFF(log_queries), 0, 0, "true", true, NULL,
     "one log line per query"},
    {"hot_reload", CONF_T_BOOL, OFF(hot_reload), 0, 0, "true", true, NULL,
     "watch the config file and reload on change"},
    {"mgmt_host", CONF_T_STR, OFF(mgmt_host), 0, 0, "\"0.0.0.0\"", false, conf_check_host,
     "management API listen address"},
    {"mgmt_port", CONF_T_INT, OFF(mgmt_port), 0, 65535, "0", false, NULL,
     "management API port; 0 = off"},
    {"peers", CONF_T_STRLIST, OFF(peers), 0, 0, "[]", true, conf_check_peer,
     "\"host:port\" management addresses of the other nodes"},
    {"config_version", CONF_T_INT, OFF(config_version), 0, (double)CONF_VERSION_MAX, "1", true,
     NULL, "replication version, managed by the server"},
    /* nanodns additions */
    {"log_format", CONF_T_STR, OFF(log_format), 0, 0, "\"text\"", true, conf_check_log_format,
     "\"text\" (as NanoDNS) or \"json\" (one JSON object per line)"},
    {"udp_max_payload", CONF_T_INT, OFF(udp_max_payload), 512, 4096, "1232", true, NULL,
     "largest UDP response to an EDNS client, bytes"},
    {"tcp_idle_timeout", CONF_T_INT, OFF(tcp_idle_timeout), 1, 3600, "10", true, NULL,
     "seconds before an idle DNS TCP connection is closed"},
    {"tcp_max_clients", CONF_T_INT, OFF(tcp_max_clients), 1, 100000, "250", false, NULL,
     "maximum open DNS TCP connections"},
    {"allow_recursion", CONF_T_STRLIST, OFF(allow_recursion), 0, SNAP_ACL_MAX,
     "[\"127.0.0.0/8\", \"::1/128\", \"10.0.0.0/8\", \"172.16.0.0/12\", \"192.168.0.0/16\", "
     "\"100.64.0.0/10\", \"169.254.0.0/16\", \"fc00::/7\", \"fe80::/10\"]",
     true, conf_check_cidr, "clients that may use forwarding (RA); others get REFUSED"},
    {"identity", CONF_T_LABEL, OFF(identity), 0, 255, "true", true, NULL,
     "hostname.bind, id.server and NSID; true: the host name, false: hidden"},
    {"version", CONF_T_LABEL, OFF(version), 0, 255, "true", true, NULL,
     "version.bind and version.server; true: \"nanodns <version>\", false: hidden"},
    {"mgmt_token", CONF_T_STR, OFF(mgmt_token), 0, 0, "\"\"", true, conf_check_token,
     "bearer token for POST requests to the management API, sent to peers; \"\": none"},
    {"sync_startup_delay", CONF_T_NUM, OFF(sync_startup_delay), 0, 86400, "10", false, NULL,
     "seconds from start to the first pull from peers"},
    {"sync_interval", CONF_T_NUM, OFF(sync_interval), 0.05, 86400, "30", true, NULL,
     "seconds between pulls from peers"},
    {"workers", CONF_T_INT, OFF(workers), 0, 256, "0", false, NULL,
     "UDP worker threads, each with its own SO_REUSEPORT socket; 0 = one per CPU"},
    {"udp_steering", CONF_T_STR, OFF(udp_steering), 0, 0, "\"auto\"", false, conf_check_steering,
     "which worker's socket takes a datagram: hash (of the addresses), cpu (the receiving CPU), "
     "auto (cpu over as many workers as the CPUs the process may run on, when the workers "
     "outnumber them; else hash)"},
    /* dynamic DNS; the files are checked by conf/dyn.c, which knows the config's folder */
    {"state_dir", CONF_T_STR, OFF(state_dir), 0, 0, "\"\"", false, NULL,
     "folder of the dynamic-update journal (LMDB), relative to the config file's folder; "
     "\"\": nanodns-state beside the config"},
    {"update_host", CONF_T_STR, OFF(update_host), 0, 0, "\"0.0.0.0\"", false, conf_check_host,
     "HTTP(S) update API listen address"},
    {"update_port", CONF_T_INT, OFF(update_port), 0, 65535, "0", false, NULL,
     "HTTP(S) update API port (/api/update, /nic/update); 0 = off"},
    {"update_tls_cert", CONF_T_STR, OFF(update_tls_cert), 0, 0, "\"\"", false, NULL,
     "PEM certificate (chain) file for HTTPS on the update port, with update_tls_key; "
     "\"\": plain HTTP"},
    {"update_tls_key", CONF_T_STR, OFF(update_tls_key), 0, 0, "\"\"", false, NULL,
     "PEM private key file for HTTPS on the update port, with update_tls_cert; \"\": plain HTTP"},
    /* hardening */
    {"cookies", CONF_T_STR, OFF(cookies), 0, 0, "\"on\"", true, conf_check_cookies,
     "DNS cookies (RFC 7873): on, require (UDP queries without a valid server cookie get "
     "BADCOOKIE) or off"},
    {"cookie_secret", CONF_T_STR, OFF(cookie_secret), 0, 0, "\"\"", true,
     conf_check_cookie_secret,
     "server cookie secret, 32 hex digits, the same on every node of a cluster; \"\": "
     "generated at start"},
    {"rate_limit", CONF_T_INT, OFF(rate_limit), 0, 1000000, "0", true, NULL,
     "responses per second to one client prefix (response rate limiting); 0 = off"},
    {"rate_limit_nodata", CONF_T_INT, OFF(rate_limit_nodata), -1, 1000000, "-1", true, NULL,
     "NODATA responses per second to one client prefix; -1: as rate_limit, 0: no limit"},
    {"rate_limit_nxdomain", CONF_T_INT, OFF(rate_limit_nxdomain), -1, 1000000, "-1", true, NULL,
     "NXDOMAIN responses per second to one client prefix and zone; -1: as rate_limit, 0: no "
     "limit"},
    {"rate_limit_referrals", CONF_T_INT, OFF(rate_limit_referrals), -1, 1000000, "-1", true,
     NULL, "referrals per second to one client prefix; -1: as rate_limit, 0: no limit"},
    {"rate_limit_errors", CONF_T_INT, OFF(rate_limit_errors), -1, 1000000, "-1", true, NULL,
     "error responses per second to one client prefix; -1: as rate_limit, 0: no limit"},
    {"rate_limit_slip", CONF_T_INT, OFF(rate_limit_slip), 0, 10, "2", true, NULL,
     "every n-th rate-limited response is sent truncated (TC=1) instead of dropped; 0 = never"},
    {"rate_limit_window", CONF_T_INT, OFF(rate_limit_window), 1, 3600, "15", true, NULL,
     "seconds over which a client's excess is remembered"},
    {"rate_limit_ipv4_prefix", CONF_T_INT, OFF(rate_limit_ipv4_prefix), 8, 32, "24", true, NULL,
     "IPv4 clients are counted per prefix of this length"},
    {"rate_limit_ipv6_prefix", CONF_T_INT, OFF(rate_limit_ipv6_prefix), 16, 128, "56", true,
     NULL, "IPv6 clients are counted per prefix of this length"},
    {"rate_limit_exempt", CONF_T_STRLIST, OFF(rate_limit_exempt), 0, SNAP_ACL_MAX, "[]", true,
     conf_check_cidr, "address prefixes never rate limited"},
    {"tcp_max_per_ip", CONF_T_INT, OFF(tcp_max_per_ip), 0, 100000, "16", true, NULL,
     "open DNS TCP connections from one address at most; 0 = no limit"},
    {"http_max_clients", CONF_T_INT, OFF(http_max_clients), 1, 100000, "64", false, NULL,
     "open connections to each HTTP listener (management, update) at most"},
    {"http_max_per_ip", CONF_T_INT, OFF(http_max_per_ip), 0, 100000, "8", false, NULL,
     "open connections from one address to each HTTP listener at most; 0 = no limit"},
    {"http_timeout", CONF_T_INT, OFF(http_timeout), 1, 3600, "10", false, NULL,
     "seconds an HTTP connection may stay idle or take to send a request"},
    {"user", CONF_T_STR, OFF(user), 0, 0, "\"\"", false, conf_check_account,
     "user to run as after binding the sockets (when started as root); \"\": keep"},
    {"group", CONF_T_STR, OFF(group), 0, 0, "\"\"", false, conf_check_account,
     "group to run as with server.user; \"\": the user's primary group"},
};
/* clang-format on */
const size_t conf_server_nopts = sizeof(conf_server_opts) / sizeof(conf_server_opts[0]);

static const char *conf_type_word(const struct conf_opt *o, char *buf, size_t cap)
{
    switch (o->type) {
    case CONF_T_BOOL:
        return "true or false";
    case CONF_T_INT:
        snprintf(buf, cap, "an integer from %.0f to %.0f", o->min, o->max);
        return buf;
    case CONF_T_NUM:
        snprintf(buf, cap, "a number from %g to %g", o->min, o->max);
        return buf;
    case CONF_T_STR:
        return "a string";
    case CONF_T_STRLIST:
        if (o->max > 0) {
            snprintf(buf, cap, "a list of at most %.0f strings", o->max);
            return buf;
        }
        return "a list of strings";
    case CONF_T_LABEL:
        snprintf(buf, cap, "a string of at most %.0f bytes, true or false", o->max);
        return buf;
    }
    return "?";
}

/* Converts one value; returns false (with an error in d) when it does not fit the row. */
static bool conf_schema__set(const struct conf_opt *o, const json_t *v, struct conf_server *s,
                             struct conf_diag *d)
{
    char path[96], got[96], want[96];
    void *field = (char *)s + o->offset;
    snprintf(path, sizeof(path), "server.%s", o->key);
    conf_schema_repr(v, got, sizeof(got));

    switch (o->type) {
    case CONF_T_BOOL:
        if (!json_is_boolean(v))
            break;
        *(bool *)field = json_is_true(v);
        return true;
    case CONF_T_INT:
        if (!json_is_integer(v))
            break;
        if ((double)json_integer_value(v) < o->min || (double)json_integer_value(v) > o->max)
            break;
        *(int64_t *)field = json_integer_value(v);
        return true;
    case CONF_T_NUM:
        if (!json_is_number(v) || json_number_value(v) < o->min || json_number_value(v) > o->max)
            break;
        *(double *)field = json_number_value(v);
        return true;
    case CONF_T_STR:
        if (!json_is_string(v))
            break;
        if (o->check && !o->check(path, json_string_value(v), d))
            return false;
        free(*(char **)field);
        *(char **)field = strdup(json_string_value(v));
        return *(char **)field != NULL;
    case CONF_T_LABEL: {
        struct conf_label *l = field;
        if (json_is_boolean(v)) {
            free(l->text);
            l->text = NULL;
            l->hidden = json_is_false(v);
            return true;
        }
        if (!json_is_string(v) || json_string_length(v) > (size_t)o->max ||
            json_string_length(v) == 0)
            break;
        free(l->text);
        l->text = strdup(json_string_value(v));
        l->hidden = false;
        return l->text != NULL;
    }
    case CONF_T_STRLIST: {
        if (!json_is_array(v) || (o->max > 0 && (double)json_array_size(v) > o->max))
            break;
        struct conf_strlist l = {0};
        size_t n = json_array_size(v);
        bool ok = true;
        l.items = calloc(n ? n : 1, sizeof(char *));
        if (!l.items)
            return false;
        for (size_t i = 0; i < n; i++) {
            const json_t *it = json_array_get(v, i);
            char ipath[128];
            snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
            if (!json_is_string(it)) {
                conf_schema_repr(it, got, sizeof(got));
                conf_diag_error(d, "%s: expected a string, got %s", ipath, got);
                ok = false;
                continue;
            }
            if (o->check && !o->check(ipath, json_string_value(it), d)) {
                ok = false;
                continue;
            }
            l.items[l.n++] = strdup(json_string_value(it));
        }
        struct conf_strlist *dst = field;
        for (size_t i = 0; i < dst->n; i++)
            free(dst->items[i]);
        free(dst->items);
        *dst = l;
        return ok;
    }
    }
    conf_diag_error(d, "%s: expected %s, got %s", path, conf_type_word(o, want, sizeof(want)), got);
    return false;
}

void conf_schema_load(const json_t *server, struct conf_server *out, struct conf_diag *d)
{
    for (size_t i = 0; i < conf_server_nopts; i++) {
        const struct conf_opt *o = &conf_server_opts[i];
        /* The default first, so a bad value still leaves a usable field behind. */
        json_t *def = json_loads(o->def, JSON_DECODE_ANY, NULL);
        if (def) {
            conf_schema__set(o, def, out, d);
            json_decref(def);
        }
        const json_t *v = server ? json_object_get(server, o->key) : NULL;
        if (v)
            conf_schema__set(o, v, out, d);
    }
    if (!server)
        return;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)server, key, v)
    {
        bool known = false;
        for (size_t i = 0; i < conf_server_nopts && !known; i++)
            known = strcmp(conf_server_opts[i].key, key) == 0;
        if (!known)
            conf_diag_warn(d, "server.%s: unknown key (ignored)", key);
    }
}

static bool conf_schema__same(const struct conf_opt *o, const struct conf_server *a,
                              const struct conf_server *b)
{
    const void *fa = (const char *)a + o->offset, *fb = (const char *)b + o->offset;
    switch (o->type) {
    case CONF_T_BOOL:
        return *(const bool *)fa == *(const bool *)fb;
    case CONF_T_INT:
        return *(const int64_t *)fa == *(const int64_t *)fb;
    case CONF_T_NUM:
        return *(const double *)fa == *(const double *)fb;
    case CONF_T_STR: {
        const char *x = *(char *const *)fa, *y = *(char *const *)fb;
        return strcmp(x ? x : "", y ? y : "") == 0;
    }
    case CONF_T_LABEL: {
        const struct conf_label *x = fa, *y = fb;
        return x->hidden == y->hidden &&
               strcmp(x->text ? x->text : "", y->text ? y->text : "") == 0;
    }
    case CONF_T_STRLIST: {
        const struct conf_strlist *x = fa, *y = fb;
        if (x->n != y->n)
            return false;
        for (size_t i = 0; i < x->n; i++)
            if (strcmp(x->items[i], y->items[i]) != 0)
                return false;
        return true;
    }
    }
    return true;
}

size_t conf_schema_restart_changes(const struct conf_server *old, const struct conf_server *nw,
                                   const char **names, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < conf_server_nopts; i++) {
        const struct conf_opt *o = &conf_server_opts[i];
        if (!o->live && !conf_schema__same(o, old, nw) && n < cap)
            names[n++] = o->key;
    }
    return n;
}

void conf_schema_free(struct conf_server *s)
{
    for (size_t i = 0; i < conf_server_nopts; i++) {
        const struct conf_opt *o = &conf_server_opts[i];
        void *field = (char *)s + o->offset;
        if (o->type == CONF_T_STR) {
            free(*(char **)field);
            *(char **)field = NULL;
        } else if (o->type == CONF_T_LABEL) {
            struct conf_label *l = field;
            free(l->text);
            l->text = NULL;
        } else if (o->type == CONF_T_STRLIST) {
            struct conf_strlist *l = field;
            for (size_t k = 0; k < l->n; k++)
                free(l->items[k]);
            free(l->items);
            l->items = NULL;
            l->n = 0;
        }
    }
}
