#pragma once
/*
 * Diagnostics collected while loading a config: errors (the config is rejected) and
 * warnings (it loads). Messages are complete sentences without a prefix, e.g.
 *   records[3].value: invalid IPv4 address "10.0.0.300"
 * The caller decides how to print them (`check`: FAIL/WARN lines; `start`: log lines).
 * Owns its strings. Single-threaded.
 */

#include <stdbool.h>
#include <stddef.h>

#define CONF_DIAG_MAX 100 /* further messages are counted, not kept */

struct conf_diag_msg {
    bool error;
    char *text;
};

struct conf_diag {
    struct conf_diag_msg *msgs;
    size_t n, cap;
    size_t errors, warnings;
    size_t dropped;
};

void conf_diag_init(struct conf_diag *d);
void conf_diag_deinit(struct conf_diag *d);
void conf_diag_error(struct conf_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void conf_diag_warn(struct conf_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
