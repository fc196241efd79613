/*
 * The top-level `tsig_keys` of the config: one entry per key name, with its algorithm and
 * its secret, into c->tsig_keys (conf_dyn_load calls conf_dyn__keys first).
 *
 * Secrets come inline (`secret`, base64) or from a file (`secret_file`): either bare base64
 * or a BIND key file as tsig-keygen writes it (key "k" { algorithm hmac-sha256; secret
 * "..."; };). Buffers that held a secret are wiped before they are freed, and no message
 * quotes a secret or a token: a config error is printed by `check` and logged by `start`,
 * and neither output is a place for credentials.
 *
 * A file of its own, apart from conf/dyn.c, because reading key files (a small BIND parser,
 * file limits, wiping) is a job of its own that the dyndns and allow_update parts do not
 * share; it uses conf/dyn.c's helpers through conf/dyn_int.h.
 */
#include "conf/dyn.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/dyn_int.h"
#include "conf/field.h"
#include "dns/name.h"
#include "util/base64.h"
#include "util/err.h"

#define CONF_DYN_SECRET_MAX  512
#define CONF_DYN_KEYFILE_MAX (64u * 1024)
#define CONF_DYN_ALGS        "hmac-sha256, hmac-sha512 or hmac-sha1"

/* ---- files --------------------------------------------------------------------------------- */

/* Reads a small file whole, NUL-terminated. Returns 0, a negative errno value or
 * ERR_LIMIT (not a regular file of at most CONF_DYN_KEYFILE_MAX bytes). */
static int conf_dyn__slurp(const char *path, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > CONF_DYN_KEYFILE_MAX) {
        close(fd);
        return S_ISDIR(st.st_mode) ? -EISDIR : ERR_LIMIT;
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *buf = malloc(size + 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = -errno;
            explicit_bzero(buf, got);
            free(buf);
            close(fd);
            return e;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = 0;
    *out = buf;
    *len = got;
    return 0;
}

/* ---- tsig_keys ----------------------------------------------------------------------------- */

static int conf_dyn__alg(const char *text, size_t len, enum conf_tsig_alg *out)
{
    static const struct {
        const char *name;
        enum conf_tsig_alg alg;
    } algs[] = {
        {"hmac-sha256", CONF_TSIG_HMAC_SHA256},
        {"hmac-sha512", CONF_TSIG_HMAC_SHA512},
        {"hmac-sha1", CONF_TSIG_HMAC_SHA1},
    };
    if (len && text[len - 1] == '.')
        len--;
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        if (strlen(algs[i].name) == len && strncasecmp(algs[i].name, text, len) == 0) {
            *out = algs[i].alg;
            return 0;
        }
    }
    return ERR_SYNTAX;
}

static const char *conf_dyn__alg_name(enum conf_tsig_alg a)
{
    return a == CONF_TSIG_HMAC_SHA1     ? "hmac-sha1"
           : a == CONF_TSIG_HMAC_SHA512 ? "hmac-sha512"
                                        : "hmac-sha256";
}

/* Decodes base64 text (blanks between its pieces allowed) into k->secret. `where` starts
 * the messages; `hint` ends the one for bad base64. Returns 0 or -ENOMEM. */
static int conf_dyn__decode(const char *text, size_t len, struct conf_tsig_key *k,
                            const char *where, const char *hint, struct conf_diag *d)
{
    char *b64 = malloc(len + 1);
    uint8_t *raw = malloc(CONF_DYN_SECRET_MAX);
    int r = 0;
    if (!b64 || !raw) {
        r = -ENOMEM;
        goto out;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)text[i]))
            b64[n++] = text[i];
    if (n == 0) {
        conf_diag_error(d, "%s: empty secret (expected the base64 text of 1 to %d bytes)", where,
                        CONF_DYN_SECRET_MAX);
        goto out;
    }
    int got = base64_decode(b64, n, raw, CONF_DYN_SECRET_MAX);
    if (got == ERR_SPACE) {
        conf_diag_error(d, "%s: the secret is longer than %d bytes once decoded", where,
                        CONF_DYN_SECRET_MAX);
        goto out;
    }
    if (got <= 0) {
        conf_diag_error(d, "%s: the secret is not valid base64%s", where, hint);
        goto out;
    }
    k->secret = malloc((size_t)got);
    if (!k->secret) {
        r = -ENOMEM;
        goto out;
    }
    memcpy(k->secret, raw, (size_t)got);
    k->secret_len = (size_t)got;
out:
    if (b64) {
        explicit_bzero(b64, len + 1);
        free(b64);
    }
    if (raw) {
        explicit_bzero(raw, CONF_DYN_SECRET_MAX);
        free(raw);
    }
    return r;
}

/* Blanks the comments of a BIND config text (#, //, C style), outside quoted strings. */
static void conf_dyn__blank_comments(char *s, size_t len)
{
    bool quoted = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') {
            quoted = !quoted;
        } else if (quoted) {
            continue;
        } else if (s[i] == '#' || (s[i] == '/' && i + 1 < len && s[i + 1] == '/')) {
            for (; i < len && s[i] != '\n'; i++)
                s[i] = ' ';
        } else if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
            size_t j = i + 2;
            while (j + 1 < len && !(s[j] == '*' && s[j + 1] == '/'))
                j++;
            j = j + 1 < len ? j + 2 : len;
            memset(s + i, ' ', j - i);
            i = j - 1;
        }
    }
}

/* The statements of a BIND key file that matter here: `secret "..."` (required for the file
 * to count as one) and `algorithm name`. The file text must have its comments blanked. */
struct conf_dyn_bindkey {
    const char *secret, *alg;
    size_t secret_len, alg_len;
};

static bool conf_dyn__bind_key(const char *s, size_t len, struct conf_dyn_bindkey *bk)
{
    memset(bk, 0, sizeof(*bk));
    size_t i = 0;
    while (i < len) {
        if (s[i] == '"') { /* skip a quoted string: key "name" */
            const char *q = memchr(s + i + 1, '"', len - i - 1);
            i = q ? (size_t)(q - s) + 1 : len;
            continue;
        }
        if (!isalpha((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t w = i;
        while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_'))
            i++;
        size_t wlen = i - w;
        while (i < len && isspace((unsigned char)s[i]))
            i++;
        if (wlen == 6 && strncasecmp(s + w, "secret", 6) == 0 && i < len && s[i] == '"') {
            const char *q = memchr(s + i + 1, '"', len - i - 1);
            if (!q)
                return false;
            if (!bk->secret) {
                bk->secret = s + i + 1;
                bk->secret_len = (size_t)(q - bk->secret);
            }
            i = (size_t)(q - s) + 1;
        } else if (wlen == 9 && strncasecmp(s + w, "algorithm", 9) == 0 && !bk->alg) {
            bool q = i < len && s[i] == '"';
            size_t a = q ? i + 1 : i;
            size_t e = a;
            while (e < len && s[e] != ';' && s[e] != '"' && !isspace((unsigned char)s[e]))
                e++;
            bk->alg = s + a;
            bk->alg_len = e - a;
            i = e;
        }
    }
    return bk->secret != NULL;
}

static int conf_dyn__secret_file(const char *path, const char *file, const char *base,
                                 bool allow_files, bool have_alg, struct conf_tsig_key *k,
                                 struct conf_diag *d)
{
    char where[4400];
    if (!allow_files) {
        conf_diag_error(d, "%s.secret_file: files are not allowed here", path);
        return 0;
    }
    char *full = conf_dyn_path(base, file);
    if (!full)
        return -ENOMEM;
    char *text = NULL, *bind = NULL;
    size_t len = 0;
    int r = conf_dyn__slurp(full, &text, &len);
    if (r == -ENOMEM)
        goto out;
    if (r == ERR_LIMIT) {
        conf_diag_error(d, "%s.secret_file: %s is not a regular file of at most %u KiB", path, full,
                        CONF_DYN_KEYFILE_MAX >> 10);
        r = 0;
        goto out;
    }
    if (r) {
        conf_diag_error(d, "%s.secret_file: cannot read %s: %s", path, full, strerror(-r));
        r = 0;
        goto out;
    }
    snprintf(where, sizeof(where), "%s.secret_file: %s", path, full);
    /* Comments are blanked in a copy: "//" may be part of a bare base64 secret. */
    bind = malloc(len + 1);
    if (!bind) {
        r = -ENOMEM;
        goto out;
    }
    memcpy(bind, text, len + 1);
    conf_dyn__blank_comments(bind, len);
    struct conf_dyn_bindkey bk;
    if (!conf_dyn__bind_key(bind, len, &bk)) {
        r = conf_dyn__decode(text, len, k, where,
                             " (expected base64 text or a BIND key file with secret \"...\";)", d);
        goto out;
    }
    if (bk.alg) {
        enum conf_tsig_alg alg;
        if (conf_dyn__alg(bk.alg, bk.alg_len, &alg)) {
            conf_diag_error(d, "%s: unknown algorithm \"%.*s\" (expected " CONF_DYN_ALGS ")", where,
                            (int)(bk.alg_len > 64 ? 64 : bk.alg_len), bk.alg);
        } else if (!have_alg) {
            k->alg = alg; /* the key file says which, the config does not */
        } else if (alg != k->alg) {
            conf_diag_error(d, "%s.algorithm: %s, but the key file %s says %s", path,
                            conf_dyn__alg_name(k->alg), full, conf_dyn__alg_name(alg));
        }
    }
    r = conf_dyn__decode(bk.secret, bk.secret_len, k, where, "", d);
out:
    if (text) {
        explicit_bzero(text, len);
        free(text);
    }
    if (bind) {
        explicit_bzero(bind, len);
        free(bind);
    }
    free(full);
    return r;
}

static int conf_dyn__key(const char *kname, const json_t *kv, const char *base, bool allow_files,
                         struct conf_tsig_key *k, struct conf_diag *d)
{
    static const char *const known[] = {"algorithm", "secret", "secret_file", "comment", NULL};
    char path[300];
    int err = 0;
    snprintf(path, sizeof(path), "tsig_keys[\"%s\"]", kname);
    conf_dyn__name(kname, path, k->wire, &k->name, d, &err);
    if (err)
        return err;
    if (!json_is_object(kv)) { /* not quoted: it may be the secret itself */
        conf_diag_error(d, "%s: expected an object, got %s", path, conf_dyn__type(kv));
        return 0;
    }
    conf_field_unknown(kv, known, path, d);

    k->alg = CONF_TSIG_HMAC_SHA256;
    const char *alg = NULL;
    bool have_alg = false;
    if (conf_field_str(kv, "algorithm", path, false, &alg, d) && alg) {
        have_alg = conf_dyn__alg(alg, strlen(alg), &k->alg) == 0;
        if (!have_alg)
            conf_diag_error(d,
                            "%s.algorithm: unknown algorithm \"%s\" (expected " CONF_DYN_ALGS ")",
                            path, alg);
    }

    const char *secret = conf_dyn__credential(kv, "secret", path, d);
    const char *file = NULL;
    bool file_ok = conf_field_str(kv, "secret_file", path, false, &file, d);
    bool have_secret = json_object_get(kv, "secret") != NULL;
    bool have_file = json_object_get(kv, "secret_file") != NULL;
    if (have_secret && have_file) {
        conf_diag_error(d, "%s: give \"secret\" or \"secret_file\", not both", path);
        return 0;
    }
    if (!have_secret && !have_file) {
        conf_diag_error(d, "%s: missing required key \"secret\" (or \"secret_file\")", path);
        return 0;
    }
    if (secret) {
        char where[320];
        snprintf(where, sizeof(where), "%s.secret", path);
        return conf_dyn__decode(secret, strlen(secret), k, where, "", d);
    }
    if (file_ok && file && !file[0]) {
        conf_diag_error(d, "%s.secret_file: empty file name", path);
        return 0;
    }
    if (file_ok && file)
        return conf_dyn__secret_file(path, file, base, allow_files, have_alg, k, d);
    return 0;
}

int conf_dyn__keys(const json_t *root, const char *base, bool allow_files, struct conf *c,
                   struct conf_diag *d)
{
    const json_t *keys = json_object_get(root, "tsig_keys");
    if (!keys)
        return 0;
    if (!json_is_object(keys)) {
        conf_diag_error(d, "tsig_keys: expected an object, got %s", conf_dyn__type(keys));
        return 0;
    }
    size_t n = json_object_size(keys);
    const char **written = calloc(n ? n : 1, sizeof(*written));
    c->tsig_keys = calloc(n ? n : 1, sizeof(*c->tsig_keys));
    if (!written || !c->tsig_keys) {
        free(written);
        return -ENOMEM;
    }
    c->ntsig_keys = n;
    size_t i = 0;
    const char *kname;
    const json_t *kv;
    int r = 0;
    json_object_foreach((json_t *)keys, kname, kv)
    {
        struct conf_tsig_key *k = &c->tsig_keys[i];
        written[i++] = kname;
        r = conf_dyn__key(kname, kv, base, allow_files, k, d);
        if (r)
            break;
        for (size_t j = 0; k->name && j + 1 < i; j++) {
            if (c->tsig_keys[j].name && dns_name_equal(c->tsig_keys[j].wire, k->wire)) {
                conf_diag_error(d, "tsig_keys[\"%s\"]: the same key name as tsig_keys[\"%s\"]",
                                kname, written[j]);
                break;
            }
        }
    }
    free(written);
    return r;
}
