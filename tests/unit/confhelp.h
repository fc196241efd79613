#pragma once
/*
 * Helpers for the config tests: load JSON, look for a diagnostic, look at the snapshot.
 * Header-only; each test includes it once.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "conf/diag.h"
#include "conf/schema.h"
#include "dns/dns.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "util/err.h"
#include "zone/snap.h"
#include "zone/zone.h"

struct ld {
    int r;
    struct conf *c;
    struct snap *s;
    struct conf_diag d;
};

static inline void ld_dump(const struct ld *l)
{
    fprintf(stderr, "conf_load returned %d (%zu errors, %zu warnings):\n", l->r, l->d.errors,
            l->d.warnings);
    for (size_t i = 0; i < l->d.n; i++)
        fprintf(stderr, "  %s: %s\n", l->d.msgs[i].error ? "error" : "warning", l->d.msgs[i].text);
}

/* Loads `json` (with a snapshot when want_snap) and checks the loader's own contract. */
static inline void ld_run_len(struct ld *l, const char *json, size_t len,
                              const struct conf_overrides *ov, bool want_snap)
{
    memset(l, 0, sizeof(*l));
    conf_diag_init(&l->d);
    l->c = (struct conf *)1; /* conf_load must set it in every case */
    l->r = conf_load("test.json", (const uint8_t *)json, len, ov, &l->c, want_snap ? &l->s : NULL,
                     &l->d);
    if (l->r == 0) {
        assert_non_null(l->c);
        assert_int_equal(l->d.errors, 0);
        if (want_snap)
            assert_non_null(l->s);
        assert_int_equal(l->c->raw_len, len);
        if (len)
            assert_memory_equal(l->c->raw, json, len);
        assert_null(l->c->path);
    } else {
        assert_null(l->c);
        assert_null(l->s);
        assert_true(l->d.errors > 0);
    }
}

static inline void ld_run(struct ld *l, const char *json, bool want_snap)
{
    ld_run_len(l, json, strlen(json), NULL, want_snap);
}

static inline void ld_free(struct ld *l)
{
    conf_diag_deinit(&l->d);
    conf_free(l->c);
    snap_free(l->s);
    memset(l, 0, sizeof(*l));
}

static inline bool ld_has(const struct ld *l, bool error, const char *text)
{
    for (size_t i = 0; i < l->d.n; i++)
        if (l->d.msgs[i].error == error && strcmp(l->d.msgs[i].text, text) == 0)
            return true;
    return false;
}

#define assert_diag(l, error, text)                                                                \
    do {                                                                                           \
        if (!ld_has((l), (error), (text))) {                                                       \
            ld_dump(l);                                                                            \
            fail_msg("expected %s: %s", (error) ? "error" : "warning", (text));                    \
        }                                                                                          \
    } while (0)

/* The config must load (with its snapshot) without errors; `nwarn` warnings exactly. */
static inline void expect_ok(struct ld *l, const char *json, size_t nwarn)
{
    ld_run(l, json, true);
    if (l->r != 0 || l->d.warnings != nwarn) {
        ld_dump(l);
        fail_msg("expected success with %zu warnings: %s", nwarn, json);
    }
}

/* The config must be rejected with exactly this error among its messages. */
static inline void expect_error(const char *json, const char *msg)
{
    struct ld l;
    ld_run(&l, json, true);
    if (l.r != ERR_SYNTAX) {
        ld_dump(&l);
        fail_msg("expected ERR_SYNTAX for %s", json);
    }
    assert_diag(&l, true, msg);
    ld_free(&l);
}

/* The node of a presentation-form name in a snapshot (lower-cased lookup), or NULL. */
static inline const struct zone_node *node_of(const struct snap *s, const char *text)
{
    uint8_t name[DNS_NAME_MAXLEN];
    size_t len;
    assert_int_equal(dns_name_from_text(text, strlen(text), NULL, name, &len), 0);
    dns_name_lower(name);
    return zone_tree_get(&s->names, name, len);
}

/* Presentation form of RDATA number `idx` of the `type` RRset at `owner`. */
static inline void rdata_text(const struct snap *s, const char *owner, uint16_t type, unsigned idx,
                              char *out, size_t cap)
{
    const struct zone_node *n = node_of(s, owner);
    assert_non_null(n);
    const struct zone_rrset *rs = zone_node_rrset(n, type);
    assert_non_null(rs);
    assert_true(idx < rs->count);
    const uint8_t *p = rs->rdata, *rd = NULL;
    uint16_t len = 0;
    for (unsigned i = 0; i <= idx; i++)
        p = zone_rdata_next(p, &rd, &len);
    assert_true(dns_rdata_to_text(type, rd, len, out, cap) >= 0);
}

static inline void assert_rdata(const struct snap *s, const char *owner, uint16_t type,
                                unsigned idx, const char *want)
{
    char buf[1024];
    rdata_text(s, owner, type, idx, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static inline const struct zone *zone_named(const struct snap *s, const char *text)
{
    const struct zone_node *n = node_of(s, text);
    assert_non_null(n);
    assert_true(n->flags & ZONE_NODE_APEX);
    return n->zone;
}

/* ---- the example and the defaults ---------------------------------------------------------- */

/* One record object as JSON text. */
#define REC(name, type, value)                                                                     \
    "{\"name\": \"" name "\", \"type\": \"" type "\", \"value\": \"" value "\"}"
