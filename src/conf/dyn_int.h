#pragma once
/*
 * Internal to the dynamic-DNS config sections: conf/dyn.c (dyndns, allow_update, the
 * builder watch) and conf/dyn_tsig.c (tsig_keys and their secrets). Other modules use
 * conf/dyn.h only. Control plane only; single-threaded, like conf/dyn.h.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "conf/diag.h"

/* In conf/dyn.c, for both sections. */

/* "a string, got a number": the type only, for values that may be credentials. */
const char *conf_dyn__type(const json_t *v);
/* A string value that must never be printed (a secret or a token); NULL when absent or
 * not a string (with an error in the second case). */
const char *conf_dyn__credential(const json_t *obj, const char *key, const char *path,
                                 struct conf_diag *d);
/* The lower-cased wire form and text (no trailing dot) of a name; false with an error
 * (*err set to -ENOMEM when that was the cause). */
bool conf_dyn__name(const char *text, const char *path, uint8_t wire[256], char **name,
                    struct conf_diag *d, int *err);

/* In conf/dyn_tsig.c. */

/* Fills c->tsig_keys from the top-level `tsig_keys`, index-aligned with its object order;
 * `base` and `allow_files` as for conf_dyn_load. Returns 0 (errors go to `d`) or -ENOMEM. */
int conf_dyn__keys(const json_t *root, const char *base, bool allow_files, struct conf *c,
                   struct conf_diag *d);
