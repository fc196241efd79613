#pragma once
/*
 * Typed access to fields of a JSON object with NanoDNS-style messages that name the JSON
 * path and the bad value:  records[3].ttl: expected an integer from 0 to 2147483647, got "x".
 * Each getter leaves *out alone when the key is absent and returns false (after adding an
 * error) only when the key is present with a bad value, or required and missing.
 * Control plane only.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf/diag.h"

/* Returns `ok`; when false, adds "<path>: expected <want>, got <value>". */
bool conf_field_expect(const json_t *v, bool ok, const char *path, const char *want,
                       struct conf_diag *d);
bool conf_field_str(const json_t *obj, const char *key, const char *path, bool required,
                    const char **out, struct conf_diag *d);
bool conf_field_int(const json_t *obj, const char *key, const char *path, int64_t min, int64_t max,
                    int64_t *out, struct conf_diag *d);
bool conf_field_bool(const json_t *obj, const char *key, const char *path, bool *out,
                     struct conf_diag *d);
/* Warns about every key of obj that is not in the NULL-terminated list `known`. */
void conf_field_unknown(const json_t *obj, const char *const *known, const char *path,
                        struct conf_diag *d);
