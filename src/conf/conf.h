#pragma once
/*
 * The NanoDNS-compatible JSON config (../shared/reference/nanodns-compat.md section 1 plus
 * our own keys, all listed in conf/schema.c): loading, validation with precise messages, and
 * turning zones, records and rewrites into a snapshot (zone/build.h).
 *
 * conf_load() never publishes anything: it returns a new `struct conf` and a new snapshot,
 * or errors in `diag`, so a broken file can never replace a working config. The result is
 * owned by the caller (conf_free, snap_free). Control plane only; single-threaded.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/diag.h"
#include "util/log.h"
#include "zone/build.h"
#include "zone/snap.h"

struct conf_strlist {
    char **items;
    size_t n;
};

/* A text the server tells about itself: NULL text means the built-in default. */
struct conf_label {
    char *text;
    bool hidden;
};

/* The `server` object. Every field has a row in conf/schema.c. */
struct conf_server {
    char *host;
    int64_t port;
    struct conf_strlist upstream;
    double upstream_timeout;
    int64_t upstream_port;
    bool cache_enabled;
    int64_t cache_ttl;
    int64_t cache_size;
    char *log_level;
    bool log_queries;
    bool hot_reload;
    char *mgmt_host;
    int64_t mgmt_port;
    struct conf_strlist peers;
    int64_t config_version;
    /* nanodns additions */
    char *log_format;
    int64_t udp_max_payload;
    int64_t tcp_idle_timeout;
    int64_t tcp_max_clients;
    struct conf_label identity;
    struct conf_label version;
    struct conf_strlist allow_recursion;
    char *mgmt_token; /* "" = none */
    double sync_startup_delay;
    double sync_interval;
    int64_t workers;    /* 0 = one per CPU */
    char *udp_steering; /* "auto", "hash" or "cpu" (net_addr_udp_steering) */
    /* dynamic DNS (issue 7): the journal's folder and the HTTP(S) update listener */
    char *state_dir; /* as written; "" = nanodns-state beside the config */
    char *update_host;
    int64_t update_port;   /* 0 = off */
    char *update_tls_cert; /* "" = plain HTTP; set together with update_tls_key */
    char *update_tls_key;
    /* hardening (issue 8) */
    char *cookies;       /* "on", "require" or "off" (DNS cookies, RFC 7873) */
    char *cookie_secret; /* 32 hex digits (the SipHash-2-4 key); "" = generated at start */
    int64_t rate_limit;  /* responses per second per client prefix; 0 = off */
    int64_t rate_limit_nodata;    /* -1: as rate_limit */
    int64_t rate_limit_nxdomain;  /* -1: as rate_limit */
    int64_t rate_limit_referrals; /* -1: as rate_limit */
    int64_t rate_limit_errors;    /* -1: as rate_limit */
    int64_t rate_limit_slip;      /* every n-th dropped response goes out truncated; 0 never */
    int64_t rate_limit_window;    /* seconds of debt a bucket may run up */
    int64_t rate_limit_ipv4_prefix;
    int64_t rate_limit_ipv6_prefix;
    struct conf_strlist rate_limit_exempt;
    int64_t tcp_max_per_ip; /* 0 = no limit */
    int64_t http_max_clients;
    int64_t http_max_per_ip;
    int64_t http_timeout;
    char *user;  /* "" = keep the starting user */
    char *group; /* "" = the user's primary group */
};

/* TSIG (RFC 8945) keys of the top-level `tsig_keys` object. */
enum conf_tsig_alg { CONF_TSIG_HMAC_SHA1, CONF_TSIG_HMAC_SHA256, CONF_TSIG_HMAC_SHA512 };
struct conf_tsig_key {
    char *name;        /* lowercase, no trailing dot */
    uint8_t wire[256]; /* the name in wire form, lowercase */
    enum conf_tsig_alg alg;
    uint8_t *secret; /* decoded */
    size_t secret_len;
};

/* One host of the top-level `dyndns` list. */
struct conf_dyndns {
    char *name;        /* lowercase, no trailing dot */
    uint8_t wire[256]; /* wire form, lowercase */
    uint8_t zone[256]; /* wire form of the apex of the zone it lies in (the longest match) */
    char *token;
    int64_t expire; /* seconds; 0 = never */
    uint32_t ttl;
};

struct conf_update_acl {       /* one zones.<zone>.allow_update */
    uint8_t apex[256];         /* wire form, lowercase */
    struct conf_strlist allow; /* entries as written: "key:<name>" or a CIDR */
};

struct conf {
    struct conf_server server;
    enum log_level log_level;
    enum log_format log_format;
    /* counts as NanoDNS reports them (JSON array/object sizes) */
    size_t nrecords;
    size_t nzones;
    size_t nrewrites;
    size_t nzonefiles;   /* zones read from zone files */
    size_t nfilerecords; /* records read from them */
    char *path;          /* NULL for the embedded example */
    uint8_t *raw;        /* the exact bytes loaded */
    size_t raw_len;
    char checksum[17]; /* first 16 hex digits of SHA-256 over raw, as NanoDNS */
    /* Dynamic DNS (conf/dyn.h). Paths are resolved against the config file's folder (the
     * current folder for the embedded example). */
    char *state_path;           /* server.state_dir, or <config folder>/nanodns-state */
    char *update_tls_cert_path; /* NULL: plain HTTP */
    char *update_tls_key_path;  /* NULL: plain HTTP */
    struct conf_tsig_key *tsig_keys;
    size_t ntsig_keys;
    struct conf_dyndns *dyndns;
    size_t ndyndns;
    struct conf_update_acl *update_acls; /* only zones that have allow_update */
    size_t nupdate_acls;
};

/* Command-line settings that win over the file, on every (re)load. */
struct conf_overrides {
    const char *host;
    int port; /* -1: not set */
    const char *mgmt_host;
    int mgmt_port; /* -1: not set */
    const char *log_level;
    bool no_cache;
    bool no_zone_files; /* refuse zones.<name>.file (for untrusted input: the fuzzer) */
    /* The dynamic layer put on top of the static data (update/dyn.h); NULL: none. */
    const struct zone_builder_hooks *dyn;
};

#define CONF_OVERRIDES_NONE                                                                        \
    {                                                                                              \
        .port = -1, .mgmt_port = -1                                                                \
    }

/*
 * Loads a config from `buf` (`name` is the file name used in messages; zone files named
 * with a relative path are looked for in its folder). With `snap_out` NULL only the JSON is
 * validated and zone files are read, but the snapshot checks (CNAME conflicts, name server
 * addresses) need it: `nanodns check` passes a pointer and frees the result. Returns 0 or
 * ERR_SYNTAX when diag has errors, -ENOMEM on allocation failure.
 */
int conf_load(const char *name, const uint8_t *buf, size_t len, const struct conf_overrides *ov,
              struct conf **out, struct snap **snap_out, struct conf_diag *diag);

/* Reads `path` and calls conf_load. A file that cannot be read is an error in diag. */
int conf_load_file(const char *path, const struct conf_overrides *ov, struct conf **out,
                   struct snap **snap_out, struct conf_diag *diag);

void conf_free(struct conf *c);

/* The folder of the config file `path` ("." for a bare file name, "/" for a file at the
 * root): where relative paths in the config start. Any thread. */
void conf_folder(const char *path, char *out, size_t cap);

/* Reads a config file whole (at most CONF_FILE_MAX bytes) into a malloc'ed buffer. Returns 0,
 * or an error (also in diag). */
int conf_read_file(const char *path, uint8_t **buf, size_t *len, struct conf_diag *d);
/* Replaces the bytes the config is said to come from (takes `buf`, a malloc'ed buffer) and
 * recomputes the checksum: a version bump changes the bytes, not the meaning. */
int conf_set_raw(struct conf *c, uint8_t *buf, size_t len);
/* Names the file the config came from (conf_load leaves it NULL). 0 or -ENOMEM. */
int conf_set_path(struct conf *c, const char *path);

/* The NanoDNS checksum: the first 16 hex digits of SHA-256 over `buf`, NUL-terminated. */
void conf_checksum(const uint8_t *buf, size_t len, char out[17]);

/* The example config that NanoDNS's `init` writes, embedded byte for byte. */
const uint8_t *conf_example(size_t *len);

/* "['8.8.8.8', '1.1.1.1']", as Python prints a list of strings. */
int conf_format_pylist(const struct conf_strlist *l, char *out, size_t cap);
