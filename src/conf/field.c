#include "conf/field.h"

#include <string.h>

#include "conf/schema.h"

bool conf_field_expect(const json_t *v, bool ok, const char *path, const char *want,
                       struct conf_diag *d)
{
    if (!ok) {
        char got[96];
        conf_schema_repr(v, got, sizeof(got));
        conf_diag_error(d, "%s: expected %s, got %s", path, want, got);
    }
    return ok;
}

bool conf_field_str(const json_t *obj, const char *key, const char *path, bool required,
                    const char **out, struct conf_diag *d)
{
    const json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            conf_diag_error(d, "%s: missing required key \"%s\"", path, key);
        return !required;
    }
    if (!json_is_string(v)) {
        char got[96];
        conf_schema_repr(v, got, sizeof(got));
        conf_diag_error(d, "%s.%s: expected a string, got %s", path, key, got);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

bool conf_field_int(const json_t *obj, const char *key, const char *path, int64_t min, int64_t max,
                    int64_t *out, struct conf_diag *d)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        char got[96];
        conf_schema_repr(v, got, sizeof(got));
        conf_diag_error(d, "%s.%s: expected an integer from %lld to %lld, got %s", path, key,
                        (long long)min, (long long)max, got);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

bool conf_field_bool(const json_t *obj, const char *key, const char *path, bool *out,
                     struct conf_diag *d)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return true;
    if (!json_is_boolean(v)) {
        char got[96];
        conf_schema_repr(v, got, sizeof(got));
        conf_diag_error(d, "%s.%s: expected true or false, got %s", path, key, got);
        return false;
    }
    *out = json_is_true(v);
    return true;
}

void conf_field_unknown(const json_t *obj, const char *const *known, const char *path,
                        struct conf_diag *d)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        bool found = false;
        for (const char *const *k = known; *k && !found; k++)
            found = strcmp(*k, key) == 0;
        if (!found)
            conf_diag_warn(d, "%s.%s: unknown key (ignored)", path, key);
    }
}
