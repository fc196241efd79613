#include "conf/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/name.h"

void conf_sources_init(struct conf_sources *s, const json_t *root)
{
    memset(s, 0, sizeof(*s));
    s->root = root;
}

void conf_sources_deinit(struct conf_sources *s)
{
    for (size_t i = 0; i < s->nfiles; i++)
        free(s->files[i]);
    free(s->files);
    free(s->lines);
    free(s->ns);
    free(s->names);
    memset(s, 0, sizeof(*s));
}

static int conf_sources__grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    if (ncap > SIZE_MAX / elem)
        return -ENOMEM;
    void *np = realloc(*p, ncap * elem);
    if (!np)
        return -ENOMEM;
    *p = np;
    *cap = ncap;
    return 0;
}

int conf_sources_file(struct conf_sources *s, const char *file, unsigned line)
{
    /* Files come in runs (one file, then an $INCLUDE, ...): look at the last one first. */
    size_t f = s->nfiles;
    for (size_t i = s->nfiles; i-- > 0;) {
        if (strcmp(s->files[i], file) == 0) {
            f = i;
            break;
        }
    }
    if (f == s->nfiles) {
        if (conf_sources__grow((void **)&s->files, &s->capfiles, s->nfiles + 1, sizeof(*s->files)))
            return -1;
        s->files[s->nfiles] = strdup(file);
        if (!s->files[s->nfiles])
            return -1;
        s->nfiles++;
    }
    if (s->nlines >= (size_t)(INT32_MAX - CONF_SOURCE_FILE) ||
        conf_sources__grow((void **)&s->lines, &s->caplines, s->nlines + 1, sizeof(*s->lines)))
        return -1;
    s->lines[s->nlines] = (struct conf_source_line){.file = (uint32_t)f, .line = line};
    return CONF_SOURCE_FILE + (int)s->nlines++;
}

void conf_sources_name(const struct conf_sources *s, int source, char *out, size_t cap)
{
    if (conf_sources_is_file(source)) {
        size_t n = (size_t)(source - CONF_SOURCE_FILE);
        if (n < s->nlines)
            snprintf(out, cap, "%s:%u", s->files[s->lines[n].file], s->lines[n].line);
        else
            snprintf(out, cap, "?");
        return;
    }
    if (source >= 0) {
        snprintf(out, cap, "records[%d]", source);
        return;
    }
    size_t want = (size_t)(-1 - (long)source), i = 0;
    const char *key;
    const json_t *zv;
    json_object_foreach(json_object_get(s->root, "zones"), key, zv)
    {
        if (i++ == want) {
            snprintf(out, cap, "zones[\"%s\"]", key);
            return;
        }
    }
    snprintf(out, cap, "zones[%zu]", want);
}

static long conf_sources__name(struct conf_sources *s, const uint8_t *name)
{
    size_t len = dns_name_len(name);
    if (conf_sources__grow((void **)&s->names, &s->names_cap, s->names_len + len, 1))
        return -1;
    memcpy(s->names + s->names_len, name, len);
    s->names_len += len;
    return (long)(s->names_len - len);
}

int conf_sources_ns(struct conf_sources *s, const uint8_t *owner, const uint8_t *target, int source)
{
    if (conf_sources__grow((void **)&s->ns, &s->capns, s->nns + 1, sizeof(*s->ns)))
        return -ENOMEM;
    long o = conf_sources__name(s, owner);
    long t = o < 0 ? -1 : conf_sources__name(s, target);
    if (t < 0)
        return -ENOMEM;
    s->ns[s->nns++] =
        (struct conf_source_ns){.owner = (size_t)o, .target = (size_t)t, .source = source};
    return 0;
}
