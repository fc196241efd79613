#pragma once
/*
 * The dynamic-DNS sections of the config (issue 7): the top-level `tsig_keys` and `dyndns`,
 * and zones.<zone>.allow_update, into the fields of struct conf (conf/conf.h), with messages
 * naming the JSON path. Secrets and tokens are never put in a message. (The server.* keys
 * are schema rows; conf.c resolves their paths.)
 *
 * conf_load calls, in order: conf_dyn_load (what needs no zone list), conf_dyn_watch_init
 * (its hooks see every static RR given to the builder, to find static records at dyndns
 * names), conf_data_build, then conf_dyn_check (dyndns names against the declared zones,
 * allow_update against tsig_keys). Everything allocated is owned by struct conf and freed
 * by conf_dyn_free. Control plane only; single-threaded.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "conf/data.h"
#include "conf/diag.h"
#include "zone/build.h"

/* Fills tsig_keys and dyndns (without their zones). `base` is the config file's folder ("."
 * for none); with `allow_files` false, naming a file is an error (untrusted input). Returns
 * 0 (errors go to `d`) or -ENOMEM. */
int conf_dyn_load(const json_t *root, const char *base, bool allow_files, struct conf *c,
                  struct conf_diag *d);

/* `rel` seen from the folder `base`, malloc'ed: unchanged when absolute or base is ".". */
char *conf_dyn_path(const char *base, const char *rel);

/* Watches the static RRs added to a builder for records at dyndns names, passing every
 * call on to `inner` (the dynamic layer's hooks, or NULL). */
struct conf_dyn_watch {
    struct zone_builder_hooks inner;
    struct zone_builder_hooks hooks; /* what to give zone_builder_set_hooks */
    const struct conf *c;
    const struct conf_dyndns **sorted; /* the valid dyndns entries in name order */
    size_t nsorted;
    uint8_t *seen; /* per dyndns entry: CONF_DYN_SEEN_* bits */
};

/* Returns 0 or -ENOMEM; *hooks_out is what to install (NULL: no hooks at all). `w` must
 * stay in place while the builder is used; conf_dyn_watch_deinit on a zeroed or
 * initialized watch frees it. */
int conf_dyn_watch_init(struct conf_dyn_watch *w, const struct conf *c,
                        const struct zone_builder_hooks *inner,
                        const struct zone_builder_hooks **hooks_out);
void conf_dyn_watch_deinit(struct conf_dyn_watch *w);

/* After conf_data_build: the zone of each dyndns name, static records at those names, and
 * every zones.<zone>.allow_update. Returns 0 (errors go to `d`) or -ENOMEM. */
int conf_dyn_check(const json_t *root, const struct conf_data *cd, const struct conf_dyn_watch *w,
                   struct conf *c, struct conf_diag *d);

/* Frees what conf_dyn_load and conf_dyn_check put in `c` (and the resolved server paths),
 * wiping secrets first. */
void conf_dyn_free(struct conf *c);
