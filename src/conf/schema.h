#pragma once
/*
 * The `server` option table: one row per key with its type, bounds, default (as JSON
 * text), whether it can change on a live reload, an extra check, and a one-line help. Loading
 * walks the table, so adding an option is adding a row (and a struct field).
 * Control plane only.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"
#include "conf/diag.h"

enum conf_type {
    CONF_T_BOOL,
    CONF_T_INT,
    CONF_T_NUM,
    CONF_T_STR,
    CONF_T_STRLIST,
    CONF_T_LABEL, /* a string, true (the built-in default) or false (hidden) */
};

/* Extra check of a string value (or of each item of a list); `path` names it in messages.
 * Returns true when valid, else adds an error to `d`. */
typedef bool (*conf_check_fn)(const char *path, const char *value, struct conf_diag *d);

struct conf_opt {
    const char *key;
    enum conf_type type;
    size_t offset; /* into struct conf_server */
    double min, max;
    const char *def; /* default, as JSON text */
    bool live;       /* takes effect on reload without a restart */
    conf_check_fn check;
    const char *help;
};

extern const struct conf_opt conf_server_opts[];
extern const size_t conf_server_nopts;

/* Fills `out` from the `server` object (NULL: all defaults), warning about unknown keys. */
void conf_schema_load(const json_t *server, struct conf_server *out, struct conf_diag *d);
void conf_schema_free(struct conf_server *s);

/* The keys that cannot change live (rows with live false) whose values differ between
 * `old` and `nw`: up to `cap` names into `names`; returns how many. */
size_t conf_schema_restart_changes(const struct conf_server *old, const struct conf_server *nw,
                                   const char **names, size_t cap);

/* Shared by the loader: "<json>" of a value for messages, shortened. */
void conf_schema_repr(const json_t *v, char *out, size_t cap);
